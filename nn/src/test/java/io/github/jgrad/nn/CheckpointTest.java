package io.github.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.DType;
import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.autodiff.Workspace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run saved and resumed continues bit for bit; a checkpoint that does not fit changes nothing. */
class CheckpointTest {
    @TempDir
    Path dir;

    private static final Tensor X = Tensor.randn(new SplittableRandom(3), 96, 4);
    private static final Tensor Y = Tensor.of(classes(X), 96);

    /** Class 0, 1 or 2 by the sign pattern of two inputs: learnable, not trivial. */
    private static double[] classes(Tensor x) {
        double[] c = new double[x.shape(0)];
        for (int i = 0; i < c.length; i++) {
            c[i] = (x.get(i, 0) > 0 ? 1 : 0) + (x.get(i, 1) > 0.5 ? 1 : 0);
        }
        return c;
    }

    /** Weights from {@code seed}; the dropout layer's seed is part of the model's construction, as its size is. */
    private static Sequential model(long seed) {
        return Sequential.of(Linear.of(4, 16, seed), Activation.relu(), Dropout.of(0.2, 5), Linear.of(16, 3, seed + 2));
    }

    private record Run(Sequential model, Optimizer optimizer, Trainer trainer, DataLoader loader) {
    }

    private static Run run(long seed, Function<List<Tensor>, Optimizer> optimizer) {
        return run(seed, optimizer, DType.FLOAT64);
    }

    private static Run run(long seed, Function<List<Tensor>, Optimizer> optimizer, DType dtype) {
        Sequential m = model(seed);
        m.to(dtype);
        Optimizer opt = optimizer.apply(m.parameters());
        Trainer t = Trainer.of(m, opt, (x, y) -> Loss.crossEntropy(m.forward(x), y)).progress(null)
                .schedule(Schedule.cosine(0.05, 0.001, 10)).clipGradNorm(5);
        return new Run(m, opt, t, DataLoader.of(X.to(dtype), Y, 16, true, 11));
    }

    private static long[] bits(Module m) {
        List<Long> all = new ArrayList<>();
        for (Tensor p : m.parameters()) {
            for (double v : p.toArray()) {
                all.add(Double.doubleToRawLongBits(v));
            }
        }
        return all.stream().mapToLong(Long::longValue).toArray();
    }

    private void resumesBitForBit(Function<List<Tensor>, Optimizer> optimizer) throws IOException {
        resumesBitForBit(optimizer, false);
    }

    /** With {@code inScope}, the checkpoint is loaded in a Workspace scope: the state it restores outlives it. */
    private void resumesBitForBit(Function<List<Tensor>, Optimizer> optimizer, boolean inScope) throws IOException {
        resumesBitForBit(optimizer, inScope, DType.FLOAT64);
    }

    private void resumesBitForBit(Function<List<Tensor>, Optimizer> optimizer, boolean inScope, DType dtype)
            throws IOException {
        Run straight = run(1, optimizer, dtype);
        List<Double> tenEpochs = straight.trainer().fit(straight.loader(), 10);

        Run first = run(1, optimizer, dtype);
        first.trainer().fit(first.loader(), 5);
        Path file = dir.resolve("run.npz");
        first.trainer().save(file);
        Run resumed = run(99, optimizer, dtype);             // other initial weights: all overwritten
        if (inScope) {
            try (Workspace.Scope scope = Workspace.create().open()) {
                resumed.trainer().resume(file);
            }
        } else {
            resumed.trainer().resume(file);
        }
        assertEquals(5, resumed.trainer().epochs());
        List<Double> lastFive = resumed.trainer().fit(resumed.loader(), 5);

        assertArrayEquals(bits(straight.model()), bits(resumed.model()), "parameters after 10 epochs");
        assertEquals(tenEpochs.subList(5, 10), lastFive, "the losses of epochs 6 to 10");
        assertEquals(straight.optimizer().steps(), resumed.optimizer().steps());
        assertEquals(straight.optimizer().learningRate(), resumed.optimizer().learningRate(), 0);
        assertTrue(tenEpochs.get(9) < tenEpochs.get(0) / 2, "it learns: " + tenEpochs);
    }

    @Test
    void adamResumesBitForBit() throws IOException {
        resumesBitForBit(p -> Adam.of(p, 0.05));
    }

    @Test
    void adamResumesBitForBitInFloat32WithItsStateInFloat32() throws IOException {
        resumesBitForBit(p -> Adam.of(p, 0.05), false, DType.FLOAT32);
        Map<String, Tensor> saved = Npz.load(dir.resolve("run.npz"));
        assertEquals(DType.FLOAT32, saved.get("model.0.weight").dtype(), "parameters saved as <f4");
        assertEquals(DType.FLOAT32, saved.get("optimizer.adam.exp_avg.0").dtype(), "Adam's state in float32");
        Run wider = run(99, p -> Adam.of(p, 0.05)); // float64: the float32 state takes the parameters' dtype
        wider.trainer().resume(dir.resolve("run.npz"));
        for (Tensor[] state : wider.optimizer().buffers().values()) {
            for (Tensor s : state) {
                assertTrue(s == null || s.dim() == 0 || s.dtype() == DType.FLOAT64, "state in float64");
            }
        }
        assertEquals(DType.FLOAT64, wider.model().parameters().get(0).dtype());
    }

    @Test
    void aModelConvertedAfterItsFirstStepsResumesBitForBit() throws IOException { // a probe's: its state stayed float64
        for (Function<List<Tensor>, Optimizer> optimizer : List.<Function<List<Tensor>, Optimizer>>of(
                p -> Adam.of(p, 0.05), p -> SGD.of(p, 0.05, 0.9, 0, false))) {
            Run straight = run(1, optimizer);
            straight.trainer().fit(straight.loader(), 1);
            straight.model().to(DType.FLOAT32);
            Run straight32 = new Run(straight.model(), straight.optimizer(), straight.trainer(),
                    DataLoader.of(X.to(DType.FLOAT32), Y, 16, true, 11));
            straight32.trainer().fit(straight32.loader(), 1);
            for (Tensor[] state : straight.optimizer().buffers().values()) {
                for (Tensor s : state) { // Adam's counts are 0-d and stay float64
                    assertTrue(s == null || s.dim() == 0 || s.dtype() == DType.FLOAT32, "state follows its parameter");
                }
            }
            Path file = dir.resolve("late.npz");
            straight32.trainer().save(file);
            List<Double> last = straight32.trainer().fit(straight32.loader(), 2);
            Run resumed = run(99, optimizer, DType.FLOAT32);
            resumed.trainer().resume(file);
            assertEquals(last, resumed.trainer().fit(resumed.loader(), 2));
            assertArrayEquals(bits(straight.model()), bits(resumed.model()), "parameters two epochs on");
        }
    }

    @Test
    void adamResumedInAWorkspaceScopeKeepsItsStateAndResumesBitForBit() throws IOException {
        resumesBitForBit(p -> Adam.of(p, 0.05), true);
    }

    /** An optimizer of a user's own: sign descent with momentum, its count of steps as a float64 buffer. */
    static final class Signum extends Optimizer {
        private final Tensor[] momentum;
        private final Tensor[] count;
        String kind = "signum";

        Signum(List<Tensor> parameters, double lr) {
            super(parameters, lr);
            momentum = new Tensor[parameters().size()];
            count = new Tensor[parameters().size()];
        }

        @Override
        protected void update(int i, Tensor p, Tensor grad) {
            momentum[i] = momentum[i] == null ? grad.mul(1.0) : momentum[i].mul(0.9).add(grad); // replaced, not in place
            count[i] = Tensor.scalar(count[i] == null ? 1 : count[i].item() + 1);
            p.addInPlace(-learningRate(), momentum[i].div(momentum[i].abs().add(1e-12)));
        }

        @Override
        protected String kind() {
            return kind;
        }

        @Override
        protected Map<String, Double> settings() {
            return Map.of("beta", 0.9);
        }

        @Override
        protected Map<String, Tensor[]> buffers() {
            return Map.of("momentum", momentum, "count", count);
        }

        @Override
        protected boolean followsDtype(String name) {
            return !name.equals("count");
        }

        @Override
        protected int[] stateShape(String name, Tensor parameter) {
            return name.equals("count") ? new int[0] : parameter.shape();
        }
    }

    @Test
    void anOptimizerOfYourOwnResumesBitForBit() throws IOException { // Optimizer was sealed (a new user's probe)
        resumesBitForBit(p -> new Signum(p, 0.01));
        Run r = run(1, p -> new Signum(p, 0.01), DType.FLOAT32); // its state made in the trainer's scopes, kept
        r.trainer().fit(r.loader(), 2);
        Path file = dir.resolve("signum.npz");
        r.trainer().save(file);
        Map<String, Tensor> entries = Npz.load(file);
        assertEquals(12, entries.get("optimizer.signum.count.0").item(), "six batches per epoch");
        assertEquals(DType.FLOAT64, entries.get("optimizer.signum.count.0").dtype(), "a count stays float64");
        assertEquals(DType.FLOAT32, entries.get("optimizer.signum.momentum.0").dtype());
        assertEquals(0.9, entries.get("optimizer.signum.beta").item());
        refusedAndNothingChanged(run(1, p -> Adam.of(p, 0.05)), file, "is a checkpoint of the optimizer signum, not of"
                + " this Adam");
    }

    /** An optimizer of a user's own with knobs for what a review tried: its kind, settings, arrays, failures. */
    static class Knobs extends Optimizer {
        String kind = "knobs";
        Map<String, Double> settings = Map.of();
        boolean freshArrays;
        boolean rowState;                 // state of shape (rows, 1), stateShape not told
        int throwAt = -1;                 // update of this parameter throws
        Tensor[] state;
        Tensor[] rows;                    // kept for parameter 0 only (others none), as Adafactor for matrices

        Knobs(List<Tensor> parameters) {
            super(parameters, 0.1);
            state = new Tensor[parameters().size()];
            rows = new Tensor[parameters().size()];
        }

        @Override
        protected void update(int i, Tensor p, Tensor grad) {
            state[i] = state[i] == null ? grad.mul(1.0) : state[i].mul(0.5).add(grad); // replaced each step
            if (i == 0) {
                rows[0] = rowState ? grad.sum(1, true) : grad.mul(1.0);
            }
            if (i == throwAt) {
                throw new IllegalStateException("a NaN guard");
            }
            p.addInPlace(-learningRate(), state[i]);
        }

        @Override
        protected String kind() {
            return kind;
        }

        @Override
        protected Map<String, Double> settings() {
            return settings;
        }

        @Override
        protected Map<String, Tensor[]> buffers() {
            return freshArrays ? Map.of("state", state.clone()) : Map.of("state", state, "rows", rows);
        }
    }

    @Test
    void anOptimizerOfYourOwnIsCheckedWhereItWouldFailLater() throws IOException { // a review of the opening
        Path file = dir.resolve("knobs.npz");
        Run r = run(1, Knobs::new);
        r.trainer().fit(r.loader(), 1);
        r.trainer().save(file);                                // rows for parameter 0 only: resumes
        Run again = run(1, Knobs::new);
        again.trainer().resume(file);
        assertArrayEquals(((Knobs) r.optimizer()).rows[0].toArray(), ((Knobs) again.optimizer()).rows[0].toArray(), 0);
        assertEquals(null, ((Knobs) again.optimizer()).rows[1]);

        Run other = run(1, p -> {
            Knobs k = new Knobs(p);
            k.kind = "other";
            return k;
        });                                                    // no settings either: the kind entry tells them apart
        refusedAndNothingChanged(other, file, "knobs.npz: is a checkpoint of the optimizer knobs, not of this Knobs"
                + " (kind 'other': its entry 'optimizer.other' is missing)");

        Run rows = run(1, p -> {
            Knobs k = new Knobs(p);
            k.rowState = true;
            return k;
        });
        rows.trainer().fit(rows.loader(), 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rows.trainer().save(file));
        assertEquals("io.github.jgrad.nn.CheckpointTest$Knobs: buffer 'rows' of parameter 0 has shape (4, 1), but"
                + " stateShape says (4, 16): override stateShape for state of other shapes", e.getMessage());

        Object[][] bad = {{"value", null, false, "other than [value, steps, learning_rate, parameters]"},
            {"adam", null, false, "is 'adam', the built-in Adam's: checkpoints of one would load into the other"},
            {"steps", null, false, "other than [value, steps, learning_rate, parameters]"}, // it overwrote optimizer.steps
            {"knobs", Double.NaN, false, "setting 'clip' is NaN"},
            {"knobs", null, true, "gives a new array for 'state' at every call"}};
        for (Object[] b : bad) {
            Run k = run(1, p -> {
                Knobs o = new Knobs(p);
                o.kind = (String) b[0];
                o.settings = b[1] == null ? Map.of() : Map.of("clip", (Double) b[1]);
                o.freshArrays = (Boolean) b[2];
                return o;
            });
            e = assertThrows(IllegalArgumentException.class, () -> k.trainer().fit(k.loader(), 1)); // the first step
            assertTrue(e.getMessage().contains((String) b[3]), e.getMessage());
        }
    }

    @Test
    void formatOneCheckpointsStillLoadAndFormatTwoNamesItsOptimizer() throws IOException { // a review
        Run r = run(1, p -> Adam.of(p, 0.05));
        r.trainer().fit(r.loader(), 1);
        Path file = dir.resolve("run.npz");
        r.trainer().save(file);
        Map<String, Tensor> entries = new java.util.LinkedHashMap<>(Npz.load(file));
        assertEquals(2, entries.get("jgrad.checkpoint").item(), "format 2: earlier readers refuse it by its version");
        entries.remove("optimizer.adam");                     // as dc29a6d wrote them: format 1, no marker, no p
        entries.remove("model.2.p");
        entries.put("jgrad.checkpoint", Tensor.scalar(1));
        Path one = dir.resolve("one.npz");
        Npz.save(one, entries);
        Run again = run(1, p -> Adam.of(p, 0.05));
        again.trainer().resume(one);
        assertArrayEquals(bits(r.model()), bits(again.model()));
        entries.put("jgrad.checkpoint", Tensor.scalar(2));   // format 2 without its marker: whose is it?
        Npz.save(one, entries);
        refusedAndNothingChanged(run(1, p -> Adam.of(p, 0.05)), one, "one.npz: is a checkpoint of no named optimizer,"
                + " not of this Adam (kind 'adam': its entry 'optimizer.adam' is missing)");
        entries.put("optimizer.adam", Tensor.scalar(1));    // format 2 without the dropout's p: unchecked, refused
        Npz.save(one, entries);
        refusedAndNothingChanged(run(1, p -> Adam.of(p, 0.05)), one, "model.2.p");
        Run toggling = run(1, p -> new Knobs(p) {
            private int calls;

            @Override
            protected Map<String, Tensor[]> buffers() {
                return calls++ % 2 == 0 ? Map.of("state", state) : Map.of("state", state, "rows", rows);
            }
        });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> toggling.trainer().fit(toggling.loader(), 1));
        assertTrue(e.getMessage().endsWith(".buffers() names [state], then [state, rows]: list every buffer at every"
                + " call (null entries where there is no state yet)") || e.getMessage().endsWith(".buffers() names"
                + " [state], then [rows, state]: list every buffer at every call (null entries where there is no state"
                + " yet)"), e.getMessage());
    }

    @Test
    void anUpdateThatThrowsLeavesTheStateItMadeUsable() throws IOException { // a review of the opening
        // step() kept the state after all updates only: a throw in the last one left the others' state
        // reclaimed with the scope, and every later step and save threw "used after its memory was reclaimed"
        Run r = run(1, p -> {
            Knobs k = new Knobs(p);
            k.throwAt = 3;
            return k;
        });
        assertThrows(IllegalStateException.class, () -> r.trainer().fit(r.loader(), 1));
        Knobs k = (Knobs) r.optimizer();
        k.throwAt = -1;
        r.trainer().fit(r.loader(), 1);                         // steps on with the state
        r.trainer().save(dir.resolve("after.npz"));
        assertEquals(4, Npz.load(dir.resolve("after.npz")).keySet().stream().filter(n -> n.startsWith("optimizer.knobs.state")).count());
    }

    @Test
    void anOptimizerOfYourOwnMustNameItsEntriesPlainly() {
        Run r = run(1, p -> new Signum(p, 0.01));
        ((Signum) r.optimizer()).kind = "sign um";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> r.trainer().save(dir.resolve("bad.npz")));
        assertEquals("io.github.jgrad.nn.CheckpointTest$Signum.kind() is 'sign um': checkpoint entries need a"
                + " lowercase word ([a-z][a-z0-9_]*) other than [value, steps, learning_rate, parameters] (entries"
                + " optimizer.steps, optimizer.value.I, ... hold the optimizer's own)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> r.trainer().resume(dir.resolve("bad.npz")));
        assertTrue(!java.nio.file.Files.exists(dir.resolve("bad.npz")), "nothing written");
    }

    @Test
    void sgdWithNesterovMomentumResumesBitForBit() throws IOException {
        resumesBitForBit(p -> SGD.of(p, 0.05, 0.9, 1e-4, true));
    }

    @Test
    void theEntriesAreDocumentedNumPyArrays() throws IOException {
        Run r = run(1, p -> Adam.of(p, 0.05));
        r.trainer().fit(r.loader(), 2);
        Path file = dir.resolve("run.npz");
        r.trainer().save(file);
        Map<String, Tensor> entries = Npz.load(file);
        assertEquals(List.of("jgrad.checkpoint", "trainer.epochs", "model.0.weight", "model.0.bias", "model.3.weight",
                "model.3.bias", "model.2.draws", "model.2.p", "optimizer.parameters", "optimizer.steps",
                "optimizer.learning_rate"), new ArrayList<>(entries.keySet()).subList(0, 11));
        assertEquals(0.2, entries.get("model.2.p").item());
        assertArrayEquals(new double[] {0, 1, 2, 3}, entries.get("optimizer.parameters").toArray(), 0);
        assertEquals(2, entries.get("trainer.epochs").item());
        assertEquals(12, entries.get("model.2.draws").item(), "six batches per epoch, a mask each");
        assertEquals(12, entries.get("optimizer.steps").item());
        assertEquals(0.9, entries.get("optimizer.adam.beta1").item());
        assertEquals(12, entries.get("optimizer.adam.step.3").item());
        assertArrayEquals(new int[] {16, 3}, entries.get("optimizer.adam.exp_avg.2").shape());
    }

    private void refusedAndNothingChanged(Run target, Path file, String... parts) {
        long[] before = bits(target.model());
        int steps = target.optimizer().steps();
        IOException e = assertThrows(IOException.class, () -> target.trainer().resume(file));
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
        }
        assertArrayEquals(before, bits(target.model()), "the model is unchanged");
        assertEquals(steps, target.optimizer().steps());
        assertEquals(0, target.trainer().epochs());
    }

    @Test
    void aParametersPartialOptimizerStateIsRefusedAndChangesNothing() throws IOException {
        Run saved = run(1, p -> Adam.of(p, 0.05));
        saved.trainer().fit(saved.loader(), 1);
        Path file = dir.resolve("adam.npz");
        saved.trainer().save(file);
        Map<String, Tensor> entries = new java.util.LinkedHashMap<>(Npz.load(file));
        assertTrue(entries.remove("optimizer.adam.step.2") != null);
        Path partial = dir.resolve("partial.npz");
        Npz.save(partial, entries);
        refusedAndNothingChanged(run(1, p -> Adam.of(p, 0.05)), partial, partial + ": holds [exp_avg, exp_avg_sq] of"
                + " parameter 2's optimizer state but not [step] (entries 'optimizer.adam.step.2'...)");
        entries.keySet().removeIf(name -> name.startsWith("optimizer.adam.exp_avg") && name.endsWith(".2"));
        Npz.save(partial, entries); // none of parameter 2's state: as if it had had no gradient yet
        run(1, p -> Adam.of(p, 0.05)).trainer().resume(partial);
    }

    @Test
    void anIndexWithALeadingZeroIsNotTheIndex() throws IOException { // a hostile probe: 'step.00' loaded, unread
        Run saved = run(1, p -> Adam.of(p, 0.05));
        saved.trainer().fit(saved.loader(), 1);
        Path file = dir.resolve("adam.npz");
        saved.trainer().save(file);
        Map<String, Tensor> entries = new java.util.LinkedHashMap<>(Npz.load(file));
        for (String index : List.of("00", "\u0661", "\uff11")) { // a review: Arabic-Indic and fullwidth digits too
            Map<String, Tensor> edited = new java.util.LinkedHashMap<>(entries);
            edited.put("optimizer.adam.step." + index, Tensor.scalar(7));
            Path file2 = dir.resolve("edited.npz");
            Npz.save(file2, edited);
            refusedAndNothingChanged(run(1, p -> Adam.of(p, 0.05)), file2, "holds entry 'optimizer.adam.step." + index
                    + "', which this Adam (its entries start 'optimizer.adam.') does not have");
        }
    }

    @Test
    void aCheckpointOfAnotherModelOrOptimizerIsRefusedAndChangesNothing() throws IOException {
        Run saved = run(1, p -> Adam.of(p, 0.05));
        saved.trainer().fit(saved.loader(), 1);
        Path file = dir.resolve("adam.npz");
        saved.trainer().save(file);

        Sequential wider = Sequential.of(Linear.of(4, 32, 1), Activation.relu(), Dropout.of(0.2, 2), Linear.of(32, 3, 3));
        Adam adam = Adam.of(wider.parameters(), 0.05);
        Run other = new Run(wider, adam, Trainer.of(wider, adam, (x, y) -> Loss.crossEntropy(wider.forward(x), y)), null);
        refusedAndNothingChanged(other, file, file + ": entry 'model.0.weight' has shape (4, 16), but the model's"
                + " parameter has shape (4, 32)");

        Sequential halves = Sequential.of(Linear.of(4, 16, 1), Activation.relu(), Dropout.of(0.5, 5), Linear.of(16, 3, 3));
        Adam halvesAdam = Adam.of(halves.parameters(), 0.05); // dropout's p changed: resumed quietly (a new user's probe)
        refusedAndNothingChanged(new Run(halves, halvesAdam, Trainer.of(halves, halvesAdam,
                (x, y) -> Loss.crossEntropy(halves.forward(x), y)), null), file,
                file + ": entry 'model.2.p' is 0.2, but this model's 2.p is 0.5: the run used other settings");
        refusedAndNothingChanged(run(1, p -> SGD.of(p, 0.05, 0.9, 0, false)), file,
                "is a checkpoint of the optimizer adam, not of this SGD (kind 'sgd': its entry 'optimizer.sgd' is missing)");
        refusedAndNothingChanged(run(1, p -> Adam.of(p, 0.05, 0.8, 0.999, 1e-8, 0)), file,
                "entry 'optimizer.adam.beta1' is 0.9, but this optimizer's beta1 is 0.8");
        // two layers of one shape, their parameters given to the optimizer in another order: the moments
        // would go to the wrong parameters, and every shape fits
        Sequential twins = Sequential.of(Linear.of(4, 4, 1), Linear.of(4, 4, 2));
        Adam inOrder = Adam.of(twins.parameters(), 0.05);
        Trainer.of(twins, inOrder, (x, y) -> Loss.mse(twins.forward(x), y)).progress(null)
                .fit(DataLoader.of(Tensor.randn(new SplittableRandom(1), 8, 4), Tensor.randn(new SplittableRandom(2), 8, 4), 4, false, 0), 1);
        Path twinsFile = dir.resolve("twins.npz");
        Checkpoint.save(twinsFile, twins, inOrder, 1);
        Sequential again = Sequential.of(Linear.of(4, 4, 1), Linear.of(4, 4, 2));
        List<Tensor> p = again.parameters();
        Adam swapped = Adam.of(List.of(p.get(2), p.get(3), p.get(0), p.get(1)), 0.05);
        refusedAndNothingChanged(new Run(again, swapped, Trainer.of(again, swapped,
                (x, y) -> Loss.mse(again.forward(x), y)), null), twinsFile, "entry 'optimizer.parameters' is"
                + " [0.0, 1.0, 2.0, 3.0], but this optimizer's parameters are the model's [2.0, 3.0, 0.0, 1.0]");

        Sequential deeper = Sequential.of(Linear.of(4, 16, 1), Activation.relu(), Dropout.of(0.2, 2), Linear.of(16, 3, 3),
                Activation.relu(), Linear.of(3, 3, 4));
        Adam deeperAdam = Adam.of(deeper.parameters(), 0.05);
        refusedAndNothingChanged(new Run(deeper, deeperAdam, Trainer.of(deeper, deeperAdam,
                (x, y) -> Loss.crossEntropy(deeper.forward(x), y)), null), file, "lacks entry 'model.5.weight'");
    }

    @Test
    void aTruncatedOrForeignFileIsRefused() throws IOException {
        Run saved = run(1, p -> Adam.of(p, 0.05));
        saved.trainer().fit(saved.loader(), 1);
        Path file = dir.resolve("run.npz");
        saved.trainer().save(file);
        byte[] whole = Files.readAllBytes(file);
        for (int keep : new int[] {whole.length - 1, whole.length / 2, 100}) {
            Path cut = Files.write(dir.resolve("cut" + keep + ".npz"), Arrays.copyOf(whole, keep));
            refusedAndNothingChanged(run(2, p -> Adam.of(p, 0.05)), cut, cut.toString());
        }
        Path model = dir.resolve("model.npz");
        saved.model().save(model);                                       // parameters only
        refusedAndNothingChanged(run(2, p -> Adam.of(p, 0.05)), model, "not a jgrad checkpoint");
    }

    @Test
    void impossibleNumbersInACheckpointAreRefusedBeforeAnythingChanges() throws IOException {
        Run saved = run(1, p -> Adam.of(p, 0.05));
        saved.trainer().fit(saved.loader(), 1);
        Path file = dir.resolve("run.npz");
        saved.trainer().save(file);
        Object[][] bad = {{"optimizer.learning_rate", Double.NaN, "should be finite and >= 0"},
            {"model.2.draws", 1e15, "should be a count"}, {"model.2.draws", -1.0, "should be a count"},
            {"optimizer.adam.step.0", 2.5, "should be a count"}, {"trainer.epochs", -3.0, "should be a count"}};
        for (Object[] b : bad) {
            Map<String, Tensor> entries = new java.util.LinkedHashMap<>(Npz.load(file));
            entries.put((String) b[0], Tensor.scalar((double) b[1]));
            Path patched = dir.resolve("patched.npz");
            Npz.save(patched, entries);
            refusedAndNothingChanged(run(2, p -> Adam.of(p, 0.05)), patched, "entry '" + b[0] + "' " + b[2]);
        }
    }

    @Test
    void listenersStateIsCheckedBeforeAnythingChangesAndOwnLoopsIgnoreIt() throws IOException {
        Run saved = run(1, p -> Adam.of(p, 0.05));
        saved.trainer().listen((t, e) -> { }).listen(Listener.earlyStopping("loss", Listener.Goal.MINIMIZE, 4));
        saved.trainer().fit(saved.loader(), 2);
        Path file = dir.resolve("run.npz");
        saved.trainer().save(file);
        Map<String, Tensor> entries = new java.util.LinkedHashMap<>(Npz.load(file));
        assertEquals(0.0, entries.get("trainer.listener.earlyStopping[loss,MINIMIZE].worse").item(), 0); // named by what it watches, not by its place
        assertTrue(entries.get("trainer.listener.earlyStopping[loss,MINIMIZE].best").item() > 0);
        Run own = run(2, p -> Adam.of(p, 0.05)); // a loop of one's own loads a trainer's checkpoint, listeners aside
        assertEquals(2, Checkpoint.load(file, own.model(), own.optimizer()));

        entries.put("trainer.listener.earlyStopping[loss,MINIMIZE].worse", Tensor.scalar(2.5));
        Path patched = dir.resolve("patched.npz");
        Npz.save(patched, entries);
        Run target = run(2, p -> Adam.of(p, 0.05));
        target.trainer().listen((t, e) -> { }).listen(Listener.earlyStopping("loss", Listener.Goal.MINIMIZE, 4));
        refusedAndNothingChanged(target, patched, "patched.npz: earlyStopping's 'worse' should be a count of epochs, is 2.5");
        entries.put("trainer.listener.earlyStopping[loss,MINIMIZE].worse", Tensor.zeros(2));
        Npz.save(patched, entries);
        refusedAndNothingChanged(target, patched, "entry 'trainer.listener.earlyStopping[loss,MINIMIZE].worse' should be one number");
    }

    /**
     * Trains a run with {@code listeners} for 2 epochs, saves it with listener 1's earlyStopping.worse
     * patched to 2.5, resumes a fresh run with {@code fresh} listeners from it (refused, nothing
     * changed), and returns the fresh trainer's entry {@code entry} afterwards.
     */
    private double afterARefusedResume(List<Listener> listeners, List<Listener> fresh, String entry) throws IOException {
        Run saved = run(1, p -> Adam.of(p, 0.05));
        listeners.forEach(saved.trainer()::listen);
        saved.trainer().fit(saved.loader(), 2);
        Path file = dir.resolve("run.npz");
        saved.trainer().save(file);
        Map<String, Tensor> entries = new java.util.LinkedHashMap<>(Npz.load(file));
        entries.put("trainer.listener.earlyStopping[loss,MINIMIZE].worse", Tensor.scalar(2.5));
        Path patched = dir.resolve("patched.npz");
        Npz.save(patched, entries);
        Run target = run(2, p -> Adam.of(p, 0.05));
        fresh.forEach(target.trainer()::listen);
        refusedAndNothingChanged(target, patched, "patched.npz: earlyStopping's 'worse' should be a count of epochs, is 2.5");
        Path after = dir.resolve("after.npz");
        target.trainer().save(after);
        return Npz.load(after).get(entry).item();
    }

    @Test
    void aRefusedResumeLeavesAListenerAtTwoPlacesAsItWas() throws IOException { // a review
        // the rollback kept the state after the listener's first restore, not the one before it
        Listener twice = Listener.earlyStopping("loss", Listener.Goal.MINIMIZE, 4);
        Listener fresh = Listener.earlyStopping("loss", Listener.Goal.MINIMIZE, 4);
        assertTrue(Double.isNaN(afterARefusedResume(List.of(twice, twice), List.of(fresh, fresh),
                "trainer.listener.earlyStopping[loss,MINIMIZE].best")), "no best yet, as before the refused resume");
    }

    @Test
    void aRefusedResumeLeavesABestCheckpointAsItWas() throws IOException { // a review: the rollback read the file
        Path best = dir.resolve("best.npz");
        assertTrue(Double.isNaN(afterARefusedResume(
                List.of(Listener.bestCheckpoint(best, "loss", Listener.Goal.MINIMIZE),
                        Listener.earlyStopping("loss", Listener.Goal.MINIMIZE, 4)),
                List.of(Listener.bestCheckpoint(best, "loss", Listener.Goal.MINIMIZE),
                        Listener.earlyStopping("loss", Listener.Goal.MINIMIZE, 4)),
                "trainer.listener.bestCheckpoint[loss,MINIMIZE].best")), "the fresh listener has no best yet, as before");
    }

    @Test
    void aLoopsOwnNumbersComeBackAndBadNamesAreRefused() throws IOException {
        Run saved = run(1, p -> Adam.of(p, 0.05));
        Path file = dir.resolve("own.npz");
        Checkpoint.save(file, saved.model(), saved.optimizer(), 3, Map.of("trainer.mine.lr_warmup", 0.25));
        Run back = run(1, p -> Adam.of(p, 0.05));
        Map<String, Double> got = new java.util.HashMap<>();
        assertEquals(3, Checkpoint.load(file, back.model(), back.optimizer(), got::putAll));
        assertEquals(Map.of("trainer.mine.lr_warmup", 0.25), got);
        for (String bad : new String[] {"mine", "trainer.", "trainer.epochs"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Checkpoint.save(file, saved.model(), saved.optimizer(), 3, Map.of(bad, 1.0)));
            assertTrue(e.getMessage().contains("must be named 'trainer.NAME'"), e.getMessage());
        }
        Map<String, Double> none = new java.util.HashMap<>();
        none.put("trainer.x", null);
        assertThrows(IllegalArgumentException.class, () -> Checkpoint.save(file, saved.model(), saved.optimizer(), 3, none));
    }

    /** A model and a learnt scale of its output that only the optimizer holds, trained {@code steps} steps. */
    private static List<Tensor> scaled(Linear m, Tensor scale, Optimizer opt, int steps) {
        for (int k = 0; k < steps; k++) {
            opt.zeroGrad();
            Loss.mse(m.forward(X).mul(scale), X.slice(1, 0, 2)).backward();
            opt.step();
        }
        return List.of(m.weight(), m.bias(), scale);
    }

    @Test
    void aParameterOnlyTheOptimizerHoldsIsSavedAndResumesAsTrained() throws IOException {
        // it was left out of the checkpoint: a resumed run went on from its initial value with its trained
        // moments, silently
        Linear m = Linear.of(4, 2, 7);
        Tensor scale = Tensor.of(new double[] {1}).requiresGrad(true);
        List<Tensor> params = new ArrayList<>(m.parameters());
        params.add(scale);
        Adam opt = Adam.of(params, 0.1);
        scaled(m, scale, opt, 3);
        Path file = dir.resolve("scaled.npz");
        Checkpoint.save(file, m, opt, 3);
        assertArrayEquals(new double[] {0, 1, -1}, Npz.load(file).get("optimizer.parameters").toArray(), 0);
        assertArrayEquals(scale.toArray(), Npz.load(file).get("optimizer.value.2").toArray(), 0);
        List<Tensor> straight = scaled(m, scale, opt, 2);

        Linear m2 = Linear.of(4, 2, 7);
        Tensor scale2 = Tensor.of(new double[] {1}).requiresGrad(true);
        List<Tensor> params2 = new ArrayList<>(m2.parameters());
        params2.add(scale2);
        Adam opt2 = Adam.of(params2, 0.1);
        assertEquals(3, Checkpoint.load(file, m2, opt2));
        List<Tensor> resumed = scaled(m2, scale2, opt2, 2);
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(straight.get(i).toArray(), resumed.get(i).toArray(), 0, "parameter " + i);
        }

        // a checkpoint without the value, or with one for a parameter the model holds, changes nothing
        Map<String, Tensor> entries = new java.util.LinkedHashMap<>(Npz.load(file));
        entries.remove("optimizer.value.2");
        Path lacking = dir.resolve("lacking.npz");
        Npz.save(lacking, entries);
        double before = scale2.item();
        IOException e = assertThrows(IOException.class, () -> Checkpoint.load(lacking, m2, opt2));
        assertTrue(e.getMessage().contains("lacks entry 'optimizer.value.2'"), e.getMessage());
        entries.put("optimizer.value.1", Tensor.zeros(2));
        entries.put("optimizer.value.2", Tensor.zeros(1));
        Npz.save(lacking, entries);
        e = assertThrows(IOException.class, () -> Checkpoint.load(lacking, m2, opt2));
        assertTrue(e.getMessage().contains("'optimizer.value.1'") && e.getMessage().contains("is the model's"),
                e.getMessage());
        assertEquals(before, scale2.item(), 0);
    }

    @Test
    void aScalarParametersStateTakesItsDtypeOnLoad() throws IOException { // 0-d moments stayed float64
        java.util.function.Supplier<Module> make = () -> new Module() {
            private final Tensor scale = register("scale", Tensor.scalar(1));
            private final Linear layer = register("layer", Linear.of(4, 2, 3));

            @Override
            public Tensor forward(Tensor x) {
                return layer.forward(x).mul(scale);
            }
        };
        Module m = make.get();
        Adam adam = Adam.of(m.parameters(), 0.1);
        adam.zeroGrad();
        Loss.mse(m.forward(X), X.slice(1, 0, 2)).backward();
        adam.step();
        Path file = dir.resolve("scale64.npz");
        Checkpoint.save(file, m, adam, 1);
        Module single = make.get().to(DType.FLOAT32);
        Adam again = Adam.of(single.parameters(), 0.1);
        Checkpoint.load(file, single, again);
        Path resaved = dir.resolve("scale32.npz");
        Checkpoint.save(resaved, single, again, 1);
        Map<String, Tensor> entries = Npz.load(resaved);
        for (String name : List.of("optimizer.adam.exp_avg.0", "optimizer.adam.exp_avg_sq.0", "optimizer.adam.exp_avg.1")) {
            assertEquals(DType.FLOAT32, entries.get(name).dtype(), name);
        }
        assertEquals(0, entries.get("optimizer.adam.exp_avg.0").dim());
    }

    @Test
    void dropoutResumesItsMasks() throws IOException {
        Dropout a = Dropout.of(0.5, 7);
        Tensor x = Tensor.ones(64);
        a.forward(x);
        a.forward(x);
        Sequential saved = Sequential.of(a);
        assertEquals(Map.of("0.draws", 2.0), saved.namedState());
        Dropout b = Dropout.of(0.5, 7);
        Sequential.of(b).loadNamedState(Map.of("0.draws", 2.0));
        assertArrayEquals(a.forward(x).toArray(), b.forward(x).toArray(), 0);
        assertNotEquals(Arrays.toString(a.forward(x).toArray()), Arrays.toString(Dropout.of(0.5, 7).forward(x).toArray()));
    }
}
