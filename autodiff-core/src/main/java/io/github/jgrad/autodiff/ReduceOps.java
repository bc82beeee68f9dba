package io.github.jgrad.autodiff;

import static io.github.jgrad.autodiff.Autograd.record;

import io.github.jgrad.autodiff.internal.Arena;
import io.github.jgrad.autodiff.internal.FloatKernels;
import io.github.jgrad.autodiff.internal.Kernels;
import io.github.jgrad.autodiff.internal.Shapes;
import io.github.jgrad.autodiff.internal.Softmax;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The reductions, each defined once: tensor sum and max over any axes, and the scalar engine's n-ary
 * sum and dot product (one node each, no chain of additions), and softmax and log-softmax (one pass
 * each way, as every classifier's loss runs them). Mean, min and log-sum-exp are compositions and
 * need no derivative of their own.
 */
final class ReduceOps {
    private ReduceOps() {
    }

    // ------------------------------------------------------------------ sum
    static final Op SUM = Op.builtin("sum").derivative("1").rule("g broadcast back to a's shape").build();

    static Tensor sum(Tensor a, int[] axes, boolean keepDims) {
        return sum("sum", a, axes, keepDims, a.dtype());
    }

    /** The sum, its result in {@code dtype}: float32's sums are computed in double either way. */
    private static Tensor sum(String name, Tensor a, int[] axes, boolean keepDims, DType dtype) {
        int[] ax = Shapes.axes(name, axes, a.shape);
        int[] kept = Shapes.reduced(a.shape, ax, true);
        Shapes.size(name, kept); // an empty input can have a result too large for one array
        return record(dtype, SUM, reduce(a, false, ax), Shapes.reduced(a.shape, ax, keepDims),
                (g, out) -> new Tensor[] {g.reshape(kept).broadcastTo(a.shape)}, a);
    }

    /**
     * {@code list}, or a copy where it has no fast random access (a LinkedList): its elements are read
     * by index, which would make a product over it quadratic. A copy is a new list, so its product
     * shares no operand run with another.
     */
    private static List<Value> indexable(List<Value> list) {
        return list instanceof java.util.RandomAccess ? list : new ArrayList<>(list);
    }

    /** The sum of {@code values} as one node; 0 (a constant) for an empty list. */
    static Value sum(List<Value> values) {
        values = indexable(values);
        int n = values.size();
        Value[] parents = new Value[n];
        double out = 0;
        for (int i = 0; i < n; i++) {
            Value v = Objects.requireNonNull(values.get(i), "sum: element is null");
            parents[i] = v;
            out += v.data();
        }
        return n == 0 ? Value.constant(0) : Value.record(SUM, out, parents, null); // local derivatives all 1
    }

    // ------------------------------------------------------------------ dot (scalars)
    static final Op DOT = Op.builtin("dot").derivative("b_i", "a_i")
            .edges("a_0*b_0 + ... + a_(n-1)*b_(n-1) as one node, as a neuron's weighted sum needs").build();

    static Value dot(List<Value> a, List<Value> b) {
        return dotOf(indexable(a), indexable(b));
    }

    private static Value dotOf(List<Value> a, List<Value> b) {
        int n = a.size();
        if (b.size() != n) {
            throw new IllegalArgumentException("dot: operands differ in length: " + n + " and " + b.size());
        }
        ValueTape tape = ValueTape.current();
        if (n == 0 || !tape.recording()) {
            double out = 0;
            for (int i = 0; i < n; i++) {
                out += Objects.requireNonNull(a.get(i), "dot: element of a is null").data()
                        * Objects.requireNonNull(b.get(i), "dot: element of b is null").data();
            }
            if (n == 0) {
                return Value.constant(0);
            }
            return Value.unrecorded(Op.LEAF, DOT, out, () -> { // grad mode is off: a leaf
                List<Value> both = new ArrayList<>(a);
                both.addAll(b);
                return both.toArray(new Value[0]);
            });
        }
        ValueTape.Run ra = tape.run(a, "dot: element of a is null");
        ValueTape.Run rb = tape.run(b, "dot: element of b is null");
        double[] x = ra.data;
        double[] y = rb.data;
        double out = 0;
        for (int i = 0; i < n; i++) {
            out += x[i] * y[i];
        }
        return Value.recordDot(DOT, out, ra, rb, tape);
    }

    /**
     * The mean along {@code axes} (all if empty): a composition, sum / count. float32's sums stay in
     * double for the division, so the mean is rounded once, as DType promises (a float32 sum would
     * round twice, and overflow for 3e38f and 3e38f).
     */
    static Tensor mean(Tensor t, int[] axes, boolean keepDims) {
        int[] ax = Shapes.axes("mean", axes, t.shape);
        int n = 1;
        for (int a : ax) {
            n *= t.shape[a];
        }
        Tensor mean = sum("mean", t, ax, keepDims, DType.FLOAT64).div(n);
        return mean.to(t.dtype());
    }

    // ------------------------------------------------------------------ max (tensors)
    static final Op AMAX = Op.builtin("max").rule("g shared among the maxima of a")
            .edges("the gradient is shared evenly among the elements equal to the maximum, as torch.amax; a"
                    + " slice holding NaN has maximum NaN and sends NaN to each of its elements (none equals NaN), as"
                    + " torch.amax; an empty reduced axis is an error")
            .readsOutput().build();

    static Tensor max(Tensor a, int[] axes, boolean keepDims) {
        int[] ax = nonEmptyAxes(a, "max", axes);
        int[] kept = Shapes.reduced(a.shape, ax, true);
        return record(AMAX, reduce(a, true, ax), Shapes.reduced(a.shape, ax, keepDims), (g, out) -> {
            Tensor isMax = a.eq(out.reshape(kept)); // out, not its array: a reclaimed result is refused
            Tensor share = isMax.div(isMax.sum(ax, true));
            return new Tensor[] {g.reshape(kept).chain(share)};
        }, a);
    }

    /** Normalised, sorted {@code axes} for a max or min, which has no value over an empty axis (as NumPy). */
    static int[] nonEmptyAxes(Tensor t, String op, int[] axes) {
        int[] ax = Shapes.axes(op, axes, t.shape);
        for (int a : ax) {
            if (t.shape[a] == 0) {
                throw new IllegalArgumentException(op + ": axis " + a + " of shape " + Shapes.str(t.shape) + " is empty");
            }
        }
        return ax;
    }

    /**
     * Sums or maxes normalised, sorted axes; moves them last first when they are not adjacent. float32
     * is read as stored, never widened whole ({@link FloatKernels#reduce} accumulates in double).
     */
    private static double[] reduce(Tensor t, boolean max, int[] ax) {
        int[] shape = t.shape;
        boolean single = t.dtype() == DType.FLOAT32;
        if (ax.length == 0) {
            double[] data = t.data();
            double[] copy = Arena.allocate(data.length);
            System.arraycopy(data, 0, copy, 0, data.length);
            return copy;
        }
        boolean adjacent = ax[ax.length - 1] - ax[0] == ax.length - 1;
        if (!adjacent) {
            int[] perm = new int[shape.length];
            int j = 0;
            boolean[] r = new boolean[shape.length];
            for (int a : ax) {
                r[a] = true;
            }
            for (int i = 0; i < shape.length; i++) {
                if (!r[i]) {
                    perm[j++] = i;
                }
            }
            int rest = 1;
            int reducedSize = 1;
            for (int a : ax) {
                perm[j++] = a;
            }
            for (int i = 0; i < shape.length; i++) {
                if (r[i]) {
                    reducedSize *= shape[i];
                } else {
                    rest *= shape[i];
                }
            }
            return single ? FloatKernels.reduce(max, Kernels.permute(t.floats(), shape, perm), rest, reducedSize, 1)
                    : Kernels.reduce(max, Kernels.permute(t.data(), shape, perm), rest, reducedSize, 1);
        }
        int[] omi = outerMidInner(shape, ax);
        return single ? FloatKernels.reduce(max, t.floats(), omi[0], omi[1], omi[2])
                : Kernels.reduce(max, t.data(), omi[0], omi[1], omi[2]);
    }

    /** The sizes before, along and after the adjacent axes {@code ax} of {@code shape}. */
    private static int[] outerMidInner(int[] shape, int[] ax) {
        int outer = 1;
        int mid = 1;
        int inner = 1;
        for (int i = 0; i < shape.length; i++) {
            if (i < ax[0]) {
                outer *= shape[i];
            } else if (i <= ax[ax.length - 1]) {
                mid *= shape[i];
            } else {
                inner *= shape[i];
            }
        }
        return new int[] {outer, mid, inner};
    }

    // ------------------------------------------------------------------ argmax, argmin (no gradient)

    /** NumPy's argmax along {@code axis}: the first maximum, the first NaN if there is one. */
    static Tensor argmax(Tensor t, int axis, boolean keepDims) {
        return argBest("argmax", t, false, axis, keepDims);
    }

    /** NumPy's argmin along {@code axis}: the first minimum, the first NaN if there is one. */
    static Tensor argmin(Tensor t, int axis, boolean keepDims) {
        return argBest("argmin", t, true, axis, keepDims);
    }

    /** argmax, or argmin as the argmax of the negated values (the same ties, the same first NaN). */
    private static Tensor argBest(String op, Tensor t, boolean min, int axis, boolean keepDims) {
        int[] shape = t.shape;
        double[] data = t.data();
        int a = Shapes.axis(op, axis, shape);
        int r = shape[a];
        if (r == 0) {
            throw new IllegalArgumentException(op + ": axis " + axis + " of shape " + Shapes.str(shape) + " is empty");
        }
        double sign = min ? -1 : 1;
        int outer = Shapes.sizeBefore(shape, a);
        int inner = Shapes.sizeAfter(shape, a);
        double[] out = Arena.allocate(outer * inner);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * r * inner + i;
                int best = 0;
                double max = sign * data[base];
                for (int k = 1; k < r && max == max; k++) { // stop at the first NaN
                    double v = sign * data[base + k * inner];
                    if (v > max || v != v) {
                        max = v;
                        best = k;
                    }
                }
                out[o * inner + i] = best;
            }
        }
        return Tensor.leaf(out, Shapes.reduced(shape, new int[] {a}, keepDims));
    }

    // ------------------------------------------------------------------ compositions (no derivative of their own)

    /**
     * The variance along {@code axes}, as {@code torch.var}: squared deviations from the mean, summed
     * and divided by max(0, n - correction); two passes (the mean, then the deviations), as NumPy.
     */
    static Tensor var(String op, Tensor x, int[] axes, int correction, boolean keepDims) {
        int[] ax = Shapes.axes(op, axes, x.shape);
        long n = 1;
        for (int a : ax) {
            n *= x.shape[a];
        }
        Tensor d = x.sub(x.mean(ax, true));
        return d.mul(d).sum(ax, keepDims).div((double) Math.max(0, n - correction));
    }

    static Tensor logSumExp(Tensor x, int axis, boolean keepDims) {
        int ax = Shapes.axis("logSumExp", axis, x.shape);
        Tensor m = shiftFor(x, ax);
        Tensor lse = x.sub(m).exp().sum(ax, true).log().add(m);
        return keepDims ? lse : lse.squeeze(ax);
    }

    // ------------------------------------------------------------------ softmax, log-softmax
    // Primitives with their own derivative, as PyTorch's _softmax and _log_softmax: one pass over each
    // row forward and one backward, where the composition they equal, e / sum(e) with e = exp(x - max),
    // made six temporaries and a node each.

    static final Op SOFTMAX = Op.builtin("softmax").rule("out * (g - sum(g * out, axis))")
            .edges("exp(x - max) / sum over the axis, shifted by 0 where the maximum is infinite: a row of -inf"
                    + " gives NaN, one +inf gives NaN there and 0 elsewhere (PyTorch: NaN in the whole row)").readsOutput().build();

    static Tensor softmax(Tensor x, int axis) {
        int ax = Shapes.axis("softmax", axis, x.shape);
        return softmax(SOFTMAX, x, ax, (g, y) -> new Tensor[] {softmaxBackward(g, y, ax)});
    }

    static final Op LOG_SOFTMAX = Op.builtin("logSoftmax").rule("g - exp(out) * sum(g, axis)")
            .edges("(x - max) - log(sum(exp(x - max))): finite for any finite logits; a row of -inf gives NaN,"
                    + " as PyTorch").readsOutput().build();

    static Tensor logSoftmax(Tensor x, int axis) {
        int ax = Shapes.axis("logSoftmax", axis, x.shape);
        return softmax(LOG_SOFTMAX, x, ax, (g, y) -> new Tensor[] {logSoftmaxBackward(g, y, ax)});
    }

    private static Tensor softmax(Op op, Tensor x, int ax, Tensor.Backward backward) {
        int[] s = x.shape;
        if (x.dtype() == DType.FLOAT32 && ax == s.length - 1) { // rows: a buffer a row, not a widened copy
            return record(op, Softmax.softmaxRows(op == LOG_SOFTMAX, x.floats(), Shapes.sizeBefore(s, ax), s[ax]), s, backward, x);
        }
        double[] out = Softmax.softmax(op == LOG_SOFTMAX, x.readDoubles(), Shapes.sizeBefore(s, ax), s[ax],
                Shapes.sizeAfter(s, ax));
        return record(op, out, s, backward, x);
    }

    /** softmax's backward in one pass, differentiable itself: y (g - sum(g y)) along the axis. */
    static final Op SOFTMAX_BACKWARD = Op.builtin("softmaxBackward")
            .rule("y * (g' - sum(g' * y))", "g' * (g - sum(g * y)) - g * sum(g' * y)").build();

    static Tensor softmaxBackward(Tensor g, Tensor y, int ax) {
        return backward(SOFTMAX_BACKWARD, false, g, y, ax, (g2, o) -> { // products keeping the chain rule's zero
            Tensor t = g2.chain(y).sum(new int[] {ax}, true);               // (a masked row's y is NaN)
            return new Tensor[] {g2.sub(t).chain(y), ChainOps.bothChain(g2, g.sub(g.chain(y).sum(new int[] {ax}, true)))
                    .sub(ChainOps.bothChain(g, t))};
        });
    }

    /** log-softmax's backward in one pass, differentiable itself: g - exp(y) sum(g) along the axis. */
    static final Op LOG_SOFTMAX_BACKWARD = Op.builtin("logSoftmaxBackward")
            .rule("g' - sum(g' * exp(y))", "-g' * exp(y) * sum(g)").build();

    static Tensor logSoftmaxBackward(Tensor g, Tensor y, int ax) {
        return backward(LOG_SOFTMAX_BACKWARD, true, g, y, ax, (g2, o) -> { // keeping the chain rule's zero
            Tensor ge = g2.chain(y.exp());
            return new Tensor[] {g2.sub(ge.sum(new int[] {ax}, true)),
                    ChainOps.bothChain(ge, g.sum(new int[] {ax}, true)).neg()};
        });
    }

    /** The fused backward {@code op} of (log-)softmax y for gradient g, recorded with {@code backward}. */
    private static Tensor backward(Op op, boolean log, Tensor g, Tensor y, int ax, Tensor.Backward backward) {
        int[] s = y.shape;
        if (g.dtype() == DType.FLOAT32 && y.dtype() == DType.FLOAT32 && ax == s.length - 1) { // rows, as the forward
            return record(op, Softmax.softmaxBackwardRows(log, g.floats(), y.floats(), Shapes.sizeBefore(s, ax), s[ax]),
                    s, backward, g, y);
        }
        double[] out = Softmax.softmaxBackward(log, g.readDoubles(), y.readDoubles(), Shapes.sizeBefore(s, ax), s[ax],
                Shapes.sizeAfter(s, ax));
        return record(op, out, s, backward, g, y);
    }

    /**
     * The maximum along {@code ax} (kept), without gradient, to shift by before exponentiating; 0 where
     * the maximum is infinite, so that rows of -infinity give -infinity (as PyTorch) and not NaN.
     */
    private static Tensor shiftFor(Tensor x, int ax) {
        if (x.shape[ax] == 0) { // nothing to shift: logSumExp of nothing is -inf, softmax of nothing is empty
            return Tensor.zeros(x.dtype(), Shapes.reduced(x.shape, new int[] {ax}, true));
        }
        Tensor m = x.max(ax, true).detach();
        return Tensor.where(m.abs().lt(Double.POSITIVE_INFINITY), m, Tensor.scalar(0));
    }
}
