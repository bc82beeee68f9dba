package io.github.jgrad.autodiff.internal;

/**
 * log(1 + y) and log(x) over arrays at several elements per instruction on JDK 17, where
 * {@link Math#log1p} is not an intrinsic (about 13 ns a call) and {@link Math#log}, an intrinsic,
 * still takes one call per element; softplus, log(1 + e^x), built on log1p; the same functions on one
 * number, which {@code Value}'s log1p and softplus use, so that both engines agree bit for bit there.
 *
 * <p>log1p: on [-0.5, 1], where softplus and the logistic losses call it (on e^-|x|), log1p(y)
 * = 2 atanh(t/2) with t = 2y / (2 + y): t as a double-double (the quotient's exact remainder by a
 * fused multiply-add, and 2 + y's rounding error), then t (1 + w/3 + w^2/5 + ... + w^15/31) with
 * w = t^2/4 &lt;= 1/9, so the series' tail is below 2^-55. Elsewhere, and at NaN, the result is
 * {@code Math.log1p}'s. Within 1 ulp of {@link StrictMath#log1p} (tested); equal to it for about 92%
 * of arguments drawn uniformly from the range.
 *
 * <p>log: a normal positive x is 2^k m with m in [sqrt(1/2), sqrt(2)), read from its bits, and
 * log(x) = k ln 2 + log1p(m - 1) by the same series, summed so that one rounding is left at the
 * end. Subnormals, zeros, negatives, infinities and NaN take
 * {@code Math.log}. Within 1 ulp of {@link StrictMath#log} (tested); equal to it for 88-96% of
 * uniform arguments, depending on the range, most of the differences being StrictMath's own error
 * (against 30-digit arithmetic, correctly rounded for 99.6-99.8% of 30,000 arguments per range). On 10^6 doubles (JMH, both threads) it takes 2.8-3.1 ms where {@code Math.log} took
 * 4.4-4.8 ms. On one number its chain of dependent operations is slower than the intrinsic
 * {@code Math.log} (a Value's log forward and backward took 41-47 against 28-30 ns), so
 * {@code Value.log} keeps {@code Math.log}: the two engines' logs, and the gradients that take one
 * (pow's towards its exponent), may differ in the last bit. float32's
 * log takes k and m from the floats' bits and a shorter series, to float precision.
 */
public final class Log {
    private static final int BLOCK = Exp.BLOCK;

    private Log() {
    }

    /** log(1 + y), the same bits as the array kernel. */
    public static double log1p(double y) {
        return inRange(y) ? near(y) : Math.log1p(y);
    }

    /** out[from, to) = log1p(a[from, to)): the series for a block (vectorised), then the exceptions. */
    public static void log1p(double[] a, double[] out, int from, int to) {
        double[][] scratch = Exp.BLOCK_SCRATCH.get();
        double[] x = scratch[0];
        double[] y = scratch[1];
        for (int b = from; b < to; b += BLOCK) {
            int m = Math.min(BLOCK, to - b);
            System.arraycopy(a, b, x, 0, m);
            for (int i = 0; i < m; i++) { // clamped, so that no element outside the range costs anything here
                y[i] = near(Math.max(-0.5, Math.min(x[i], 1.0)));
            }
            for (int i = 0; i < m; i++) {
                out[b + i] = inRange(x[i]) ? y[i] : Math.log1p(x[i]);
            }
        }
    }

    /*
     * log(x) for a normal positive x = 2^k m, with m in [sqrt(1/2), sqrt(2)): k ln 2 + log1p(m - 1),
     * m - 1 being exact and in [-0.30, 0.42], inside the series' range. The series' result stays a
     * sum q + rest (see near), k ln 2 is split into k LN2_HI, exact for these |k| <= 1024, and
     * k LN2_LO (Exp's constants), and k LN2_HI + q is added exactly (|q| < 0.35 < |k LN2_HI| unless
     * k = 0), so that one rounding is left at the end, as in fdlibm's log.
     */
    private static final long MANTISSA = 0x000fffffffffffffL;
    private static final long SQRT2_MANTISSA = Double.doubleToRawLongBits(Math.sqrt(2)) & MANTISSA;

    /** log(x), the same bits as the array kernel. */
    public static double log(double x) {
        if (!isNormal(x)) {
            return Math.log(x);
        }
        long bits = Double.doubleToRawLongBits(x);
        return ofReduced(exponent(bits), mantissa(bits) - 1);
    }

    /**
     * out[from, to) = log(a[from, to)) in blocks: k and m - 1 from each argument's bits (a raw bit
     * move, not vectorised: about 1 ns an element), the series and the sum (vectorised, every array
     * at offset 0), then Math.log where the argument is not a normal positive number.
     */
    public static void log(double[] a, double[] out, int from, int to) {
        double[][] scratch = Exp.BLOCK_SCRATCH.get();
        double[] k = scratch[0];
        double[] y = scratch[1];
        double[] r = scratch[2];
        for (int b = from; b < to; b += BLOCK) {
            int m = Math.min(BLOCK, to - b);
            for (int i = 0; i < m; i++) { // any bits give finite k and y here; the last loop replaces those results
                long bits = Double.doubleToRawLongBits(a[b + i]);
                k[i] = exponent(bits);
                y[i] = mantissa(bits) - 1;
            }
            for (int i = 0; i < m; i++) { // vectorised (written in place into y or k, it measured 2-3x slower)
                r[i] = ofReduced(k[i], y[i]);
            }
            for (int i = 0; i < m; i++) {
                double x = a[b + i];
                out[b + i] = isNormal(x) ? r[i] : Math.log(x);
            }
        }
    }

    /**
     * out[from, to) = log(a[from, to)) for float32, read from the floats' bits as stored (no widening
     * pass): k and m - 1 as above, then k ln 2 + log1p(m - 1) to float precision (see
     * {@link #ofReducedForFloat}), rounded to float; floats that are not normal and positive take
     * float64's log. Correctly rounded or beside it (tested).
     */
    public static void log(float[] a, float[] out, int from, int to) {
        double[][] scratch = Exp.BLOCK_SCRATCH.get();
        double[] k = scratch[0];
        double[] y = scratch[1];
        double[] r = scratch[2];
        for (int b = from; b < to; b += BLOCK) {
            int m = Math.min(BLOCK, to - b);
            for (int i = 0; i < m; i++) {
                int bits = Float.floatToRawIntBits(a[b + i]);
                int up = (FLOAT_SQRT2_MANTISSA - 1 - (bits & FLOAT_MANTISSA)) >>> 31;
                k[i] = (bits >>> 23) - 127 + up;
                y[i] = (double) Float.intBitsToFloat((bits & FLOAT_MANTISSA) | ((127 - up) << 23)) - 1;
            }
            for (int i = 0; i < m; i++) {
                r[i] = ofReducedForFloat(k[i], y[i]);
            }
            for (int i = 0; i < m; i++) {
                float x = a[b + i];
                out[b + i] = x >= Float.MIN_NORMAL && x <= Float.MAX_VALUE ? (float) r[i] : (float) log((double) x);
            }
        }
    }

    private static final int FLOAT_MANTISSA = 0x007fffff;
    private static final int FLOAT_SQRT2_MANTISSA = Float.floatToRawIntBits((float) Math.sqrt(2)) & FLOAT_MANTISSA;
    private static final double LN2 = Math.log(2);

    /**
     * k ln 2 + log1p(y) for y = m - 1 in [-0.30, 0.42], to about 10^-15 relative, far more than a
     * float result needs: q = 2y / (2 + y) as rounded (no double-double), and the series to w^9
     * (w = q^2/4 &lt;= 0.03, so the rest is below 10^-16 of q).
     */
    private static double ofReducedForFloat(double k, double y) {
        double q = 2 * y / (2 + y);
        double w = 0.25 * q * q;
        double s = Math.fma(w, 1.0 / 19, 1.0 / 17);
        s = Math.fma(w, s, 1.0 / 15);
        s = Math.fma(w, s, 1.0 / 13);
        s = Math.fma(w, s, 1.0 / 11);
        s = Math.fma(w, s, 1.0 / 9);
        s = Math.fma(w, s, 1.0 / 7);
        s = Math.fma(w, s, 1.0 / 5);
        s = Math.fma(w, s, 1.0 / 3);
        return Math.fma(k, LN2, Math.fma(q * w, s, q));
    }

    private static boolean isNormal(double x) {
        return x >= Double.MIN_NORMAL && x <= Double.MAX_VALUE;
    }

    /** k: the exponent of x's bits, plus 1 where their mantissa lies at or above sqrt(2)'s. */
    private static double exponent(long bits) {
        return (double) ((bits >>> 52) - 1023 + up(bits));
    }

    /** m in [sqrt(1/2), sqrt(2)): x's mantissa over 1, halved where it lies at or above sqrt(2). */
    private static double mantissa(long bits) {
        return Double.longBitsToDouble((bits & MANTISSA) | ((1023 - up(bits)) << 52));
    }

    /** 1 where the mantissa of x's bits lies at or above sqrt(2)'s, else 0, without a branch. */
    private static long up(long bits) {
        return (SQRT2_MANTISSA - 1 - (bits & MANTISSA)) >>> 63;
    }

    /** k ln 2 + log1p(y), rounded once: see above. */
    private static double ofReduced(double k, double y) {
        double q = 2 * y / (2 + y);
        double hi = k * Exp.LN2_HI;
        double s = hi + q;
        return s + (((hi - s) + q) + Math.fma(k, Exp.LN2_LO, rest(y, q)));
    }

    /** log(1 + e^x) as max(x, 0) + log1p(e^-|x|): no overflow, no underflow to 0 before e^x does. */
    public static double softplus(double x) {
        return Math.max(x, 0) + near(Exp.exp(-Math.abs(x)));
    }

    /** out[from, to) = softplus(a[from, to)), the same bits as the scalar function. */
    public static void softplus(double[] a, double[] out, int from, int to) {
        double[][] scratch = Exp.BLOCK_SCRATCH.get();
        double[] x = scratch[0];
        double[] e = scratch[1];
        for (int b = from; b < to; b += BLOCK) {
            int m = Math.min(BLOCK, to - b);
            Exp.expOfAbs(a, b, m, -1, x, e);
            for (int i = 0; i < m; i++) { // e^-|x| lies in [0, 1]: the series always applies (near(0) is 0)
                e[i] = Math.max(x[i], 0) + near(e[i]);
            }
            System.arraycopy(e, 0, out, b, m);
        }
    }

    private static boolean inRange(double y) {
        return y >= -0.5 && y <= 1;
    }

    /** log1p(y) for y in [-0.5, 1] by the series above. */
    private static double near(double y) {
        double q = 2 * y / (2 + y);
        return -(-q - rest(y, q)); // q + the rest, but -0.0 at y = -0.0, where the rest is +0.0
    }

    /**
     * log1p(y) - q for y in [-0.5, 1] and q = 2y / (2 + y) rounded: the quotient's error c, so that
     * t = q + c to about 2^-104 relative, plus t's series beyond its first term.
     */
    private static double rest(double y, double q) {
        double d = 2 + y;
        double dErr = (2 - d) + y; // 2 + y = d + dErr exactly, as |y| <= 2
        double c = (Math.fma(-q, d, 2 * y) - q * dErr) / d;
        double w = 0.25 * q * q;
        return Math.fma(q, w * series(w), c);
    }

    /** 1/3 + w/5 + ... + w^14/31: 2 atanh(t/2) = t (1 + w series(w)) with w = t^2/4. */
    private static double series(double w) {
        double r = Math.fma(w, 1.0 / 31, 1.0 / 29);
        r = Math.fma(w, r, 1.0 / 27);
        r = Math.fma(w, r, 1.0 / 25);
        r = Math.fma(w, r, 1.0 / 23);
        r = Math.fma(w, r, 1.0 / 21);
        r = Math.fma(w, r, 1.0 / 19);
        r = Math.fma(w, r, 1.0 / 17);
        r = Math.fma(w, r, 1.0 / 15);
        r = Math.fma(w, r, 1.0 / 13);
        r = Math.fma(w, r, 1.0 / 11);
        r = Math.fma(w, r, 1.0 / 9);
        r = Math.fma(w, r, 1.0 / 7);
        r = Math.fma(w, r, 1.0 / 5);
        return Math.fma(w, r, 1.0 / 3);
    }
}
