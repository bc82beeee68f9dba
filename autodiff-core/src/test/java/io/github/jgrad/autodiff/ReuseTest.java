package io.github.jgrad.autodiff;

import io.github.jgrad.autodiff.internal.MatMul;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A node used more than once (as both operands of one op, by two ops, by two outputs) must receive the
 * sum of the gradients of all its uses. Expected numbers are closed forms computed here; where every
 * intermediate is a small integer or a dyadic fraction the comparison is exact, elsewhere it allows a
 * few ulps (the rounding of a formula is an implementation choice, the value is not).
 */
final class ReuseTest {
    /** Relative tolerance for results whose rounding depends on how a formula is evaluated. */
    private static final double ULPS = 1e-15;

    private static void assertClose(double expected, double actual, String what) {
        assertEquals(expected, actual, ULPS * Math.max(1, Math.abs(expected)), what);
    }

    private static Tensor param(double... values) {
        return Tensor.of(values).requiresGrad(true);
    }

    // ------------------------------------------------------------------ interior nodes used twice

    @Test
    void valueSumOfSumsHasGradientFour() {
        Value a = Value.of(1.5);
        Value b = a.add(a);
        Value c = b.add(b);
        c.backward();
        assertEquals(6.0, c.data(), 0);
        assertEquals(2.0, b.grad(), 0, "dc/db");
        assertEquals(4.0, a.grad(), 0, "dc/da");
    }

    @Test
    void tensorSumOfSumsHasGradientFour() {
        Tensor a = param(1.5, -2, 0);
        Tensor b = a.add(a);
        b.add(b).sum().backward();
        assertArrayEquals(new double[] {4, 4, 4}, a.grad().toArray(), 0);
    }

    @Test
    void valueSquareOfASquareHasGradientFourACubed() {
        Value a = Value.of(1.5);
        Value b = a.mul(a);
        Value c = b.mul(b);
        c.backward();
        assertEquals(5.0625, c.data(), 0);
        assertEquals(2 * 2.25, b.grad(), 0, "dc/db = 2b");
        assertEquals(4 * 1.5 * 1.5 * 1.5, a.grad(), 0, "4a^3 = 13.5");
    }

    @Test
    void tensorSquareOfASquareHasGradientFourACubed() {
        double[] x = {1.5, -0.5, 2, 0};
        Tensor a = param(x);
        Tensor b = a.mul(a);
        b.mul(b).sum().backward();
        double[] expected = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            expected[i] = 4 * x[i] * x[i] * x[i];
        }
        assertArrayEquals(new double[] {13.5, -0.5, 32, 0}, expected, 0);
        assertArrayEquals(expected, a.grad().toArray(), 0);
    }

    // ------------------------------------------------------------------ residual connections

    @Test
    void valueResidualAddsTheSkipPathsGradient() {
        for (double x : new double[] {-1.3, 0, 0.4, 2.5}) {
            Value v = Value.of(x);
            Value y = v.tanh().add(v);
            y.backward();
            double t = Math.tanh(x);
            assertEquals(t + x, y.data(), 0);
            assertClose(1 - t * t + 1, v.grad(), "d(tanh(x) + x)/dx at " + x);
        }
        assertEquals(2.0, residualValueGradientAt(0), 0, "tanh'(0) = 1, skip 1");
    }

    private static double residualValueGradientAt(double x) {
        Value v = Value.of(x);
        v.tanh().add(v).backward();
        return v.grad();
    }

    @Test
    void tensorResidualAddsTheSkipPathsGradient() {
        double[] x = {-1.3, 0, 0.4, 2.5};
        Tensor v = param(x);
        v.tanh().add(v).sum().backward();
        double[] g = v.grad().toArray();
        for (int i = 0; i < x.length; i++) {
            double t = Math.tanh(x[i]);
            assertClose(1 - t * t + 1, g[i], "d(tanh(x) + x)/dx at " + x[i]);
        }
        assertEquals(2.0, g[1], 0);
    }

    @Test
    void tensorResidualBlockAroundALinearLayer() {
        // y = tanh(x W) + x, loss = sum(y): dloss/dx = (1 - tanh^2(xW)) W^T 1 + 1, dloss/dW = x^T (1 - tanh^2)
        Tensor x = Tensor.of(new double[] {0.5, -1, 2, 0.25}, 2, 2).requiresGrad(true);
        Tensor w = Tensor.of(new double[] {0.5, 0, 0, -0.25}, 2, 2).requiresGrad(true);
        x.matmul(w).tanh().add(x).sum().backward();
        double[][] xw = {{0.25, 0.25}, {1, -0.0625}}; // x W, exact
        double[] gx = x.grad().toArray();
        double[] gw = w.grad().toArray();
        double[][] d = new double[2][2];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                double t = Math.tanh(xw[i][j]);
                d[i][j] = 1 - t * t;
            }
        }
        double[] wv = {0.5, 0, 0, -0.25};
        double[] xv = {0.5, -1, 2, 0.25};
        for (int i = 0; i < 2; i++) {
            for (int k = 0; k < 2; k++) {
                // (d W^T)_{ik} = sum_j d_ij W_kj, plus 1 from the skip connection
                double expectedX = d[i][0] * wv[k * 2] + d[i][1] * wv[k * 2 + 1] + 1;
                assertClose(expectedX, gx[i * 2 + k], "dx[" + i + "][" + k + "]");
                // (x^T d)_{kj} = sum_i x_ik d_ij
                double expectedW = xv[k] * d[0][i] + xv[2 + k] * d[1][i];
                assertClose(expectedW, gw[k * 2 + i], "dW[" + k + "][" + i + "]");
            }
        }
    }

    // ------------------------------------------------------------------ one tensor on both sides of an op

    @Test
    void valueWithItselfOnBothSides() {
        double x = 1.75;
        assertEquals(2 * x, gradOf(v -> v.mul(v), x), 0, "x * x");
        assertEquals(2.0, gradOf(v -> v.add(v), x), 0, "x + x");
        assertEquals(0.0, gradOf(v -> v.sub(v), x), 0, "x - x");
        assertEquals(0.0, gradOf(v -> v.div(v), 3.0), 0, "x / x: 1/x - (x/x)/x = 1/3 - 1/3");
        assertEquals(1.0, gradOf(v -> v.max(v), x), 0, "max(x, x): the tie splits 1/2 + 1/2");
        assertEquals(1.0, gradOf(v -> v.min(v), x), 0, "min(x, x)");
        double xx = Math.pow(x, x);
        assertClose(xx * (Math.log(x) + 1), gradOf(v -> v.pow(v), x), "d x^x/dx = x^x (ln x + 1)");
        assertEquals(1.0, gradOf(v -> v.pow(v), 1.0), 0, "at x = 1: 1 * (0 + 1)");
        assertClose(4.0 * (Math.log(2) + 1), gradOf(v -> v.pow(v), 2.0), "at x = 2");
    }

    private static double gradOf(java.util.function.UnaryOperator<Value> f, double x) {
        Value v = Value.of(x);
        f.apply(v).backward();
        return v.grad();
    }

    @Test
    void tensorWithItselfOnBothSides() {
        double[] x = {1.75, -0.5, 3, 0.125};
        assertArrayEquals(new double[] {3.5, -1, 6, 0.25}, tensorGradOf(v -> v.mul(v), x), 0, "x * x");
        assertArrayEquals(new double[] {2, 2, 2, 2}, tensorGradOf(v -> v.add(v), x), 0, "x + x");
        assertArrayEquals(new double[] {0, 0, 0, 0}, tensorGradOf(v -> v.sub(v), x), 0, "x - x");
        assertArrayEquals(new double[] {0, 0, 0, 0}, tensorGradOf(v -> v.div(v), x), 0, "x / x");
        assertArrayEquals(new double[] {1, 1, 1, 1}, tensorGradOf(v -> v.maximum(v), x), 0, "maximum(x, x)");
        assertArrayEquals(new double[] {1, 1, 1, 1}, tensorGradOf(v -> v.minimum(v), x), 0, "minimum(x, x)");
        assertArrayEquals(new double[] {1, 1, 1, 1}, tensorGradOf(v -> Tensor.where(v.gt(0), v, v), x), 0,
                "where(c, x, x)");
        double[] positive = {1.75, 0.5, 3, 1};
        double[] g = tensorGradOf(v -> v.pow(v), positive);
        for (int i = 0; i < positive.length; i++) {
            double p = positive[i];
            assertClose(Math.pow(p, p) * (Math.log(p) + 1), g[i], "d x^x/dx at " + p);
        }
        assertEquals(1.0, g[3], 0, "at x = 1");
    }

    private static double[] tensorGradOf(java.util.function.UnaryOperator<Tensor> f, double[] x) {
        Tensor v = param(x);
        f.apply(v).sum().backward();
        return v.grad().toArray();
    }

    @Test
    void squareMatrixTimesItself() {
        // d sum(X X) / dX = 1 X^T + X^T 1: entry (i, j) is (sum of row j) + (sum of column i)
        double[][] rows = {{1, 2, 0}, {-1, 3, 4}, {2, -2, 5}};
        Tensor x = Tensor.of(rows).requiresGrad(true);
        x.matmul(x).sum().backward();
        // row sums 3, 6, 5; column sums 2, 3, 9
        double[] expected = {
            3 + 2, 6 + 2, 5 + 2,
            3 + 3, 6 + 3, 5 + 3,
            3 + 9, 6 + 9, 5 + 9};
        assertArrayEquals(expected, x.grad().toArray(), 0);
        assertArrayEquals(expected, sumOfSquareGradient(rows), 0, "the formula, computed generically");
    }

    @Test
    void largeSquareMatrixTimesItselfOnTheNativePath() {
        // 40^3 = 64000 multiply-adds: at least MatMul.NATIVE_MIN_WORK, so BLAS (where it loads) runs both
        // the product and the two products of its backward; small integers keep every sum exact
        int n = 40;
        assertTrue((long) n * n * n >= MatMul.NATIVE_MIN_WORK);
        double[][] rows = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                rows[i][j] = (i * 7 + j * 3) % 11 - 5;
            }
        }
        Tensor x = Tensor.of(rows).requiresGrad(true);
        x.matmul(x).sum().backward();
        assertArrayEquals(sumOfSquareGradient(rows), x.grad().toArray(), 0);
    }

    @Test
    void otherProductsOfATensorWithItself() {
        // 1-D: x . x = sum x_i^2, gradient 2x
        Tensor v = param(1, -2, 3);
        v.matmul(v).backward();
        assertArrayEquals(new double[] {2, -4, 6}, v.grad().toArray(), 0);

        // a stack of two square matrices times itself: each matrix gets its own 1 X^T + X^T 1
        double[][] m0 = {{1, 2}, {3, 4}};
        double[][] m1 = {{-1, 0}, {2, 5}};
        Tensor stack = Tensor.of(new double[] {1, 2, 3, 4, -1, 0, 2, 5}, 2, 2, 2).requiresGrad(true);
        stack.matmul(stack).sum().backward();
        double[] g0 = sumOfSquareGradient(m0); // row sums 3, 7; column sums 4, 6
        double[] g1 = sumOfSquareGradient(m1); // row sums -1, 7; column sums 1, 5
        assertArrayEquals(new double[] {7, 11, 9, 13}, g0, 0);
        assertArrayEquals(new double[] {0, 8, 4, 12}, g1, 0);
        assertArrayEquals(new double[] {7, 11, 9, 13, 0, 8, 4, 12}, stack.grad().toArray(), 0);

        // X X + X in one fused op, X as all three operands: 1 X^T + X^T 1 + 1
        Tensor x = Tensor.of(m0).requiresGrad(true);
        x.matmulAdd(x, x).sum().backward();
        assertArrayEquals(new double[] {8, 12, 10, 14}, x.grad().toArray(), 0);

        // x (3,1) times its own transpose (1,3): sum_jk x_j x_k = (sum x)^2, gradient 2 sum x
        Tensor c = Tensor.of(new double[] {1, 2, 3}, 3, 1).requiresGrad(true);
        c.mul(c.mT()).sum().backward();
        assertArrayEquals(new double[] {12, 12, 12}, c.grad().toArray(), 0);
    }

    /** (1 X^T + X^T 1)_{ij} = rowSum_j + colSum_i, row-major. */
    private static double[] sumOfSquareGradient(double[][] x) {
        int n = x.length;
        double[] rowSum = new double[n];
        double[] colSum = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                rowSum[i] += x[i][j];
                colSum[j] += x[i][j];
            }
        }
        double[] g = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                g[i * n + j] = rowSum[j] + colSum[i];
            }
        }
        return g;
    }

    @Test
    void tensorReusedAcrossBroadcastLayoutAndIndexing() {
        Tensor x = Tensor.of(new double[] {1, 2, 3}, 3, 1).requiresGrad(true);
        x.add(x.mT()).sum().backward(); // (3,1) + (1,3) -> (3,3): each entry appears in a row and a column
        assertArrayEquals(new double[] {6, 6, 6}, x.grad().toArray(), 0);

        Tensor y = param(1, 2, 3);
        Tensor.concat(0, y, y, y.indexSelect(0, 2, 2, 0)).sum().backward();
        assertArrayEquals(new double[] {3, 2, 4}, y.grad().toArray(), 0, "2 from the concat, then 1, 0, 2 picks");
    }

    // ------------------------------------------------------------------ diamonds and several outputs

    @Test
    void valueDiamond() {
        // d = x + 1; out = (d * d) * (d * 3) = 3 d^3; dout/dx = 9 d^2
        Value x = Value.of(0.5);
        Value d = x.add(1);
        Value out = d.mul(d).mul(d.mul(3));
        out.backward();
        assertEquals(3 * 1.5 * 1.5 * 1.5, out.data(), 0);
        assertEquals(9 * 2.25, d.grad(), 0);
        assertEquals(9 * 2.25, x.grad(), 0);
    }

    @Test
    void tensorDiamond() {
        Tensor x = param(0.5, -2, 1);
        Tensor d = x.add(1);
        d.mul(d).mul(d.mul(3)).sum().backward();
        assertArrayEquals(new double[] {9 * 2.25, 9 * 1, 9 * 4}, x.grad().toArray(), 0);
    }

    @Test
    void valueNodeSharedByTwoOutputs() {
        // h = x^2; out1 = 3h; out2 = h^2: d out1/dx + d out2/dx = 6x + 4x^3
        Value x = Value.of(1.5);
        Value h = x.mul(x);
        Value out1 = h.mul(3);
        Value out2 = h.mul(h);
        out1.backward();
        assertEquals(6 * 1.5, x.grad(), 0);
        assertEquals(3.0, h.grad(), 0);
        out2.backward();
        assertEquals(6 * 1.5 + 4 * 1.5 * 1.5 * 1.5, x.grad(), 0, "leaves accumulate over both passes");
        assertEquals(2 * 2.25, h.grad(), 0, "an interior gradient is the last pass's, not a sum");
        out1.backward();
        assertEquals(6 * 1.5 + 4 * 1.5 * 1.5 * 1.5 + 6 * 1.5, x.grad(), 0, "the shared node was not doubled");
    }

    @Test
    void tensorNodeSharedByTwoOutputs() {
        double[] xs = {1.5, -1, 0.5};
        double[] expected = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            expected[i] = 6 * xs[i] + 4 * xs[i] * xs[i] * xs[i];
        }
        assertArrayEquals(new double[] {22.5, -10, 3.5}, expected, 0);

        // retainGraph on the first backward lets the second go through the shared part
        Tensor x = param(xs);
        Tensor h = x.mul(x);
        Tensor out1 = h.mul(3).sum();
        Tensor out2 = h.mul(h).sum();
        out1.backward(true);
        assertArrayEquals(new double[] {9, -6, 3}, x.grad().toArray(), 0);
        out2.backward();
        assertArrayEquals(expected, x.grad().toArray(), 0);

        // both outputs in one call: the gradients of the sum
        Tensor x2 = param(xs);
        Tensor h2 = x2.mul(x2);
        List<Tensor> g = Tensor.grad(List.of(h2.mul(3).sum(), h2.mul(h2).sum()), List.of(x2), false);
        assertArrayEquals(expected, g.get(0).toArray(), 0);

        // without retainGraph the first backward frees the shared part; the second is refused, and says why
        Tensor x3 = param(xs);
        Tensor h3 = x3.mul(x3);
        Tensor first = h3.mul(3).sum();
        Tensor second = h3.mul(h3).sum();
        first.backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, second::backward);
        assertTrue(e.getMessage().contains("retainGraph"), e.getMessage());
        assertArrayEquals(new double[] {9, -6, 3}, x3.grad().toArray(), 0, "the refused pass added nothing");
    }

    @Test
    void outputsThatFeedEachOtherOrRepeatInOneGradCall() {
        // out1 = x^2 and out2 = 2 out1: d(out1 + out2)/dx = 3 * 2x; out1 is a root and an interior node
        Tensor x = param(1.5, -1);
        Tensor out1 = x.mul(x).sum();
        Tensor out2 = out1.mul(2);
        assertArrayEquals(new double[] {9, -6}, Tensor.grad(List.of(out1, out2), List.of(x), false).get(0).toArray(), 0);

        // the same output listed twice counts twice, as two seeds of 1
        Tensor z = param(1.5, -1);
        Tensor y = z.mul(z).sum();
        assertArrayEquals(new double[] {6, -4}, Tensor.grad(List.of(y, y), List.of(z), false).get(0).toArray(), 0);

        // the same input listed twice gets the same gradient twice
        Tensor w = param(0.5);
        List<Tensor> g = Tensor.grad(List.of(w.mul(w).mul(w).sum()), List.of(w, w), false);
        assertArrayEquals(new double[] {0.75}, g.get(0).toArray(), 0);
        assertArrayEquals(new double[] {0.75}, g.get(1).toArray(), 0);
    }
}
