package io.github.jgrad.nn;

import io.github.jgrad.autodiff.DType;
import io.github.jgrad.autodiff.GradMode;
import io.github.jgrad.autodiff.Tensor;
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
 * optimizers are {@link SGD} and {@link Adam} (AdamW too): checkpoints save and restore exactly their
 * state, so the type is sealed.
 */
public abstract sealed class Optimizer permits SGD, Adam {
    private final List<Tensor> parameters;
    private double learningRate;
    private int steps;

    Optimizer(List<Tensor> parameters, double learningRate) {
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
        steps++;
        try (GradMode.Scope ignored = GradMode.disabled()) {
            followDtypes();
            for (int i = 0; i < parameters.size(); i++) {
                Tensor p = parameters.get(i);
                if (p.grad() != null) {
                    update(i, p, p.grad());
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
    private void followDtypes() {
        for (Map.Entry<String, Tensor[]> e : buffers().entrySet()) {
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

    /** Whether the buffer {@code name} holds state in its parameter's dtype (momentum: yes; a count: no). */
    boolean followsDtype(String name) {
        return true;
    }

    /** Updates parameter number {@code index} in place from its gradient. */
    abstract void update(int index, Tensor parameter, Tensor grad);

    /** The name of this optimizer's entries in a checkpoint ({@code optimizer.adam.beta1}): "sgd", "adam". */
    abstract String kind();

    /** The settings a checkpoint must match to be resumed (momentum, betas, ...), by name. */
    abstract Map<String, Double> settings();

    /**
     * The state kept per parameter, by name ({@code exp_avg}: one tensor per parameter, null where
     * there is none yet); the arrays are the optimizer's own, so a checkpoint restores into them.
     */
    abstract Map<String, Tensor[]> buffers();

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
