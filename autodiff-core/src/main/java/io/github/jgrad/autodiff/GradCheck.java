package io.github.jgrad.autodiff;

import io.github.jgrad.autodiff.internal.Shapes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Gradient checking: compares {@code backward()} with central finite differences.
 *
 * <pre>{@code
 * GradCheck.Report r = GradCheck.defaults().check(x -> x.get(0).mul(x.get(1)).tanh(), 0.3, -1.2);
 * r.passed();    // or r.orThrow() inside any test framework
 * GradCheck.defaults().fast().check(f, bigTensor).orThrow();   // one comparison, 6 evaluations of f
 * }</pre>
 *
 * <p><b>Full mode</b> ({@link #defaults()}, {@link #full()}): for input i the numeric derivative is
 * the central difference D(h) = (f(x + h e_i) - f(x - h e_i)) / 2h with h = eps * max(1, |x_i|),
 * refined by Richardson extrapolation, (4 D(h/2) - D(h)) / 3, which cancels the h^2 error term: its
 * error is O(h^4) instead of O(h^2), so steep functions check to many more digits. Input i passes
 * when {@code |analytic - numeric| <= atol + rtol * |numeric|} (NumPy's {@code allclose} rule); NaN
 * or infinite numbers never pass. It costs 4 evaluations of f per input (plus two: the value at x
 * and the graph for backward) and names the worst input.
 *
 * <p><b>Fast mode</b> ({@link #fast()}), as {@code torch.autograd.gradcheck(fast_mode=True)} and
 * JAX's {@code check_grads}: one comparison of a directional derivative along a pseudo-random
 * direction u over all inputs (Gaussian, normalised to unit L2 norm, fixed seed so results are
 * reproducible). Analytic: sum_i grad_i * u_i from the one backward pass; numeric: the same
 * Richardson central difference of t -&gt; f(x + t u), with h = eps * max(1, max_i |x_i|). It costs
 * 6 evaluations of f whatever the number of inputs (4 for the differences, the value at x, the
 * graph for backward). The trade-off: it cannot say which input is
 * wrong (its report says so and suggests the full mode), and an error whose gradient part is
 * orthogonal to u goes unnoticed (with a random u that has probability zero, but errors that nearly
 * cancel along u can slip under the tolerance). An error in one of n inputs enters the directional
 * derivative scaled by its u_i, about 1/sqrt(n) in size, so fast mode sees errors in single
 * elements of large inputs less sharply than full mode does. For a tensor function with a non-scalar output the
 * output is weighted with fixed pseudo-random weights v first, so fast mode checks v^T J u.
 *
 * <p><b>Refusal.</b> Where finite differences cannot be trusted, the check fails
 * ({@link Report#passed()} is false) and {@link Report#untrusted()} says where and why, instead of
 * comparing numbers that mean nothing. Each input (or, in fast mode, the direction) is refused when
 * <ul>
 *   <li>the input or f(x) is NaN or infinite, or f is not finite at a perturbed point (the step
 *       leaves f's domain or overflows);</li>
 *   <li>rounding noise exceeds the tolerance {@code atol + rtol * |numeric|}: each value of f is
 *       rounded by up to half an ulp, so the extrapolated difference is typically off by about
 *       ulp(max |f|) / 2h (for a tensor function, max over its output elements), and f is too
 *       large for its change over the step to be resolved. Not applied where the tolerance is 0
 *       (which asks for exact agreement), nor where f does not move at all and the gradient is
 *       within the tolerance of 0 (an input f ignores);</li>
 *   <li>a kink or jump: with J(h) = (f(x + h) - 2 f(x) + f(x - h)) / h (forward minus backward slope),
 *       which is about h f'' and halves with h for a smooth f, but stays constant at a kink and
 *       doubles at a jump, the input is refused when J(h/2) has the sign of J(h) and
 *       0.75 |J(h)| &lt; |J(h/2)| &lt;= 3 |J(h)|, and |J(h/2)| exceeds twice the tolerance (the finite
 *       difference is the average of the one-sided slopes, so a smaller slope change cannot move the
 *       outcome);</li>
 *   <li>the differences do not converge: with d = |D(h) - D(h/2)|, the extrapolation's error is
 *       about d^2 / (|D(h/2)| + d) (Richardson cancels the h^2 term, d measures it, and what is left
 *       is of the order of its square relative to the derivative); when that exceeds the tolerance,
 *       a kink or jump lies within the step, or noise dominates.</li>
 * </ul>
 * The last two rules act only on evidence well above rounding: the values of f behind J(h/2) or
 * d must differ by more than 64 ulps of max |f|. Rounding in intermediate results, amplified by
 * the conditioning of f, moves f by tens of ulps (a property test found a 33-ulp staircase in
 * exp(((x - tanh x)^2 + 0.5)^-3), where the change of (x - tanh x)^2 drowns in + 0.5), and such a
 * staircase looks like a jump to five points; where it decides the outcome, the comparison fails
 * as before.
 *
 * <p>Smooth functions never trip these rules at the default step unless they vary on a scale
 * comparable to it. The defaults are PyTorch's {@code gradcheck} ones: eps 1e-6, atol 1e-5,
 * rtol 1e-3, full mode. Instances are immutable.
 */
public final class GradCheck {
    private static final GradCheck DEFAULTS = new GradCheck(1e-6, 1e-5, 1e-3, false);
    /** Seed of the fast mode's direction u. */
    private static final long DIRECTION_SEED = 0x2545f4914f6cdd1dL;
    /** Seed of the weights a non-scalar output is summed with (fixed, as the direction's). */
    private static final long WEIGHTS_SEED = 0x9e3779b97f4a7c15L;
    /** At most this many further untrusted inputs are named in {@link Report#toString()}. */
    private static final int NAMED_UNTRUSTED = 5;

    private final double eps;
    private final double atol;
    private final double rtol;
    private final boolean fast;

    private GradCheck(double eps, double atol, double rtol, boolean fast) {
        if (!(eps >= Double.MIN_NORMAL) || !(atol >= 0) || !(rtol >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("GradCheck: need a finite eps >= 2^-1022 (a subnormal step has lost"
                    + " its digits, the smallest's half step is 0), atol >= 0, rtol >= 0; got eps=" + eps + ", atol="
                    + atol + ", rtol=" + rtol);
        }
        this.eps = eps;
        this.atol = atol;
        this.rtol = rtol;
        this.fast = fast;
    }

    /** Full mode, eps 1e-6, atol 1e-5, rtol 1e-3. */
    public static GradCheck defaults() {
        return DEFAULTS;
    }

    /**
     * A full-mode checker with the given step and tolerances.
     *
     * @throws IllegalArgumentException unless eps is finite and at least 2^-1022 (the smallest normal
     *     double) and atol and rtol are at least 0
     */
    public static GradCheck of(double eps, double atol, double rtol) {
        return new GradCheck(eps, atol, rtol, false);
    }

    /** This checker in fast mode: one random-direction comparison (same step and tolerances). */
    public GradCheck fast() {
        return fast ? this : new GradCheck(eps, atol, rtol, true);
    }

    /** This checker in full mode: every input perturbed and compared (same step and tolerances). */
    public GradCheck full() {
        return fast ? new GradCheck(eps, atol, rtol, false) : this;
    }

    /** Whether this checker is in fast mode. */
    public boolean isFast() {
        return fast;
    }

    /**
     * Checks {@code f} at {@code x}: builds {@code f} on leaves labelled {@code x0, x1, ...}, runs
     * {@code backward()}, and compares each leaf's gradient (full mode) or their dot product with the
     * random direction (fast mode) with finite differences of {@code f}.
     */
    public Report check(Function<List<Value>, Value> f, double... x) {
        Objects.requireNonNull(f, "f");
        try (GradMode.Scope on = GradMode.enabled()) { // even if the caller turned it off: f must record, at x
            return compare(backwardAt(f, x), null, point -> perturbed(() -> f.apply(Value.of(point)).data()), x);
        }
    }

    /**
     * The gradient {@code backward()} gives f at x, on fresh leaves labelled {@code x0, x1, ...}; NaN
     * everywhere where anomaly mode finds a number not finite.
     */
    private static double[] backwardAt(Function<List<Value>, Value> f, double[] x) {
        double[] analytic = new double[x.length];
        try {
            List<Value> inputs = new ArrayList<>(x.length);
            for (int i = 0; i < x.length; i++) {
                inputs.add(Value.of(x[i], "x" + i));
            }
            Value y = Objects.requireNonNull(f.apply(inputs), "GradCheck: f returned null");
            // backward adds into every leaf it reaches; keep the gradients of leaves f captured (a model's
            // weights, say) as they were
            Map<Value, Double> kept = new IdentityHashMap<>();
            for (Value v : ValueTape.order(y)) {
                kept.put(v, v.grad());
            }
            for (Value input : inputs) {
                kept.remove(input);
                input.zeroGrad(); // f may have differentiated into it: only y's backward may count
            }
            try {
                y.backward();
            } finally {
                for (Map.Entry<Value, Double> e : kept.entrySet()) {
                    if (e.getKey().isLeaf()) {
                        e.getKey().restoreGrad(e.getValue());
                    }
                }
            }
            for (int i = 0; i < x.length; i++) {
                analytic[i] = inputs.get(i).grad();
            }
        } catch (NonFiniteException e) {
            java.util.Arrays.fill(analytic, Double.NaN);
        }
        return analytic;
    }

    /**
     * f at a perturbed point. Inside an {@link Anomaly} scope f throws where its value is not finite;
     * here that value is NaN, so the check refuses as it does without the scope ("f at x - h e_i is
     * NaN") instead of throwing from inside the differencing. Any other exception of f, an
     * {@code ArithmeticException} of its own included, propagates.
     */
    private static double perturbed(java.util.function.DoubleSupplier f) {
        try {
            return f.getAsDouble();
        } catch (NonFiniteException e) {
            return Double.NaN;
        }
    }

    /**
     * Checks a tensor function at {@code inputs}: differentiates it with {@link Tensor#grad(List, List,
     * boolean)} at copies of the inputs that require grad (no tensor's {@link Tensor#grad()} changes, as
     * with {@code torch.autograd.gradcheck}) and compares every element's gradient (full mode), or their
     * dot product with the random direction (fast mode), with finite differences. A non-scalar output is
     * first reduced to {@code sum(output * r)} with fixed pseudo-random weights r in [0.5, 1.5), which
     * checks the whole vector-Jacobian product; a scalar output (dim 0) is checked as it is. The finite
     * differences are taken element by element before the weighted sum (sum_j r_j (out_j(x + h) - out_j(x -
     * h))), so many large outputs do not add up to rounding noise that hides the change of one. Inputs are
     * reported as {@code input0[1, 2]}.
     *
     * <p>The check runs in float64, as PyTorch's {@code gradcheck} asks: float32 inputs are passed to f
     * as float64 copies (exactly), and an f that returns a float32 tensor (a float32 model inside) is
     * refused with an {@link IllegalArgumentException}, since float32's rounding drowns finite differences:
     * check a float64 copy of a float32 model.
     */
    public Report check(Function<List<Tensor>, Tensor> f, Tensor... inputs) {
        Objects.requireNonNull(f, "f");
        try (GradMode.Scope on = GradMode.enabled()) { // even if the caller turned it off: f must record
            return checkRecorded(f, inputs);
        }
    }

    private Report checkRecorded(Function<List<Tensor>, Tensor> f, Tensor... inputs) {
        int total = 0;
        for (Tensor t : inputs) {
            total += t.size();
        }
        double[] x = new double[total];
        String[] names = new String[total];
        int at = 0;
        for (int k = 0; k < inputs.length; k++) {
            double[] d = inputs[k].toArray();
            System.arraycopy(d, 0, x, at, d.length);
            int[] shape = inputs[k].shape();
            for (int i = 0; i < d.length; i++) {
                names[at + i] = "input" + k + index(i, shape);
            }
            at += d.length;
        }
        List<Tensor> leaves = split(inputs, x, true);
        Tensor y;
        try {
            y = Objects.requireNonNull(f.apply(leaves), "GradCheck: f returned null");
        } catch (NonFiniteException e) {
            double[] analytic = new double[total];
            java.util.Arrays.fill(analytic, Double.NaN);
            return compare(analytic, names, point -> Double.NaN, x); // f(x) is not finite: nothing to difference
        }
        if (y.dtype() != DType.FLOAT64) {
            throw new IllegalArgumentException("GradCheck: f returned a " + y.dtype() + " tensor of shape "
                    + Shapes.str(y.shape) + "; finite differences in " + y.dtype() + " cannot check a gradient"
                    + " (a step of 1e-6 is lost in its rounding). The inputs are passed to f in float64 already:"
                    + " compute f in float64 too (Module.to(DType.FLOAT64) for a model)");
        }
        // a scalar output is checked as it is, so the report's numbers are its own gradients
        Tensor weights = y.dim() == 0 ? Tensor.scalar(1)
                : Tensor.uniform(new SplittableRandom(WEIGHTS_SEED), 0.5, 1.5, y.shape());
        double[] analytic = new double[total];
        if (y.requiresGrad()) {
            try {
                // Tensor.grad, not backward: no other tensor's grad() changes (as torch.autograd.gradcheck)
                List<Tensor> grads = Tensor.grad(List.of(y.mul(weights).sum()), leaves, false);
                at = 0;
                for (Tensor g : grads) {
                    System.arraycopy(g.toArray(), 0, analytic, at, g.size());
                    at += g.size();
                }
            } catch (NonFiniteException e) {
                java.util.Arrays.fill(analytic, Double.NaN);
            }
        }
        // f is evaluated as the user wrote it (leaves that require grad, grad mode on), so that f may
        // itself call Tensor.grad: gradient checks of gradients (second derivatives) work too
        return compare(analytic, names, new Centered(f, inputs, y.toArray(), weights.toArray()), x);
    }

    /**
     * sum_j r_j (out_j(p) - out_j(x)) for a tensor function: each output element is differenced before
     * the weighted sum, so a large output does not drown the change of one element in the rounding of
     * the sum (as PyTorch, which differences each output separately). Remembers, for the noise rule,
     * the largest |r_j out_j|: the rounding of any element may hide its change. An output with a
     * non-finite element at x gives that element at every point (f(x) is reported as it).
     */
    private static final class Centered implements ToDoubleFunction<double[]>, FiniteDifference.RoundingScale {
        private final Function<List<Tensor>, Tensor> f;
        private final Tensor[] inputs;
        private final double[] base;
        private final double[] weights;
        private final double nonFinite;
        private double lastScale;

        @Override
        public double lastScale() {
            return lastScale;
        }

        Centered(Function<List<Tensor>, Tensor> f, Tensor[] inputs, double[] base, double[] weights) {
            this.f = f;
            this.inputs = inputs;
            this.base = base;
            this.weights = weights;
            double first = 0;
            for (double v : base) {
                if (!Double.isFinite(v)) {
                    first = v;
                    break;
                }
            }
            this.nonFinite = first;
        }

        @Override
        public double applyAsDouble(double[] point) {
            return perturbed(() -> evaluate(point));
        }

        private double evaluate(double[] point) {
            if (nonFinite != 0) {
                return nonFinite;
            }
            double[] out = Objects.requireNonNull(f.apply(split(inputs, point, true)), "GradCheck: f returned null")
                    .toArray();
            if (out.length != base.length) {
                throw new IllegalStateException("GradCheck: f returned " + out.length + " elements at a perturbed"
                        + " point and " + base.length + " at x; its output shape must not depend on the input values");
            }
            double sum = 0;
            double scale = 0;
            for (int j = 0; j < out.length; j++) {
                sum += weights[j] * (out[j] - base[j]);
                if (Double.isFinite(out[j])) {
                    scale = Math.max(scale, Math.abs(weights[j] * out[j]));
                }
            }
            lastScale = scale;
            return sum;
        }
    }

    private static List<Tensor> split(Tensor[] like, double[] flat, boolean requiresGrad) {
        List<Tensor> out = new ArrayList<>(like.length);
        int at = 0;
        for (Tensor t : like) {
            double[] d = new double[t.size()];
            System.arraycopy(flat, at, d, 0, d.length);
            at += d.length;
            Tensor copy = t.dim() == 0 ? Tensor.scalar(d[0]) : Tensor.of(d, t.shape());
            out.add(copy.requiresGrad(requiresGrad));
        }
        return out;
    }

    private static String index(int flat, int[] shape) {
        if (shape.length == 0) {
            return "";
        }
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return java.util.Arrays.toString(idx);
    }

    /**
     * Compares gradients computed by any means with finite differences of {@code f} at {@code x}: each
     * one (full mode) or their dot product with the random direction (fast mode).
     *
     * @throws IllegalArgumentException if {@code analytic} and {@code x} differ in length
     */
    public Report compare(double[] analytic, ToDoubleFunction<double[]> f, double... x) {
        return compare(analytic, null, f, x);
    }

    private Report compare(double[] analytic, String[] names, ToDoubleFunction<double[]> f, double[] x) {
        if (analytic.length != x.length) {
            throw new IllegalArgumentException("GradCheck: " + analytic.length + " gradients for "
                    + x.length + " inputs");
        }
        Objects.requireNonNull(f, "f");
        String[] named = new String[x.length];
        for (int i = 0; i < x.length; i++) {
            named[i] = names != null && names[i] != null ? names[i] : "x" + i;
        }
        return fast ? compareFast(analytic, named, f, x) : compareFull(analytic, named, f, x);
    }

    private Report compareFull(double[] analytic, String[] names, ToDoubleFunction<double[]> f, double[] x) {
        int n = x.length;
        double[] numeric = new double[n];
        List<Untrusted> untrusted = new ArrayList<>();
        double[] point = x.clone();
        double f0 = n == 0 ? 0 : f.applyAsDouble(point);
        Worst worst = new Worst();
        for (int i = 0; i < n; i++) {
            String reason = null;
            if (!Double.isFinite(x[i])) {
                numeric[i] = Double.NaN;
                reason = "it is " + x[i];
            } else if (!Double.isFinite(f0)) {
                numeric[i] = Double.NaN;
                reason = "f(x) is " + f0 + ", so there is nothing to take differences of";
            } else {
                double h = eps * Math.max(1, Math.abs(x[i]));
                FiniteDifference line = FiniteDifference.central(f, point, i, f0, h);
                numeric[i] = line.numeric();
                reason = line.distrust(allowed(numeric[i]), analytic[i], "e_" + i);
            }
            if (reason != null) {
                untrusted.add(new Untrusted(i, names[i], reason));
            }
            worst.consider(i, analytic[i], numeric[i], allowed(numeric[i]), reason == null);
        }
        return new Report(false, n, worst, names, analytic.clone(), numeric, new double[0], untrusted, atol, rtol);
    }

    private Report compareFast(double[] analytic, String[] names, ToDoubleFunction<double[]> f, double[] x) {
        int n = x.length;
        double[] u = direction(n);
        double dot = 0;
        double scale = 1;
        List<Untrusted> untrusted = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            dot += analytic[i] * u[i];
            if (Double.isFinite(x[i])) {
                scale = Math.max(scale, Math.abs(x[i]));
            } else {
                // the one thing fast mode can name
                untrusted.add(new Untrusted(i, names[i], "it is " + x[i]));
            }
        }
        double numeric = Double.NaN;
        Worst worst = new Worst();
        if (n > 0) {
            String reason = null;
            if (untrusted.isEmpty()) {
                double[] point = x.clone();
                double f0 = f.applyAsDouble(point);
                if (!Double.isFinite(f0)) {
                    reason = "f(x) is " + f0 + ", so there is nothing to take differences of";
                } else {
                    double h = eps * scale;
                    FiniteDifference line = FiniteDifference.along(f, x, u, f0, h, point);
                    numeric = line.numeric();
                    reason = line.distrust(allowed(numeric), dot, "u");
                }
                if (reason != null) {
                    untrusted.add(new Untrusted(-1, null, reason));
                }
            }
            worst.consider(-1, dot, numeric, allowed(numeric), untrusted.isEmpty());
        }
        double[] none = {};                                // no inputs: no direction, as full mode has no entries
        return new Report(true, n, worst, names, n == 0 ? none : new double[] {dot},
                n == 0 ? none : new double[] {numeric}, u, untrusted, atol, rtol);
    }

    private double allowed(double numeric) {
        return atol + rtol * Math.abs(numeric);
    }

    /** The fast mode's direction over n inputs: seeded Gaussian, unit L2 norm. */
    private static double[] direction(int n) {
        SplittableRandom random = new SplittableRandom(DIRECTION_SEED);
        double[] u = new double[n];
        double norm = 0;
        while (n > 0 && norm == 0) {
            for (int i = 0; i < n; i++) {
                u[i] = random.nextGaussian();
                norm += u[i] * u[i];
            }
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < n; i++) {
            u[i] /= norm;
        }
        return u;
    }

    /** Tracks the worst input overall (refused ones count as worst) and the worst trusted one. */
    private static final class Worst {
        int index = -1;
        double ratio = -1;
        int checked = -1;
        double checkedRatio = -1;
        boolean passed = true;

        void consider(int i, double analytic, double numeric, double allowed, boolean trusted) {
            double difference = Math.abs(analytic - numeric);
            boolean finite = Double.isFinite(analytic) && Double.isFinite(numeric);
            if (!trusted || !finite || !(difference <= allowed)) {
                passed = false;
            }
            // how close to failing: refused inputs and non-finite numbers are the worst
            double r = !trusted || !finite ? Double.POSITIVE_INFINITY : difference == 0 ? 0
                    : allowed == 0 ? Double.POSITIVE_INFINITY : difference / allowed;
            if (r > ratio) {
                ratio = r;
                index = i;
            }
            double c = !finite ? Double.POSITIVE_INFINITY : difference == 0 ? 0
                    : allowed == 0 ? Double.POSITIVE_INFINITY : difference / allowed;
            if (trusted && c > checkedRatio) {
                checkedRatio = c;
                checked = i;
            }
        }
    }

    /**
     * An input, or in fast mode the random direction, where finite differences cannot be trusted.
     *
     * @param index  the input's index, or -1 for the fast mode's direction
     * @param name   the input's name ({@code x3}, {@code input0[1, 2]}), or null for the direction
     * @param reason why, with the numbers that show it
     */
    public record Untrusted(int index, String name, String reason) {
        /** Validates the reason. */
        public Untrusted {
            Objects.requireNonNull(reason, "reason");
        }

        /** {@code cannot check input x0: <reason>}. */
        @Override
        public String toString() {
            return (index < 0 ? "cannot check along the random direction u: " : "cannot check input " + name + ": ")
                    + reason;
        }
    }

    /**
     * The outcome of a gradient check: whether every input passed, which mode produced it, the inputs
     * where finite differences could not be trusted, and the input that came closest to failing (or
     * failed worst) with both of its numbers. In fast mode there is a single comparison, of the
     * directional derivatives along the random direction: the arrays hold one number each and the
     * worst index is -1.
     */
    public static final class Report {
        private final boolean fast;
        private final int inputs;
        private final boolean passed;
        private final int worstIndex;
        private final int checkedIndex;
        private final String[] names;
        private final double[] analytic;
        private final double[] numeric;
        private final double[] direction;
        private final List<Untrusted> untrusted;
        private final double atol;
        private final double rtol;

        Report(boolean fast, int inputs, Worst worst, String[] names, double[] analytic, double[] numeric,
               double[] direction, List<Untrusted> untrusted, double atol, double rtol) {
            this.fast = fast;
            this.inputs = inputs;
            this.passed = worst.passed;
            this.worstIndex = fast ? -1 : worst.index;
            this.checkedIndex = fast ? -1 : worst.checked;
            this.names = names;
            this.analytic = analytic;
            this.numeric = numeric;
            this.direction = direction;
            this.untrusted = Collections.unmodifiableList(untrusted);
            this.atol = atol;
            this.rtol = rtol;
        }

        /** Whether every comparison was trusted and agreed within tolerance. */
        public boolean passed() {
            return passed;
        }

        /** Whether fast mode (one random-direction comparison) produced this report. */
        public boolean isFast() {
            return fast;
        }

        /** Whether finite differences could be trusted everywhere they were taken. */
        public boolean trusted() {
            return untrusted.isEmpty();
        }

        /** Where finite differences could not be trusted, and why (empty if nowhere); unmodifiable. */
        public List<Untrusted> untrusted() {
            return untrusted;
        }

        /**
         * Index of the input with the largest error relative to its tolerance (refused inputs count as
         * worst); -1 if there are no inputs, and in fast mode, which cannot name an input.
         */
        public int worstIndex() {
            return worstIndex;
        }

        /** Name of that input ({@code x3}, {@code input0[1, 2]}); null where {@link #worstIndex()} is -1. */
        public String worstName() {
            return worstIndex < 0 ? null : names[worstIndex];
        }

        /** The gradient at the worst input (full mode) or the directional derivative sum_i grad_i u_i (fast mode). */
        public double worstAnalytic() {
            return worstIndex < 0 && !fast || analytic.length == 0 ? 0 : analytic[fast ? 0 : worstIndex];
        }

        /** The finite difference at the worst input (full mode) or along the direction (fast mode). */
        public double worstNumeric() {
            return worstIndex < 0 && !fast || numeric.length == 0 ? 0 : numeric[fast ? 0 : worstIndex];
        }

        /**
         * All gradients as computed by backward (full mode), or the one directional derivative (fast
         * mode; none without inputs); a copy.
         */
        public double[] analytic() {
            return analytic.clone();
        }

        /**
         * All finite differences (full mode), or the one along the direction (fast mode; none without
         * inputs); a copy.
         */
        public double[] numeric() {
            return numeric.clone();
        }

        /** The fast mode's unit direction u over all inputs (empty in full mode); a copy. */
        public double[] direction() {
            return direction.clone();
        }

        /** Returns this report if it passed; otherwise throws an {@link AssertionError} with {@link #toString()}. */
        public Report orThrow() {
            if (!passed) {
                throw new AssertionError(toString());
            }
            return this;
        }

        @Override
        public String toString() {
            String mode = fast ? "fast mode (one random direction over all " + inputs + " inputs)"
                    : "full mode (every input perturbed)";
            StringBuilder sb = new StringBuilder("gradient check ").append(passed ? "passed" : "FAILED");
            if (inputs == 0) {
                return sb.append(": no inputs; ").append(mode).toString();
            }
            if (!untrusted.isEmpty()) {
                sb.append(": ").append(untrusted.get(0));
                if (untrusted.size() > 1) {
                    sb.append("; ").append(untrusted.size() - 1).append(" more cannot be checked: ");
                    for (int k = 1; k < untrusted.size() && k <= NAMED_UNTRUSTED; k++) {
                        Untrusted u = untrusted.get(k);
                        sb.append(k > 1 ? ", " : "").append(u.index() < 0 ? "the direction" : u.name());
                    }
                    if (untrusted.size() > NAMED_UNTRUSTED + 1) {
                        sb.append(", ...");
                    }
                }
            }
            if (fast && untrusted.isEmpty()) {
                comparison(sb.append(": along a random direction u: backward sum_i grad_i u_i "), 0);
                if (!passed) {
                    sb.append("; fast mode cannot name the input: check with full() to find it");
                }
            } else if (!fast && untrusted.isEmpty()) {
                sb.append(": worst input ").append(names[worstIndex]).append(" (index ").append(worstIndex)
                        .append("): backward ");
                comparison(sb, worstIndex);
            } else if (!fast && checkedIndex >= 0) {
                sb.append("; worst checked input ").append(names[checkedIndex]).append(" (index ")
                        .append(checkedIndex).append("): backward ");
                comparison(sb, checkedIndex);
            } else if (fast && untrusted.get(untrusted.size() - 1).index() < 0) {
                sb.append("; fast mode cannot name the input: check with full() to find it");
            }
            return sb.append("; ").append(mode).toString();
        }

        private void comparison(StringBuilder sb, int i) {
            double a = analytic[i];
            double n = numeric[i];
            sb.append(String.format(Locale.ROOT, "%.10g, finite difference %.10g, |difference| %.3g, allowed %.3g"
                            + " (atol %.1g + rtol %.1g * |finite difference|)", a, n, Math.abs(a - n),
                    atol + rtol * Math.abs(n), atol, rtol));
        }
    }
}
