package io.github.jgrad.autodiff;

import static io.github.jgrad.autodiff.Autograd.record;
import static io.github.jgrad.autodiff.Tensor.scalar;
import static io.github.jgrad.autodiff.Tensor.where;

import io.github.jgrad.autodiff.internal.Arena;
import io.github.jgrad.autodiff.internal.ChainRule;
import io.github.jgrad.autodiff.internal.FloatKernels;
import io.github.jgrad.autodiff.internal.Kernels.Binary;
import io.github.jgrad.autodiff.internal.Kernels;
import io.github.jgrad.autodiff.internal.Shapes;
import java.util.Arrays;
import java.util.Objects;

/**
 * The element-wise binary primitives, each defined once: its key, its tensor forward (a kernel) and
 * backward (tensor ops, so it can be differentiated again), its scalar value and local derivatives,
 * its rule texts and edge points. Tensor inputs broadcast; each gradient is summed back to its
 * input's shape.
 */
final class ArithmeticOps {
    private ArithmeticOps() {
    }

    private static Tensor binary(Op op, Binary kernel, Tensor a, Tensor b, Tensor.Backward backward) {
        Objects.requireNonNull(b, () -> op.name() + ": b is null");
        return elementwise(op, kernel, a, b, Shapes.broadcast(op.name(), a.shape, b.shape), backward);
    }

    /**
     * a (kernel) b broadcast to {@code so}, recorded in the promoted dtype. A float32 result whose a has
     * the result's shape, and whose b has it too, one element or one row, runs {@link FloatKernels} (no
     * array of doubles the tensor's size); every other case widens its operands. Both give the same bits.
     * A float64 operand of a float32 result (a 0-dimensional one, which does not promote) is rounded to
     * float first, as PyTorch computes in the result's type.
     */
    static Tensor elementwise(Op op, Binary kernel, Tensor a, Tensor b, int[] so, Tensor.Backward backward) {
        DType dtype = DType.of(a, b);
        if (a.dtype() == DType.FLOAT32 && dtype == DType.FLOAT32 && Arrays.equals(a.shape, so)) {
            if (b.dtype() == DType.FLOAT32 && Arrays.equals(b.shape, so)) {
                return record(op, FloatKernels.binary(kernel, a.floats(), b.floats()), so, backward, a, b);
            }
            if (b.size() == 1) {
                float c = (float) b.get(new int[b.dim()]);
                return record(op, FloatKernels.binary(kernel, a.floats(), c), so, backward, a, b);
            }
            if (b.dtype() == DType.FLOAT32 && b.dim() > 0 && b.size() == so[so.length - 1]
                    && b.shape[b.dim() - 1] == b.size()) { // a row broadcast down a's rows (a bias)
                return record(op, FloatKernels.binaryRows(kernel, a.floats(), b.floats()), so, backward, a, b);
            }
        }
        return record(op, Kernels.binary(kernel, in(dtype, a), a.shape, in(dtype, b), b.shape, so), so, backward, a, b);
    }

    /** t's elements as an op with a {@code dtype} result reads them: rounded to float for a float32 result. */
    private static double[] in(DType dtype, Tensor t) {
        return dtype == DType.FLOAT32 && t.dtype() == DType.FLOAT64 ? Tensor.widen(Tensor.narrow(t.data())) : t.readDoubles();
    }

    // ------------------------------------------------------------------ add
    static final Op ADD = Op.builtin("add").symbol("+").derivative("1", "1").rule("g", "g").broadcasts().build();

    static Tensor add(Tensor a, Tensor b) {
        return binary(ADD, Binary.ADD, a, b, (g, out) -> new Tensor[] {g.sumTo(a.shape), g.sumTo(b.shape)});
    }

    static Value add(Value a, Value b) {
        return Value.binary(ADD, a, b, a.data() + b.data(), 1, 1);
    }

    // ------------------------------------------------------------------ sub
    static final Op SUB = Op.builtin("sub").symbol("-").derivative("1", "-1").rule("g", "-g").broadcasts().build();

    static Tensor sub(Tensor a, Tensor b) {
        return binary(SUB, Binary.SUB, a, b, (g, out) -> new Tensor[] {g.sumTo(a.shape), g.neg().sumTo(b.shape)});
    }

    static Value sub(Value a, Value b) {
        return Value.binary(SUB, a, b, a.data() - b.data(), 1, -1);
    }

    // ------------------------------------------------------------------ mul
    static final Op MUL = Op.builtin("mul").symbol("*").derivative("b", "a").rule("g * b", "g * a").broadcasts()
            .build();

    static Tensor mul(Tensor a, Tensor b) {
        return binary(MUL, Binary.MUL, a, b, (g, out) -> new Tensor[] {
            a.requiresGrad ? g.chain(b).sumTo(a.shape) : null,
            b.requiresGrad ? g.chain(a).sumTo(b.shape) : null});
    }

    static Value mul(Value a, Value b) {
        return Value.binary(MUL, a, b, a.data() * b.data(), b.data(), a.data());
    }

    // ------------------------------------------------------------------ div
    static final Op DIV = Op.builtin("div").symbol("/").derivative("1/b", "-a/b^2").rule("g / b", "-g * out / b")
            .edges("IEEE 754 at b = 0: 1/0 = +inf, 0/0 = NaN; the derivatives 1/b and -(a/b)/b are then infinite"
                    + " (NaN where a is 0 too)")
            .domain(0.5, 2).readsOutput().broadcasts().build();

    static Tensor div(Tensor a, Tensor b) {
        // d/db = -(a/b)/b, not -a/b^2: b^2 would overflow or underflow long before the quotient does
        return binary(DIV, Binary.DIV, a, b, (g, out) -> new Tensor[] {
            a.requiresGrad ? g.chainDiv(b).sumTo(a.shape) : null,
            !b.requiresGrad ? null
                    : Arrays.equals(b.shape, out.shape) || out.dtype() == DType.FLOAT64
                    ? divBackward(g, out, b.broadcastTo(out.shape)).sumTo(b.shape)
                    : g.chain(out).chainDiv(b).neg().sumTo(b.shape)}); // float32 broadcasts rows without widening
    }

    /**
     * div's backward towards its divisor in one pass, differentiable itself: -(g * y) / b with y = a /
     * b, as g.chain(y).chainDiv(b).neg() (0 where g * y is 0, even where b is 0; -0.0 there, as the
     * negation gives), bit for bit in float64. A broadcast float64 divisor is copied to y's shape
     * first, and the result summed back to it (float32 keeps the composition there, whose float loops
     * broadcast rows without widening them: faster than the fused loop's widened copies). In float32
     * it is float64's result rounded once, as every float32 op's, where the composition rounded g * y
     * to float before dividing: it can differ by an ulp, and it neither overflows nor underflows where
     * g * y alone would.
     */
    static final Op DIV_BACKWARD = Op.builtin("divBackward").rule("-g' * y / b", "-g' * g / b", "g' * g * y / b^2")
            .edges("-0 where g * y is 0, even where b is 0, as the negated chain rule's quotient").domain(0.5, 2)
            .readsOutput().chainRule().build();

    static Tensor divBackward(Tensor g, Tensor y, Tensor b) {
        Tensor.Backward backward = (g2, o) -> { // the composition's backward, step by step
            Tensor h = g2.neg();
            Tensor towardsT = h.chainDiv(b);
            return new Tensor[] {towardsT.chain(y), ChainOps.bothChain(g, towardsT),
                ChainOps.bothChain(o.neg(), h).chainDiv(b).neg()};
        };
        return fused(DIV_BACKWARD, g, y, b, (gd, yd, bd, out, from, to) -> {
            for (int i = from; i < to; i++) {
                double t = ChainRule.chain(gd[i], yd[i]);
                out[i] = -ChainRule.chainDiv(t, bd[i]);
            }
        }, backward);
    }

    /**
     * A fused backward {@code op} of three tensors of one shape, computed in double by {@code loop}
     * (element-wise) on both threads, float32 on widened blocks and rounded once.
     */
    private static Tensor fused(Op op, Tensor x, Tensor y, Tensor z, FloatKernels.Loop3 loop, Tensor.Backward backward) {
        if (x.dtype() == DType.FLOAT32 && y.dtype() == DType.FLOAT32 && z.dtype() == DType.FLOAT32) {
            return record(op, FloatKernels.blocks(x.floats(), y.floats(), z.floats(), 2, loop), z.shape, backward, x, y, z);
        }
        double[] xd = x.readDoubles();
        double[] yd = y.readDoubles();
        double[] zd = z.readDoubles();
        double[] out = Arena.allocate(zd.length);
        Kernels.split(out.length, out.length * 2L, (from, to) -> loop.run(xd, yd, zd, out, from, to));
        return record(op, out, z.shape, backward, x, y, z);
    }

    static Value div(Value a, Value b) {
        double out = a.data() / b.data();
        return Value.binary(DIV, a, b, out, 1 / b.data(), -out / b.data());
    }

    // ------------------------------------------------------------------ pow
    static final Op POW = Op.builtin("pow").symbol("^").derivative("b*a^(b-1)", "out*ln(a)")
            .rule("g * b * a^(b-1)", "g * out * ln(a)")
            .edges("as C99's pow (0^0 = 1, 1^y = 1 even for y = NaN, (-1)^(+-inf) = 1; a negative base with a"
                    + " fractional exponent is NaN); d/da = 0 where b = 0"
                    + " (0^0.5 has +inf); d/db = 0 where a = 0 and b >= 0, NaN where a < 0 even for integer b;"
                    + " a constant exponent (pow(double)) is not differentiated, so x^3 at x = -2 has derivative 12")
            .domain(0.5, 2).broadcasts().build();

    static Tensor pow(Tensor a, Tensor b) {
        return binary(POW, Binary.POW, a, b, (g, out) -> {
            Tensor ga = null;
            Tensor gb = null;
            // masked entries get harmless operands first (exponent 1, log argument 1), so no infinity
            // or NaN is computed where the derivative is defined (anomaly mode checks intermediates).
            // Everything is computed in the result's type, as the forward was: the exponent and base
            // converted (a float64 exponent of a float32 result rounded, as PyTorch's), the constants
            // promoting nothing (a 0-d float32 pair stays float32)
            DType type = out.dtype();
            Tensor one = Tensor.constant(1, type);
            Tensor zero = Tensor.constant(0, type);
            Tensor e = b.to(type);
            if (a.requiresGrad) {
                if (b.requiresGrad && GradMode.isEnabled()) {
                    // a gradient of this gradient may flow to b: b a^(b-1) is made 0 at b = 0 by chain's
                    // zero rule, not by a mask, so its derivative in b there, a^-1, survives; at a = 0
                    // as well it is 0, as in PyTorch (and 0^-1 is not computed)
                    Tensor zeroBoth = e.eq(0).mul(a.eq(0));
                    Tensor power = where(zeroBoth, zero, a.pow(where(zeroBoth, one, e).sub(1)));
                    ga = g.chain(e.chain(power)).sumTo(a.shape);
                } else {
                    ga = pow(a, b, g);
                }
            }
            if (b.requiresGrad) {
                Tensor zeroBase = a.eq(0).mul(e.ge(0));
                // log of the base in the result's type, as PyTorch's pow_backward_exponent (a float32
                // base's log rounded to float would cost a float64 exponent its gradient's digits)
                Tensor d = a.pow(e).mul(where(zeroBase, one, a.to(type)).log());
                gb = g.chain(where(zeroBase, zero, d)).sumTo(b.shape);
            }
            return new Tensor[] {ga, gb};
        });
    }

    /**
     * d a^b / d a where no gradient flows to b through it: b * a^(b-1), 0 where b is 0, with the
     * exponent 1 put in where b is 0 so that nothing infinite or NaN is computed there.
     */
    private static Tensor baseDerivative(Tensor a, Tensor b) {
        Tensor zeroExp = b.eq(0);
        Tensor safeB = where(zeroExp, Tensor.constant(1, b.dtype()), b);
        return where(zeroExp, Tensor.constant(0, b.dtype()), safeB.mul(a.pow(safeB.sub(1))));
    }

    /**
     * pow's backward towards an unbroadcast base a where b takes no gradient through it (b needs none,
     * or no graph is being built), in one pass: g * b * a^(b-1), 0 where b is 0 or g is 0; b has a's
     * shape or one element. The bits of {@code g.chain(baseDerivative(a, b))}, which made seven arrays
     * the tensor's size, in float64; in float32 float64's result rounded once, as every float32 op's.
     * Differentiable itself, towards g and a, as that composition; b is an input taking no gradient.
     */
    static final Op POW_BACKWARD = Op.builtin("powBackward")
            .rule("g' * b * a^(b-1)", "g' * g * b * (b-1) * a^(b-2)", "none (b takes no gradient here)")
            .edges("0 where b is 0 or g is 0").domain(0.5, 2).chainRule().build();

    static Tensor powBackward(Tensor g, Tensor a, Tensor b) {
        // b is an input, so an in-place change to it before a second backward pass is caught; a float32
        // exponent of a float64 base is widened, as the first pass computed b - 1 in double
        Tensor.Backward backward = (g2, o) -> { // the composition's backward, step by step
            Tensor e = b.dtype() == g.dtype() ? b : b.to(g.dtype());
            Tensor zeroExp = e.eq(0);
            Tensor safeB = where(zeroExp, Tensor.constant(1, e.dtype()), e);
            Tensor power = a.pow(safeB.sub(1));
            Tensor d = where(zeroExp, Tensor.constant(0, e.dtype()), safeB.mul(power));
            Tensor towardsD = ChainOps.bothChain(g, g2);
            Tensor towardsPower = where(zeroExp, Tensor.constant(0, e.dtype()), towardsD).chain(safeB);
            return new Tensor[] {g2.chain(d), pow(a, safeB.sub(1), towardsPower), null};
        };
        double[] bd = in(DType.of(g, a), b); // a float64 exponent of a float32 pow rounded, as the forward's
        FloatKernels.Loop3 loop = bd.length == 1 ? (gd, ad, unused, out, from, to) -> ChainRule.powBackward(gd, ad, bd[0], out, from, to)
                : (gd, ad, ed, out, from, to) -> {
            for (int i = from; i < to; i++) {
                double e = ed[i];
                out[i] = gd[i] == 0 ? 0 : gd[i] * (e == 0 ? 0 : e * Kernels.pow(ad[i], e - 1));
            }
        };
        if (g.dtype() == DType.FLOAT32 && a.dtype() == DType.FLOAT32 && bd.length == 1 && bd[0] == 2) { // x^2: no widening
            return record(POW_BACKWARD, FloatKernels.squareBackward(g.floats(), a.floats()), a.shape, backward, g, a, b);
        }
        if (g.dtype() == DType.FLOAT32 && a.dtype() == DType.FLOAT32 && (bd.length == 1 || b.dtype() == DType.FLOAT32)) {
            return record(POW_BACKWARD, FloatKernels.blocks(g.floats(), a.floats(), bd.length == 1 ? null : b.floats(), 20,
                    loop), a.shape, backward, g, a, b);
        }
        double[] gd = g.readDoubles();
        double[] ad = a.readDoubles();
        double[] out = Arena.allocate(ad.length);
        Kernels.split(out.length, out.length * 20L, (from, to) -> loop.run(gd, ad, bd, out, from, to));
        return record(DType.of(g, a), POW_BACKWARD, out, a.shape, backward, g, a, b);
    }

    /**
     * pow's backward towards a alone, from its gradient g, for an exponent b that takes none: the
     * fused pass where a is not broadcast and b has a's shape or one element, else the composition.
     */
    private static Tensor pow(Tensor a, Tensor b, Tensor g) {
        int[] so = Shapes.broadcast("pow", a.shape, b.shape);
        return Arrays.equals(a.shape, so) && (b.size() == 1 || Arrays.equals(b.shape, so)) ? powBackward(g, a, b)
                : g.chain(baseDerivative(a, b)).sumTo(a.shape);
    }

    static Value pow(Value a, Value b) {
        double out = Kernels.pow(a.data(), b.data());
        double da = b.data() == 0 ? 0 : b.data() * Kernels.pow(a.data(), b.data() - 1);
        double db = b.isConstant() || (a.data() == 0 && b.data() >= 0) ? 0 : out * Math.log(a.data());
        return Value.binary(POW, a, b, out, da, db);
    }

    // ------------------------------------------------------------------ maximum (Tensor.maximum, Value.max), minimum
    static final Op MAXIMUM = Op.builtin("maximum")
            .derivative("1 if a > b, 0.5 if a = b, 0 if a < b, else 1", "1 if b > a, 0.5 if a = b, 0 if b < a, else 1")
            .rule("g where a > b (g/2 at ties, g where either is NaN)",
                    "g where b > a (g/2 at ties, g where either is NaN)")
            .edges("the larger operand; at a tie each input receives half the gradient; NaN if either input is NaN,"
                    + " and then both receive the whole gradient (as PyTorch), whichever side the NaN is on")
            .broadcasts().build();

    static Tensor maximum(Tensor a, Tensor b) {
        return binary(MAXIMUM, Binary.MAX, a, b, (g, out) -> {
            // compared in the result's type, as the forward compared them (a float64 0-d operand of a
            // float32 result is rounded first: a tie in float is a tie); a copy only where broadcast
            Tensor ab = a.to(out.dtype()).broadcastTo(out.shape);
            Tensor bb = b.to(out.dtype()).broadcastTo(out.shape);
            return new Tensor[] {a.requiresGrad ? maximumBackward(g, ab, bb).sumTo(a.shape) : null,
                b.requiresGrad ? maximumBackward(g, bb, ab).sumTo(b.shape) : null};
        });
    }

    /**
     * maximum's backward towards a (towards b with the operands swapped) in one pass, broadcast
     * operands copied to the result's shape first (and the result summed back): g times a's share, 1
     * where a &gt; b, 0.5 at a tie, 0 where a &lt; b, 1 where either is NaN, 0 where g is 0; the bits of the composition it replaces (comparisons, their sum, chain).
     * The share is constant between ties, so its backward sends nothing to a and b.
     */
    static final Op MAXIMUM_BACKWARD = Op.builtin("maximumBackward")
            .rule("g' * share(a, b)", "none (piecewise constant)", "none (piecewise constant)")
            .edges("the share: 1 where a > b, 0.5 at a tie, 0 where a < b, 1 where either is NaN; 0 where g is 0")
            .chainRule().build();

    static Tensor maximumBackward(Tensor g, Tensor a, Tensor b) {
        return fused(MAXIMUM_BACKWARD, g, a, b, (gd, ad, bd, out, from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = ChainRule.chain(gd[i], share(ad[i], bd[i]));
            }
        }, (g2, o) -> new Tensor[] {maximumBackward(g2, a, b), null, null});
    }

    static Value max(Value a, Value b) {
        return Value.binary(MAXIMUM, a, b, Math.max(a.data(), b.data()), share(a.data(), b.data()), share(b.data(), a.data()));
    }

    /** The scalar primitive of {@code Value.min}; {@code Tensor.minimum} is -maximum(-a, -b). */
    static final Op MINIMUM = Op.builtin("minimum")
            .derivative("1 if a < b, 0.5 if a = b, 0 if a > b, else 1", "1 if b < a, 0.5 if a = b, 0 if b > a, else 1")
            .edges("the smaller operand; ties and NaN as maximum").build();

    static Value min(Value a, Value b) {
        return Value.binary(MINIMUM, a, b, Math.min(a.data(), b.data()), share(b.data(), a.data()), share(a.data(), b.data()));
    }

    /**
     * x's share of max(x, y)'s gradient: 1 if x wins, 1/2 at a tie, 0 if x loses, 1 if either is NaN
     * (both comparisons false). Counted from 0/1 flags, not branches: on arrays whose operands cross
     * at random, the branches were mispredicted half the time.
     */
    private static double share(double x, double y) {
        return 1 - 0.5 * ((x <= y ? 1 : 0) + (x < y ? 1 : 0));
    }

    // ------------------------------------------------------------------ where
    static final Op WHERE = Op.builtin("where").rule("none (a mask)", "g where the mask holds", "g where it does not")
            .edges("the branch not selected receives a zero gradient, which every op sends back as exactly zero")
            .broadcasts().build();

    static Tensor select(Tensor condition, Tensor a, Tensor b) {
        Objects.requireNonNull(condition, "where: condition is null");
        Objects.requireNonNull(a, "where: a is null");
        Objects.requireNonNull(b, "where: b is null");
        int[] so = Shapes.broadcast("where", Shapes.broadcast("where", condition.shape, a.shape), b.shape);
        double[] c = Kernels.broadcastTo(condition.data(), condition.shape, so);
        double[] x = Kernels.broadcastTo(a.data(), a.shape, so);
        double[] y = Kernels.broadcastTo(b.data(), b.shape, so);
        double[] out = Arena.allocate(c.length);
        for (int i = 0; i < out.length; i++) {
            out[i] = c[i] != 0 ? x[i] : y[i];
        }
        Tensor zero = scalar(0);
        return record(DType.of(a, b), WHERE, out, so, (g, o) -> new Tensor[] {null,
            a.requiresGrad ? where(condition, g, zero).sumTo(a.shape) : null,
            b.requiresGrad ? where(condition, zero, g).sumTo(b.shape) : null}, condition, a, b);
    }

    // ------------------------------------------------------------------ comparisons (no gradient)

    static Tensor compare(String name, Binary kernel, Tensor a, Tensor b) {
        Objects.requireNonNull(b, () -> name + ": b is null");
        int[] so = Shapes.broadcast(name, a.shape, b.shape);
        DType dtype = DType.of(a, b);
        return Tensor.leaf(dtype, Kernels.binary(kernel, in(dtype, a), a.shape, in(dtype, b), b.shape, so), so);
    }
}
