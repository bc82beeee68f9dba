package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.internal.Exp;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * jgrad's exp (two passes per block, the polynomial vectorised) stays within 1 ulp of StrictMath.exp, and
 * sigmoid, built on it, within 2 ulps of the same formula on StrictMath.exp.
 */
class ExpAccuracyTest {
    private static double draw(SplittableRandom r, int i) {
        return switch (i % 5) {
            case 0 -> r.nextDouble(-750, 750);                 // the whole range: overflow, subnormal results, 0
            case 1 -> 3 * r.nextGaussian();                    // where networks live
            case 2 -> r.nextDouble(-708.5, -706.5);            // around the switch to Math.exp and the subnormals
            case 3 -> Math.scalb(r.nextDouble(1, 2), -r.nextInt(1075)) * (r.nextBoolean() ? 1 : -1); // tiny x
            default -> Double.longBitsToDouble(r.nextLong()); // any double, NaNs and infinities included
        };
    }

    @Test
    void withinOneUlpOfStrictMathOverTheWholeRange() {
        SplittableRandom r = new SplittableRandom(5);
        long worst = 0;
        for (int i = 0; i < 1_000_000; i++) {
            double x = draw(r, i);
            long u = TanhAccuracyTest.ulps(Exp.exp(x), StrictMath.exp(x));
            assertTrue(u <= 1, "exp(" + x + ") = " + Exp.exp(x) + ", StrictMath " + StrictMath.exp(x) + ": " + u + " ulps");
            worst = Math.max(worst, u);
        }
        assertEquals(1, worst, "the check can see a difference");
        double[] special = {0.0, -0.0, Double.MIN_VALUE, 1, -1, 706.9999999999999, 707, -707, Math.nextDown(-707.0),
            709.782712893384, 709.7827128933841, -708.3964185322641, -745.1332191019411, -745.1332191019412, -746,
            Double.MAX_VALUE, -Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN};
        for (double x : special) {
            assertTrue(TanhAccuracyTest.ulps(Exp.exp(x), StrictMath.exp(x)) <= 1, "exp(" + x + ")");
        }
        assertEquals(1.0, Exp.exp(-0.0), 0);
        assertEquals(Double.POSITIVE_INFINITY, Exp.exp(709.7827128933841), 0);
        assertEquals(Double.MIN_VALUE, Exp.exp(-745.1332191019411), 0);
        assertEquals(0.0, Exp.exp(Double.NEGATIVE_INFINITY), 0);
    }

    @Test
    void arraysValuesAndTensorsGiveTheSameBits() {
        SplittableRandom r = new SplittableRandom(6);
        double[] x = new double[20_001]; // several blocks, not a multiple of one, split over two threads
        for (int i = 0; i < x.length; i++) {
            x[i] = draw(r, i);
        }
        double[] got = Tensor.of(x).exp().toArray();
        for (int i = 0; i < x.length; i++) {
            double expected = Exp.exp(x[i]);
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(got[i]), "exp(" + x[i] + ")");
        }
        double v = 0.41008081149220166; // Math.exp differs from this exp in the last bit here
        assertTrue(Exp.exp(v) != Math.exp(v), "a point that tells the two apart");
        assertEquals(Exp.exp(v), Value.of(v).exp().data(), 0);
    }

    @Test
    void sigmoidBuiltOnItStaysWithinTwoUlpsAndArraysGiveTheScalarsBits() {
        SplittableRandom r = new SplittableRandom(7);
        double[] x = new double[20_001];
        for (int i = 0; i < x.length; i++) {
            x[i] = i == 0 ? -0.0 : i == 1 ? Double.NaN : i == 2 ? Double.NEGATIVE_INFINITY : i == 3 ? 800 : draw(r, i);
        }
        double[] got = Tensor.of(x).sigmoid().toArray();
        for (int i = 0; i < x.length; i++) {
            double e = StrictMath.exp(-Math.abs(x[i]));
            double reference = x[i] >= 0 ? 1 / (1 + e) : e / (1 + e);
            assertTrue(TanhAccuracyTest.ulps(got[i], reference) <= 2, "sigmoid(" + x[i] + ") = " + got[i] + ", reference " + reference);
            assertEquals(Double.doubleToLongBits(Exp.sigmoid(x[i])),
                    Double.doubleToLongBits(got[i]), "array and scalar at " + x[i]);
        }
        assertEquals(0.5, got[0], 0, "sigmoid(-0.0)");
        assertEquals(0.0, got[2], 0, "sigmoid(-inf)");
        assertEquals(1.0, got[3], 0, "sigmoid(800)");
        assertEquals(got[5], Value.of(x[5]).sigmoid().data(), 0, "Value's sigmoid is the tensor's");
    }
}
