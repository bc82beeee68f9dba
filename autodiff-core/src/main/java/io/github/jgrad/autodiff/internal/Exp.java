package io.github.jgrad.autodiff.internal;

/**
 * e^x over arrays at several elements per instruction on JDK 17, and the same function on one number
 * (so that {@code Value.exp} and {@code Tensor.exp} agree bit for bit); tanh and sigmoid, built on it
 * the same way (a block's exponentials first, then a branch-free choice per element).
 *
 * <p>x = k ln 2 + r with k an integer and |r| &lt;= ln(2)/2 (Cody and Waite's ln 2 in two parts,
 * reduced with fused multiply-adds), e^r by its Taylor polynomial of degree 13 (truncation error below
 * 0.05 ulp), and e^x = 2^k e^r. C2 vectorises the reduction and the polynomial but not building 2^k from
 * k's bits, so the array kernel makes two passes over each block of {@link #BLOCK} elements: the
 * polynomial into a buffer (vectorised, every array at offset 0 so that C2 can pair their accesses),
 * then the scaling (scalar, a few instructions per element). Where |x| &gt;= 707 (2^k near the ends of
 * the exponent range, overflow, subnormal results), at infinities and at NaN the result is
 * {@link Math#exp}'s. Within 1 ulp of {@link StrictMath#exp} everywhere (tested); it differs from
 * {@code Math.exp} in the last bit for about a quarter of arguments (neither rounds correctly always).
 * Softmax, log-softmax and erf's derivative use it too, so fused kernels equal their compositions.
 */
public final class Exp {
    /** Elements per block: three buffers of doubles take 12 KB, in the first-level cache. */
    static final int BLOCK = 512;
    static final double LOG2E = 0x1.71547652b82fep0;
    /** 1.5 * 2^52: x + SHIFTER rounds x to the nearest integer, held in the low bits of the sum. */
    static final double SHIFTER = 0x1.8p52;
    /** fdlibm's ln 2 in two parts: LN2_HI has 21 trailing zero bits, so k * LN2_HI is exact. */
    static final double LN2_HI = 0x1.62e42fee00000p-1;
    static final double LN2_LO = 0x1.a39ef35793c76p-33;
    /** Below this |x|, 2^k is a normal number and so is the result: one rounding, no overflow. */
    static final double LIMIT = 707;
    private static final ThreadLocal<double[][]> SCRATCH = ThreadLocal.withInitial(() -> new double[3][BLOCK]);

    private Exp() {
    }

    /** e^x, the same bits as the array kernel gives. */
    public static double exp(double x) {
        if (!(Math.abs(x) < LIMIT)) {
            return Math.exp(x);
        }
        double km = x * LOG2E + SHIFTER;
        return ofReduced(x, km - SHIFTER) * twoTo(km);
    }

    /** out[oo + i] = e^(a[ao + i]) for i in [0, n). */
    public static void exp(double[] a, int ao, double[] out, int oo, int n) {
        double[][] scratch = SCRATCH.get();
        double[] x = scratch[0];
        double[] p = scratch[1];
        double[] k = scratch[2];
        for (int b = 0; b < n; b += BLOCK) {
            int m = Math.min(BLOCK, n - b);
            System.arraycopy(a, ao + b, x, 0, m);
            for (int i = 0; i < m; i++) { // vectorised
                double km = x[i] * LOG2E + SHIFTER;
                p[i] = ofReduced(x[i], km - SHIFTER);
                k[i] = km;
            }
            int o = oo + b;
            for (int i = 0; i < m; i++) {
                out[o + i] = Math.abs(x[i]) < LIMIT ? p[i] * twoTo(k[i]) : Math.exp(x[i]);
            }
        }
    }

    /** e^r for r = x - k ln 2: the reduction and the polynomial ({@code VectorFunctions.exactExp} repeats it). */
    private static double ofReduced(double x, double k) {
        double r = Math.fma(-k, LN2_HI, x);
        r = Math.fma(-k, LN2_LO, r);
        double q = Math.fma(r, 1.0 / 6227020800L, 1.0 / 479001600);
        q = Math.fma(r, q, 1.0 / 39916800);
        q = Math.fma(r, q, 1.0 / 3628800);
        q = Math.fma(r, q, 1.0 / 362880);
        return Math.fma(r, taylorTail(r, Math.fma(r, q, 1.0 / 40320)), 1.0);
    }

    /**
     * Horner's last steps of e^r's Taylor polynomials, q * r + 1/7!, then 1/6! down to 1/1!: the tail
     * the float64, the float32 and tanh's e^t - 1 polynomials share (the same operations, in order).
     */
    private static double taylorTail(double r, double q) {
        q = Math.fma(r, q, 1.0 / 5040);
        q = Math.fma(r, q, 1.0 / 720);
        q = Math.fma(r, q, 1.0 / 120);
        q = Math.fma(r, q, 1.0 / 24);
        q = Math.fma(r, q, 1.0 / 6);
        q = Math.fma(r, q, 0.5);
        return Math.fma(r, q, 1.0);
    }

    /** 2^k for the integer k held in the low bits of {@code km} (k + SHIFTER). */
    private static double twoTo(double km) {
        return Double.longBitsToDouble((Double.doubleToRawLongBits(km) + 1023) << 52);
    }

    // Cephes' tanh for |x| < 0.625: x + x^3 P(x^2) / Q(x^2)
    private static final double TANH_P0 = -9.64399179425052238628E-1;
    private static final double TANH_P1 = -9.92877231001918586564E1;
    private static final double TANH_P2 = -1.61468768441708447952E3;
    private static final double TANH_Q0 = 1.12811678491632931402E2;
    private static final double TANH_Q1 = 2.23548839060100448583E3;
    private static final double TANH_Q2 = 4.84406305325125486048E3;

    /**
     * tanh(x) within 2 ulps of {@link StrictMath#tanh} (tested), faster than {@link Math#tanh}, which is
     * not an intrinsic on JDK 17: Cephes' rational approximation for |x| &lt; 0.625, and
     * 1 - 2 / (e^(2|x|) + 1) with {@link #exp} beyond; both on |x|, with x's sign put back, so +-1
     * beyond 22, x itself for tiny x (-0.0 included), NaN for NaN. The same bits as the array kernel.
     */
    public static double tanh(double x) {
        double z = Math.abs(x);
        return tanhOf(x, z < 0.625 ? 1 : exp(2 * z)); // below 0.625 the exponential only needs to be finite
    }

    /**
     * Blocks of arguments and of exponentials for tanh, sigmoid and Log's kernels: none of them calls
     * another while it holds them ({@link #exp} has buffers of its own).
     */
    static final ThreadLocal<double[][]> BLOCK_SCRATCH = ThreadLocal.withInitial(() -> new double[3][BLOCK]);

    /** tanh over a[from, to) into out: e^(2|x|) by the array exp, then {@link #tanhOf}. */
    static void tanh(double[] a, double[] out, int from, int to) {
        double[][] scratch = BLOCK_SCRATCH.get();
        double[] x = scratch[0];
        double[] e = scratch[1];
        for (int b = from; b < to; b += BLOCK) {
            int m = Math.min(BLOCK, to - b);
            expOfAbs(a, b, m, 2, x, e);
            for (int i = 0; i < m; i++) { // vectorised: every array at offset 0, no branch, no bit move
                e[i] = tanhOf(x[i], e[i]);
            }
            System.arraycopy(e, 0, out, b, m);
        }
    }

    /** 2^1000: a nonzero |x| times it twice is at least 2^926, so clamping it to [-1, 1] gives its sign. */
    private static final double HUGE = 0x1p1000;

    /**
     * tanh(x) given e^(2|x|) (any finite number where |x| &lt; 0.625), on z = |x|: the near form
     * z + z s P(s) / Q(s) (s = z^2) or the far form 1 + (-2) / (e^(2z) + 1), one kept by a 0/1 factor
     * before the one division (numerators, denominators and the leading terms blended), then x's sign
     * multiplied in: all arithmetic that C2 vectorises (no branch, which random data mispredicts half
     * the time, and no bit moves). The near form runs on z clamped to 0.625, so that the form not kept
     * is finite and its product with 0 is 0.
     */
    private static double tanhOf(double x, double e2z) {
        double z = Math.abs(x);
        double zn = Math.min(z, 0.625);
        double s = zn * zn;
        double isNear = Math.min(1.0, Math.max(0.0, (0.625 - z) * HUGE)); // 1 where z < 0.625, else 0; NaN for NaN
        double isFar = 1 - isNear;
        double numerator = isNear * (zn * s * ((TANH_P0 * s + TANH_P1) * s + TANH_P2)) + isFar * -2;
        double denominator = isNear * (((s + TANH_Q0) * s + TANH_Q1) * s + TANH_Q2) + isFar * (e2z + 1);
        return (isNear * zn + isFar + numerator / denominator) * sign(x);
    }

    /** +-1 by x's sign, +-0 for +-0, NaN for NaN: {@link Math#signum} in arithmetic that C2 vectorises. */
    private static double sign(double x) {
        return Math.min(1.0, Math.max(-1.0, x * HUGE * HUGE));
    }

    /**
     * 1 / (1 + e^-x) without overflow (e^x / (1 + e^x) below 0), with {@link #exp}: e = e^-|x|, then
     * 1 / (1 + e) or e / (1 + e) by x's sign, chosen without a branch. The same bits as the array kernel.
     */
    public static double sigmoid(double x) {
        return sigmoidOf(x, exp(-Math.abs(x)));
    }

    /** sigmoid over a[from, to) into out: e^-|x| by the array exp, then {@link #sigmoidOf}. */
    public static void sigmoid(double[] a, double[] out, int from, int to) {
        double[][] scratch = BLOCK_SCRATCH.get();
        double[] x = scratch[0];
        double[] e = scratch[1];
        for (int b = from; b < to; b += BLOCK) {
            int m = Math.min(BLOCK, to - b);
            expOfAbs(a, b, m, -1, x, e);
            for (int i = 0; i < m; i++) { // vectorised, as tanh's
                e[i] = sigmoidOf(x[i], e[i]);
            }
            System.arraycopy(e, 0, out, b, m);
        }
    }

    /**
     * a[b, b + m) into x, and e^(scale |x|) into e, all at offset 0: the first step of tanh's (scale 2),
     * sigmoid's and softplus's (scale -1) blocks.
     */
    static void expOfAbs(double[] a, int b, int m, double scale, double[] x, double[] e) {
        System.arraycopy(a, b, x, 0, m);
        for (int i = 0; i < m; i++) {
            e[i] = scale * Math.abs(x[i]);
        }
        exp(e, 0, e, 0, m);
    }

    /**
     * sigmoid(x) given e = e^-|x|: one quotient, its numerator 1 (x &gt;= 0, -0.0 included, where e is 1
     * anyway) or e (x &lt; 0), chosen by a 0/1 factor in arithmetic that C2 vectorises.
     */
    private static double sigmoidOf(double x, double e) {
        double nonNegative = Math.min(1.0, Math.max(0.0, x * HUGE * HUGE + 1)); // 1 where x >= 0, else 0
        return (nonNegative + (1 - nonNegative) * e) / (1 + e);
    }

    // ---------------------------------------------------------------- for float32 results

    /*
     * A float32 result needs its double only to within half a float ulp (2^-25 relative) to round to
     * the correctly rounded float or the one beside it (DType's promise), so these kernels trade
     * float64's last bits for arithmetic that C2 vectorises throughout: e^x as (e^(x/1024))^1024 (a
     * Taylor polynomial on |x/1024| <= 0.102, then ten squarings) builds no 2^k from bits, and tanh
     * uses e^(2x) - 1 squared up the same way ((1 + u)^2 - 1 = u (2 + u) keeps small values exact).
     * Relative error below 10^-11, 3000 times below half a float ulp (tested against StrictMath
     * over every 4999th float; every 97th was checked once, 44 million floats, worst 1 ulp). Each runs
     * in place on a block of doubles widened from floats.
     */

    /**
     * x[i] = op(x[i]) for i in [0, n), to float precision, for exp, tanh and sigmoid; false (x
     * untouched) for other ops, which float32 runs on float64's kernels.
     */
    static boolean forFloat(Kernels.Unary op, double[] x, int n) {
        switch (op) {
            case EXP -> expForFloat(x, n);
            case TANH -> tanhForFloat(x, n);
            case SIGMOID -> sigmoidForFloat(x, n);
            default -> {
                return false;
            }
        }
        return true;
    }

    /** x[i] = e^x[i] for i in [0, n), to float precision (see above). */
    static void expForFloat(double[] x, int n) {
        for (int i = 0; i < n; i++) {
            x[i] = expBySquaring(x[i]);
        }
    }

    /** x[i] = tanh(x[i]) for i in [0, n), to float precision. */
    static void tanhForFloat(double[] x, int n) {
        for (int i = 0; i < n; i++) {
            double t = Math.max(-9.1, Math.min(x[i], 9.1)) * 0x1p-5; // 2x / 64; beyond 9.1, tanh rounds to +-1f
            double q = Math.fma(t, 1.0 / 39916800, 1.0 / 3628800); // (e^t - 1) / t = sum of t^k / (k + 1)!
            q = Math.fma(t, q, 1.0 / 362880);
            double u = t * taylorTail(t, Math.fma(t, q, 1.0 / 40320)); // e^t - 1, then e^(2x) - 1 after six squarings
            u *= 2 + u;
            u *= 2 + u;
            u *= 2 + u;
            u *= 2 + u;
            u *= 2 + u;
            u *= 2 + u;
            x[i] = u / (u + 2);
        }
    }

    /** x[i] = sigmoid(x[i]) for i in [0, n), to float precision: {@link #sigmoidOf} on e^-|x|. */
    static void sigmoidForFloat(double[] x, int n) {
        for (int i = 0; i < n; i++) {
            x[i] = sigmoidOf(x[i], expBySquaring(-Math.abs(x[i])));
        }
    }

    /**
     * e^x to a few 10^-12 relative (3.6 * 10^-12 at x = -104): x clamped to [-104, 89] (beyond, the
     * float result is 0 or infinite either way; NaN stays NaN), e^(x/1024) by its Taylor polynomial of
     * degree 8, squared ten times.
     */
    private static double expBySquaring(double x) {
        double t = Math.max(-104.0, Math.min(x, 89.0)) * 0x1p-10;
        double e = Math.fma(t, taylorTail(t, 1.0 / 40320), 1.0);
        e *= e;
        e *= e;
        e *= e;
        e *= e;
        e *= e;
        e *= e;
        e *= e;
        e *= e;
        e *= e;
        e *= e;
        return e;
    }
}
