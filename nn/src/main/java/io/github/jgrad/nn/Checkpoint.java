package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.autodiff.Workspace;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A training run in one {@code .npz} that NumPy reads: float64 arrays, and the parameters and
 * optimizer state of a float32 model in float32. {@link Trainer#save}
 * and {@link Trainer#resume} use it; so can a loop of your own (the Spark trainer does). Entries:
 * <ul>
 *   <li>{@code jgrad.checkpoint}: the format's version, 2 (since 2026-12-08: entries naming the
 *       optimizer and dropout probabilities were added, which earlier readers refuse); format 1 is
 *       read too;
 *   <li>{@code trainer.epochs}: the epochs trained (the schedule's position and, with the loader's
 *       seed, the data order's);
 *   <li>{@code trainer.NAME}: numbers of the training loop's own, which the loop that saved them
 *       reads back ({@link #save(Path, Module, Optimizer, int, Map)}, {@link #load(Path, Module,
 *       Optimizer, Consumer)}) and others ignore: a {@link Trainer}'s {@code trainer.listener.ID.KEY},
 *       the state of a built-in listener that keeps some, ID its kind and what it watches (the best
 *       value so far of {@link Listener#bestCheckpoint} and {@link Listener#earlyStopping}, and the
 *       latter's count of epochs without improvement); the Spark trainer's mini-batch and tree settings
 *       and the partitions it last stepped on;
 *   <li>{@code model.NAME}: each parameter and each buffer ({@link Module#registerBuffer}) under its
 *       dotted name, and each piece of module state (a dropout layer's {@code model.2.draws}) and
 *       setting, checked on resume (its probability, {@code model.2.p});
 *   <li>{@code optimizer.parameters}: for each parameter the optimizer updates, its place in the
 *       model's parameter list, so that its state returns to the same parameter (-1 for a tensor the
 *       model does not hold, such as a learnt scale of the loss);
 *   <li>{@code optimizer.value.I}: the value of the optimizer's parameter I where the model does not
 *       hold it, so that it resumes as trained;
 *   <li>{@code optimizer.steps}, {@code optimizer.learning_rate};
 *   <li>{@code optimizer.KIND}: 1, naming the optimizer ({@code optimizer.adam}; absent from
 *       checkpoints written before 2026-12-08), so that another is refused even without settings;
 *   <li>{@code optimizer.KIND.SETTING}: the settings, which must match to resume
 *       ({@code optimizer.adam.beta1}, {@code optimizer.sgd.momentum}, ...);
 *   <li>{@code optimizer.KIND.BUFFER.I}: the state of parameter I, in the optimizer's order
 *       ({@code optimizer.adam.exp_avg.0}, {@code exp_avg_sq}, {@code step};
 *       {@code optimizer.sgd.momentum_buffer.0}), as PyTorch names them.
 * </ul>
 */
public final class Checkpoint {
    static final String VERSION = "jgrad.checkpoint";
    /** The format written; 1 (before optimizer.KIND and model.I.p) is read too. */
    private static final int FORMAT = 2;
    /** The prefix of the model's entries: parameters, buffers, state and settings by dotted name. */
    static final String MODEL = "model.";
    private static final String STEPS = "optimizer.steps";
    private static final String RATE = "optimizer.learning_rate";
    private static final String PARAMETERS = "optimizer.parameters";
    static final String EPOCHS = "trainer.epochs";
    /** The prefix of the entries a {@link Trainer} keeps of its listeners: {@code trainer.listener.ID.KEY}. */
    static final String TRAINER_STATE = "trainer.listener.";
    /** The prefix of every entry of the training loop's own ({@link #save(Path, Module, Optimizer, int, Map)}). */
    private static final String TRAINER = "trainer.";
    /** The prefix of the values of the optimizer's parameters the model does not hold: {@code optimizer.value.I}. */
    private static final String VALUE = "optimizer.value.";

    private Checkpoint() {
    }

    /**
     * Saves {@code model}, {@code optimizer}'s state and {@code epochs} (the epochs or steps done) to
     * {@code file}, atomically.
     */
    public static void save(Path file, Module model, Optimizer optimizer, int epochs) throws IOException {
        save(file, model, optimizer, epochs, Map.of());
    }

    /**
     * {@link #save(Path, Module, Optimizer, int)}, with numbers of the training loop's own: each entry of
     * {@code trainerState} is named {@code trainer.NAME} ({@code trainer.epochs} excepted) and saved as a
     * float64 scalar, for {@link #load(Path, Module, Optimizer, Consumer)} to hand back.
     *
     * @throws IllegalArgumentException if a name is not {@code trainer.} and a name, is {@code trainer.epochs},
     *     or has no value, or an optimizer of your own fails {@code Optimizer}'s checks (names that are
     *     not lowercase words, a reserved kind, a setting that is NaN or null, buffers that are new
     *     arrays at every call or of another length than its parameters) or holds state of another
     *     shape than its {@code stateShape} says
     */
    public static void save(Path file, Module model, Optimizer optimizer, int epochs, Map<String, Double> trainerState)
            throws IOException {
        optimizer.checkNames(); // an optimizer of the user's names entries too
        for (Map.Entry<String, Double> e : trainerState.entrySet()) {
            String name = e.getKey();
            if (name == null || !name.startsWith(TRAINER) || name.length() == TRAINER.length() || name.equals(EPOCHS)
                    || e.getValue() == null) {
                throw new IllegalArgumentException("Checkpoint.save: a trainer's entry must be named 'trainer.NAME'"
                        + " (not trainer.epochs) and hold a number, got '" + name + "' = " + e.getValue());
            }
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put(VERSION, Tensor.scalar(FORMAT));
        out.put(EPOCHS, Tensor.scalar(epochs));
        trainerState.forEach((name, v) -> out.put(name, Tensor.scalar(v)));
        model.namedTensors().forEach((name, p) -> out.put(MODEL + name, p));
        model.namedState().forEach((name, v) -> out.put(MODEL + name, Tensor.scalar(v)));
        model.namedSettings().forEach((name, v) -> out.put(MODEL + name, Tensor.scalar(v)));
        double[] positions = positions(model, optimizer);
        out.put(PARAMETERS, Tensor.of(positions));
        for (int i = 0; i < positions.length; i++) {
            if (positions[i] < 0) {
                out.put(VALUE + i, optimizer.parameters().get(i));
            }
        }
        out.put(STEPS, Tensor.scalar(optimizer.steps()));
        out.put(RATE, Tensor.scalar(optimizer.learningRate()));
        String kind = "optimizer." + optimizer.kind() + ".";
        out.put("optimizer." + optimizer.kind(), Tensor.scalar(1)); // which optimizer: one without settings too
        optimizer.settings().forEach((name, v) -> out.put(kind + name, Tensor.scalar(v)));
        List<Tensor> optimized = optimizer.parameters();
        optimizer.buffers().forEach((name, tensors) -> {
            for (int i = 0; i < tensors.length; i++) {
                if (tensors[i] != null) {
                    int[] want = optimizer.stateShape(name, optimized.get(i));
                    if (!Arrays.equals(tensors[i].shape(), want)) { // refused now, not when the run is resumed
                        throw new IllegalArgumentException(optimizer.getClass().getName() + ": buffer '" + name
                                + "' of parameter " + i + " has shape " + Text.shape(tensors[i].shape())
                                + ", but stateShape says " + Text.shape(want) + ": override stateShape for state of"
                                + " other shapes");
                    }
                    out.put(kind + name + "." + i, tensors[i]);
                }
            }
        });
        Npz.save(file, out);
    }

    /**
     * Checks every entry of {@code file} against {@code model} and {@code optimizer}, then restores
     * them; returns the epochs (or steps) saved. A checkpoint of another model or optimizer, with
     * other settings, or truncated, is an {@link IOException} naming the entry, and changes nothing.
     * Values are converted to each parameter's dtype (a float64 run resumed in float32 is rounded).
     */
    public static int load(Path file, Module model, Optimizer optimizer) throws IOException {
        return load(file, model, optimizer, trainerState -> { });
    }

    /**
     * {@link #load(Path, Module, Optimizer)}, handing the training loop's own entries ({@code trainer.NAME}
     * but {@code trainer.epochs}, single numbers, those of other loops included) to {@code trainer} after
     * every check and before anything is restored: an {@link IllegalArgumentException} it throws becomes
     * the {@link IOException}, and nothing changes (any other exception it throws propagates as it is,
     * and nothing changes either). An optimizer of your own whose names do not fit is refused as
     * {@link #save(Path, Module, Optimizer, int, Map)} refuses it, before the file is read.
     */
    public static int load(Path file, Module model, Optimizer optimizer, Consumer<Map<String, Double>> trainer)
            throws IOException {
        optimizer.checkNames();
        Map<String, Tensor> in = Npz.load(file);
        Tensor version = in.get(VERSION);
        if (version == null || version.numel() != 1 || version.item() != 1 && version.item() != FORMAT) {
            throw new IOException(file + ": not a jgrad checkpoint of format 1 or " + FORMAT + " (entry '" + VERSION
                    + "' is " + (version == null ? "missing" : Arrays.toString(version.toArray())) + ")");
        }
        String marker = "optimizer." + optimizer.kind();
        if (version.item() == FORMAT && !in.containsKey(marker)) { // format 2 names its optimizer
            List<String> named = new ArrayList<>();
            for (String name : in.keySet()) {
                if (name.startsWith("optimizer.") && name.indexOf('.', "optimizer.".length()) < 0 && !name.equals(STEPS)
                        && !name.equals(RATE) && !name.equals(PARAMETERS)) {
                    named.add(name.substring("optimizer.".length()));
                }
            }
            throw new IOException(file + ": is a checkpoint of " + (named.isEmpty() ? "no named optimizer"
                    : "the optimizer " + String.join(", ", named)) + ", not of this "
                    + optimizer.getClass().getSimpleName() + " (kind '" + optimizer.kind() + "': its entry '" + marker
                    + "' is missing)");
        }
        int epochs = count(file, in, EPOCHS);
        int steps = count(file, in, STEPS);
        double rate = scalar(file, in, RATE);
        if (!(rate >= 0) || Double.isInfinite(rate)) {
            throw new IOException(file + ": entry 'optimizer.learning_rate' should be finite and >= 0, is " + rate);
        }
        Map<String, Tensor> params = model.namedTensors(); // parameters and buffers
        Map<String, Tensor> modelBuffers = model.namedBuffers();
        Map<String, Double> state = model.namedState();
        Map<String, Double> modelSettings = model.namedSettings();
        String kind = "optimizer." + optimizer.kind() + ".";
        Map<String, Double> settings = optimizer.settings();
        Map<String, Tensor[]> buffers = optimizer.buffers();
        List<Tensor> optimized = optimizer.parameters();
        double[] positions = positions(model, optimizer);
        Map<String, Double> newState = new LinkedHashMap<>();
        Map<String, Double> trainerState = new LinkedHashMap<>();
        // every entry must be one this model and optimizer have, of the right shape ...
        for (Map.Entry<String, Tensor> e : in.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name.equals(VERSION) || name.equals(EPOCHS) || name.equals(STEPS)
                    || name.equals(RATE) || name.equals(PARAMETERS) || name.equals(marker)) {
                continue;
            }
            if (name.startsWith(TRAINER)) {
                trainerState.put(name, scalar(file, in, name));
            } else if (name.startsWith(VALUE)) {
                int i = index(name.substring(VALUE.length()));
                if (i < 0 || i >= positions.length || positions[i] >= 0) {
                    throw new IOException(file + ": holds entry '" + name + "', the value of a parameter the model does not"
                            + " hold, but this optimizer's parameter " + i + (i < 0 || i >= positions.length
                            ? " does not exist (it has " + positions.length + ")" : " is the model's"));
                }
                shape(file, name, t, optimized.get(i).shape(), "the optimizer's parameter " + i);
            } else if (name.startsWith(MODEL) && params.containsKey(name.substring(MODEL.length()))) {
                String own = name.substring(MODEL.length());
                shape(file, name, t, params.get(own).shape(), "the model's "
                        + (modelBuffers.containsKey(own) ? "buffer" : "parameter"));
            } else if (name.startsWith(MODEL) && state.containsKey(name.substring(MODEL.length()))) {
                newState.put(name.substring(MODEL.length()), (double) count(file, in, name));
            } else if (name.startsWith(MODEL) && modelSettings.containsKey(name.substring(MODEL.length()))) {
                double own = modelSettings.get(name.substring(MODEL.length()));
                if (scalar(file, in, name) != own) { // absent in checkpoints written before it was saved
                    throw new IOException(file + ": entry '" + name + "' is " + t.item() + ", but this model's "
                            + name.substring(MODEL.length()) + " is " + own + ": the run used other settings");
                }
            } else if (name.startsWith(kind) && settings.containsKey(name.substring(kind.length()))) {
                double own = settings.get(name.substring(kind.length()));
                if (scalar(file, in, name) != own) {
                    throw new IOException(file + ": entry '" + name + "' is " + t.item() + ", but this optimizer's "
                            + name.substring(kind.length()) + " is " + own + ": the run used other settings");
                }
            } else if (!isBuffer(file, name, t, kind, optimizer, buffers, optimized)) {
                String owner = name.startsWith(MODEL) ? "the model (" + params.keySet() + ")"
                        : name.startsWith("optimizer.") ? "this " + optimizer.getClass().getSimpleName() + " (its entries"
                        + " start '" + kind + "')" : "a checkpoint";
                throw new IOException(file + ": holds entry '" + name + "', which " + owner + " does not have");
            }
        }
        // ... and every one they need must be there
        for (String name : params.keySet()) {
            require(file, in, MODEL + name);
        }
        for (String name : state.keySet()) {
            require(file, in, MODEL + name);
        }
        for (String name : settings.keySet()) {
            require(file, in, kind + name);
        }
        for (String name : modelSettings.keySet()) {
            if (version.item() == FORMAT) { // format 1 had no model settings: nothing to check them by
                require(file, in, MODEL + name);
            }
        }
        for (int i = 0; i < positions.length; i++) {
            if (positions[i] < 0) {
                require(file, in, VALUE + i);
            }
        }
        // a built-in's parameter's state is whole or absent: Adam's moments without their step count would
        // resume with the bias correction of a first step, ten times too large a move, and no error (an
        // optimizer of the user's may keep some buffers for some parameters only, as Adafactor does)
        List<String> bufferNames = new ArrayList<>(buffers.keySet());
        Collections.sort(bufferNames);
        for (int i = 0; i < optimized.size() && (optimizer instanceof Adam || optimizer instanceof SGD); i++) {
            List<String> present = new ArrayList<>();
            for (String b : bufferNames) {
                if (in.containsKey(kind + b + "." + i)) {
                    present.add(b);
                }
            }
            if (!present.isEmpty() && present.size() != bufferNames.size()) {
                List<String> missing = new ArrayList<>(bufferNames);
                missing.removeAll(present);
                throw new IOException(file + ": holds " + present + " of parameter " + i + "'s optimizer state but not "
                        + missing + " (entries '" + kind + missing.get(0) + "." + i + "'...): a partial state would resume"
                        + " the run wrongly");
            }
        }
        Tensor saved = in.get(PARAMETERS);
        if (saved == null || !Arrays.equals(saved.toArray(), positions)) {
            throw new IOException(file + ": entry 'optimizer.parameters' is " + (saved == null ? "missing"
                    : Arrays.toString(saved.toArray())) + ", but this optimizer's parameters are the model's "
                    + Arrays.toString(positions) + " (their places in the model's parameter list): its state would"
                    + " go to other parameters");
        }
        try {
            trainer.accept(trainerState);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        // all checked: restore
        params.forEach((name, p) -> p.copyFrom(in.get(MODEL + name)));
        for (int i = 0; i < positions.length; i++) {
            if (positions[i] < 0) {
                optimized.get(i).copyFrom(in.get(VALUE + i));
            }
        }
        model.loadNamedState(newState);
        optimizer.restoreSteps(steps);
        optimizer.setLearningRate(rate);
        buffers.forEach((name, tensors) -> {
            for (int i = 0; i < tensors.length; i++) {
                // a fresh tensor of the file's, nobody else's; kept if a Workspace scope is open: state outlives it
                Tensor entry = in.get(kind + name + "." + i); // null: no state yet (the parameter had no gradient)
                if (entry != null && optimizer.followsDtype(name)) { // state takes its parameter's dtype; a count stays
                    entry = entry.to(optimized.get(i).dtype());
                }
                tensors[i] = entry == null ? null : Workspace.keep(entry);
            }
        });
        return epochs;
    }

    /** For each of the optimizer's parameters, its place in the model's parameter list (-1: not the model's). */
    private static double[] positions(Module model, Optimizer optimizer) {
        List<Tensor> own = model.parameters();
        List<Tensor> optimized = optimizer.parameters();
        Map<Tensor, Integer> index = new java.util.IdentityHashMap<>(); // not a nested loop: models of 10^5 tensors
        for (int k = 0; k < own.size(); k++) {
            index.put(own.get(k), k); // the last place of a tensor listed twice, as the loop it replaces gave
        }
        double[] at = new double[optimized.size()];
        for (int i = 0; i < at.length; i++) {
            at[i] = index.getOrDefault(optimized.get(i), -1);
        }
        return at;
    }

    /** Whether {@code name} is one of the optimizer's buffers, of the shape its parameter needs. */
    private static boolean isBuffer(Path file, String name, Tensor t, String kind, Optimizer optimizer,
                                    Map<String, Tensor[]> buffers, List<Tensor> optimized) throws IOException {
        int dot = name.lastIndexOf('.');
        if (!name.startsWith(kind) || dot < kind.length() || !buffers.containsKey(name.substring(kind.length(), dot))) {
            return false;
        }
        String buffer = name.substring(kind.length(), dot);
        int index = index(name.substring(dot + 1));
        if (index == -1) {
            return false;
        }
        if (index >= optimized.size()) { // index() gives -1 (handled above) or a count
            throw new IOException(file + ": entry '" + name + "' is for parameter " + index + ", but the optimizer has "
                    + optimized.size() + " parameters");
        }
        int[] want = optimizer.stateShape(buffer, optimized.get(index));
        shape(file, name, t, want, "parameter " + index + "'s " + buffer);
        if (optimizer instanceof Adam && buffer.equals("step")) {
            count(file, Map.of(name, t), name);
        }
        return true;
    }

    /**
     * The number {@code digits} spells, or -1 if it is not one as this class writes them: ASCII
     * digits, no sign, no leading zero ("00" or an Arabic-Indic one would name a parameter whose entry
     * is read under another name, as Integer.parseInt accepts both).
     */
    private static int index(String digits) {
        int n = digits.length();
        if (n == 0 || n > 9 || n > 1 && digits.charAt(0) == '0') {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < n; i++) {
            char c = digits.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static void shape(Path file, String name, Tensor t, int[] want, String what) throws IOException {
        if (!Arrays.equals(t.shape(), want)) {
            throw new IOException(file + ": entry '" + name + "' has shape " + Text.shape(t.shape()) + ", but " + what
                    + " has shape " + Text.shape(want));
        }
    }

    private static void require(Path file, Map<String, Tensor> in, String name) throws IOException {
        if (!in.containsKey(name)) {
            throw new IOException(file + ": lacks entry '" + name + "': the checkpoint is of another model or"
                    + " optimizer");
        }
    }

    private static double scalar(Path file, Map<String, Tensor> in, String name) throws IOException {
        require(file, in, name);
        Tensor t = in.get(name);
        if (t.numel() != 1) {
            throw new IOException(file + ": entry '" + name + "' should be one number, has shape " + Text.shape(t.shape()));
        }
        return t.item();
    }

    /** Whether {@code v} is a whole number in [0, Integer.MAX_VALUE]: a count of steps, masks, epochs. */
    static boolean isCount(double v) {
        return v >= 0 && v <= Integer.MAX_VALUE && v == Math.rint(v);
    }

    private static int count(Path file, Map<String, Tensor> in, String name) throws IOException {
        double v = scalar(file, in, name);
        if (!isCount(v)) {
            throw new IOException(file + ": entry '" + name + "' should be a count, is " + v);
        }
        return (int) v;
    }
}
