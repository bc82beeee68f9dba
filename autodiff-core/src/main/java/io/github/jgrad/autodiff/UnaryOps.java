package io.github.jgrad.autodiff;

import static io.github.jgrad.autodiff.Autograd.record;

import io.github.jgrad.autodiff.internal.Arena;
import io.github.jgrad.autodiff.internal.ChainRule;
import io.github.jgrad.autodiff.internal.Exp;
import io.github.jgrad.autodiff.internal.FloatKernels;
import io.github.jgrad.autodiff.internal.Kernels.Unary;
import io.github.jgrad.autodiff.internal.Kernels;
import io.github.jgrad.autodiff.internal.Log;
import org.apache.commons.numbers.gamma.Erf;

/**
 * The element-wise unary primitives, each defined once: its key, its tensor forward (a kernel) and
 * backward (tensor ops, so it can be differentiated again), its scalar value and local derivative,
 * its rule texts, edge points and test domain.
 */
final class UnaryOps {
    /** 2/sqrt(pi), the scale of erf's derivative, correctly rounded. */
    static final double TWO_OVER_SQRT_PI = 1.1283791670955126;

    private UnaryOps() {
    }

    private static Tensor unary(Op op, Unary kernel, Tensor a, Tensor.Backward backward) {
        return a.dtype() == DType.FLOAT32 ? record(op, FloatKernels.unary(kernel, a.floats()), a.shape, backward, a)
                : record(op, Kernels.unary(kernel, a.data()), a.shape, backward, a);
    }

    /**
     * A fused backward {@code op} of (g, y), computed in double by {@code loop} (element-wise: out[i]
     * from the gradient g[i] and the op's input or output y[i]) on both threads, float32 on widened
     * blocks and rounded once, and recorded with its own backward.
     */
    private static Tensor fused(Op op, Tensor g, Tensor y, long workPerElement, FloatKernels.Loop loop,
                                Tensor.Backward backward) {
        if (g.dtype() == DType.FLOAT32 && y.dtype() == DType.FLOAT32) {
            return record(op, FloatKernels.blocks(g.floats(), y.floats(), workPerElement, loop), y.shape, backward, g, y);
        }
        double[] gd = g.readDoubles();
        double[] yd = y.readDoubles();
        double[] out = Arena.allocate(yd.length);
        Kernels.split(out.length, out.length * workPerElement, (from, to) -> loop.run(gd, yd, out, from, to));
        return record(op, out, y.shape, backward, g, y);
    }

    /**
     * A fused backward {@code op} that is the chain rule's product g * local(y), or quotient with
     * {@code divide}: {@code local} writes the local derivatives from y ({@link ChainRule#chained}).
     */
    private static Tensor chained(Op op, Tensor g, Tensor y, boolean divide, ChainRule.Local local, Tensor.Backward backward) {
        return fused(op, g, y, 2, (gd, yd, out, from, to) -> ChainRule.chained(divide, gd, yd, local, out, from, to), backward);
    }

    /**
     * The product g * unary(a) of the chain rule, negated with {@code negate}: sin's and cos's backwards.
     * float32 computes unary(a) in float where its forward does ({@link FloatKernels#chainedFunction}):
     * only for functions whose float values keep the product within 2 ulp (not sigmoid, whose float
     * values below e^-87 are subnormal: times a huge g they would lose every digit).
     */
    private static Tensor chainedUnary(Op op, Tensor g, Tensor a, Unary unary, boolean negate, Tensor.Backward backward) {
        if (g.dtype() == DType.FLOAT32 && a.dtype() == DType.FLOAT32 && FloatKernels.onFloats(unary)) { // as the forward
            return record(op, FloatKernels.chainedFunction(g.floats(), a.floats(), unary, negate), a.shape, backward, g, a);
        }
        return chainedInDouble(op, g, a, unary, negate, backward);
    }

    /** {@link #chainedUnary} in double, for every dtype: the chain rule's bits of unary(a) in double. */
    private static Tensor chainedInDouble(Op op, Tensor g, Tensor a, Unary unary, boolean negate, Tensor.Backward backward) {
        return fused(op, g, a, 8, (gd, ad, out, from, to) -> {
            ChainRule.chained(false, gd, ad, (x, d, s, t) -> Kernels.unary(unary, x, d, s, t), out, from, to);
            if (negate) {
                for (int i = from; i < to; i++) {
                    out[i] = -out[i];
                }
            }
        }, backward);
    }

    // ------------------------------------------------------------------ neg
    static final Op NEG = Op.builtin("neg").derivative("-1").rule("-g").build();

    static Tensor neg(Tensor a) {
        return unary(NEG, Unary.NEG, a, (g, out) -> new Tensor[] {g.neg()});
    }

    static Value neg(Value a) {
        return Value.unary(NEG, a, -a.data(), -1);
    }

    // ------------------------------------------------------------------ exp
    static final Op EXP = Op.builtin("exp").derivative("out").rule("g * out").readsOutput().build();

    static Tensor exp(Tensor a) {
        return unary(EXP, Unary.EXP, a, (g, out) -> new Tensor[] {g.chain(out)});
    }

    static Value exp(Value a) {
        double out = Exp.exp(a.data()); // Tensor.exp's function, bit for bit (also on the Vector API)
        return Value.unary(EXP, a, out, out);
    }

    // ------------------------------------------------------------------ log
    static final Op LOG = Op.builtin("log").derivative("1/a").rule("g / a")
            .edges("NaN below 0, -inf at 0; the derivative 1/a is +inf at +0 (-inf at -0) and applied as is below 0"
                    + " (as PyTorch)")
            .domain(0.5, 3).build();

    static Tensor log(Tensor a) {
        return unary(LOG, Unary.LOG, a, (g, out) -> new Tensor[] {g.chainDiv(a)});
    }

    static Value log(Value a) {
        return Value.unary(LOG, a, Math.log(a.data()), 1 / a.data()); // faster on one number than Log.log (see there)
    }

    // ------------------------------------------------------------------ log1p
    static final Op LOG1P = Op.builtin("log1p").rule("g / (1 + a)")
            .edges("log(1 + a), accurate for small a (within 1 ulp of StrictMath.log1p); -inf at -1, NaN below").domain(-0.5, 2).build();

    static Tensor log1p(Tensor a) {
        return unary(LOG1P, Unary.LOG1P, a, (g, out) -> new Tensor[] {log1pBackward(g, a)});
    }

    /** log1p's backward in one pass, differentiable itself: g / (1 + a), as g.chainDiv(a + 1). */
    static final Op LOG1P_BACKWARD = Op.builtin("log1pBackward").rule("g' / (1 + a)", "-g' * out / (1 + a)")
            .edges("0 where g is 0, even where a is -1, as the chain rule's quotient").domain(-0.5, 2).readsOutput()
            .chainRule().build();

    static Tensor log1pBackward(Tensor g, Tensor a) {
        return chained(LOG1P_BACKWARD, g, a, true, (ad, out, from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = ad[i] + 1;
            }
        }, (g2, o) -> new Tensor[] {log1pBackward(g2, a), ChainOps.bothChain(o, g2).chainDiv(a.add(1)).neg()});
    }

    // ------------------------------------------------------------------ sqrt
    static final Op SQRT = Op.builtin("sqrt").derivative("1/(2*out)").rule("g / (2 * out)")
            .edges("NaN below 0; sqrt(-0) is -0; the derivative 1/(2 sqrt(a)) is +inf at +0, -inf at -0 (as PyTorch)").domain(0.5, 3).readsOutput().build();

    static Tensor sqrt(Tensor a) {
        return unary(SQRT, Unary.SQRT, a, (g, out) -> new Tensor[] {sqrtBackward(g, out)});
    }

    /** sqrt's backward in one pass, differentiable itself: g / (2 y), 0 where g is 0 (the chain rule's quotient). */
    static final Op SQRT_BACKWARD = Op.builtin("sqrtBackward").rule("g' / (2 y)", "-g' * out / y")
            .edges("0 where g is 0, even where y is 0, as the chain rule's quotient").domain(0.5, 2).readsOutput()
            .chainRule().build();

    static Tensor sqrtBackward(Tensor g, Tensor y) {
        Tensor.Backward backward = (g2, o) -> new Tensor[] {
            g2.chainDiv(y.mul(2)), ChainOps.bothChain(o, g2).chainDiv(y).neg()};
        // float32: float's quotient is double's rounded, and y, a float32 square root (below 2^64), doubles exactly
        if (g.dtype() == DType.FLOAT32 && y.dtype() == DType.FLOAT32) {
            float[] gf = g.floats();
            float[] yf = y.floats();
            float[] out = Arena.allocateFloats(yf.length);
            Kernels.split(out.length, out.length, (from, to) -> {
                for (int s = from; s < to; s += 512) { // 2y into a block (exact), then g / 2y there
                    int e = Math.min(s + 512, to);
                    for (int i = s; i < e; i++) {
                        out[i] = 2 * yf[i];
                    }
                    FloatKernels.chain(true, gf, out, 0, out, s, e);
                }
            });
            return record(SQRT_BACKWARD, out, y.shape, backward, g, y);
        }
        return chained(SQRT_BACKWARD, g, y, true, (yd, out, from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = 2 * yd[i];
            }
        }, backward);
    }

    static Value sqrt(Value a) {
        double out = Math.sqrt(a.data());
        return Value.unary(SQRT, a, out, 0.5 / out);
    }

    // ------------------------------------------------------------------ tanh
    static final Op TANH = Op.builtin("tanh").derivative("1 - out^2").rule("g * (1 - out^2)").readsOutput().build();

    static Tensor tanh(Tensor a) {
        return unary(TANH, Unary.TANH, a, (g, out) -> new Tensor[] {tanhBackward(g, out)});
    }

    /** tanh's backward in one pass, differentiable itself: g * (1 - y^2), as g.chain(1 - y^2). */
    static final Op TANH_BACKWARD = Op.builtin("tanhBackward").rule("g' * (1 - y^2)", "-2 * g' * g * y")
            .edges("0 where g is 0, as the chain rule's products").chainRule().build();

    static Tensor tanhBackward(Tensor g, Tensor y) {
        return chained(TANH_BACKWARD, g, y, false, (yd, out, from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = 1 - yd[i] * yd[i];
            }
        }, (g2, o) -> new Tensor[] {g2.chain(y.mul(y).neg().add(1)), g2.chain(g.mul(y).mul(-2))});
    }

    static Value tanh(Value a) {
        double out = Exp.tanh(a.data());
        return Value.unary(TANH, a, out, 1 - out * out);
    }

    // ------------------------------------------------------------------ sigmoid
    static final Op SIGMOID = Op.builtin("sigmoid").derivative("out*(1 - out)").rule("g * out * (1 - out)")
            .edges("computed without overflow for large |a|").readsOutput().build();

    static Tensor sigmoid(Tensor a) {
        return unary(SIGMOID, Unary.SIGMOID, a, (g, out) -> new Tensor[] {sigmoidBackward(g, out)});
    }

    /** sigmoid's backward in one pass, differentiable itself: g * y (1 - y), as g.chain(y (1 - y)). */
    static final Op SIGMOID_BACKWARD = Op.builtin("sigmoidBackward").rule("g' * y * (1 - y)", "g' * g * (1 - 2y)")
            .edges("0 where g is 0, as the chain rule's products").chainRule().build();

    static Tensor sigmoidBackward(Tensor g, Tensor y) {
        return chained(SIGMOID_BACKWARD, g, y, false, (yd, out, from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = yd[i] * (1 - yd[i]);
            }
        }, (g2, o) -> new Tensor[] {g2.chain(y.mul(y.neg().add(1))), g2.chain(g.mul(y.mul(-2).add(1)))});
    }

    static Value sigmoid(Value a) {
        double out = Exp.sigmoid(a.data()); // Tensor.sigmoid's bits, unless -Djgrad.functions=vector
        return Value.unary(SIGMOID, a, out, out * (1 - out));
    }

    // ------------------------------------------------------------------ softplus
    static final Op SOFTPLUS = Op.builtin("softplus").derivative("sigmoid(a)").rule("g * sigmoid(a)")
            .edges("log(1 + e^a) as max(a, 0) + log1p(e^-|a|): no overflow for large a, no underflow to 0"
                    + " before e^a does for very negative a; NaN stays NaN")
            .domain(-3, 3).build();

    static Tensor softplus(Tensor a) {
        return unary(SOFTPLUS, Unary.SOFTPLUS, a, (g, o) -> new Tensor[] {softplusBackward(g, a)});
    }

    /** softplus's backward in one pass, differentiable itself: g * sigmoid(a), as g.chain(a.sigmoid()). */
    static final Op SOFTPLUS_BACKWARD = Op.builtin("softplusBackward")
            .rule("g' * sigmoid(a)", "g' * g * sigmoid(a) * (1 - sigmoid(a))")
            .edges("0 where g is 0, as the chain rule's products").chainRule().build();

    static Tensor softplusBackward(Tensor g, Tensor a) {
        return chainedInDouble(SOFTPLUS_BACKWARD, g, a, Unary.SIGMOID, false,
                (g2, o) -> new Tensor[] {softplusBackward(g2, a), sigmoidBackward(ChainOps.bothChain(g, g2), a.sigmoid())});
    }

    static Value softplus(Value a) {
        return Value.unary(SOFTPLUS, a, Log.softplus(a.data()), Exp.sigmoid(a.data())); // Tensor's bits
    }

    // ------------------------------------------------------------------ relu
    static final Op RELU = Op.builtin("relu").derivative("1 if a > 0, else 0").rule("g where a > 0")
            .edges("relu'(0) = 0, as PyTorch; NaN stays NaN, its derivative 0 (as JAX; PyTorch's is 1);"
                    + " backward is a select, so 0 * inf stays 0").build();

    static Tensor relu(Tensor a) {
        return unary(RELU, Unary.RELU, a, (g, out) -> new Tensor[] {ChainOps.gate(g, a)});
    }

    static Value relu(Value a) {
        double x = a.data();
        return Value.unary(RELU, a, x > 0 || Double.isNaN(x) ? x : 0, x > 0 ? 1 : 0);
    }

    // ------------------------------------------------------------------ sin, cos
    static final Op SIN = Op.builtin("sin").derivative("cos(a)").rule("g * cos(a)").build();

    static Tensor sin(Tensor a) {
        return unary(SIN, Unary.SIN, a, (g, out) -> new Tensor[] {sinBackward(g, a)});
    }

    /** sin's backward in one pass, differentiable itself: g * cos(a), as g.chain(a.cos()). */
    static final Op SIN_BACKWARD = Op.builtin("sinBackward").rule("g' * cos(a)", "-g' * g * sin(a)")
            .edges("0 where g is 0, as the chain rule's products").chainRule().build();

    static Tensor sinBackward(Tensor g, Tensor a) {
        return chainedUnary(SIN_BACKWARD, g, a, Unary.COS, false,
                (g2, o) -> new Tensor[] {sinBackward(g2, a), cosBackward(ChainOps.bothChain(g, g2), a)});
    }

    static Value sin(Value a) {
        return Value.unary(SIN, a, Math.sin(a.data()), Math.cos(a.data()));
    }

    static final Op COS = Op.builtin("cos").derivative("-sin(a)").rule("-g * sin(a)").build();

    static Tensor cos(Tensor a) {
        return unary(COS, Unary.COS, a, (g, out) -> new Tensor[] {cosBackward(g, a)});
    }

    /** cos's backward in one pass, differentiable itself: -(g * sin(a)), as g.chain(a.sin()).neg(). */
    static final Op COS_BACKWARD = Op.builtin("cosBackward").rule("-g' * sin(a)", "-g' * g * cos(a)")
            .edges("-0 where g is 0, as the negated chain rule's product").chainRule().build();

    static Tensor cosBackward(Tensor g, Tensor a) {
        return chainedUnary(COS_BACKWARD, g, a, Unary.SIN, true,
                (g2, o) -> new Tensor[] {g2.neg().chain(a.sin()), sinBackward(ChainOps.bothChain(g, g2.neg()), a)});
    }

    static Value cos(Value a) {
        return Value.unary(COS, a, Math.cos(a.data()), -Math.sin(a.data()));
    }

    // ------------------------------------------------------------------ abs
    static final Op ABS = Op.builtin("abs").derivative("sign(a)").rule("g * sign(a)")
            .edges("abs'(0) = 0, as PyTorch").build();

    static Tensor abs(Tensor a) {
        return unary(ABS, Unary.ABS, a,
                (g, out) -> new Tensor[] {ChainOps.chainSign(g, a)});
    }

    static Value abs(Value a) {
        return Value.unary(ABS, a, Math.abs(a.data()), Math.signum(a.data()));
    }

    // ------------------------------------------------------------------ erf
    static final Op ERF = Op.builtin("erf").derivative("2/sqrt(pi)*exp(-a^2)").rule("g * 2/sqrt(pi) * exp(-a^2)")
            .edges("accurate to about 1 ulp (Apache Commons Numbers' Erf); gradients of every order").build();

    static Tensor erf(Tensor a) {
        return unary(ERF, Unary.ERF, a, (g, out) -> new Tensor[] {erfBackward(g, a)});
    }

    /**
     * erf's backward in one pass, differentiable itself: g * 2/sqrt(pi) * exp(-a^2), 0 where g is 0; the
     * exponentials a block at a time by {@link Exp}'s array kernel. In float64 the same bits as the
     * composition it replaced; in float32 float64's result rounded once, where the composition rounded
     * each step. Its own backward multiplies in the composition's order, so that exp(-a^2) = 0 at
     * infinite a gives 0, not 0 * inf.
     */
    static final Op ERF_BACKWARD = Op.builtin("erfBackward")
            .rule("g' * 2/sqrt(pi) * exp(-a^2)", "-2 * a * g' * g * 2/sqrt(pi) * exp(-a^2)")
            .edges("0 where g is 0, as the chain rule's products").chainRule().build();

    static Tensor erfBackward(Tensor g, Tensor a) {
        return fused(ERF_BACKWARD, g, a, 8, (gd, ad, out, from, to) -> {
            for (int b = from; b < to; b += 512) {
                int m = Math.min(512, to - b);
                for (int i = b; i < b + m; i++) {
                    out[i] = -(ad[i] * ad[i]);
                }
                Kernels.unary(Unary.EXP, out, out, b, b + m);
                for (int i = b; i < b + m; i++) {
                    out[i] = ChainRule.chain(gd[i], out[i] * TWO_OVER_SQRT_PI);
                }
            }
        }, (g2, o) -> {
            Tensor e = a.mul(a).neg().exp();
            return new Tensor[] {g2.chain(e.mul(TWO_OVER_SQRT_PI)),
                ChainOps.bothChain(g, g2).mul(TWO_OVER_SQRT_PI).chain(e).chain(a).mul(-2)};
        });
    }

    static Value erf(Value a) {
        return Value.unary(ERF, a, Erf.value(a.data()), TWO_OVER_SQRT_PI * Exp.exp(-a.data() * a.data()));
    }

    // ------------------------------------------------------------------ clamp
    static final Op CLAMP = Op.builtin("clamp").rule("g where a is inside the bounds")
            .edges("the gradient passes where low <= a <= high, bounds included, as PyTorch").build();

    static Tensor clamp(Tensor a, double low, double high) {
        if (!(low <= high)) {
            throw new IllegalArgumentException("clamp: need low <= high, got " + low + ", " + high);
        }
        // a float tensor's bounds are the doubles rounded to float (DType), in the backward's mask too:
        // a float equal to a rounded bound is on it, as PyTorch compares in float32
        double lowIn = a.dtype() == DType.FLOAT32 ? (float) low : low;
        double highIn = a.dtype() == DType.FLOAT32 ? (float) high : high;
        Tensor.Backward backward = (g, o) -> new Tensor[] {clampBackward(g, a, lowIn, highIn)};
        // x < low ? low : x > high ? high : x. Math.max(low, Math.min(high, x)) gives the same bits (NaN
        // stays NaN, an input on a bound stays itself) and vectorises, except for an input zero on a
        // bound zero of the other sign; the masks handle those bounds without a branch to mispredict
        boolean signedZeroBound = Double.doubleToRawLongBits(low) == 0 || Double.doubleToRawLongBits(high) == Long.MIN_VALUE;
        if (a.dtype() == DType.FLOAT32) { // a float's bound is the double bound rounded, as float64's result would be
            float[] x = a.floats();
            float[] out = Arena.allocateFloats(x.length);
            float lo = (float) low;
            float hi = (float) high;
            int loBits = Float.floatToRawIntBits(lo);
            int hiBits = Float.floatToRawIntBits(hi);
            Kernels.split(x.length, x.length, (from, to) -> {
                if (!signedZeroBound) {
                    for (int i = from; i < to; i++) {
                        out[i] = Math.max(lo, Math.min(hi, x[i]));
                    }
                    return;
                }
                for (int i = from; i < to; i++) {
                    int below = -(x[i] < low ? 1 : 0);
                    int above = -(x[i] > high ? 1 : 0);
                    out[i] = Float.intBitsToFloat(Float.floatToRawIntBits(x[i]) & ~(below | above) | loBits & below | hiBits & above);
                }
            });
            return record(CLAMP, out, a.shape, backward, a);
        }
        double[] x = a.data();
        double[] out = Arena.allocate(x.length);
        long loBits = Double.doubleToRawLongBits(low);
        long hiBits = Double.doubleToRawLongBits(high);
        Kernels.split(x.length, x.length, (from, to) -> {
            if (!signedZeroBound) {
                for (int i = from; i < to; i++) {
                    out[i] = Math.max(low, Math.min(high, x[i]));
                }
                return;
            }
            for (int i = from; i < to; i++) {
                long below = -(long) (x[i] < low ? 1 : 0);
                long above = -(long) (x[i] > high ? 1 : 0);
                out[i] = Double.longBitsToDouble(Double.doubleToRawLongBits(x[i]) & ~(below | above) | loBits & below | hiBits & above);
            }
        });
        return record(CLAMP, out, a.shape, backward, a);
    }

    /**
     * clamp's backward in one pass, computed when a gradient is asked for (not in the forward): g where
     * low &lt;= a &lt;= high, else 0, a select as relu's; linear in g, so its backward clamps too.
     */
    static final Op CLAMP_BACKWARD = Op.builtin("clampBackward").rule("g' where low <= a <= high", "none (a mask)")
            .edges("a select, not a product: 0 outside the bounds even where g is infinite or NaN").domain(0.5, 2).build();

    static Tensor clampBackward(Tensor g, Tensor a, double low, double high) {
        Tensor.Backward backward = (g2, o) -> new Tensor[] {clampBackward(g2, a, low, high), null};
        if (g.dtype() == DType.FLOAT32 && a.dtype() == DType.FLOAT32) { // a select: exact in float, no widened copies
            float[] gf = g.floats();
            float[] af = a.floats();
            float[] out = Arena.allocateFloats(af.length);
            Kernels.split(out.length, out.length, (from, to) -> FloatKernels.inside(gf, af, low, high, out, from, to, true));
            return record(CLAMP_BACKWARD, out, a.shape, backward, g, a);
        }
        return fused(CLAMP_BACKWARD, g, a, 1, (gd, ad, out, from, to) -> ChainRule.inside(gd, ad, low, high, out, from, to, true),
                backward);
    }
}
