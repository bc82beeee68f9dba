package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Values and derivatives at the edges of each op's domain, the same for Value and Tensor, following
 * PyTorch's derivatives.yaml: the points are in the op table ({@link OpTable#edges}), keyed by op like
 * its rows; here they are checked, with the edge cases that are not one op at one point.
 */
class EdgePointTest {
    @Test
    void everyOpWithEdgePointsInTheTableHasThemForValueAndTensor() {
        int checked = 0;
        for (OpTable.Row row : OpTable.rows()) {
            double[][] points = OpTable.edges(row.op());
            for (double[] r : points) {
                check(row, r);
                checked++;
            }
        }
        assertTrue(checked >= 60, "edge points checked: " + checked);
    }

    /**
     * One point: the operands, then the result, then d/d(each operand), through the row's scalar form
     * and through its tensor form on 0-d tensors.
     */
    private static void check(OpTable.Row row, double[] r) {
        int n = row.arity();
        double[] at = Arrays.copyOf(r, n);
        String where = row.op().name() + Arrays.toString(at);
        List<Value> v = new ArrayList<>();
        List<Tensor> t = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            v.add(Value.of(at[k]));
            t.add(Tensor.scalar(at[k]).requiresGrad(true));
        }
        Value y = row.scalar().apply(v);
        y.backward();
        Tensor ty = row.twin().apply(t);
        ty.backward();
        assertEquals(r[n], y.data(), 1e-15, where + " value, Value");
        assertEquals(r[n], ty.item(), 1e-15, where + " value, Tensor");
        for (int k = 0; k < n; k++) {
            assertEquals(r[n + 1 + k], v.get(k).grad(), 1e-15, where + " d/d operand " + k + ", Value");
            assertEquals(r[n + 1 + k], t.get(k).grad().item(), 1e-15, where + " d/d operand " + k + ", Tensor");
        }
    }

    @Test
    void constantExponentsHaveNoExponentDerivativeToBeNaN() {
        // x^3 at x = -2 with a plain-double exponent: d/dx = 12, and no ln(-2) is ever needed
        Value x = Value.of(-2.0);
        x.pow(3).backward();
        assertEquals(12, x.grad(), 0);
        Tensor t = Tensor.of(new double[] {-2, 0, 3}).requiresGrad(true);
        t.pow(3).sum().backward();
        assertArrayEquals(new double[] {12, 0, 27}, t.grad().toArray(), 0);
        Tensor u = Tensor.of(new double[] {0, 5}).requiresGrad(true);
        u.pow(0).sum().backward();                                       // 0^0 = 1, derivative 0
        assertArrayEquals(new double[] {0, 0}, u.grad().toArray(), 0);
    }

    @Test
    void reductionsShareTiesAmongAllMaxima() {
        // as torch.amax / amin: the gradient is shared evenly among the tied entries
        Tensor x = Tensor.of(new double[] {1, 3, 3, 2, 2, 2}, 2, 3).requiresGrad(true);
        x.max(1, false).sum().backward();
        assertArrayEquals(new double[] {0, 0.5, 0.5, 1.0 / 3, 1.0 / 3, 1.0 / 3}, x.grad().toArray(), 0);
        Tensor y = Tensor.of(new double[] {1, 1, 5}).requiresGrad(true);
        y.min().backward();
        assertArrayEquals(new double[] {0.5, 0.5, 0}, y.grad().toArray(), 0);
    }

    @Test
    void clampPassesTheGradientOnItsBoundsAsPyTorch() {
        Tensor x = Tensor.of(new double[] {-2, -1, 0, 1, 2}).requiresGrad(true);
        x.clamp(-1, 1).sum().backward();
        assertArrayEquals(new double[] {0, 1, 1, 1, 0}, x.grad().toArray(), 0);
    }

    /**
     * clamp is x &lt; low ? low : x &gt; high ? high : x, bit for bit, at every kind of number and
     * with zero bounds of either sign (where its vectorised form would differ, so they take another).
     */
    @Test
    void clampIsTheTwoComparisonsBitForBitAtEveryKindOfNumber() {
        double inf = Double.POSITIVE_INFINITY;
        double[] xs = {-inf, -3, -1, -0.5, -0.0, 0.0, 0.5, 1, 2, 3, inf, Double.NaN, 1e-320, -1e-320, 0.1, 0.30000001192092896};
        double[][] bounds = {{-1, 2}, {0.0, 1}, {-0.0, 1}, {-1, 0.0}, {-1, -0.0}, {0.0, 0.0}, {-0.0, 0.0}, {-0.0, -0.0},
            {-inf, inf}, {2, 2}, {0.1, 0.3}, {1e300, 1e301}, {-1e301, -1e300}};
        for (double[] b : bounds) {
            double[] got = Tensor.of(xs).clamp(b[0], b[1]).toArray();
            float[] gotF = Tensor.of(xs).to(DType.FLOAT32).clamp(b[0], b[1]).toFloatArray();
            for (int i = 0; i < xs.length; i++) {
                double expected = xs[i] < b[0] ? b[0] : xs[i] > b[1] ? b[1] : xs[i];
                assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(got[i]),
                        "clamp(" + xs[i] + ", " + b[0] + ", " + b[1] + ")");
                double x = (float) xs[i];
                float expectedF = (float) (x < b[0] ? b[0] : x > b[1] ? b[1] : x);
                assertEquals(Float.floatToIntBits(expectedF), Float.floatToIntBits(gotF[i]),
                        "float32 clamp(" + x + ", " + b[0] + ", " + b[1] + ")");
            }
        }
    }

    /** Row maxima are a loop of Math.max, bit for bit: NaN anywhere wins, +0.0 beats -0.0, -inf alone stays. */
    @Test
    void rowMaximaAreMathMaxOverTheRowAtEveryKindOfNumber() {
        double nan = Double.NaN;
        double inf = Double.POSITIVE_INFINITY;
        double[][] rows = {{3, 1, 2}, {nan, 1, 2}, {1, nan, 5}, {1, 5, nan}, {-0.0, 0.0, -1}, {0.0, -0.0, -1}, {-0.0, -0.0, -5},
            {-1, -0.0, -2}, {-inf, -inf, -inf}, {-inf, nan, -inf}, {inf, 1, nan}, {-2, -3, -1e-320}, {0.0, 0.0, 0.0}};
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (double[] row : rows) {
            double[] wide = new double[300]; // the special row spread over a longer one, at random places
            java.util.Arrays.fill(wide, row[2]);
            wide[r.nextInt(300)] = row[0];
            wide[r.nextInt(300)] = row[1];
            for (double[] x : new double[][] {row, wide}) {
                double expected = x[0];
                for (double v : x) {
                    expected = Math.max(expected, v);
                }
                Tensor t = Tensor.of(x, 1, x.length);
                assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(t.max(1, false).item()),
                        "max of " + Arrays.toString(row));
                assertEquals(Float.floatToIntBits((float) expected), Float.floatToIntBits(t.to(DType.FLOAT32).max(1, false)
                        .toFloatArray()[0]), "float32 max of " + Arrays.toString(row));
            }
        }
    }

    /** x^2 and x^1 skip Math.pow's call but not its bits: every kind of number, Tensor and Value alike. */
    @Test
    void squaresAndFirstPowersAreMathPowBitForBit() {
        double inf = Double.POSITIVE_INFINITY;
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        double[] x = new double[4000];
        double[] specials = {0.0, -0.0, 1, -1, inf, -inf, Double.NaN, Double.MIN_VALUE, -Double.MAX_VALUE, 1e-160, 1.5e154, -3.25};
        for (int i = 0; i < x.length; i++) {
            x[i] = i < specials.length ? specials[i] : Double.longBitsToDouble(r.nextLong());
        }
        for (double e : new double[] {2, 1}) {
            double[] scalarExponent = Tensor.of(x).pow(e).toArray();
            double[] tensorExponent = Tensor.of(x).pow(Tensor.full(new int[] {x.length}, e)).toArray();
            float[] floats = Tensor.of(x).to(DType.FLOAT32).pow(e).toFloatArray();
            for (int i = 0; i < x.length; i++) {
                long expected = Double.doubleToLongBits(Math.pow(x[i], e));
                assertEquals(expected, Double.doubleToLongBits(scalarExponent[i]), x[i] + "^" + e);
                assertEquals(expected, Double.doubleToLongBits(tensorExponent[i]), x[i] + "^" + e + " (tensor exponent)");
                assertEquals(expected, Double.doubleToLongBits(Value.of(x[i]).pow(e).data()), x[i] + "^" + e + " (Value)");
                double xf = (float) x[i];
                assertEquals(Float.floatToIntBits((float) Math.pow(xf, e)), Float.floatToIntBits(floats[i]), xf + "^" + e + " (float32)");
            }
        }
        Tensor t = Tensor.of(new double[] {-3, 0.5, 0}).requiresGrad(true);
        t.pow(2).sum().backward();
        assertArrayEquals(new double[] {-6, 1, 0}, t.grad().toArray(), 0);
    }

    /**
     * x^3 is the correctly rounded cube (exact arithmetic by BigDecimal, rounded once) inside cube's
     * range, where Math.pow misses now and then, and Math.pow's result outside it; Tensor (scalar and
     * tensor exponent), Value and float32 (float64's cube rounded) alike.
     */
    @Test
    void cubesAreCorrectlyRoundedTensorAndValueAlike() {
        double inf = Double.POSITIVE_INFINITY;
        java.util.SplittableRandom r = new java.util.SplittableRandom(12);
        double[] x = new double[20_000];
        double[] specials = {0.0, -0.0, 1, -1, inf, -inf, Double.NaN, Double.MIN_VALUE, -Double.MAX_VALUE, 0x1p-300,
            -0x1p-300, Math.nextDown(0x1p-300), 0x1p340, -Math.nextUp(0x1p340), 1e-110, 5.6e102, -3.25};
        for (int i = 0; i < x.length; i++) {
            x[i] = i < specials.length ? specials[i] : i % 2 == 0 ? 10 * r.nextGaussian() : Double.longBitsToDouble(r.nextLong());
        }
        double[] scalarExponent = Tensor.of(x).pow(3).toArray();
        double[] tensorExponent = Tensor.of(x).pow(Tensor.full(new int[] {x.length}, 3)).toArray();
        float[] floats = Tensor.of(x).to(DType.FLOAT32).pow(3).toFloatArray();
        int powMissed = 0;
        for (int i = 0; i < x.length; i++) {
            double m = Math.abs(x[i]);
            double expected = m >= 0x1p-300 && m <= 0x1p340
                    ? new java.math.BigDecimal(x[i]).pow(3).doubleValue() : Math.pow(x[i], 3);
            powMissed += Math.pow(x[i], 3) != expected ? 1 : 0;
            assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(scalarExponent[i]), x[i] + "^3");
            assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(tensorExponent[i]), x[i] + "^3 (tensor exponent)");
            assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(Value.of(x[i]).pow(3).data()), x[i] + "^3 (Value)");
            double xf = (float) x[i];
            double cubeOfFloat = Tensor.of(new double[] {xf}).pow(3).toArray()[0];
            assertEquals(Float.floatToIntBits((float) cubeOfFloat), Float.floatToIntBits(floats[i]), xf + "^3 (float32)");
        }
        assertTrue(powMissed > 0, "the test's arguments include cubes Math.pow rounds wrongly");
        double[] inPlace = {1e-50, 2, 1e-95, 3e100, -0.0, Double.NaN}; // out of cube's range, and in it
        double[] cubes = inPlace.clone();
        io.github.jgrad.autodiff.internal.Kernels.loop(io.github.jgrad.autodiff.internal.Kernels.Binary.POW,
                inPlace, 0, 1, new double[] {3}, 0, 0, inPlace, 0, inPlace.length);
        for (int i = 0; i < cubes.length; i++) {
            assertEquals(Double.doubleToLongBits(Tensor.of(cubes).pow(3).toArray()[i]), Double.doubleToLongBits(inPlace[i]),
                    "in place, " + cubes[i] + "^3");
        }
        Tensor t = Tensor.of(new double[] {-2, 0.5, 0}).requiresGrad(true);
        t.pow(4).sum().backward(); // 4 x^3, a cube
        assertArrayEquals(new double[] {-32, 0.5, 0}, t.grad().toArray(), 0);
    }
}
