package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.internal.Exp;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * jgrad's tanh (faster than Math.tanh on JDK 17) stays within 2 ulps of StrictMath.tanh everywhere, and
 * its array kernel (a block's exponentials first, then a branch-free choice) gives the scalar's bits.
 */
class TanhAccuracyTest {
    /** The distance between a and b in units in the last place (0 for two NaNs), across zero too. */
    static long ulps(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Double.isNaN(a) && Double.isNaN(b) ? 0 : Long.MAX_VALUE;
        }
        long x = Double.doubleToRawLongBits(a);
        long y = Double.doubleToRawLongBits(b);
        return (x < 0) == (y < 0) ? Math.abs(x - y) : Math.abs(x & Long.MAX_VALUE) + Math.abs(y & Long.MAX_VALUE);
    }

    @Test
    void withinTwoUlpsOfStrictMathOverTheWholeRange() {
        SplittableRandom r = new SplittableRandom(3);
        long worst = 0;
        for (int i = 0; i < 1_000_000; i++) {
            double x = switch (i % 4) {
                case 0 -> r.nextDouble(-0.7, 0.7);                  // the rational approximation, and the switch
                case 1 -> r.nextDouble(-25, 25);                    // the exp form, and saturation
                case 2 -> Math.scalb(r.nextDouble(1, 2), -r.nextInt(1075)) * (r.nextBoolean() ? 1 : -1); // down to subnormals
                default -> Double.longBitsToDouble(r.nextLong());  // any double, NaNs included
            };
            long u = ulps(Exp.tanh(x), StrictMath.tanh(x));
            assertTrue(u <= 2, "tanh(" + x + ") = " + Exp.tanh(x) + ", StrictMath " + StrictMath.tanh(x) + ": " + u
                    + " ulps");
            worst = Math.max(worst, u);
        }
        assertTrue(worst >= 1, "the check can see a difference: worst " + worst);
        double[] special = {0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, 0x1p-27, Math.nextDown(0x1p-27), 0.625,
            Math.nextDown(0.625), 22, Math.nextUp(22.0), Double.MAX_VALUE, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, Double.NaN};
        for (double x : special) {
            assertTrue(ulps(Exp.tanh(x), StrictMath.tanh(x)) <= 2, "tanh(" + x + ")");
        }
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(Exp.tanh(-0.0)), "-0.0 kept");
        assertEquals(1.0, Exp.tanh(Double.POSITIVE_INFINITY), 0);
    }

    @Test
    void theArrayKernelGivesTheScalarsBits() {
        SplittableRandom r = new SplittableRandom(4);
        double[] x = new double[20_001]; // several blocks, not a multiple of one, split over two threads
        for (int i = 0; i < x.length; i++) {
            x[i] = switch (i % 4) {
                case 0 -> r.nextDouble(-0.7, 0.7);
                case 1 -> r.nextDouble(-25, 25);
                case 2 -> i % 8 == 2 ? -0.0 : Double.MIN_VALUE;
                default -> Double.longBitsToDouble(r.nextLong());
            };
        }
        double[] got = Tensor.of(x).tanh().toArray();
        for (int i = 0; i < x.length; i++) {
            assertEquals(Double.doubleToLongBits(Exp.tanh(x[i])), Double.doubleToLongBits(got[i]), "tanh(" + x[i] + ")");
        }
    }

    @Test
    void valueAndTensorUseTheSameTanh() {
        double x = 0.4750638438162207; // a point where the result differs from StrictMath's in the last bits
        assertEquals(Exp.tanh(x), Value.of(x).tanh().data(), 0);
        assertEquals(Exp.tanh(x), Tensor.scalar(x).tanh().item(), 0);
    }
}
