package io.github.jgrad.autodiff.internal;

/**
 * sin and cos to float precision, for float32 tensors: over blocks of doubles widened from floats,
 * at several elements per instruction where {@link Math#sin} is a call per element (about 10 ns).
 *
 * <p>For |x| &lt; 2^20: k = x 2/pi rounded to an integer, r = x - k pi/2 by fdlibm's three 33-bit
 * parts of pi/2 (each product exact for these k), so |r| &lt;= pi/4 (a little beyond where x 2/pi
 * rounded up), then sin r and cos r by their Taylor polynomials to r^15 and r^16 (the rest below
 * 10^-16), the one k mod 4 asks for picked by multiplying with exact 0s and 1s, so that the loops
 * have no branch. About 10^-15 relative, far more than a float result needs. Zeros, |x| &gt;= 2^20,
 * infinities and NaN take {@code Math.sin}/{@code Math.cos}. The float result is correctly rounded or
 * the float beside it (tested, as exp's).
 */
final class Trig {
    private static final double TWO_OVER_PI = 0x1.45f306dc9c883p-1;
    private static final double PIO2_1 = 0x1.921fb544p0;          // fdlibm's pio2_1: pi/2's first 33 bits
    private static final double PIO2_2 = 0x1.0b4611a6p-34;        // fdlibm's pio2_2: the next 33
    private static final double PIO2_3 = 0x1.3198a2e037073p-69;   // the rest, to double precision
    /** 1.5 * 2^52: x + SHIFTER rounds x to an integer. */
    private static final double SHIFTER = 0x1.8p52;
    private static final double LIMIT = 0x1p20;
    private static final ThreadLocal<double[][]> SCRATCH = ThreadLocal.withInitial(() -> new double[2][FloatKernels.BLOCK]);

    private Trig() {
    }

    /**
     * y[i] = sin(x[i]) (or cos) for i in [0, n), n &lt;= {@link FloatKernels#BLOCK}, to float precision.
     * Two vectorised loops: the reduction with the signs of sin r and cos r in the result (one of
     * them 0), then the polynomials; as one loop its body was too large for C2 to vectorise (8.5
     * against 1.8 ns an element).
     */
    static void forFloat(boolean cos, double[] x, double[] y, int n) {
        double[][] scratch = SCRATCH.get();
        double[] sinSign = scratch[0];
        double[] cosSign = scratch[1];
        double quarter = cos ? 1 : 0; // cos x = sin(x + pi/2): one quadrant on
        for (int i = 0; i < n; i++) {
            double v = Math.max(-LIMIT, Math.min(x[i], LIMIT)); // beyond, and NaN, replaced below
            double k = Math.fma(v, TWO_OVER_PI, SHIFTER) - SHIFTER;
            y[i] = Math.fma(-k, PIO2_3, Math.fma(-k, PIO2_2, Math.fma(-k, PIO2_1, v)));
            double q = k + quarter;
            double half = floorOfHalf(q);
            double odd = q - 2 * half;                       // 1 where the quadrant asks for cos r
            double sign = 1 - 2 * (half - 2 * floorOfHalf(half)); // -1 in quadrants 2 and 3
            sinSign[i] = sign * (1 - odd);
            cosSign[i] = sign * odd;
        }
        for (int i = 0; i < n; i++) {
            double r = y[i];
            y[i] = sinOf(r) * sinSign[i] + cosOf(r) * cosSign[i]; // exact 0s and 1s: one of the two, signed
        }
        for (int i = 0; i < n; i++) {
            double v = x[i];
            if (!(Math.abs(v) < LIMIT) || v == 0) {
                y[i] = cos ? Math.cos(v) : Math.sin(v);
            }
        }
    }

    /** floor(q / 2) for an integer q, |q| &lt; 2^51, without Math.floor (which kept the loop scalar). */
    private static double floorOfHalf(double q) {
        return ((q * 0.5 - 0.25) + SHIFTER) - SHIFTER; // q/2 - 1/4 ends in .75 or .25: rounds to the floor
    }

    /** sin r for |r| &lt;= pi/4 + a little: r + r z (-1/3! + z/5! - ... - z^6/15!), z = r^2. */
    private static double sinOf(double r) {
        double z = r * r;
        double p = Math.fma(z, -1.0 / 1307674368000L, 1.0 / 6227020800L);
        p = Math.fma(z, p, -1.0 / 39916800);
        p = Math.fma(z, p, 1.0 / 362880);
        p = Math.fma(z, p, -1.0 / 5040);
        p = Math.fma(z, p, 1.0 / 120);
        p = Math.fma(z, p, -1.0 / 6);
        return Math.fma(r * z, p, r);
    }

    /** cos r for |r| &lt;= pi/4 + a little: 1 - z/2! + z^2/4! - ... + z^8/16!, z = r^2. */
    private static double cosOf(double r) {
        double z = r * r;
        double p = Math.fma(z, 1.0 / 20922789888000L, -1.0 / 87178291200L);
        p = Math.fma(z, p, 1.0 / 479001600);
        p = Math.fma(z, p, -1.0 / 3628800);
        p = Math.fma(z, p, 1.0 / 40320);
        p = Math.fma(z, p, -1.0 / 720);
        p = Math.fma(z, p, 1.0 / 24);
        p = Math.fma(z, p, -0.5);
        return Math.fma(z, p, 1.0);
    }
}
