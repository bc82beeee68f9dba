package io.github.jgrad.nn;

import io.github.jgrad.autodiff.GradMode;
import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.autodiff.Workspace;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;

/**
 * The usual training loop, written once: for each epoch, put the model in training mode, set the
 * learning rate from the schedule (if any) and the data order from the epoch; then for each batch
 * zero the gradients, compute the loss, backward, optionally clip, step. After each epoch it
 * evaluates the validation data (if any) and tells its listeners. Nothing is hidden: {@link #epoch}
 * is the whole loop body and can be called from a loop of your own.
 *
 * <pre>{@code
 * Trainer trainer = Trainer.of(model, optimizer, (x, y) -> Loss.crossEntropy(model.forward(x), y))
 *         .validation(validationData, Map.of("accuracy", Metric.accuracy(model)))
 *         .listen(Listener.earlyStopping("val_loss", Listener.Goal.MINIMIZE, 5));
 * trainer.fit(loader, 100);                  // mean loss per epoch
 * trainer.save(Path.of("run.npz"));          // later: a new Trainer's resume(Path.of("run.npz"))
 * }</pre>
 *
 * <p><b>Epochs are counted across calls</b>: {@link #fit} trains as many epochs more, numbered on
 * from {@link #epochs()}, and the schedule and the data order follow that number. A checkpoint
 * ({@link #save}) holds the model, the optimizer's state and that number, so {@link #resume}
 * continues a run bit for bit as if it had never stopped.
 *
 * <p>A progress bar is one listener, there by default: runs that last longer than two seconds show
 * it on standard error (epoch, loss, examples per second), redrawn in place on a terminal and printed
 * about once a second otherwise.
 *
 * <p><b>Memory is reused</b> from batch to batch: each batch runs in a {@link Workspace} scope, so a
 * steady loop allocates almost nothing. The tensors the loss function and the model compute for a
 * batch are reclaimed when its step ends; a loss function that keeps one for later (to log it, say)
 * must read it inside the step or {@link Workspace#keep} it, or it throws an error saying so when
 * read. Parameters, their gradients and the optimizer's state are unaffected.
 */
public final class Trainer {
    private final Module model;
    private final Optimizer optimizer;
    private final BiFunction<Tensor, Tensor, Tensor> loss;
    /** The memory each step reuses: see the class comment. */
    private final Workspace workspace = Workspace.create();
    private Schedule schedule;
    private double clipNorm;
    private Listener progress = new ProgressBar(System.err, ProgressBar.isTerminal(System.err));
    private final List<Listener> listeners = new ArrayList<>();
    private DataLoader validation;
    private Map<String, Metric> metrics = Map.of();
    private LongSupplier clock = System::nanoTime;
    private int epochs;
    private boolean stopRequested;

    private Trainer(Module model, Optimizer optimizer, BiFunction<Tensor, Tensor, Tensor> loss) {
        this.model = Objects.requireNonNull(model, "Trainer.of: model is null");
        this.optimizer = Objects.requireNonNull(optimizer, "Trainer.of: optimizer is null");
        this.loss = Objects.requireNonNull(loss, "Trainer.of: loss is null");
    }

    /**
     * A trainer minimising {@code loss(inputs, targets)}: the batch's mean loss per example, one number
     * computed through the model (a loss with Reduction.MEAN), which {@code val_loss} then averages.
     */
    public static Trainer of(Module model, Optimizer optimizer, BiFunction<Tensor, Tensor, Tensor> loss) {
        return new Trainer(model, optimizer, loss);
    }

    /** Sets the learning rate from {@code schedule.rate(epoch)} before each epoch; returns this. */
    public Trainer schedule(Schedule schedule) {
        this.schedule = schedule;
        return this;
    }

    /**
     * Clips the gradients' global norm to {@code maxNorm} before each step (0: off); returns this.
     *
     * @throws IllegalArgumentException if {@code maxNorm} is negative or NaN
     */
    public Trainer clipGradNorm(double maxNorm) {
        if (!(maxNorm >= 0)) {
            throw new IllegalArgumentException("Trainer.clipGradNorm: maxNorm must be > 0 (or 0 for no clipping), got "
                    + maxNorm);
        }
        this.clipNorm = maxNorm;
        return this;
    }

    /**
     * Where the progress bar goes (null: nowhere); returns this. It is redrawn in place only on
     * standard error or output where that is a terminal; any other stream (a file, a redirected
     * standard error) gets a line at a time.
     */
    public Trainer progress(PrintStream out) {
        this.progress = out == null ? null : new ProgressBar(out, ProgressBar.isTerminal(out));
        return this;
    }

    /**
     * After each epoch, computes on {@code data} (in evaluation mode, recording nothing) the loss as
     * {@code val_loss} and each metric as {@code val_NAME}, averaged over the examples, in the map's
     * iteration order (use a {@link LinkedHashMap} to choose it); returns this.
     *
     * @throws IllegalArgumentException if {@code data} has no examples, a metric is called "loss", or a
     *     name is empty, longer than 1,000 characters, or holds a NUL or half a surrogate pair (names
     *     become checkpoint entries, as a listener's id)
     */
    public Trainer validation(DataLoader data, Map<String, Metric> metrics) {
        Objects.requireNonNull(data, "Trainer.validation: data is null");
        if (data.size() == 0) {
            throw new IllegalArgumentException("Trainer.validation: the validation data has no examples");
        }
        if (metrics.containsKey("loss")) {
            throw new IllegalArgumentException("Trainer.validation: a metric may not be called 'loss': val_loss is"
                    + " the validation loss itself");
        }
        for (String name : metrics.keySet()) { // np.load cuts names at a NUL; a half pair is no UTF-8
            if (name == null || name.isEmpty() || name.length() > 1000 || name.indexOf('\0') >= 0
                    || !StandardCharsets.UTF_8.newEncoder().canEncode(name)) {
                throw new IllegalArgumentException("Trainer.validation: the metric name " + Text.name(name)
                        + " is not 1 to 1,000 characters without NUL or halves of surrogate pairs (names become"
                        + " checkpoint entries)");
            }
        }
        this.validation = data;
        this.metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        return this;
    }

    /** Adds a listener, told after every epoch in the order added; returns this. */
    public Trainer listen(Listener listener) {
        listeners.add(Objects.requireNonNull(listener, "Trainer.listen: listener is null"));
        return this;
    }

    Trainer clock(LongSupplier nanoTime, boolean isTerminal) {
        this.clock = nanoTime;
        if (progress instanceof ProgressBar bar) {
            progress = new ProgressBar(bar.out(), isTerminal);
        }
        return this;
    }

    /** The number of epochs trained so far, by this trainer or by the run it resumed. */
    public int epochs() {
        return epochs;
    }

    /** Asks {@link #fit} to stop after the current epoch (for listeners: early stopping). */
    public void stop() {
        stopRequested = true;
    }

    /** The model trained. */
    public Module model() {
        return model;
    }

    /** The optimizer. */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** What a listener is told after an epoch. */
    public record Epoch(int number, int lastOfFit, Map<String, Double> metrics, long examples, double seconds) {
        /**
         * {@code number}: the epochs trained so far, this one included (1 after the first);
         * {@code lastOfFit}: the number the current {@link #fit} call ends at; {@code metrics}:
         * {@code loss} (the mean batch loss) and the validation numbers, in order; {@code examples} and
         * {@code seconds}: trained and elapsed since the fit call began.
         */
        public Epoch {
            metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        }

        /**
         * The metric called {@code name}.
         *
         * @throws IllegalArgumentException if there is none, naming those there are
         */
        public double metric(String name) {
            Double v = metrics.get(name);
            if (v == null) {
                throw new IllegalArgumentException("no metric '" + name + "' after epoch " + number + "; there are "
                        + metrics.keySet());
            }
            return v;
        }
    }

    /**
     * Trains {@code epochs} more epochs over {@code loader} (fewer if a listener calls {@link #stop});
     * returns the mean batch loss of each (every batch counting once, however many rows it has, where
     * {@code val_loss} weights batches by their rows). The model is left in training mode, validation
     * or not: call {@link Module#eval()} before inference.
     *
     * @throws IllegalArgumentException if {@code epochs} is negative or the loader has no examples
     */
    public List<Double> fit(DataLoader loader, int epochs) {
        if (epochs < 0) {
            throw new IllegalArgumentException("Trainer.fit: epochs must be >= 0, got " + epochs);
        }
        if (epochs > 0 && loader.size() == 0) { // as epoch says it, naming the call made
            throw new IllegalArgumentException("Trainer.fit: the loader has no examples to train on");
        }
        List<Double> history = new ArrayList<>(epochs);
        long start = clock.getAsLong();
        long examples = 0;
        int end = this.epochs + epochs;
        stopRequested = false;
        for (int e = 0; e < epochs && !stopRequested; e++) {
            Map<String, Double> numbers = new LinkedHashMap<>();
            double mean = epoch(loader, this.epochs);
            numbers.put("loss", mean);
            history.add(mean);
            examples += loader.size();
            if (validation != null) {
                numbers.putAll(evaluate(validation));
            }
            Epoch done = new Epoch(this.epochs, end, numbers, examples, (clock.getAsLong() - start) / 1e9);
            if (progress != null) {
                progress.onEpoch(this, done);
            }
            for (Listener l : listeners) {
                l.onEpoch(this, done);
            }
            for (Listener l : listeners) {
                if (l instanceof Listeners.Stateful s) {
                    s.afterEpoch(this);
                }
            }
        }
        if (progress instanceof ProgressBar bar) {
            bar.finish();
        }
        for (Listener l : listeners) {
            if (l instanceof ProgressBar bar) { // Listener.progressBar: ended as the trainer's own
                bar.finish();
            }
        }
        return history;
    }

    /**
     * Epoch number {@code epochIndex} (0-based): the data in that epoch's order, the schedule's rate
     * for it; returns the mean batch loss. A model in evaluation mode is put in training mode, every
     * module of it; in a model already in training mode a sub-module you set to {@code eval()} (a
     * layer frozen with its running statistics) stays so. Afterwards {@link #epochs()} is
     * {@code epochIndex + 1}.
     */
    public double epoch(DataLoader loader, int epochIndex) {
        if (loader.size() == 0) {
            throw new IllegalArgumentException("Trainer.epoch: the loader has no examples to train on");
        }
        if (epochIndex < 0) {
            throw new IllegalArgumentException("Trainer.epoch: epochIndex must be >= 0, got " + epochIndex);
        }
        if (!model.isTraining()) { // a sub-module set to eval() in a training model keeps its mode
            model.train();
        }
        if (schedule != null) {
            optimizer.setLearningRate(schedule.rate(epochIndex));
        }
        loader.setEpoch(epochIndex);
        double sum = 0;
        int batches = 0;
        Iterator<DataLoader.Batch> it = loader.iterator();
        while (it.hasNext()) {
            try (Workspace.Scope step = workspace.open()) { // the batch and every tensor of the step
                DataLoader.Batch b = it.next();
                optimizer.zeroGrad();
                Tensor l = lossOf(b);
                l.backward();
                if (clipNorm > 0) {
                    optimizer.clipGradNorm(clipNorm);
                }
                optimizer.step();
                sum += l.item();
            }
            batches++;
        }
        epochs = epochIndex + 1;
        return sum / batches;
    }

    /** The loss function's value on a batch, checked to be one number. */
    private Tensor lossOf(DataLoader.Batch b) {
        Tensor l = Objects.requireNonNull(loss.apply(b.inputs(), b.targets()),
                "Trainer: the loss function returned null");
        if (l.size() != 1) {
            throw new IllegalStateException("Trainer: the loss function returned a tensor of shape "
                    + Text.shape(l.shape()) + "; it must return the batch's mean loss per example, one number"
                    + " (a loss with Reduction.MEAN)");
        }
        return l;
    }

    /**
     * The loss ({@code val_loss}) and each validation metric ({@code val_NAME}) on {@code data}, in
     * evaluation mode with nothing recorded, each a mean over the examples (each batch's number, a mean
     * over its examples as Reduction.MEAN gives, weighted by its size); afterwards each module is
     * put back in the mode it was in, so that after {@link #fit} the model is in training mode with
     * or without validation (call {@link Module#eval()} before inference, as in PyTorch). The data
     * comes in its epoch 0 order every time ({@link DataLoader#setEpoch}),
     * so the numbers do not depend on how often it ran before: a resumed run's are an uninterrupted one's.
     *
     * @throws IllegalArgumentException if the loader has no examples
     */
    public Map<String, Double> evaluate(DataLoader data) {
        if (data.size() == 0) {
            throw new IllegalArgumentException("Trainer.evaluate: the loader has no examples to evaluate on");
        }
        Map<Module, Boolean> modes = model.modes();
        model.eval();
        data.setEpoch(0);
        double lossSum = 0;
        double[] sums = new double[metrics.size()];
        int n = 0;
        try (GradMode.Scope ignored = GradMode.disabled()) {
            Iterator<DataLoader.Batch> it = data.iterator();
            while (it.hasNext()) {
                try (Workspace.Scope batch = workspace.open()) {
                    DataLoader.Batch b = it.next();
                    int rows = b.inputs().shape(0);
                    lossSum += lossOf(b).item() * rows;
                    int k = 0;
                    for (Metric m : metrics.values()) {
                        sums[k++] += m.of(b.inputs(), b.targets()) * rows;
                    }
                    n += rows;
                }
            }
        } finally {
            model.restoreModes(modes);
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("val_loss", lossSum / n);
        int k = 0;
        for (String name : metrics.keySet()) {
            out.put("val_" + name, sums[k++] / n);
        }
        return out;
    }

    /**
     * Saves a checkpoint to {@code file}, atomically: the model's parameters and state, the
     * optimizer's state, the number of epochs trained and the state of the built-in listeners that
     * keep some ({@link Listener#bestCheckpoint}'s best value and what its file holds,
     * {@link Listener#earlyStopping}'s best value and count), in one {@code .npz} that NumPy reads
     * (the entries are listed in docs/guide.md, "Checkpoints"). Called from a listener of your own,
     * it saves the listeners after that one as they were before the epoch: add such a listener last.
     */
    public void save(Path file) throws IOException {
        Map<String, Double> state = new LinkedHashMap<>();
        statePrefixes().forEach((s, prefix) -> s.state().forEach((key, v) -> state.put(prefix + key, v)));
        Checkpoint.save(file, model, optimizer, epochs, state);
    }

    /**
     * Loads a checkpoint {@link #save} wrote into this trainer's model and optimizer, and continues
     * counting epochs from it; returns this. The built-in listeners added before this call that keep
     * state take back what a listener of the saved trainer of the same kind, watching the same metric
     * for the same goal, had (wherever each is in its list; the second of two such listeners what the
     * second had), so that a best checkpoint is not overwritten by a worse epoch and early stopping
     * keeps its count; one watching another metric starts afresh, and saved state that no listener
     * takes is ignored with a warning ({@link System#getLogger}, "io.github.jgrad"). A csvLog or
     * jsonLines log resumed this way appends (see {@link Listener#csvLog}).
     * Everything is checked first: a checkpoint of another model or optimizer, or a truncated one, is
     * an {@link IOException} naming the file and the entry that does not fit, and changes nothing.
     */
    public Trainer resume(Path file) throws IOException {
        epochs = Checkpoint.load(file, model, optimizer, this::restoreListeners);
        return this;
    }

    /**
     * The prefix of each built-in listener's checkpoint entries, {@code trainer.listener.ID.}, ID its
     * {@link Listeners.Stateful#id}, with {@code #2}, {@code #3}, ... for a second and third listener
     * of the same id (a listener added twice is one listener).
     */
    private Map<Listeners.Stateful, String> statePrefixes() {
        Map<Listeners.Stateful, String> prefixes = new LinkedHashMap<>(); // built-in listeners: equal if identical
        Map<String, Integer> seen = new HashMap<>();
        for (Listener l : listeners) {
            if (l instanceof Listeners.Stateful s && !prefixes.containsKey(s)) {
                int n = seen.merge(s.id(), 1, Integer::sum);
                prefixes.put(s, Checkpoint.TRAINER_STATE + s.id() + (n == 1 ? "" : "#" + n) + ".");
            }
        }
        return prefixes;
    }

    /**
     * Gives each built-in listener that keeps state the state saved under its id: all of them, or none
     * if one refuses its numbers. Entries named by place ({@code trainer.listener.I.KIND.KEY}, from
     * checkpoints written before there were ids) go to the listener at that place if it is of that
     * kind. Saved state that no listener takes (a listener removed, or watching another metric now,
     * which then starts afresh) is left, with a warning that names it.
     */
    private void restoreListeners(Map<String, Double> saved) {
        Map<Listeners.Stateful, Map<String, Double>> before = new LinkedHashMap<>();
        Set<String> taken = new HashSet<>();
        Map<Listeners.Stateful, String> prefixes = statePrefixes();
        try {
            for (int i = 0; i < listeners.size(); i++) {
                if (listeners.get(i) instanceof Listeners.Stateful s) {
                    String prefix = prefixes.get(s);
                    Map<String, Double> own = entries(saved, prefix, s, taken);
                    if (own.isEmpty()) { // a checkpoint of before ids: by place
                        prefix = Checkpoint.TRAINER_STATE + i + "." + s.kind() + ".";
                        own = entries(saved, prefix, s, taken);
                    }
                    if (!own.isEmpty()) {
                        before.putIfAbsent(s, s.state()); // a listener at two places: its state before either
                        String id = prefixes.get(s); // where a best file written since ids holds it
                        s.restore(own, prefix.equals(id) ? List.of(prefix) : List.of(prefix, id));
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            before.forEach((s, state) -> s.restore(state, List.of())); // as they were, nothing read
            throw e;
        }
        List<String> left = new ArrayList<>();
        for (String name : saved.keySet()) {
            if (name.startsWith(Checkpoint.TRAINER_STATE) && !taken.contains(name)) {
                left.add(name);
            }
        }
        if (!left.isEmpty()) {
            System.getLogger("io.github.jgrad").log(System.Logger.Level.WARNING, "Trainer.resume: no listener of this"
                    + " trainer takes the saved listener state " + left + " (a listener of the saved run that is not"
                    + " here, or that watched another metric or goal): it is ignored; add that listener before resume"
                    + " to go on with it");
        }
    }

    /**
     * The entries of {@code s}'s state under {@code prefix} in {@code saved}, by key; their names go
     * into {@code taken}.
     */
    private static Map<String, Double> entries(Map<String, Double> saved, String prefix, Listeners.Stateful s,
            Set<String> taken) {
        Map<String, Double> own = new LinkedHashMap<>();
        for (String key : s.state().keySet()) {
            Double v = saved.get(prefix + key);
            if (v != null) {
                own.put(key, v);
                taken.add(prefix + key);
            }
        }
        return own;
    }
}
