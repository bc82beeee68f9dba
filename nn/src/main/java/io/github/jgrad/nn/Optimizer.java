package io.github.jgrad.nn;

import io.github.jgrad.autodiff.DType;
import io.github.jgrad.autodiff.GradMode;
import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.autodiff.Workspace;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Updates parameters from their gradients: {@link #step()} after {@code loss.backward()}. Parameters
 * without a gradient (unused in the loss) are skipped. Every parameter given must require a gradient
 * (PyTorch takes frozen ones and never moves them; here pass only those that train, for example a
 * model's parameters filtered by {@code requiresGrad()}). Updates are not recorded on the tape. The
 * optimizers are {@link SGD} and {@link Adam} (AdamW too).
 *
 * <p><b>An optimizer of your own</b> (as a {@code torch.optim.Optimizer} subclass) extends this class
 * and says four things: {@link #update} changes one parameter in place from its gradient;
 * {@link #buffers} gives the arrays that hold its state per parameter, by name, which checkpoints
 * save and restore into and which each step takes out of a {@code Workspace} scope; {@link #settings}
 * the numbers a checkpoint must match to be resumed; {@link #kind} the name of its checkpoint entries
 * ({@code optimizer.KIND.NAME.I}). Trainer, gradient clipping, schedules and checkpoints then work
 * with it as with the built-in ones (docs/guide.md, "An optimizer of your own").
 */
public abstract class Optimizer {
    /** Kinds whose entry {@code optimizer.KIND} (or prefix) a checkpoint already uses. */
    private static final List<String> RESERVED = List.of("value", "steps", "learning_rate", "parameters");
    private final List<Tensor> parameters;
    private double learningRate;
    private int steps;
    /** Whether {@link #checkNames} passed, which the first step makes sure of. */
    private boolean checked;

    /**
     * An optimizer of {@code parameters} (each listed once, in order: {@link #parameters()}, whose
     * indices {@link #update} and the state arrays use) with the learning rate {@code learningRate}.
     *
     * @throws IllegalArgumentException if the list is empty, a parameter is null, requires no gradient
     *     or is not a leaf, or the rate is negative or not finite
     */
    protected Optimizer(List<Tensor> parameters, double learningRate) {
        Objects.requireNonNull(parameters, () -> getClass().getSimpleName() + ": parameters is null");
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": no parameters to optimize");
        }
        for (int i = 0; i < parameters.size(); i++) {
            Tensor p = parameters.get(i);
            if (p == null) {
                throw new IllegalArgumentException(getClass().getSimpleName() + ": parameter " + i + " is null");
            }
            if (!p.requiresGrad()) {
                throw new IllegalArgumentException(getClass().getSimpleName() + ": parameter " + i + " (shape "
                        + Text.shape(p.shape()) + ") does not require grad");
            }
            if (!p.isLeaf()) { // backward fills grad() of leaves only: it would never be updated
                throw new IllegalArgumentException(getClass().getSimpleName() + ": cannot optimize a " + p.op()
                        + " result of shape " + Text.shape(p.shape()) + "; pass the leaf it was computed"
                        + " from (as PyTorch: can't optimize a non-leaf Tensor)");
            }
        }
        List<Tensor> distinct = new ArrayList<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Tensor p : parameters) {
            if (seen.add(p)) { // by identity, in a set: a nested loop took 18 s for 80,000 parameters
                distinct.add(p); // a tensor listed twice is still updated once per step
            }
        }
        this.parameters = List.copyOf(distinct);
        setLearningRate(learningRate);
    }

    /**
     * One update of every parameter that has a gradient.
     *
     * @throws IllegalStateException if a parameter frozen since this optimizer was made
     *     ({@code requiresGrad(false)}) still has a gradient; then nothing is updated
     */
    public final void step() {
        for (int i = 0; i < parameters.size(); i++) { // all checked first: a step is taken whole or not at all
            Tensor p = parameters.get(i);
            if (p.grad() != null && !p.requiresGrad()) {
                throw new IllegalStateException(getClass().getSimpleName() + ".step: parameter " + i + " of shape "
                        + Text.shape(p.shape()) + " was frozen (requiresGrad(false)) after this optimizer was made"
                        + " but still has a gradient; call zeroGrad() to leave it as it is, or unfreeze it (nothing"
                        + " was updated)");
            }
        }
        if (!checked) { // an optimizer of the user's: its arrays and names, once, before they are used
            checkNames();
            checked = true;
        }
        steps++;
        Map<String, Tensor[]> buffers = buffers(); // the same arrays throughout (checkNames): asked once a step
        try (GradMode.Scope ignored = GradMode.disabled()) {
            followDtypes(buffers);
            for (int i = 0; i < parameters.size(); i++) {
                Tensor p = parameters.get(i);
                if (p.grad() != null) {
                    update(i, p, p.grad());
                }
            }
        } finally { // made in a scope, state outlives it (Workspace.keep): also what an update that threw left
            for (Tensor[] state : buffers.values()) {
                for (Tensor t : state) {
                    if (t != null) {
                        Workspace.keep(t);
                    }
                }
            }
        }
    }

    /**
     * Converts a parameter's state (momentum, moments) to the parameter's dtype if it has another: a
     * model converted by {@code Module.to} after a step trains on with its state rounded to the new
     * dtype, and a checkpoint of it, which restores state in the parameter's dtype, continues it bit
     * for bit. Counts ({@link #followsDtype}) stay float64.
     */
    private void followDtypes(Map<String, Tensor[]> buffers) {
        for (Map.Entry<String, Tensor[]> e : buffers.entrySet()) {
            if (!followsDtype(e.getKey())) {
                continue;
            }
            Tensor[] state = e.getValue();
            for (int i = 0; i < state.length; i++) {
                DType want = parameters.get(i).dtype();
                if (state[i] != null && state[i].dtype() != want) {
                    state[i].convertInPlace(want);
                }
            }
        }
    }

    /**
     * Whether the buffer {@code name} holds state in its parameter's dtype, converted with it when the
     * model is ({@code Module.to}), as momentum does; true by default. A count (Adam's step) says
     * false and stays float64.
     */
    protected boolean followsDtype(String name) {
        return true;
    }

    /**
     * Updates parameter number {@code index} of {@link #parameters()} in place from its gradient
     * ({@code addInPlace}, {@code copyFrom}), with grad mode off; called by {@link #step()} for each
     * parameter that has a gradient. State it keeps goes in the arrays of {@link #buffers}, changed in
     * place or replaced at {@code index}.
     */
    protected abstract void update(int index, Tensor parameter, Tensor grad);

    /**
     * The name of this optimizer's checkpoint entries ({@code optimizer.adam.beta1}): "sgd", "adam";
     * a lowercase word ({@code [a-z][a-z0-9_]*}), not one of the checkpoint's own: value, steps,
     * learning_rate, parameters.
     */
    protected abstract String kind();

    /**
     * The settings a checkpoint must match to be resumed (momentum, betas, ...), by lowercase name; a
     * boolean as 0 or 1.
     */
    protected abstract Map<String, Double> settings();

    /**
     * The state kept per parameter, by lowercase name ({@code exp_avg}): for each, an array with one
     * tensor per parameter of {@link #parameters()}, null where there is none yet, of the shape
     * {@link #stateShape} gives. The arrays are the optimizer's own, the same ones at every call: a
     * checkpoint restores into them.
     */
    protected abstract Map<String, Tensor[]> buffers();

    /**
     * The shape of the state the buffer {@code name} keeps for {@code parameter}, which a checkpoint's
     * entry must have: the parameter's own by default (momentum); Adam's step count says a scalar.
     */
    protected int[] stateShape(String name, Tensor parameter) {
        return parameter.shape();
    }

    /**
     * Checks that {@link #kind}, the settings' and the buffers' names are lowercase words, that the
     * settings are numbers, and that each buffer is the same array at every call with one entry per
     * parameter: what checkpoints name entries by and restore into. Run by the first {@link #step()}
     * and by every checkpoint's save and load.
     *
     * @throws IllegalArgumentException naming the optimizer's class and the name or buffer at fault
     */
    final void checkNames() {
        String who = getClass().getName();
        String kind = kind();
        if (kind == null || !kind.matches("[a-z][a-z0-9_]*") || RESERVED.contains(kind)) {
            throw new IllegalArgumentException(who + ".kind() is " + (kind == null ? "null" : "'" + kind + "'")
                    + ": checkpoint entries need a lowercase word ([a-z][a-z0-9_]*) other than " + RESERVED
                    + " (entries optimizer.steps, optimizer.value.I, ... hold the optimizer's own)");
        }
        if (kind.equals("sgd") && !(this instanceof SGD) || kind.equals("adam") && !(this instanceof Adam)) {
            throw new IllegalArgumentException(who + ".kind() is '" + kind + "', the built-in "
                    + (kind.equals("sgd") ? "SGD" : "Adam") + "'s: checkpoints of one would load into the other");
        }
        for (Map.Entry<String, Double> e : settings().entrySet()) {
            String name = e.getKey();
            if (name == null || !name.matches("[a-z][a-z0-9_]*")) {
                throw new IllegalArgumentException(who + ": setting name " + (name == null ? "null" : "'" + name
                        + "'") + " is not a lowercase word ([a-z][a-z0-9_]*)");
            }
            if (e.getValue() == null || e.getValue().isNaN()) {
                throw new IllegalArgumentException(who + ": setting '" + name + "' is " + e.getValue() + "; settings"
                        + " are numbers a resumed run must equal (NaN equals nothing): give 'none' a number, as 0");
            }
        }
        Map<String, Tensor[]> first = buffers();
        Map<String, Tensor[]> again = buffers();
        if (!first.keySet().equals(again.keySet())) {
            throw new IllegalArgumentException(who + ".buffers() names " + first.keySet() + ", then " + again.keySet()
                    + ": list every buffer at every call (null entries where there is no state yet)");
        }
        for (Map.Entry<String, Tensor[]> e : first.entrySet()) {
            String name = e.getKey();
            if (name == null || !name.matches("[a-z][a-z0-9_]*")) {
                throw new IllegalArgumentException(who + ": buffer name " + (name == null ? "null" : "'" + name
                        + "'") + " is not a lowercase word ([a-z][a-z0-9_]*)");
            }
            if (e.getValue() != again.get(name)) {
                throw new IllegalArgumentException(who + ".buffers() gives a new array for '" + name + "' at"
                        + " every call: checkpoints restore state into the arrays it returns, which must be the"
                        + " optimizer's own");
            }
            if (e.getValue() == null || e.getValue().length != parameters.size()) {
                throw new IllegalArgumentException(who + ": buffer '" + name + "' has " + (e.getValue() == null
                        ? "no array" : e.getValue().length + " entries") + " for " + parameters.size() + " parameters");
            }
        }
    }

    /** Sets the number of steps taken, as a checkpoint recorded it. */
    final void restoreSteps(int steps) {
        this.steps = steps;
    }

    /** Forgets every parameter's gradient. */
    public final void zeroGrad() {
        for (Tensor p : parameters) {
            p.zeroGrad();
        }
    }

    /** The learning rate the next step uses. */
    public final double learningRate() {
        return learningRate;
    }

    /** Sets the learning rate (for schedules). */
    public final void setLearningRate(double rate) {
        if (!(rate >= 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": learning rate must be finite and >= 0, got "
                    + rate);
        }
        this.learningRate = rate;
    }

    /** The number of steps taken. */
    public final int steps() {
        return steps;
    }

    /** The parameters, in order. */
    public final List<Tensor> parameters() {
        return parameters;
    }

    /**
     * Scales all gradients together so that their global L2 norm is at most {@code maxNorm}, as
     * {@code torch.nn.utils.clip_grad_norm_}: by maxNorm / (norm + 1e-6) where that is below 1; returns
     * the norm before clipping. A NaN norm (a NaN gradient) scales nothing, where PyTorch multiplies
     * every gradient by NaN: the NaN stays where it was, and the returned norm tells. The norm is
     * computed in double, and rescaled where the squares of finite gradients overflow (float64
     * gradients above about 1e154), so clipping still scales them to maxNorm rather than to zero, or
     * underflow (all below about 1e-154), so the norm returned is not 0.
     */
    public final double clipGradNorm(double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("clipGradNorm: maxNorm must be > 0, got " + maxNorm);
        }
        List<double[]> gradients = new ArrayList<>();
        double sq = 0;
        double largest = 0;
        for (Tensor p : parameters) {
            Tensor g = p.grad();
            if (g != null) {
                double[] d = g.toArray();
                gradients.add(d);
                for (double v : d) {
                    sq += v * v;
                    largest = Math.max(largest, Math.abs(v));
                }
            }
        }
        double norm = Math.sqrt(sq);
        // finite gradients whose squares overflow, or underflow (below about 1e-154): rescaled by the
        // largest. The test is a norm below 1e-140: at or above it, the largest of n <= 10^28 gradients is
        // at least norm / sqrt(n) >= 1e-154, so the squares that make the norm were not subnormal
        if (largest > 0 && largest < Double.POSITIVE_INFINITY && (norm == Double.POSITIVE_INFINITY || norm < 1e-140)) {
            double scaled = 0;
            for (double[] d : gradients) {
                for (double v : d) {
                    scaled += (v / largest) * (v / largest);
                }
            }
            norm = largest * Math.sqrt(scaled);
        }
        double scale = maxNorm / (norm + 1e-6);
        if (scale < 1) {
            try (GradMode.Scope ignored = GradMode.disabled()) {
                for (Tensor p : parameters) {
                    if (p.grad() != null) {
                        p.setGrad(p.grad().mul(scale));
                    }
                }
            }
        }
        return norm;
    }
}
