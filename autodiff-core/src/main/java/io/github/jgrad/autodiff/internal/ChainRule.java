package io.github.jgrad.autodiff.internal;

import java.util.Arrays;

/**
 * The chain rule's kernels in double: the product and quotient that keep a zero gradient zero
 * ({@link #chain}, {@link #chainDiv}), the fused backwards' blocks ({@link #chained}) and the
 * backwards that are selects (clamp's {@link #inside}) or a specialised product (pow's
 * {@link #powBackward}). Through the Vector API where {@link Simd} has it, with these bits.
 */
public final class ChainRule {
    private ChainRule() {
    }

    /**
     * The chain rule's product g * d, but +0.0 where g is 0 even if d is infinite or NaN, by a mask on
     * the product's bits rather than a branch: gradients through a ReLU are zero at random, about half
     * the time, and the branch then mispredicted (this loop alone on such a gradient, 10^6 doubles on
     * one thread: 4.9 -> 0.75 ms). The same bits as {@code g == 0 ? 0 : g * d}.
     */
    public static double chain(double g, double d) {
        return Double.longBitsToDouble(Double.doubleToRawLongBits(g * d) & -(long) (g != 0 ? 1 : 0));
    }

    /**
     * out[from, to) = g where low &lt;= x &lt;= high, else +0.0 (clamp's backward): g's bits and a mask
     * of the two comparisons, no branch to mispredict; through the Vector API where there is one,
     * unless {@code vector} is false.
     */
    public static void inside(double[] g, double[] x, double low, double high, double[] out, int from, int to, boolean vector) {
        if (vector && Simd.exact(to - from)) {
            Simd.FUNCTIONS.inside(g, x, low, high, out, from, to);
            return;
        }
        for (int i = from; i < to; i++) {
            long in = -(long) ((x[i] >= low ? 1 : 0) & (x[i] <= high ? 1 : 0));
            out[i] = Double.longBitsToDouble(Double.doubleToRawLongBits(g[i]) & in);
        }
    }

    /** Elements per block of {@link #chained}: the local derivatives are still in L1 when g meets them. */
    private static final int CHAIN_BLOCK = 512;

    /** Writes d out / d a for the elements [from, to) into out[from, to), from an op's input or output a. */
    public interface Local {
        void run(double[] a, double[] out, int from, int to);
    }

    /**
     * out[from, to) = the chain rule's g * local (g / local with {@code divide}), +0.0 where g is 0,
     * local computed by {@code local} into out a block at a time: its loop vectorises, and so does
     * the chain rule's through the Vector API where there is one ({@link Simd}; else the masked
     * loops). The bits of {@link #chain} or {@link #chainDiv} of the same local derivative.
     */
    public static void chained(boolean divide, double[] g, double[] a, Local local, double[] out, int from, int to) {
        for (int s = from; s < to; s += CHAIN_BLOCK) {
            int e = Math.min(s + CHAIN_BLOCK, to);
            local.run(a, out, s, e);
            if (Simd.exact(e - s)) {
                Simd.FUNCTIONS.chain(divide, g, s, out, s, out, s, e - s);
            } else if (divide) {
                for (int i = s; i < e; i++) {
                    out[i] = chainDiv(g[i], out[i]);
                }
            } else {
                for (int i = s; i < e; i++) {
                    out[i] = chain(g[i], out[i]);
                }
            }
        }
    }

    /**
     * out[from, to) = pow's backward towards its base for one exponent e: {@link #chain}(g, e * a^(e-1)),
     * 0 where e is 0. Where the Vector API is in use ({@link Simd}) the local derivatives go into a
     * block first and the chain rule runs on it ({@link #chained}: float32's x^2 backward, before it
     * had a kernel of its own, 2.1x faster on JDK 25); without it one pass is faster (float64's x^2
     * backward 11% slower in blocks on JDK 17), so it stays.
     */
    public static void powBackward(double[] g, double[] a, double e, double[] out, int from, int to) {
        double em1 = e - 1;
        if (!Simd.exact(to - from)) {
            for (int i = from; i < to; i++) {
                out[i] = g[i] == 0 ? 0 : g[i] * (e == 0 ? 0 : e * Kernels.pow(a[i], em1)); // skips pow
            }
        } else if (e == 0) { // chain(g, 0): -0.0 for negative g, NaN for infinite g, as the loop above
            chained(false, g, a, (ad, d, s, t) -> Arrays.fill(d, s, t, 0.0), out, from, to);
        } else if (em1 == 1) { // e * a, Kernels.pow(a, 1) being a, in a loop C2 vectorises
            chained(false, g, a, (ad, d, s, t) -> {
                for (int i = s; i < t; i++) {
                    d[i] = e * ad[i];
                }
            }, out, from, to);
        } else {
            chained(false, g, a, (ad, d, s, t) -> {
                for (int i = s; i < t; i++) {
                    d[i] = e * Kernels.pow(ad[i], em1);
                }
            }, out, from, to);
        }
    }

    /** The chain rule's quotient g / d, +0.0 where g is 0 even if d is 0 or NaN, as {@link #chain}. */
    public static double chainDiv(double g, double d) {
        return Double.longBitsToDouble(Double.doubleToRawLongBits(g / d) & -(long) (g != 0 ? 1 : 0));
    }

    /**
     * -1 (all bits set) where x &gt; 0, else 0, without a branch: x &gt; 0 exactly when its bits, read
     * as a long, lie in [1, the bits of +inf] (NaN, zeros and negative numbers lie outside).
     */
    static long positive(double x) {
        long bits = Double.doubleToRawLongBits(x) - 1;
        return ((bits - 0x7ff0000000000000L) >> 63) & ~(bits >> 63);
    }
}
