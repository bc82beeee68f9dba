package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.internal.Exp;
import io.github.jgrad.autodiff.internal.Log;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * float32 exp, tanh, sigmoid, log, sin and cos (kernels made for float results, not float64's rounded) keep
 * {@link DType}'s promise: the correctly rounded float or the one beside it, over every 4999th float
 * (every exponent, both signs, subnormals, NaNs) and densely where networks live, and exactly at the
 * edges (zeros, infinities, the overflow and underflow thresholds). They are float64's result rounded
 * for all but a handful of floats in 10^5.
 */
class FloatFunctionAccuracyTest {
    /** The distance between two floats in units in the last place (0 for two NaNs); +0 and -0 differ. */
    static long ulps(float a, float b) {
        if (Float.isNaN(a) || Float.isNaN(b)) {
            return Float.isNaN(a) && Float.isNaN(b) ? 0 : Long.MAX_VALUE;
        }
        long x = Float.floatToRawIntBits(a);
        long y = Float.floatToRawIntBits(b);
        x = x < 0 ? Integer.MIN_VALUE - x - 1 : x; // -0 one below +0, so the order of bits is the order of values
        y = y < 0 ? Integer.MIN_VALUE - y - 1 : y;
        return Math.abs(x - y);
    }

    private static float[] arguments() {
        SplittableRandom r = new SplittableRandom(11);
        int strided = (int) ((1L << 32) / 4999) + 1;
        float[] x = new float[strided + 300_000];
        int n = 0;
        for (long bits = Integer.MIN_VALUE; bits <= Integer.MAX_VALUE; bits += 4999) {
            x[n++] = Float.intBitsToFloat((int) bits);
        }
        while (n < x.length) {
            x[n] = (float) (r.nextGaussian() * (n % 3 == 0 ? 1 : n % 3 == 1 ? 5 : 40));
            n++;
        }
        return x;
    }

    private static void check(String name, UnaryOperator<Tensor> f, DoubleUnaryOperator strict, DoubleUnaryOperator float64) {
        float[] x = arguments();
        float[] got = f.apply(Tensor.of(x, x.length)).toFloatArray();
        int differ = 0;
        for (int i = 0; i < x.length; i++) {
            float reference = (float) strict.applyAsDouble(x[i]);
            assertTrue(ulps(got[i], reference) <= 1, name + "(" + x[i] + ") = " + got[i] + ", correctly rounded " + reference);
            if (Float.floatToIntBits(got[i]) != Float.floatToIntBits((float) float64.applyAsDouble(x[i]))) {
                differ++;
            }
        }
        assertTrue(differ <= x.length / 100_000, name + ": " + differ + " of " + x.length + " differ from float64's rounded");
    }

    private static double strictSigmoid(double x) {
        double e = StrictMath.exp(-Math.abs(x));
        return x >= 0 ? 1 / (1 + e) : e / (1 + e);
    }

    @Test
    void expIsCorrectlyRoundedOrBesideIt() {
        check("exp", Tensor::exp, StrictMath::exp, Exp::exp);
        float[] edges = {Float.NEGATIVE_INFINITY, -104f, -103.97f, -87.5f, 0f, -0f, 88.72283f, 88.72284f, 89f, Float.POSITIVE_INFINITY, Float.NaN};
        float[] got = Tensor.of(edges, edges.length).exp().toFloatArray();
        float[] expected = {0f, 0f, Float.MIN_VALUE, 9.982351e-39f, 1f, 1f, 3.4027985e38f, Float.POSITIVE_INFINITY,
            Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN};
        for (int i = 0; i < edges.length; i++) {
            assertEquals(expected[i], got[i], 0, "exp(" + edges[i] + ")");
        }
    }

    @Test
    void tanhIsCorrectlyRoundedOrBesideIt() {
        check("tanh", Tensor::tanh, StrictMath::tanh, Exp::tanh);
        float[] edges = {-0f, 0f, Float.MIN_VALUE, -1e-30f, 9.02f, -9.1f, 50f, Float.NEGATIVE_INFINITY, Float.NaN};
        float[] got = Tensor.of(edges, edges.length).tanh().toFloatArray();
        float[] expected = {-0f, 0f, Float.MIN_VALUE, -1e-30f, 1f, -1f, 1f, -1f, Float.NaN};
        for (int i = 0; i < edges.length; i++) {
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(got[i]), "tanh(" + edges[i] + ")");
        }
    }

    @Test
    void sigmoidIsCorrectlyRoundedOrBesideIt() {
        check("sigmoid", Tensor::sigmoid, FloatFunctionAccuracyTest::strictSigmoid, Exp::sigmoid);
        float[] edges = {-0f, 0f, -104f, -200f, 20f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        float[] got = Tensor.of(edges, edges.length).sigmoid().toFloatArray();
        float[] expected = {0.5f, 0.5f, 0f, 0f, 1f, 1f, 0f, Float.NaN};
        for (int i = 0; i < edges.length; i++) {
            assertEquals(expected[i], got[i], 0, "sigmoid(" + edges[i] + ")");
        }
    }

    @Test
    void logIsCorrectlyRoundedOrBesideIt() {
        check("log", Tensor::log, StrictMath::log, Log::log);
        float[] edges = {1f, -0f, 0f, Float.MIN_VALUE, Float.MIN_NORMAL, Math.nextDown(Float.MIN_NORMAL), Float.MAX_VALUE,
            Float.POSITIVE_INFINITY, -1f, Float.NEGATIVE_INFINITY, Float.NaN, 2f, (float) Math.sqrt(2)};
        float[] got = Tensor.of(edges, edges.length).log().toFloatArray();
        for (int i = 0; i < edges.length; i++) {
            assertEquals(Float.floatToIntBits((float) StrictMath.log(edges[i])), Float.floatToIntBits(got[i]), "log(" + edges[i] + ")");
        }
    }

    @Test
    void sinAndCosAreCorrectlyRoundedOrBesideThem() {
        check("sin", Tensor::sin, StrictMath::sin, Math::sin);
        check("cos", Tensor::cos, StrictMath::cos, Math::cos);
        float halfPi = (float) (Math.PI / 2);
        float[] edges = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, halfPi, (float) Math.PI, -(float) Math.PI, 0x1p20f,
            Math.nextDown(0x1p20f), -Math.nextDown(0x1p20f), 1e30f, Float.MAX_VALUE, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NaN, 355f, 103993f};
        float[] sin = Tensor.of(edges, edges.length).sin().toFloatArray();
        float[] cos = Tensor.of(edges, edges.length).cos().toFloatArray();
        for (int i = 0; i < edges.length; i++) {
            assertTrue(ulps((float) StrictMath.sin(edges[i]), sin[i]) <= 1, "sin(" + edges[i] + ") = " + sin[i]);
            assertTrue(ulps((float) StrictMath.cos(edges[i]), cos[i]) <= 1, "cos(" + edges[i] + ") = " + cos[i]);
        }
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(sin[1]), "sin(-0) is -0");
        assertEquals(1f, cos[1], 0, "cos(-0) is 1");
    }
}
