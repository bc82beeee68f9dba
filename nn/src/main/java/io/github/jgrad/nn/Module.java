package io.github.jgrad.nn;

import io.github.jgrad.autodiff.DType;
import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.autodiff.Workspace;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A piece of a network: a function of a tensor with parameters, possibly made of other modules.
 *
 * <p>Subclasses register their parameters, buffers and sub-modules in their constructor; their names
 * are dotted paths ({@code "0.weight"}, {@code "encoder.1.bias"}), in registration order, as in
 * PyTorch. A module is in training mode until {@link #eval()}; only some modules (dropout) behave
 * differently.
 */
public abstract class Module {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    /** This module's own parameters and buffers, by identity: a tensor is one or the other. */
    private final Set<Tensor> ownParameters = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<Tensor> ownBuffers = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** This module applied to {@code x}. */
    public abstract Tensor forward(Tensor x);

    /**
     * Registers a parameter under {@code name}, marks it as requiring a gradient and returns it. A
     * parameter without a label is labelled with its name, which grows into its dotted path
     * ({@code 0.weight}) as the module is registered in others, so explain reports and graph drawings
     * name it as {@link #namedParameters()} does; a label you give it is kept. A parameter registered
     * more than once (a tied weight) keeps the label it got first, as that path grows, which can differ
     * from the name {@code namedParameters()} lists it under and even read as another parameter's
     * name there: label tied weights yourself.
     *
     * <p>A parameter made inside a {@link Workspace} scope (by a layer that builds it in its first
     * {@code forward}, as PyTorch's lazy layers do) is taken out of the scope ({@link Workspace#keep}),
     * so it lives as long as the module; so is a buffer.
     *
     * @throws IllegalArgumentException if the name is taken or malformed, or the tensor is not a leaf
     *     (a result of ops on the tape cannot be a parameter: {@code detach()} it, or make it a leaf)
     */
    protected final Tensor register(String name, Tensor parameter) {
        checkName(name);
        Objects.requireNonNull(parameter, () -> "register: parameter '" + name + "' is null");
        if (!parameter.isLeaf()) {
            throw new IllegalArgumentException("register: parameter '" + name + "' is a " + parameter.op()
                    + " result, not a leaf: a parameter must be a tensor of its own (detach() it first)");
        }
        if (ownBuffers.contains(parameter)) {
            throw new IllegalArgumentException("register: parameter '" + name + "' is a buffer of this module; a"
                    + " tensor is trained (a parameter) or not (a buffer), not both");
        }
        Workspace.keep(parameter); // registered in a forward inside a scope (a lazy layer): it lives with the module
        ownParameters.add(parameter);
        parameters.put(name, parameter.requiresGrad(true));
        if (parameter.label() == null) {
            parameter.label(name);
        }
        return parameter;
    }

    /**
     * Registers a buffer under {@code name} and returns it: a tensor of the module's state that is not
     * a parameter, as PyTorch's {@code register_buffer} (a batch norm's running mean). Buffers are
     * saved and loaded with the parameters ({@link #save}, {@link #load}, checkpoints), converted by
     * {@link #to}, and listed by {@link #namedBuffers()}; they get no gradient and no optimizer step:
     * the module changes them itself, in place ({@code copyFrom} with grad mode off), as a running
     * statistic is updated in {@code forward} while training.
     *
     * @throws IllegalArgumentException if the name is taken or malformed, or the tensor requires grad or
     *     is a parameter of this module (a tensor the optimizer should update is a parameter: {@code
     *     register} it); a tree where a buffer is a parameter of another module is refused by
     *     {@link #namedBuffers()}, so by saving, loading and converting
     */
    protected final Tensor registerBuffer(String name, Tensor buffer) {
        checkName(name);
        Objects.requireNonNull(buffer, () -> "registerBuffer: buffer '" + name + "' is null");
        if (buffer.requiresGrad() || ownParameters.contains(buffer)) { // a frozen parameter requires none
            throw new IllegalArgumentException("registerBuffer: buffer '" + name + "' requires grad or is a parameter;"
                    + " a tensor the optimizer updates is a parameter (register it), a buffer holds state such as"
                    + " running statistics");
        }
        Workspace.keep(buffer);
        ownBuffers.add(buffer);
        buffers.put(name, buffer);
        return buffer;
    }

    /**
     * Registers a sub-module under {@code name} and returns it.
     *
     * @throws IllegalArgumentException if the name is taken or malformed, or the child is this module
     *     or contains it (a cycle would make every walk over the modules endless)
     */
    protected final <M extends Module> M register(String name, M child) {
        checkName(name);
        Module asModule = Objects.requireNonNull(child, () -> "register: sub-module '" + name + "' is null"); // M hides private methods
        if (asModule.reaches(this)) {
            throw new IllegalArgumentException("register: sub-module '" + name + "' (" + child.getClass().getSimpleName()
                    + ") is or contains this " + getClass().getSimpleName() + "; modules must form a tree");
        }
        children.put(name, child);
        for (Map.Entry<String, Tensor> e : child.namedParameters().entrySet()) {
            if (e.getKey().equals(e.getValue().label())) { // labelled by registration, not by the user
                e.getValue().label(name + "." + e.getKey());
            }
        }
        return child;
    }

    /** Whether {@code target} is this module or one of its sub-modules, at any depth (no recursion). */
    private boolean reaches(Module target) {
        List<Module> todo = new ArrayList<>(List.of(this));
        Set<Module> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        while (!todo.isEmpty()) {
            Module m = todo.remove(todo.size() - 1);
            if (m == target) {
                return true;
            }
            if (seen.add(m)) {
                todo.addAll(m.children.values());
            }
        }
        return false;
    }

    private void checkName(String name) {
        Objects.requireNonNull(name, "register: name is null");
        if (name.isEmpty() || name.contains(".") || parameters.containsKey(name) || buffers.containsKey(name)
                || children.containsKey(name)) {
            throw new IllegalArgumentException("register: name '" + name + "' is empty, contains '.', or is taken in "
                    + getClass().getSimpleName());
        }
    }

    /**
     * Every parameter with its dotted name, in registration order (a new, unmodifiable map). A tensor
     * shared by several sub-modules appears once, under its first name, as in PyTorch.
     */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        collect(all, Collections.newSetFromMap(new IdentityHashMap<>()), false);
        return Collections.unmodifiableMap(all);
    }

    /**
     * Every buffer ({@link #registerBuffer}) with its dotted name, in the order of
     * {@link #namedParameters()} (a new, unmodifiable map; a shared buffer once, under its first name).
     *
     * @throws IllegalStateException if a buffer is also a parameter of the model (registered as one by
     *     another module of the tree): saving, loading or converting it would treat it twice
     */
    public final Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        collect(all, Collections.newSetFromMap(new IdentityHashMap<>()), true);
        if (!all.isEmpty()) {
            Map<Tensor, String> params = new IdentityHashMap<>();
            namedParameters().forEach((name, p) -> params.put(p, name));
            for (Map.Entry<String, Tensor> b : all.entrySet()) {
                String p = params.get(b.getValue());
                if (p != null) {
                    throw new IllegalStateException("the buffer '" + b.getKey() + "' is also the parameter '" + p
                            + "'; a tensor is trained (a parameter) or not (a buffer), not both");
                }
            }
        }
        return Collections.unmodifiableMap(all);
    }

    /**
     * Every parameter, then every buffer, by dotted name (a new map): what {@link #save} writes and
     * {@link #load} reads, under the names of PyTorch's {@code state_dict}.
     *
     * @throws IllegalStateException as {@link #namedBuffers()}
     */
    public final Map<String, Tensor> namedTensors() {
        Map<String, Tensor> all = new LinkedHashMap<>(namedParameters());
        all.putAll(namedBuffers());
        return all;
    }

    /** Every name of every parameter and buffer, a shared tensor under each of its names. */
    private Map<String, Tensor> everyName() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        collect(all, null, false);
        collect(all, null, true);
        return all;
    }

    /**
     * Collects parameters (or buffers) under their dotted names, in {@link #walk}'s order (each
     * module's own before its children's); with {@code seen}, each tensor only once.
     */
    private void collect(Map<String, Tensor> into, Set<Tensor> seen, boolean ofBuffers) {
        walk((prefix, m) -> {
            for (Map.Entry<String, Tensor> e : (ofBuffers ? m.buffers : m.parameters).entrySet()) {
                if (seen == null || seen.add(e.getValue())) {
                    into.put(prefix + e.getKey(), e.getValue());
                }
            }
        });
    }

    /**
     * Visits this module and its sub-modules with the dotted prefix of their names ("" for this one,
     * "0.", "0.1.", ...), each before its children, in registration order; a module registered in two
     * places is visited under each path. Iterative: a model nested thousands deep needs no thread stack.
     */
    private void walk(java.util.function.BiConsumer<String, Module> visit) {
        java.util.ArrayDeque<Map.Entry<String, Module>> todo = new java.util.ArrayDeque<>();
        todo.push(Map.entry("", this));
        while (!todo.isEmpty()) {
            Map.Entry<String, Module> next = todo.pop();
            Module m = next.getValue();
            visit.accept(next.getKey(), m);
            List<Map.Entry<String, Module>> kids = new ArrayList<>(m.children.entrySet());
            for (int i = kids.size() - 1; i >= 0; i--) { // pushed last first: visited in order
                todo.push(Map.entry(next.getKey() + kids.get(i).getKey() + ".", kids.get(i).getValue()));
            }
        }
    }

    /** Every parameter, in the order of {@link #namedParameters()}. */
    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** The number of scalar parameters. */
    public final long parameterCount() {
        long n = 0;
        for (Tensor p : namedParameters().values()) {
            n += p.size();
        }
        return n;
    }

    /** Forgets every parameter's gradient. */
    public final void zeroGrad() {
        for (Tensor p : namedParameters().values()) {
            p.zeroGrad();
        }
    }

    /**
     * The module in PyTorch's layout: its class name, then each sub-module on its own line under its
     * name, indented. Modules with settings add them in parentheses in jgrad's own words
     * ({@code Linear(in=4, out=2)}, where PyTorch prints {@code in_features=4, out_features=2,
     * bias=True}); a module without settings or sub-modules is its bare class name ({@code ReLU}).
     */
    @Override
    public String toString() {
        if (children.isEmpty()) {
            return getClass().getSimpleName();
        }
        // one line per module, each indented by its depth: iterative, and linear in the output (indenting
        // a child's whole text at each level was quadratic, and recursion overflowed thousands deep)
        StringBuilder sb = new StringBuilder();
        java.util.ArrayDeque<Line> todo = new java.util.ArrayDeque<>();
        todo.push(new Line(this, 0, null));
        while (!todo.isEmpty()) {
            Line next = todo.pop();
            sb.append("  ".repeat(next.depth()));
            if (next.name() != null) {
                sb.append('(').append(next.name()).append("): ");
            }
            Module m = next.module();
            if (m != null && !m.children.isEmpty() && (m == this || !printsItself(m))) {
                sb.append(m.getClass().getSimpleName()).append("(\n");
                todo.push(new Line(null, next.depth(), null));
                List<Map.Entry<String, Module>> kids = new ArrayList<>(m.children.entrySet());
                for (int i = kids.size() - 1; i >= 0; i--) {
                    todo.push(new Line(kids.get(i).getValue(), next.depth() + 1, kids.get(i).getKey()));
                }
                continue;
            }
            String text = m != null ? m.toString() : ")"; // a leaf, a module printing itself, or a closing line
            sb.append(text.replace("\n", "\n" + "  ".repeat(next.depth()))).append(todo.isEmpty() ? "" : "\n");
        }
        return sb.toString();
    }

    /** A line of {@link #toString}: a module under its name at a depth, or (module null) a closing parenthesis. */
    private record Line(Module module, int depth, String name) {
    }

    /** Whether {@code m}'s class prints itself (overrides toString), rather than as a tree of its children. */
    private static boolean printsItself(Module m) {
        try {
            return m.getClass().getMethod("toString").getDeclaringClass() != Module.class;
        } catch (NoSuchMethodException e) {
            throw new AssertionError(e); // every class has toString
        }
    }

    /** Switches this module and its sub-modules to training mode; returns this. */
    public final Module train() {
        setTraining(true);
        return this;
    }

    /** Switches this module and its sub-modules to evaluation mode (dropout off); returns this. */
    public final Module eval() {
        setTraining(false);
        return this;
    }

    private void setTraining(boolean on) {
        for (Module m : modules()) {
            m.training = on;
        }
    }

    /** The mode of this module and of each sub-module, by module, for {@link #restoreModes}. */
    final Map<Module, Boolean> modes() {
        Map<Module, Boolean> modes = new IdentityHashMap<>();
        for (Module m : modules()) {
            modes.put(m, m.training);
        }
        return modes;
    }

    /** Puts back the modes {@link #modes()} gave, each module's own; a module added since keeps its mode. */
    final void restoreModes(Map<Module, Boolean> modes) {
        for (Module m : modules()) {
            Boolean mode = modes.get(m);
            if (mode != null) {
                m.training = mode;
            }
        }
    }

    /**
     * This module and its sub-modules at any depth, each once (a module registered under two names,
     * or in two places, too), in PyTorch's {@code modules()} order: each module before its children,
     * in the order they were registered (depth first, without recursion).
     */
    public final List<Module> modules() {
        Set<Module> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Module> all = new ArrayList<>();
        java.util.ArrayDeque<Module> todo = new java.util.ArrayDeque<>(List.of(this));
        while (!todo.isEmpty()) {
            Module m = todo.pop();
            if (seen.add(m)) {
                all.add(m);
                List<Module> children = new ArrayList<>(m.children.values());
                for (int i = children.size() - 1; i >= 0; i--) { // pushed last first: popped in order
                    todo.push(children.get(i));
                }
            }
        }
        return all;
    }

    /** Whether this module is in training mode. */
    public final boolean isTraining() {
        return training;
    }

    /**
     * Sets the random stream of this module and its sub-modules: a number mixed into every random
     * draw they make (a {@link Dropout}'s masks), so that copies of one model can draw different
     * masks from the same seeds and counts. Data-parallel training gives each worker and step its own
     * stream (as {@code SparkTrainer} does); stream 0, the default, draws what a single machine draws.
     * Returns this.
     */
    public final Module randomStream(long stream) {
        for (Module m : modules()) {
            m.setOwnStream(stream);
        }
        return this;
    }

    /** Sets this module's own random stream (see {@link #randomStream}); modules that draw nothing ignore it. */
    void setOwnStream(long stream) {
    }

    /**
     * Converts every parameter and buffer to {@code dtype} in place ({@link Tensor#convertInPlace}),
     * gradients included, as PyTorch's {@code module.to(dtype)}; returns this module. Layers keep their
     * parameter objects, so a model converted to {@link DType#FLOAT32} computes in float32 on float32
     * inputs; convert the data too ({@link Linear} refuses an input of another dtype, as PyTorch's
     * layers do). An optimizer's state (momentum, Adam's moments) follows: each step converts it to
     * its parameter's dtype first.
     */
    public final Module to(DType dtype) {
        Objects.requireNonNull(dtype, "Module.to: dtype is null");
        for (Tensor p : namedTensors().values()) {
            p.convertInPlace(dtype);
        }
        return this;
    }

    /**
     * Saves every parameter, then every buffer, under its dotted name to a NumPy {@code .npz} file
     * ({@code np.load} reads it), under the names PyTorch's {@code state_dict} gives them (its order
     * differs: PyTorch lists a module's buffers before its sub-modules' parameters), in jgrad's
     * layouts: a {@link Linear}'s weight is (in, out), the transpose of PyTorch's, so transpose it when
     * moving weights either way (a square weight has the same shape both ways, so only the
     * transposition keeps it right). The write is
     * atomic: a crash or an error mid-save leaves the previous file as it was (see the package docs).
     */
    public final void save(Path file) throws IOException {
        Npz.save(file, namedTensors());
    }

    /**
     * Loads parameters and buffers saved by {@link #save} (or by numpy, as float64 or float32 arrays
     * under the same names), or the model of a checkpoint ({@link Trainer#save}, {@link Checkpoint#save},
     * a {@link Listener#bestCheckpoint} file: its {@code model.} entries, as PyTorch users load
     * {@code checkpoint["model"]}; the optimizer's and trainer's entries are ignored, and so are the
     * counts and probabilities of dropout layers this model has; a dropout layer it lacks is a
     * difference of models, refused as any other). The values are converted
     * to each parameter's dtype: a float64 file loads into a float32
     * model rounded to nearest, a float32 file into a float64 model exactly (as PyTorch's
     * {@code load_state_dict}). Everything is checked before anything is changed: on any error the
     * model keeps its values.
     *
     * @throws IOException if the file cannot be read, is not a valid .npz, lacks a parameter or buffer,
     *     holds a name the model does not have, or has a shape that differs (each message names the
     *     parameter or buffer, the file and both shapes)
     */
    public final void load(Path file) throws IOException {
        Map<String, Tensor> saved = Npz.load(file);
        if (saved.containsKey(Checkpoint.VERSION)) { // a checkpoint: its model, without its dropout state
            Map<String, Double> state = namedState();
            Map<String, Double> settings = namedSettings();
            Map<String, Tensor> model = new LinkedHashMap<>();
            saved.forEach((name, t) -> {
                String own = name.substring(name.startsWith(Checkpoint.MODEL) ? Checkpoint.MODEL.length() : 0);
                if (name.startsWith(Checkpoint.MODEL) && !state.containsKey(own) && !settings.containsKey(own)) {
                    model.put(own, t);
                }
            });
            saved = model;
        }
        Map<String, Tensor> own = namedTensors();
        Map<String, Tensor> ownBuffers = namedBuffers();
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor s = saved.get(e.getKey());
            String kind = ownBuffers.containsKey(e.getKey()) ? "buffer" : "parameter";
            if (s == null) {
                throw new IOException(file + ": has no " + kind + " '" + e.getKey() + "' (it holds " + saved.keySet()
                        + "; the model has " + own.keySet() + ")");
            }
            if (!Arrays.equals(s.shape(), e.getValue().shape())) {
                int[] want = e.getValue().shape();
                boolean transposed = want.length == 2 && s.dim() == 2 && s.shape(0) == want[1] && s.shape(1) == want[0];
                throw new IOException(file + ": " + kind + " '" + e.getKey() + "' has shape " + Text.shape(s.shape())
                        + " in the file but " + Text.shape(want) + " in the model" + (transposed ? " (its transpose:"
                        + " PyTorch stores a linear layer's weight as (out, in), jgrad as (in, out))" : ""));
            }
        }
        Map<String, Tensor> aliases = everyName();
        for (Map.Entry<String, Tensor> e : saved.entrySet()) {
            String name = e.getKey();
            if (own.containsKey(name)) {
                continue;
            }
            Tensor shared = aliases.get(name);
            if (shared == null) {
                throw new IOException(file + ": holds '" + name + "', which the model does not have (the model has "
                        + own.keySet() + ")");
            }
            // another name of a shared parameter (as a file with every name would hold): it must agree
            String canonical = nameOf(own, shared);
            if (!Arrays.equals(e.getValue().toArray(), saved.get(canonical).toArray())
                    || !Arrays.equals(e.getValue().shape(), saved.get(canonical).shape())) {
                throw new IOException(file + ": '" + name + "' and '" + canonical + "' are one shared "
                        + (ownBuffers.containsKey(canonical) ? "buffer" : "parameter") + " in the"
                        + " model but hold different values in the file");
            }
        }
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            e.getValue().copyFrom(saved.get(e.getKey()));
        }
    }

    private static String nameOf(Map<String, Tensor> params, Tensor t) {
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            if (e.getValue() == t) {
                return e.getKey();
            }
        }
        throw new IllegalStateException("a shared parameter has no first name");
    }

    /**
     * State other than parameters that training changes, by dotted name, for checkpoints: a dropout
     * layer's count of masks drawn ({@code "2.draws"}). Empty for most models.
     */
    final Map<String, Double> namedState() {
        return named(Module::ownState);
    }

    /**
     * Settings the state means something only with, by dotted name, for checkpoints to check on resume:
     * a dropout layer's probability ({@code "2.p"}). Empty for most models.
     */
    final Map<String, Double> namedSettings() {
        return named(Module::ownSettings);
    }

    /** What {@code own} gives of every module of this tree, under its dotted name ({@link #walk}'s order). */
    private Map<String, Double> named(java.util.function.Function<Module, Map<String, Double>> own) {
        Map<String, Double> all = new LinkedHashMap<>();
        walk((prefix, m) -> own.apply(m).forEach((k, v) -> all.put(prefix + k, v)));
        return all;
    }

    /** Sets the state {@link #namedState()} returned, every name of it present in {@code state}. */
    final void loadNamedState(Map<String, Double> state) {
        walk((prefix, m) -> {
            for (String k : m.ownState().keySet()) {
                m.loadOwnState(k, state.get(prefix + k));
            }
        });
    }

    /** This module's own state for {@link #namedState()}, without its children's: none by default. */
    Map<String, Double> ownState() {
        return Map.of();
    }

    /** This module's own settings for {@link #namedSettings()}, without its children's: none by default. */
    Map<String, Double> ownSettings() {
        return Map.of();
    }

    /** Restores one entry of {@link #ownState()}. */
    void loadOwnState(String name, double value) {
        throw new IllegalStateException(getClass().getSimpleName() + " has no state '" + name + "'");
    }

    /** The sub-modules, by name (unmodifiable). */
    protected final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }
}
