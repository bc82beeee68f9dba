package io.github.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.GradMode;
import io.github.jgrad.autodiff.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Validation numbers, early stopping, the best checkpoint and the logs, on a small classifier. */
class ListenersTest {
    @TempDir
    Path dir;

    private static final Tensor X = Tensor.randn(new SplittableRandom(4), 120, 2);
    private static final Tensor Y = Tensor.of(labels(X), 120);

    private static double[] labels(Tensor x) {
        double[] c = new double[x.shape(0)];
        for (int i = 0; i < c.length; i++) {
            c[i] = x.get(i, 0) + x.get(i, 1) > 0 ? 1 : 0;
        }
        return c;
    }

    private static DataLoader train() {
        return DataLoader.of(X.slice(0, 0, 90), Y.slice(0, 0, 90), 15, true, 3);
    }

    private static DataLoader held() {
        return DataLoader.of(X.slice(0, 90, 120), Y.slice(0, 90, 120), 7, false, 0);  // batches of 7, 7, 7, 7, 2
    }

    private static Trainer trainer(Sequential m, double lr) {
        return Trainer.of(m, SGD.of(m.parameters(), lr), (x, y) -> Loss.crossEntropy(m.forward(x), y)).progress(null);
    }

    @Test
    void validationNumbersAreMeansOverTheExamples() {
        Sequential m = Sequential.mlp(1, Activation.tanh(), 2, 8, 2);
        List<Trainer.Epoch> seen = new ArrayList<>();
        Trainer validated = trainer(m, 0.5).validation(held(), Map.of("accuracy", Metric.accuracy(m)))
                .listen((t, e) -> seen.add(e));
        validated.fit(train(), 3);
        assertTrue(m.isTraining(), "validation put the model back in training mode (an API review: it was left in"
                + " evaluation mode with validation and in training mode without)");
        m.eval();
        validated.evaluate(held());
        assertFalse(m.isTraining(), "a model in evaluation mode stays in it");
        Dropout off = Dropout.of(0.5, 1);
        Sequential mixed = Sequential.of(Linear.of(2, 2, 1), off);
        mixed.train();
        off.eval();                                                     // a review: evaluate turned it back on
        Trainer.of(mixed, SGD.of(mixed.parameters(), 0.1), (x, y) -> Loss.crossEntropy(mixed.forward(x), y))
                .progress(null).evaluate(held());
        assertTrue(mixed.isTraining());
        assertFalse(off.isTraining(), "each module's own mode comes back");
        boolean[] dropoutOnInAStep = {false};                          // a final review: fit's epochs turned it on
        Trainer.of(mixed, SGD.of(mixed.parameters(), 0.1), (x, y) -> {
                    dropoutOnInAStep[0] |= off.isTraining();
                    return Loss.crossEntropy(mixed.forward(x), y);
                }).progress(null).validation(held(), Map.of()).fit(train(), 2);
        assertFalse(dropoutOnInAStep[0], "a sub-module set to eval() in a training model stays so");
        assertFalse(off.isTraining());
        mixed.eval();
        Trainer.of(mixed, SGD.of(mixed.parameters(), 0.1), (x, y) -> Loss.crossEntropy(mixed.forward(x), y))
                .progress(null).fit(train(), 1);
        assertTrue(mixed.isTraining() && off.isTraining(), "a model in evaluation mode is trained in training mode");
        assertEquals(3, seen.size());
        Trainer.Epoch last = seen.get(2);
        assertEquals(List.of("loss", "val_loss", "val_accuracy"), new ArrayList<>(last.metrics().keySet()));
        assertEquals(3, last.number());
        assertEquals(3, last.lastOfFit());
        assertEquals(270, last.examples());
        try (GradMode.Scope ignored = GradMode.disabled()) {
            Tensor out = m.forward(X.slice(0, 90, 120));                  // the model is in evaluation mode
            assertEquals(Loss.crossEntropy(out, Y.slice(0, 90, 120)).item(), last.metric("val_loss"), 1e-12);
            assertEquals(Metrics.accuracy(out, Y.slice(0, 90, 120)), last.metric("val_accuracy"), 1e-12);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> last.metric("val_acc"));
        assertEquals("no metric 'val_acc' after epoch 3; there are [loss, val_loss, val_accuracy]", e.getMessage());
    }

    @Test
    void anEarlyStoppedRunEndsItsProgressLineOnATerminal() {
        Sequential m = Sequential.mlp(1, Activation.tanh(), 2, 8, 2);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        long[] now = {0};
        Trainer t = trainer(m, 0).progress(new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8))
                .clock(() -> now[0] += 3_000_000_000L, true)                 // 3 s per tick: drawn at once
                .validation(held(), Map.of()).listen(Listener.earlyStopping("val_loss", Listener.Goal.MINIMIZE, 1));
        assertEquals(2, t.fit(train(), 100).size());
        String out = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(out.startsWith("\repoch 1/100 ") && out.contains("\repoch 2/100 "), out);
        assertTrue(out.endsWith("\n") && out.indexOf('\n') == out.length() - 1, "one newline, at the end: " + out);
    }

    @Test
    void aShorterRedrawCoversTheLineBeforeIt() { // a probe's case: "... 0 examples/ses/s" on a terminal
        Linear m = Linear.of(1, 1, 1);
        double[] losses = {12345.678, 0.5, 0.25};
        int[] epoch = {0};
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        long[] now = {0};
        Trainer t = Trainer.of(m, SGD.of(m.parameters(), 0), (x, y) -> m.weight().sum().mul(0).add(losses[epoch[0]]))
                .progress(new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8))
                .clock(() -> now[0] += 3_000_000_000L, true)
                .listen((tr, e) -> epoch[0]++);
        t.fit(DataLoader.of(Tensor.zeros(2, 1), Tensor.zeros(2, 1), 2, false, 0), 3);
        String[] draws = bytes.toString(java.nio.charset.StandardCharsets.UTF_8).split("\r");
        assertEquals(4, draws.length, java.util.Arrays.toString(draws));         // "" and three drawings
        assertTrue(draws[2].length() >= draws[1].length(), java.util.Arrays.toString(draws)); // covers it
        assertTrue(draws[2].contains("loss 0.5000") && draws[2].endsWith(" "), "padded: '" + draws[2] + "'");
    }

    @Test
    void evaluatingNothingIsAnError() { // it returned {val_loss=NaN}
        Sequential m = Sequential.mlp(1, Activation.tanh(), 2, 8, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trainer(m, 0.1).evaluate(DataLoader.of(Tensor.zeros(0, 2), Tensor.zeros(0), 4, false, 0)));
        assertTrue(e.getMessage().startsWith("Trainer.evaluate: the loader has no examples"), e.getMessage());
        DataLoader none = DataLoader.of(Tensor.zeros(0, 2), Tensor.zeros(0), 4, false, 0);
        e = assertThrows(IllegalArgumentException.class, () -> trainer(m, 0.1).fit(none, 1));
        assertEquals("Trainer.fit: the loader has no examples to train on", e.getMessage()); // the call made
        e = assertThrows(IllegalArgumentException.class, () -> trainer(m, 0.1).epoch(none, 0));
        assertEquals("Trainer.epoch: the loader has no examples to train on", e.getMessage());
    }

    @Test
    void accuracyOfAModelRecordsNothing() { // its Javadoc says so; it ran forward with grad mode on
        boolean[] recording = {true};
        Module watched = new Module() {
            @Override
            public Tensor forward(Tensor x) {
                recording[0] = GradMode.isEnabled();
                return x;
            }
        };
        assertEquals(0.5, Metric.accuracy(watched).of(Tensor.of(new double[] {1, 0, 0, 1}, 2, 2), Tensor.of(new double[] {0, 0})));
        assertEquals(false, recording[0]);
    }

    @Test
    void validationRefusesEmptyDataAndAMetricCalledLoss() {
        Sequential m = Sequential.mlp(1, Activation.tanh(), 2, 8, 2);
        DataLoader empty = DataLoader.of(Tensor.zeros(0, 2), Tensor.zeros(0), 4, false, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> trainer(m, 0.1).validation(empty, Map.of()));
        assertEquals("Trainer.validation: the validation data has no examples", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> trainer(m, 0.1).validation(held(), Map.of("loss", Metric.accuracy(m))));
        assertTrue(e.getMessage().contains("may not be called 'loss'"), e.getMessage());
        // names become checkpoint entries (a listener's id): ones a file cannot hold failed at the first save
        for (String bad : new String[] {"", "a\0b", "half \uD800", "x".repeat(1001)}) {
            e = assertThrows(IllegalArgumentException.class,
                    () -> trainer(m, 0.1).validation(held(), Map.of(bad, Metric.accuracy(m))));
            assertTrue(e.getMessage().startsWith("Trainer.validation: the metric name '"), e.getMessage());
            assertTrue(e.getMessage().endsWith("is not 1 to 1,000 characters without NUL or halves of surrogate"
                    + " pairs (names become checkpoint entries)"), e.getMessage());
        }
        trainer(m, 0.1).validation(held(), Map.of("top-5 [%], ünïcode/../x", Metric.accuracy(m)));
    }

    @Test
    void aCheckpointNamingListenersByPlaceSeesABestFileWrittenSince() throws IOException { // a review
        // restored by place, bestCheckpoint looked for what its file holds under the old names only, found
        // nothing in a file written since, and overwrote its better epoch with the resumed run's worse one
        Path best = dir.resolve("best.npz");
        Path ck = dir.resolve("ck.npz");
        Trainer t = scored(new double[] {3, 1}, 0, best, (trainer, e) -> { });
        t.fit(train(), 1);
        t.save(ck);                                                        // epoch 1, score 3
        Map<String, Tensor> old = new java.util.LinkedHashMap<>();
        Npz.load(ck).forEach((name, x) -> old.put(name.replace("trainer.listener.bestCheckpoint[val_score,MINIMIZE].",
                "trainer.listener.0.bestCheckpoint."), x));
        assertTrue(old.containsKey("trainer.listener.0.bestCheckpoint.best"));
        Npz.save(ck, old);
        t.fit(train(), 1);                                                 // epoch 2, score 1: the best file
        scored(new double[] {3, 2}, 1, best, (trainer, e) -> { }).resume(ck).fit(train(), 1); // epoch 2 again, 2
        assertEquals(1, Npz.load(best).get("trainer.listener.bestCheckpoint[val_score,MINIMIZE].best").item(),
                "the file keeps its better epoch");
    }

    @Test
    void earlyStoppingWaitsForItsPatience() {
        Sequential m = Sequential.mlp(1, Activation.tanh(), 2, 8, 2);
        Trainer t = trainer(m, 0).validation(held(), Map.of())              // learning rate 0: nothing improves
                .listen(Listener.earlyStopping("val_loss", Listener.Goal.MINIMIZE, 3));
        assertEquals(4, t.fit(train(), 100).size(), "the first epoch sets the best, three more fail to beat it");
        assertEquals(4, t.epochs());
        assertEquals(1, t.fit(train(), 2).size(), "the listener remembers: still no improvement, so it stops at once");
        assertThrows(IllegalArgumentException.class, () -> Listener.earlyStopping("val_loss", Listener.Goal.MINIMIZE, 0));
    }

    /** Validation scores by epoch: the best at epoch 2, then three worse ones (patience 3 stops at 5). */
    private static final double[] SCORES = {5, 1, 4, 3, 2, 0.5, 0.25, 0.125, 0.0625, 0.03125};

    /** A run of {@code epochs} more epochs with every stateful listener and both logs, in {@code in}. */
    private static Trainer run(Sequential m, Path in, int startEpoch, Listener... first) {
        int[] calls = {startEpoch};                                        // one validation batch per epoch
        Map<String, Metric> score = Map.of("score", (x, y) -> SCORES[calls[0]++]);
        DataLoader held = DataLoader.of(X.slice(0, 90, 120), Y.slice(0, 90, 120), 30, false, 0);
        Trainer t = trainer(m, 0.5).validation(held, score);
        for (Listener l : first) {
            t.listen(l);
        }
        return t.listen(Listener.bestCheckpoint(in.resolve("best.npz"), "val_score", Listener.Goal.MINIMIZE))
                .listen(Listener.earlyStopping("val_score", Listener.Goal.MINIMIZE, 3))
                .listen(Listener.csvLog(in.resolve("log.csv"))).listen(Listener.jsonLines(in.resolve("log.jsonl")));
    }

    @Test
    void aResumedRunsListenersGoOnAsIfItHadNeverStopped() throws IOException { // found by a hostile probe
        Path straight = Files.createDirectory(dir.resolve("straight"));
        Trainer once = run(Sequential.mlp(1, Activation.tanh(), 2, 8, 2), straight, 0);
        once.fit(train(), 10);
        assertEquals(5, once.epochs(), "three epochs without improving on epoch 2's score");

        Path resumed = Files.createDirectory(dir.resolve("resumed"));
        Trainer first = run(Sequential.mlp(1, Activation.tanh(), 2, 8, 2), resumed, 0);
        first.fit(train(), 3);
        first.save(resumed.resolve("run.npz"));
        first.fit(train(), 1);                                             // logged after the checkpoint, then lost
        Trainer again = run(Sequential.mlp(1, Activation.tanh(), 2, 8, 2), resumed, 3);
        again.resume(resumed.resolve("run.npz")).fit(train(), 7);
        assertEquals(5, again.epochs(), "early stopping kept its count of epochs without improvement");
        assertEquals(2, Npz.load(resumed.resolve("best.npz")).get(Checkpoint.EPOCHS).item(), "epoch 2 stays the best");
        for (String log : List.of("log.csv", "log.jsonl")) {                // each epoch once, the same numbers
            assertEquals(Files.readString(straight.resolve(log)), Files.readString(resumed.resolve(log)), log);
        }
        assertEquals(6, Files.readAllLines(resumed.resolve("log.csv")).size());

        Trainer other = trainer(Sequential.mlp(1, Activation.tanh(), 2, 8, 2), 0.5) // other metrics, the same log
                .listen(Listener.csvLog(resumed.resolve("log.csv")));
        other.resume(resumed.resolve("run.npz"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> other.fit(train(), 1));
        assertTrue(e.getMessage().startsWith("csvLog: epoch 4 resumes a run whose log"), e.getMessage());
        assertEquals(6, Files.readAllLines(resumed.resolve("log.csv")).size(), "the log is as it was");
    }

    /**
     * Runs {@link #run}'s trainer 10 epochs straight into directory "straight" (early stopping ends it
     * at 5) and 3 epochs into directory {@code name}, saving run.npz there, which it returns.
     */
    private Path savedAfterThreeEpochs(String name) throws IOException {
        run(Sequential.mlp(1, Activation.tanh(), 2, 8, 2), Files.createDirectory(dir.resolve("straight")), 0)
                .fit(train(), 10);
        Path in = Files.createDirectory(dir.resolve(name));
        Trainer first = run(Sequential.mlp(1, Activation.tanh(), 2, 8, 2), in, 0);
        first.fit(train(), 3);
        first.save(in.resolve("run.npz"));
        return in;
    }

    @Test
    void resumedListenersFindTheirStateByWhatTheyWatchNotByTheirPlace() throws IOException { // a new user's probe
        // state went back by place: a listener added in front made early stopping start afresh, silently
        Path in = savedAfterThreeEpochs("moved");
        Trainer again = run(Sequential.mlp(1, Activation.tanh(), 2, 8, 2), in, 3, (t, e) -> { });
        again.resume(in.resolve("run.npz")).fit(train(), 7);
        assertEquals(5, again.epochs(), "early stopping kept its count of epochs without improvement");
        assertEquals(Files.readString(dir.resolve("straight").resolve("log.csv")),
                Files.readString(in.resolve("log.csv")), "the log of the run straight through");
    }

    @Test
    void aListenerWatchingAnotherMetricStartsAfreshAndLeftStateIsNamed() throws IOException { // a new user's probe
        // an earlyStopping maximizing took the best and count of one that minimized, at the same place
        Path in = Files.createDirectory(dir.resolve("other"));
        Trainer first = run(Sequential.mlp(1, Activation.tanh(), 2, 8, 2), in, 0);
        first.fit(train(), 3);
        first.save(in.resolve("run.npz"));
        Trainer again = trainer(Sequential.mlp(1, Activation.tanh(), 2, 8, 2), 0.5)
                .listen(Listener.bestCheckpoint(in.resolve("best.npz"), "val_score", Listener.Goal.MINIMIZE))
                .listen(Listener.earlyStopping("val_score", Listener.Goal.MAXIMIZE, 3));
        java.util.logging.Logger log = java.util.logging.Logger.getLogger("io.github.jgrad");
        List<String> warnings = new java.util.ArrayList<>();
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                warnings.add(r.getLevel() + " " + r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        boolean parents = log.getUseParentHandlers();
        log.addHandler(h);
        log.setUseParentHandlers(false);                                   // the tests stay silent
        try {
            again.resume(in.resolve("run.npz"));
        } finally {
            log.removeHandler(h);
            log.setUseParentHandlers(parents);
        }
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("WARNING Trainer.resume: no listener of this trainer takes the saved"
                + " listener state [trainer.listener.earlyStopping[val_score,MINIMIZE].best, trainer.listener"
                + ".earlyStopping[val_score,MINIMIZE].worse]"), warnings.get(0));
        Path after = in.resolve("after.npz");
        again.save(after);
        Map<String, Tensor> entries = Npz.load(after);
        assertTrue(Double.isNaN(entries.get("trainer.listener.earlyStopping[val_score,MAXIMIZE].best").item()),
                "no best yet");
        assertEquals(0, entries.get("trainer.listener.earlyStopping[val_score,MAXIMIZE].worse").item());
        assertEquals(1, entries.get("trainer.listener.bestCheckpoint[val_score,MINIMIZE].best").item(), "taken back");
    }

    @Test
    void aCheckpointNamingListenersByPlaceIsStillRead() throws IOException {
        // checkpoints written before listeners had ids: trainer.listener.I.KIND.KEY
        Path in = savedAfterThreeEpochs("old");
        Map<String, Tensor> old = new java.util.LinkedHashMap<>();
        Npz.load(in.resolve("run.npz")).forEach((name, t) -> old.put(name
                .replace("trainer.listener.bestCheckpoint[val_score,MINIMIZE].", "trainer.listener.0.bestCheckpoint.")
                .replace("trainer.listener.earlyStopping[val_score,MINIMIZE].", "trainer.listener.1.earlyStopping."), t));
        assertTrue(old.containsKey("trainer.listener.1.earlyStopping.worse"));
        Npz.save(in.resolve("old.npz"), old);
        Trainer again = run(Sequential.mlp(1, Activation.tanh(), 2, 8, 2), in, 3);
        again.resume(in.resolve("old.npz")).fit(train(), 7);
        assertEquals(5, again.epochs(), "early stopping kept its count of epochs without improvement");
        assertEquals(Files.readString(dir.resolve("straight").resolve("log.csv")),
                Files.readString(in.resolve("log.csv")), "the log of the run straight through");
    }

    @Test
    void theBestCheckpointHoldsTheStateOfTheListenersAfterIt() throws IOException { // found by a hostile probe
        // bestCheckpoint saved as it saw the epoch, before earlyStopping (after it in the list) had: the
        // file paired epoch 2's weights with epoch 1's count, and a run resumed from it stopped elsewhere
        Path in = Files.createDirectory(dir.resolve("best"));
        run(Sequential.mlp(1, Activation.tanh(), 2, 8, 2), in, 0).fit(train(), 10);
        Map<String, Tensor> best = Npz.load(in.resolve("best.npz"));
        assertEquals(2, best.get(Checkpoint.EPOCHS).item());
        assertEquals(1, best.get("trainer.listener.earlyStopping[val_score,MINIMIZE].best").item(), "epoch 2's score, not epoch 1's");
        Trainer resumed = run(Sequential.mlp(1, Activation.tanh(), 2, 8, 2), Files.createDirectory(dir.resolve("again")), 2);
        resumed.resume(in.resolve("best.npz")).fit(train(), 10);
        assertEquals(5, resumed.epochs(), "three epochs without improving on epoch 2's score, as the run it saved");
    }

    @Test
    void aListenerThatThrowsCannotMakeTheBestCheckpointHoldAWorseEpoch() throws IOException { // a hostile probe
        // the improvement of epoch 2 was never written, and its flag stayed set: epoch 3, worse than the
        // file's epoch 1, was written as the best; epoch 4, better than the file's, compared with epoch 2's
        double[] scores = {3, 1, 4, 2, 2.5};
        Path best = dir.resolve("best.npz");
        Trainer t = scored(scores, 0, best, (trainer, e) -> {
            if (e.number() == 2) {
                throw new IllegalStateException("a full disk");
            }
        });
        int[] expected = {1, 1, 1, 4, 4}; // the epoch the file holds after each
        for (int epoch = 1; epoch <= 5; epoch++) {
            if (epoch == 2) {
                assertThrows(IllegalStateException.class, () -> t.fit(train(), 1));
            } else {
                t.fit(train(), 1);
            }
            Map<String, Tensor> file = Npz.load(best);
            assertEquals(expected[epoch - 1], file.get(Checkpoint.EPOCHS).item(), "after epoch " + epoch);
            assertEquals(scores[expected[epoch - 1] - 1], file.get("trainer.listener.bestCheckpoint[val_score,MINIMIZE].best").item());
        }
    }

    /**
     * A trainer whose validation score in epoch k (from 1) is scores[k - 1], resuming at epoch
     * {@code start}, with bestCheckpoint({@code best}) and then {@code after} as listeners.
     */
    private Trainer scored(double[] scores, int start, Path best, Listener after) {
        int[] calls = {start};
        DataLoader held = DataLoader.of(X.slice(0, 90, 120), Y.slice(0, 90, 120), 30, false, 0);
        return trainer(Sequential.mlp(1, Activation.tanh(), 2, 8, 2), 0.5)
                .validation(held, Map.of("score", (x, y) -> scores[calls[0]++]))
                .listen(Listener.bestCheckpoint(best, "val_score", Listener.Goal.MINIMIZE))
                .listen(after);
    }

    /** A listener saving the trainer to {@code ck} (before the best file is written) in the epochs {@code when} takes. */
    private static Listener saving(Path ck, java.util.function.IntPredicate when) {
        return (trainer, e) -> {
            if (when.test(e.number())) {
                try {
                    trainer.save(ck);
                } catch (IOException x) {
                    throw new java.io.UncheckedIOException(x);
                }
            }
        };
    }

    /** Scores 3, 1, 2 by epoch; after bestCheckpoint, a listener saving {@code ck} each epoch, then dying in epoch 2. */
    private Trainer savingEveryEpoch(Path best, Path ck, int startEpoch, boolean dieInEpoch2) {
        Listener save = saving(ck, n -> true);
        return scored(new double[] {3, 1, 2}, startEpoch, best, (trainer, e) -> {
            save.onEpoch(trainer, e);
            if (dieInEpoch2 && e.number() == 2) {
                throw new IllegalStateException("killed");
            }
        });
    }

    @Test
    void aRunResumedBetweenTheTwoSavesLooksAtTheBestFile() throws IOException { // a review of the fix above
        // killed after the checkpoint of improving epoch 2, before its best file: the resumed run took
        // epoch 2's score for the file's and did not save epoch 3, better than the file's epoch 1
        Path best = dir.resolve("best.npz");
        Path ck = dir.resolve("ck.npz");
        Trainer killed = savingEveryEpoch(best, ck, 0, true);
        killed.fit(train(), 1);
        assertThrows(IllegalStateException.class, () -> killed.fit(train(), 1));
        assertEquals(1, Npz.load(best).get(Checkpoint.EPOCHS).item());
        Tensor pending = Npz.load(ck).get("trainer.listener.bestCheckpoint[val_score,MINIMIZE].pending");
        savingEveryEpoch(best, ck, 2, false).resume(ck).fit(train(), 1);
        assertEquals(3, Npz.load(best).get(Checkpoint.EPOCHS).item(), "epoch 3 beats the file's epoch 1");
        assertEquals(2, pending.item(), "the checkpoint knew epoch 2's file was not written yet");

        // not killed: the best file was written after the checkpoint, and epoch 3 does not beat it
        Path best2 = dir.resolve("best2.npz");
        Path ck2 = dir.resolve("ck2.npz");
        savingEveryEpoch(best2, ck2, 0, false).fit(train(), 2);
        assertEquals(2, Npz.load(best2).get(Checkpoint.EPOCHS).item());
        savingEveryEpoch(best2, ck2, 2, false).resume(ck2).fit(train(), 1);
        assertEquals(2, Npz.load(best2).get(Checkpoint.EPOCHS).item(), "epoch 2 stays the best");
        Map<String, Tensor> own = Npz.load(best2);
        assertEquals(0, own.get("trainer.listener.bestCheckpoint[val_score,MINIMIZE].pending").item(), "its own file: nothing pending");
        assertEquals(1, own.get("trainer.listener.bestCheckpoint[val_score,MINIMIZE].saved").item());
    }

    @Test
    void aRunResumedFromAnOlderCheckpointComparesWithWhatTheFileHolds() throws IOException { // a review
        // the checkpoint of epoch 2 (best 2) is older than the best file (epoch 4, score 1): the resumed run
        // compared with 2 and wrote epochs scoring 1.5 over the file's better epoch 4
        double[] scores = {3, 2, 2.5, 1, 5, 1.5};
        Path best = dir.resolve("best.npz");
        Path ck = dir.resolve("ck.npz");
        java.util.function.IntFunction<Trainer> run = start -> scored(scores, start, best, saving(ck, n -> n == 2));
        run.apply(0).fit(train(), 5);
        assertEquals(4, Npz.load(best).get(Checkpoint.EPOCHS).item());
        Trainer resumed = run.apply(2).resume(ck);
        resumed.fit(train(), 1);                                   // epoch 3 again: 2.5
        assertEquals(4, Npz.load(best).get(Checkpoint.EPOCHS).item());
        run.apply(5).resume(ck).fit(train(), 1);                   // "epoch 3" scoring 1.5: better than 2, not 1
        assertEquals(4, Npz.load(best).get(Checkpoint.EPOCHS).item(), "epoch 4 stays the best");
    }

    /** A model that registers one more layer when asked, as a lazily built one does. */
    static final class Grows extends Module {
        final Linear head = register("head", Linear.of(2, 2, 1));
        final Dropout inner = Dropout.of(0.5, 1);
        final Sequential block = register("block", Sequential.of(inner));

        void grow() {
            register("extra", Dropout.of(0.1, 2));
        }

        @Override
        public Tensor forward(Tensor x) {
            return block.forward(head.forward(x));
        }
    }

    @Test
    void evaluateRestoresModesByModuleWhenTheTreeGrows() { // a review: modes were put back by position
        Grows model = new Grows();
        model.block.eval();
        model.inner.train();                                               // mixed, on purpose
        boolean[] grown = {false};
        Trainer t = Trainer.of(model, SGD.of(model.parameters(), 0.1), (x, y) -> Loss.crossEntropy(model.forward(x), y))
                .progress(null).validation(held(), Map.of("grow", (x, y) -> {
                    if (!grown[0]) {
                        grown[0] = true;
                        model.grow();
                    }
                    return 0;
                }));
        t.evaluate(held());
        assertFalse(model.block.isTraining());
        assertTrue(model.inner.isTraining(), "its own mode, not the one at its old position");
        assertTrue(model.head.isTraining());
    }

    @Test
    void validationComesInTheSameOrderEveryTime() { // a resumed run's numbers are an uninterrupted one's
        Sequential m = Sequential.mlp(1, Activation.tanh(), 2, 8, 2);
        DataLoader shuffled = DataLoader.of(X.slice(0, 90, 120), Y.slice(0, 90, 120), 7, true, 0);
        Trainer t = trainer(m, 0.5).validation(shuffled, Map.of("first", (x, y) -> x.get(0, 0))); // order-dependent
        Map<String, Double> first = t.evaluate(shuffled);
        for (int k = 0; k < 5; k++) {
            assertEquals(first, t.evaluate(shuffled));
        }
    }

    @Test
    void metricNamesThatAreNotPlainWordsStayReadable() throws IOException {
        Sequential m = Sequential.mlp(1, Activation.tanh(), 2, 8, 2);
        Path csv = dir.resolve("odd.csv");
        Path json = dir.resolve("odd.jsonl");
        Map<String, Metric> metrics = new LinkedHashMap<>();
        metrics.put("f1, \"macro\"", (x, y) -> 0.5);
        metrics.put("two\nlines\\", (x, y) -> 0.25);
        Trainer t = trainer(m, 0.5).validation(held(), metrics).listen(Listener.csvLog(csv)).listen(Listener.jsonLines(json));
        t.fit(train(), 2);
        String text = Files.readString(csv);
        assertTrue(text.startsWith("epoch,loss,val_loss,\"val_f1, \"\"macro\"\"\",\"val_two\nlines\\\"\n1,"), text);
        assertTrue(text.contains(",0.5,0.25\n2,"), text);
        List<String> lines = Files.readAllLines(json);
        assertEquals(2, lines.size(), "a line per epoch: the newline in a name is escaped");
        assertTrue(lines.get(0).endsWith(", \"val_f1, \\\"macro\\\"\": 0.5, \"val_two\\u000alines\\\\\": 0.25}"), lines.get(0));

        Trainer other = trainer(m, 0.5).listen(Listener.csvLog(csv)); // no validation: fewer columns
        other.fit(train(), 1);
        Listener log = Listener.csvLog(dir.resolve("mixed.csv"));
        trainer(m, 0.5).listen(log).fit(train(), 1);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> trainer(m, 0.5).validation(held(), metrics).listen(log).fit(train(), 1));
        assertTrue(e.getMessage().startsWith("csvLog: epoch 1 has the numbers [loss, val_loss, val_f1, \"macro\", "),
                e.getMessage());
        assertEquals(2, Files.readAllLines(dir.resolve("mixed.csv")).size(), "the file is as it was");
    }

    @Test
    void theBestCheckpointAndTheLogsAgree() throws IOException {
        Sequential m = Sequential.mlp(1, Activation.tanh(), 2, 8, 2);
        Path best = dir.resolve("best.npz");
        Path csv = dir.resolve("log.csv");
        Path json = dir.resolve("log.jsonl");
        Metric nan = (x, y) -> Double.NaN;
        Map<String, Metric> metrics = new LinkedHashMap<>();
        metrics.put("accuracy", Metric.accuracy(m));
        metrics.put("nothing", nan);
        List<Double> losses = trainer(m, 2).validation(held(), metrics)
                .listen(Listener.bestCheckpoint(best, "val_loss", Listener.Goal.MINIMIZE))
                .listen(Listener.csvLog(csv)).listen(Listener.jsonLines(json)).fit(train(), 12);

        List<String> rows = Files.readAllLines(csv);
        assertEquals("epoch,loss,val_loss,val_accuracy,val_nothing", rows.get(0));
        assertEquals(13, rows.size());
        int bestEpoch = 0;
        double bestLoss = Double.POSITIVE_INFINITY;
        for (int i = 1; i <= 12; i++) {
            String[] cells = rows.get(i).split(",");
            assertEquals(i, Integer.parseInt(cells[0]));
            assertEquals(losses.get(i - 1), Double.parseDouble(cells[1]), 0, "the exact loss, row " + i);
            assertEquals("NaN", cells[4]);
            if (Double.parseDouble(cells[2]) < bestLoss) {
                bestLoss = Double.parseDouble(cells[2]);
                bestEpoch = i;
            }
        }
        assertTrue(bestEpoch > 1, "it learned: the best epoch is " + bestEpoch);
        assertEquals(bestEpoch, Npz.load(best).get("trainer.epochs").item(), "the checkpoint is the best epoch's");

        List<String> lines = Files.readAllLines(json);
        assertEquals(12, lines.size());
        assertTrue(lines.get(0).startsWith("{\"epoch\": 1, \"loss\": " + losses.get(0) + ", \"val_loss\": "), lines.get(0));
        assertTrue(lines.get(0).endsWith(", \"val_nothing\": null}"), lines.get(0));
    }
}
