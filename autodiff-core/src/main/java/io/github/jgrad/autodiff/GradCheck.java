package io.github.jgrad.autodiff;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Gradient checking: compares {@code backward()} with central finite differences.
 *
 * <pre>{@code
 * GradCheck.Report r = GradCheck.defaults().check(x -> x.get(0).mul(x.get(1)).tanh(), 0.3, -1.2);
 * r.passed();    // or r.orThrow() inside any test framework
 * }</pre>
 *
 * <p>For input i the numeric derivative is the central difference D(h) = (f(x + h e_i) - f(x - h e_i)) / 2h
 * with h = eps * max(1, |x_i|), refined by Richardson extrapolation, (4 D(h/2) - D(h)) / 3, which
 * cancels the h^2 error term: its error is O(h^4) instead of O(h^2), so steep functions check to
 * many more digits. Input i passes when {@code |analytic - numeric| <= atol + rtol * |numeric|}
 * (NumPy's {@code allclose} rule); NaN or infinite numbers never pass. The defaults are PyTorch's
 * {@code gradcheck} ones: eps 1e-6, atol 1e-5, rtol 1e-3. Instances are immutable.
 */
public final class GradCheck {
    private static final GradCheck DEFAULTS = new GradCheck(1e-6, 1e-5, 1e-3);

    private final double eps;
    private final double atol;
    private final double rtol;

    private GradCheck(double eps, double atol, double rtol) {
        if (!(eps > 0) || !(atol >= 0) || !(rtol >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("GradCheck: need eps > 0, atol >= 0, rtol >= 0; got eps="
                    + eps + ", atol=" + atol + ", rtol=" + rtol);
        }
        this.eps = eps;
        this.atol = atol;
        this.rtol = rtol;
    }

    /** eps 1e-6, atol 1e-5, rtol 1e-3. */
    public static GradCheck defaults() {
        return DEFAULTS;
    }

    /** A checker with the given step and tolerances. */
    public static GradCheck of(double eps, double atol, double rtol) {
        return new GradCheck(eps, atol, rtol);
    }

    /**
     * Checks {@code f} at {@code x}: builds {@code f} on leaves labelled {@code x0, x1, ...}, runs
     * {@code backward()}, and compares each leaf's gradient with finite differences of {@code f}.
     */
    public Report check(Function<List<Value>, Value> f, double... x) {
        Objects.requireNonNull(f, "f");
        List<Value> inputs = new ArrayList<>(x.length);
        for (int i = 0; i < x.length; i++) {
            inputs.add(Value.of(x[i], "x" + i));
        }
        Value y = Objects.requireNonNull(f.apply(inputs), "GradCheck: f returned null");
        // backward adds into every leaf it reaches; keep the gradients of leaves f captured (a model's
        // weights, say) as they were
        Map<Value, Double> kept = new IdentityHashMap<>();
        for (Node node : Tape.order(y)) {
            kept.put((Value) node, ((Value) node).grad());
        }
        for (Value input : inputs) {
            kept.remove(input);
        }
        y.backward();
        for (Map.Entry<Value, Double> e : kept.entrySet()) {
            if (e.getKey().isLeaf()) {
                e.getKey().restoreGrad(e.getValue());
            }
        }
        double[] analytic = new double[x.length];
        String[] names = new String[x.length];
        for (int i = 0; i < x.length; i++) {
            analytic[i] = inputs.get(i).grad();
            names[i] = inputs.get(i).label();
        }
        return compare(analytic, names, point -> f.apply(Value.of(point)).data(), x);
    }

    /**
     * Checks a tensor function at {@code inputs}: runs {@code backward()} on copies of the inputs that
     * require grad and compares every element's gradient with finite differences. A non-scalar output
     * is first reduced to {@code sum(output * r)} with fixed pseudo-random weights r, which checks the
     * whole vector-Jacobian product. Inputs are reported as {@code input0[1, 2]}.
     */
    public Report check(Function<List<Tensor>, Tensor> f, Tensor... inputs) {
        Objects.requireNonNull(f, "f");
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
        Tensor y = Objects.requireNonNull(f.apply(leaves), "GradCheck: f returned null");
        Tensor weights = Tensor.uniform(0x9e3779b97f4a7c15L, 0.5, 1.5, y.shape());
        double[] analytic = new double[total];
        if (y.requiresGrad()) {
            // Tensor.grad, not backward: no other tensor's grad() changes (as torch.autograd.gradcheck)
            List<Tensor> grads = Tensor.grad(List.of(y.mul(weights).sum()), leaves, false);
            at = 0;
            for (Tensor g : grads) {
                System.arraycopy(g.toArray(), 0, analytic, at, g.size());
                at += g.size();
            }
        }
        // f is evaluated as the user wrote it (leaves that require grad, grad mode on), so that f may
        // itself call Tensor.grad: gradient checks of gradients (second derivatives) work too
        return compare(analytic, names, point -> f.apply(split(inputs, point, true)).mul(weights).sum().item(), x);
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
     * Compares gradients computed by any means with finite differences of {@code f} at {@code x}.
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
        double[] numeric = new double[x.length];
        double[] point = x.clone();
        int worst = -1;
        double worstRatio = -1;
        boolean passed = true;
        for (int i = 0; i < x.length; i++) {
            double h = eps * Math.max(1, Math.abs(x[i]));
            double wide = central(f, point, i, h);
            double narrow = central(f, point, i, h / 2);
            numeric[i] = (4 * narrow - wide) / 3; // Richardson: cancels the h^2 error term
            point[i] = x[i];
            double difference = Math.abs(analytic[i] - numeric[i]);
            double allowed = atol + rtol * Math.abs(numeric[i]);
            boolean finite = Double.isFinite(analytic[i]) && Double.isFinite(numeric[i]);
            if (!finite || !(difference <= allowed)) {
                passed = false;
            }
            // how close to failing, for picking the worst input: non-finite numbers are the worst
            double ratio = !finite ? Double.POSITIVE_INFINITY : difference == 0 ? 0
                    : allowed == 0 ? Double.POSITIVE_INFINITY : difference / allowed;
            if (ratio > worstRatio) {
                worstRatio = ratio;
                worst = i;
            }
        }
        String name = worst < 0 ? null : names != null && names[worst] != null ? names[worst] : "x" + worst;
        return new Report(passed, worst, name, analytic.clone(), numeric, atol, rtol);
    }

    /** (f(x + h e_i) - f(x - h e_i)) / 2h; leaves point[i] changed. */
    private static double central(ToDoubleFunction<double[]> f, double[] point, int i, double h) {
        double x = point[i];
        point[i] = x + h;
        double up = f.applyAsDouble(point);
        point[i] = x - h;
        double down = f.applyAsDouble(point);
        point[i] = x;
        return (up - down) / (2 * h);
    }

    /**
     * The outcome of a gradient check: whether every input passed, and the input that came closest to
     * failing (or failed worst) with both of its numbers.
     */
    public static final class Report {
        private final boolean passed;
        private final int worstIndex;
        private final String worstName;
        private final double[] analytic;
        private final double[] numeric;
        private final double atol;
        private final double rtol;

        Report(boolean passed, int worstIndex, String worstName, double[] analytic, double[] numeric,
               double atol, double rtol) {
            this.passed = passed;
            this.worstIndex = worstIndex;
            this.worstName = worstName;
            this.analytic = analytic;
            this.numeric = numeric;
            this.atol = atol;
            this.rtol = rtol;
        }

        /** Whether every input's gradient agreed with its finite difference within tolerance. */
        public boolean passed() {
            return passed;
        }

        /** Index of the input with the largest error relative to its tolerance; -1 if no inputs. */
        public int worstIndex() {
            return worstIndex;
        }

        /** Name of that input ({@code x3}, or its label). */
        public String worstName() {
            return worstName;
        }

        /** The gradient from {@code backward()} (or as given) at the worst input. */
        public double worstAnalytic() {
            return worstIndex < 0 ? 0 : analytic[worstIndex];
        }

        /** The finite difference at the worst input. */
        public double worstNumeric() {
            return worstIndex < 0 ? 0 : numeric[worstIndex];
        }

        /** All gradients as computed by backward (a copy). */
        public double[] analytic() {
            return analytic.clone();
        }

        /** All finite differences (a copy). */
        public double[] numeric() {
            return numeric.clone();
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
            if (worstIndex < 0) {
                return "gradient check passed: no inputs";
            }
            double a = analytic[worstIndex];
            double n = numeric[worstIndex];
            return String.format(Locale.ROOT,
                    "gradient check %s: worst input %s (index %d): backward %.10g, finite difference %.10g,"
                            + " |difference| %.3g, allowed %.3g (atol %.1g + rtol %.1g * |finite difference|)",
                    passed ? "passed" : "FAILED", worstName, worstIndex, a, n, Math.abs(a - n),
                    atol + rtol * Math.abs(n), atol, rtol);
        }
    }
}
