package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.internal.Log;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * jgrad's log1p (a vectorised series on [-0.5, 1], Math.log1p elsewhere) stays within 1 ulp of
 * StrictMath.log1p, log (the same series after splitting off the exponent) within 1 ulp of
 * StrictMath.log (float32's log: FloatFunctionAccuracyTest), and softplus, built on log1p and on
 * jgrad's exp, within 2 ulps of the same formula on StrictMath. Arrays give the scalar functions'
 * bits; so do float32 tensors (rounded) and Values for softplus, while Value's log is Math.log's.
 */
class LogAccuracyTest {
    private static double draw(SplittableRandom r, int i) {
        return switch (i % 6) {
            case 0 -> r.nextDouble(-0.5, 1);                                // the series' range
            case 1 -> Math.exp(-Math.abs(5 * r.nextGaussian()));            // e^-|x|, as softplus and the losses call it
            case 2 -> Math.scalb(r.nextDouble(1, 2), -r.nextInt(1075)) * (r.nextBoolean() ? 1 : -1); // tiny, subnormal
            case 3 -> r.nextDouble(-1, 4);                                  // both sides of the range's ends
            case 4 -> new double[] {-0.0, 0.0, -0.5, 1, -1, -2, Double.NaN, Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY, Math.nextDown(-0.5), Math.nextUp(1.0)}[r.nextInt(11)];
            default -> Double.longBitsToDouble(r.nextLong());               // any double
        };
    }

    /**
     * f over x (300,001 arguments: many blocks, not a multiple of one, split over two threads): within
     * 1 ulp of {@code strict}, equal to it for more than {@code exactShare} of them, and the bits of
     * {@code scalar} everywhere. Returns f's results.
     */
    private static double[] check(String name, double[] x, UnaryOperator<Tensor> f, DoubleUnaryOperator strict,
            DoubleUnaryOperator scalar, double exactShare) {
        double[] got = f.apply(Tensor.of(x)).toArray();
        long exact = 0;
        for (int i = 0; i < x.length; i++) {
            double expected = strict.applyAsDouble(x[i]);
            long u = TanhAccuracyTest.ulps(got[i], expected);
            assertTrue(u <= 1, name + "(" + x[i] + ") = " + got[i] + ", StrictMath " + expected + ": " + u + " ulps");
            exact += u == 0 ? 1 : 0;
            assertEquals(Double.doubleToLongBits(scalar.applyAsDouble(x[i])), Double.doubleToLongBits(got[i]),
                    "array and scalar at " + x[i]);
        }
        assertTrue(exact > exactShare * x.length, name + ": " + exact + " of " + x.length + " exact");
        return got;
    }

    @Test
    void log1pIsWithinOneUlpOfStrictMathAndArraysGiveTheScalarsBits() {
        SplittableRandom r = new SplittableRandom(8);
        double[] x = new double[300_001];
        for (int i = 0; i < x.length; i++) {
            x[i] = draw(r, i);
        }
        check("log1p", x, Tensor::log1p, StrictMath::log1p, Log::log1p, 0.95);
        assertEquals(Double.doubleToLongBits(-0.0), Double.doubleToLongBits(Log.log1p(-0.0)), "log1p(-0.0) keeps its sign");
        assertEquals(Double.NEGATIVE_INFINITY, Log.log1p(-1), 0);
        assertTrue(Double.isNaN(Log.log1p(-1.5)));
    }

    private static double drawLogArgument(SplittableRandom r, int i) {
        return switch (i % 7) {
            case 0 -> r.nextDouble(0, 10);
            case 1 -> 1 + 1e-3 * r.nextGaussian();                                 // around 1, where log is small
            case 2 -> Math.scalb((r.nextBoolean() ? Math.sqrt(2) : Math.sqrt(0.5)) * (1 + 1e-9 * r.nextGaussian()),
                    r.nextInt(-1022, 1023));                                        // where the mantissa is halved or not
            case 3 -> Math.scalb(r.nextDouble(1, 2), -1074 + r.nextInt(60));        // subnormal and tiny normal
            case 4 -> Double.longBitsToDouble(r.nextLong() & Long.MAX_VALUE);       // any positive double
            case 5 -> new double[] {0.0, -0.0, 1, 2, 0.5, -1, Double.MIN_VALUE, Double.MIN_NORMAL,
                Math.nextDown(Double.MIN_NORMAL), Double.MAX_VALUE, Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY, Double.NaN, Math.sqrt(2), Math.nextDown(Math.sqrt(2))}[r.nextInt(15)];
            default -> Double.longBitsToDouble(r.nextLong());                       // any double, negatives and NaNs too
        };
    }

    @Test
    void logIsWithinOneUlpOfStrictMathAndArraysGiveTheScalarsBits() {
        SplittableRandom r = new SplittableRandom(10);
        double[] x = new double[300_001];
        for (int i = 0; i < x.length; i++) {
            x[i] = drawLogArgument(r, i);
        }
        double[] got = check("log", x, Tensor::log, StrictMath::log, Log::log, 0.9);
        for (int i = 0; i < 1000; i++) { // Value's log is Math.log's: within 1 ulp of the tensor's
            assertTrue(TanhAccuracyTest.ulps(got[i], Value.of(x[i]).log().data()) <= 1, "Value's log at " + x[i]);
        }
        assertEquals(Double.doubleToLongBits(0.0), Double.doubleToLongBits(Log.log(1)), "log(1) is +0");
        assertEquals(Double.NEGATIVE_INFINITY, Log.log(-0.0), 0);
        assertEquals(Double.POSITIVE_INFINITY, Log.log(Double.POSITIVE_INFINITY), 0);
        assertTrue(Double.isNaN(Log.log(-1e-300)));
        assertEquals(-744.4400719213812, Log.log(Double.MIN_VALUE), 0);
        assertEquals(709.782712893384, Log.log(Double.MAX_VALUE), 0);
    }

    @Test
    void softplusIsWithinTwoUlpsAndTensorsValuesAndFloat32Agree() {
        SplittableRandom r = new SplittableRandom(9);
        double[] x = new double[100_001];
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 3 == 0 ? 40 * r.nextGaussian() : i % 3 == 1 ? 3 * r.nextGaussian() : Double.longBitsToDouble(r.nextLong());
        }
        double[] got = Tensor.of(x).softplus().toArray();
        float[] single = Tensor.of(x).to(DType.FLOAT32).softplus().toFloatArray();
        for (int i = 0; i < x.length; i++) {
            double reference = Math.max(x[i], 0) + StrictMath.log1p(StrictMath.exp(-Math.abs(x[i])));
            assertTrue(TanhAccuracyTest.ulps(got[i], reference) <= 2, "softplus(" + x[i] + ") = " + got[i] + ", reference " + reference);
            assertEquals(Double.doubleToLongBits(Log.softplus(x[i])), Double.doubleToLongBits(got[i]), "array and scalar at " + x[i]);
            float f = (float) x[i];
            assertEquals(Float.floatToIntBits((float) Log.softplus(f)), Float.floatToIntBits(single[i]), "float32: float64's rounded, at " + f);
        }
        assertEquals(got[1], Value.of(x[1]).softplus().data(), 0, "Value's softplus is the tensor's");
        assertEquals(0.0, Log.softplus(Double.NEGATIVE_INFINITY), 0);
        assertEquals(Double.POSITIVE_INFINITY, Log.softplus(Double.POSITIVE_INFINITY), 0);
        assertEquals(Math.log(2), Log.softplus(0), 0);
        assertEquals(Math.exp(-745), Log.softplus(-745), 0, "no underflow before e^x does");
    }
}
