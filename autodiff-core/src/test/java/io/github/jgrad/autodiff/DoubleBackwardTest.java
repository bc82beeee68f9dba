package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Gradients of gradients: closed-form second and third derivatives, and no memory kept across calls. */
class DoubleBackwardTest {
    private static final double[] X = {-1.5, -0.3, 0.4, 2.0};
    private static final double[] POSITIVE = {0.25, 0.5, 1.0, 3.0};

    /** f''(x) element-wise (the softmax family's full Hessian is in StabilityTest), as d/dx sum(d/dx sum f(x)): an element-wise f has a diagonal Hessian. */
    static double[] second(UnaryOperator<Tensor> f, double[] at) {
        Tensor x = Tensor.of(at).requiresGrad(true);
        Tensor g = Tensor.grad(f.apply(x).sum(), x, true);
        return Tensor.grad(g.sum(), x, false).toArray();
    }

    private static void assertSecond(String name, UnaryOperator<Tensor> f, DoubleUnaryOperator f2, double[] at) {
        double[] actual = second(f, at);
        for (int i = 0; i < at.length; i++) {
            double expected = f2.applyAsDouble(at[i]);
            assertEquals(expected, actual[i], 1e-14 * Math.max(1, Math.abs(expected)), name + "''(" + at[i] + ")");
        }
    }

    @Test
    void secondDerivativesOfEveryElementwiseOp() {
        assertSecond("exp", Tensor::exp, Math::exp, X);
        assertSecond("log", Tensor::log, x -> -1 / (x * x), POSITIVE);
        assertSecond("log1p", Tensor::log1p, x -> -1 / ((1 + x) * (1 + x)), POSITIVE);
        assertSecond("sqrt", Tensor::sqrt, x -> -0.25 / (x * Math.sqrt(x)), POSITIVE);
        assertSecond("tanh", Tensor::tanh, x -> -2 * Math.tanh(x) * (1 - Math.tanh(x) * Math.tanh(x)), X);
        assertSecond("sigmoid", Tensor::sigmoid, x -> {
            double s = 1 / (1 + Math.exp(-x));
            return s * (1 - s) * (1 - 2 * s);
        }, X);
        assertSecond("sin", Tensor::sin, x -> -Math.sin(x), X);
        assertSecond("cos", Tensor::cos, x -> -Math.cos(x), X);
        assertSecond("erf", Tensor::erf, x -> -2 * x * 1.1283791670955126 * Math.exp(-x * x), X);
        assertSecond("x^3", x -> x.pow(3), x -> 6 * x, X);
        assertSecond("x^-0.5", x -> x.pow(-0.5), x -> 0.75 * Math.pow(x, -2.5), POSITIVE);
        assertSecond("2^x", x -> Tensor.scalar(2).pow(x), x -> Math.pow(2, x) * Math.log(2) * Math.log(2), X);
        assertSecond("x^x", x -> x.pow(x), x -> {
            double l = Math.log(x) + 1;
            return Math.pow(x, x) * (l * l + 1 / x);
        }, POSITIVE);
        assertSecond("1/x", x -> Tensor.scalar(1).div(x), x -> 2 / (x * x * x), POSITIVE);
        assertSecond("x*x", x -> x.mul(x), x -> 2, X);
        assertSecond("abs", x -> x.abs().mul(x), x -> 2 * Math.signum(x), X);      // x|x|: 2 sign(x)
        assertSecond("relu", x -> x.relu().mul(x), x -> x > 0 ? 2 : 0, X);         // x relu(x)
        assertSecond("maximum", x -> x.maximum(Tensor.scalar(0.1)).pow(2), x -> x > 0.1 ? 2 : 0, X);
        assertSecond("clamp", x -> x.clamp(-1, 1).pow(2), x -> Math.abs(x) <= 1 ? 2 : 0, X);
    }

    @Test
    void hessiansAtCriticalPointsWhereTheFirstGradientIsZero() {
        // at x = 0 the gradient reaching sin (or tanh) is 2 sin(0) = 0, but the Hessian is 2: the
        // zero-gradient rule must not mask the derivative with respect to the gradient itself
        assertSecond("sin^2", x -> x.sin().pow(2), x -> 2 * Math.cos(2 * x), new double[] {0, 0.5});
        assertSecond("tanh*tanh", x -> x.tanh().mul(x.tanh()), x -> {
            double t = Math.tanh(x);
            return 2 * (1 - t * t) * (1 - 3 * t * t);
        }, new double[] {0, 0.5});
        assertSecond("exp(x^2)", x -> x.pow(2).exp(), x -> (2 + 4 * x * x) * Math.exp(x * x), new double[] {0, 0.5});
    }

    @Test
    void theJacobianOfAHessianVectorProductAtVZeroIsTheHessian() {
        // hv(v) = H v is linear in v: d/dv sum(H v) = H^T 1 at every v, v = 0 included (found by review:
        // a zero incoming gradient must not mask the derivative with respect to that gradient)
        double[] at = {0.5, 1};
        assertArrayEquals(new double[] {-Math.sin(0.5), -Math.sin(1)}, jacobianOfHvpAtZero(Tensor::sin, at), 1e-15);
        assertArrayEquals(new double[] {16, 2}, jacobianOfHvpAtZero(x -> Tensor.scalar(1).div(x), at), 1e-14);
        assertArrayEquals(new double[] {-4, -1}, jacobianOfHvpAtZero(Tensor::log, at), 1e-14);
    }

    private static double[] jacobianOfHvpAtZero(UnaryOperator<Tensor> f, double[] at) {
        Tensor x = Tensor.of(at).requiresGrad(true);
        Tensor v = Tensor.zeros(at.length).requiresGrad(true);
        Tensor g = Tensor.grad(f.apply(x).sum(), x, true);
        Tensor hv = Tensor.grad(g.mul(v).sum(), x, true);
        return Tensor.grad(hv.sum(), v, false).toArray();
    }

    @Test
    void powAtExponentZeroComputesNothingInfiniteWhereTheDerivativeIsFinite() {
        // d/da a^0 = 0 even for a = 1e-310, whose a^-1 overflows: anomaly mode must see no infinity
        try (Anomaly.Scope ignored = Anomaly.detect()) {
            Tensor a = Tensor.of(new double[] {1e-310, 2}).requiresGrad(true);
            Tensor b = Tensor.scalar(0).requiresGrad(true);
            a.pow(b).sum().backward();
            assertArrayEquals(new double[] {0, 0}, a.grad().toArray(), 0);
            Tensor c = Tensor.of(new double[] {1e-200, 2}).requiresGrad(true);
            Tensor gc = Tensor.grad(c.pow(0).sum(), c, true);
            assertArrayEquals(new double[] {0, 0}, Tensor.grad(gc.sum(), c, false).toArray(), 0);
        }
        // at 0^0 the mixed derivative d2/da db is 0, as in PyTorch
        Tensor a = Tensor.scalar(0).requiresGrad(true);
        Tensor b = Tensor.scalar(0).requiresGrad(true);
        Tensor ga = Tensor.grad(a.pow(b), a, true);
        assertEquals(0, Tensor.grad(ga, b, false).item(), 0);
    }

    @Test
    void mixedSecondDerivativesOfBinaryOps() {
        // f(x, y) = x / y: f_xy = -1/y^2, f_yy = 2x/y^3; f = x^y: f_xy = x^(y-1) (1 + y ln x)
        Tensor x = Tensor.scalar(1.5).requiresGrad(true);
        Tensor y = Tensor.scalar(0.8).requiresGrad(true);
        List<Tensor> g = Tensor.grad(List.of(x.div(y)), List.of(x, y), true);
        assertEquals(-1 / (0.8 * 0.8), Tensor.grad(g.get(0), y, false).item(), 1e-15);
        g = Tensor.grad(List.of(x.div(y)), List.of(x, y), true);
        assertEquals(2 * 1.5 / (0.8 * 0.8 * 0.8), Tensor.grad(g.get(1), y, false).item(), 1e-14);
        g = Tensor.grad(List.of(x.pow(y)), List.of(x, y), true);
        assertEquals(Math.pow(1.5, -0.2) * (1 + 0.8 * Math.log(1.5)), Tensor.grad(g.get(0), y, false).item(), 1e-15);
        // at exponent 0, d/dx x^y = y x^(y-1) is 0, but its derivative in y is 1/x (a mask would give 0:
        // found by the double-backward property)
        Tensor e = Tensor.scalar(0).requiresGrad(true);
        Tensor gx = Tensor.grad(x.pow(e), x, true);
        assertEquals(0, gx.item(), 0);
        assertEquals(1 / 1.5, Tensor.grad(gx, e, false).item(), 1e-16);
    }

    @Test
    void thirdDerivativesBehindAMaskAreZeroInEveryOrder() { // a probe's case
        // where(x > 0, x^y, 0) is 0 near x <= 0, so every derivative is 0 there; the order x, y, y gave NaN
        // (a^(b-1) ln a is NaN for a < 0, and chain's backward sent NaN * 0 back through bothChain)
        double[][] points = {{-1, 2}, {0, 0.5}, {0, -1}, {-1, 0.5}, {-1, 0}, {-1, -1}};
        for (double[] p : points) {
            for (boolean powOfX : new boolean[] {true, false}) {
                for (String order : List.of("xyy", "yxy", "yyx", "xxy", "xyx")) {
                    Tensor x = Tensor.scalar(p[0]).requiresGrad(true);
                    Tensor y = Tensor.scalar(p[1]).requiresGrad(true);
                    Tensor d = Tensor.where(x.gt(0), powOfX ? x.pow(y) : y.pow(x), Tensor.scalar(0));
                    for (int k = 0; k < 3; k++) {
                        d = Tensor.grad(d, order.charAt(k) == 'x' ? x : y, k < 2);
                    }
                    assertEquals(0, d.item(), 0, (powOfX ? "x^y" : "y^x") + " at " + java.util.Arrays.toString(p)
                            + ", order " + order);
                }
            }
        }
    }

    @Test
    void productsWithSeveralZeros() {
        // f = x y z w at (0, 0, 2, 3): the gradient is 0, yet d2f/dxdy = zw = 6, and only that
        Tensor[] v = {Tensor.scalar(0).requiresGrad(true), Tensor.scalar(0).requiresGrad(true),
            Tensor.scalar(2).requiresGrad(true), Tensor.scalar(3).requiresGrad(true)};
        List<Tensor> vars = List.of(v);
        Tensor f = v[0].mul(v[1]).mul(v[2]).mul(v[3]);
        List<Tensor> g = Tensor.grad(List.of(f), vars, true);
        double[][] hessian = new double[4][];
        for (int i = 0; i < 4; i++) {
            assertEquals(0, g.get(i).item(), 0);
            List<Tensor> row = Tensor.grad(List.of(g.get(i)), vars, true);
            hessian[i] = new double[] {row.get(0).item(), row.get(1).item(), row.get(2).item(), row.get(3).item()};
        }
        assertArrayEquals(new double[] {0, 6, 0, 0}, hessian[0], 0);
        assertArrayEquals(new double[] {6, 0, 0, 0}, hessian[1], 0);
        assertArrayEquals(new double[] {0, 0, 0, 0}, hessian[2], 0);
        assertArrayEquals(new double[] {0, 0, 0, 0}, hessian[3], 0);
        // x y z at (0, 0, 0): every first and second derivative is 0, the third d3f/dxdydz is 1
        Tensor x = Tensor.scalar(0).requiresGrad(true);
        Tensor y = Tensor.scalar(0).requiresGrad(true);
        Tensor z = Tensor.scalar(0).requiresGrad(true);
        Tensor gx = Tensor.grad(x.mul(y).mul(z), x, true);
        Tensor gxy = Tensor.grad(gx, y, true);
        assertEquals(0, gx.item(), 0);
        assertEquals(0, gxy.item(), 0);
        assertEquals(1, Tensor.grad(gxy, z, false).item(), 0);
        // the same product as a reduction over a vector with two zeros: sum of x_i x_j over i < j
        Tensor p = Tensor.of(new double[] {0, 0, 5}).requiresGrad(true);
        Tensor pairs = p.sum().pow(2).sub(p.pow(2).sum()).div(2);
        Tensor gp = Tensor.grad(pairs, p, true);
        assertArrayEquals(new double[] {5, 5, 0}, gp.toArray(), 0);
        assertArrayEquals(new double[] {0, 1, 1}, Tensor.grad(gp.indexSelect(0, 0).sum(), p, false).toArray(), 0);
    }

    @Test
    void matmulAndSoftmaxHessianVectorProducts() {
        // L = sum(tanh(x W)); the Hessian-vector product in x against central differences of the gradient
        Tensor w = Tensor.randn(new SplittableRandom(3), 4, 3);
        Tensor x0 = Tensor.randn(new SplittableRandom(4), 2, 4);
        Tensor v = Tensor.randn(new SplittableRandom(5), 2, 4);
        UnaryOperator<Tensor> loss = x -> x.matmul(w).softmax(1).mul(x.matmul(w).tanh()).sum();
        Tensor x = x0.detach().requiresGrad(true);
        Tensor g = Tensor.grad(loss.apply(x), x, true);
        double[] hv = Tensor.grad(g.mul(v).sum(), x, false).toArray();
        double h = 1e-5;
        Tensor up = x0.add(v.mul(h)).requiresGrad(true);
        Tensor down = x0.sub(v.mul(h)).requiresGrad(true);
        double[] gu = Tensor.grad(loss.apply(up), up, false).toArray();
        double[] gd = Tensor.grad(loss.apply(down), down, false).toArray();
        for (int i = 0; i < hv.length; i++) {
            assertEquals((gu[i] - gd[i]) / (2 * h), hv[i], 1e-8, "entry " + i);
        }
    }

    @Test
    void repeatedHessianVectorProductsKeepNoMemory() {
        Tensor x = Tensor.randn(new SplittableRandom(6), 16, 16).requiresGrad(true);
        Tensor w = Tensor.randn(new SplittableRandom(7), 16, 16).mul(0.25);
        Tensor v = Tensor.randn(new SplittableRandom(8), 16, 16);
        List<WeakReference<Tensor>> graphs = new ArrayList<>();
        long before = 0;
        double first = 0;
        int iterations = 10_000;
        for (int i = 0; i < iterations; i++) {
            Tensor y = x.matmul(w).tanh().pow(2).sum();
            Tensor g = Tensor.grad(y, x, true);
            double hv = Tensor.grad(g.mul(v).sum(), x, false).sum().item();
            if (i == 0) {
                first = hv;
            }
            assertEquals(first, hv, 0, "iteration " + i);
            if (i % 100 == 0) {
                graphs.add(new WeakReference<>(y));
                graphs.add(new WeakReference<>(g));
            }
            if (i == 99) {
                before = usedHeapAfterGc();
            }
        }
        long after = usedHeapAfterGc();
        // a leaked graph per call would hold about 30 tensors of 2 KB: 600 MB over 10,000 calls
        assertTrue(after - before < 16 << 20, "heap grew by " + ((after - before) >> 10) + " KiB over "
                + iterations + " Hessian-vector products");
        assertTrue(allCleared(graphs), "graphs of earlier iterations are still reachable");
        assertEquals(null, x.grad(), "Tensor.grad touches no leaf's grad()");
    }

    @Test
    void backwardWithCreateGraphReleasesTheOldGraphOnZeroGrad() {
        Tensor x = Tensor.randn(new SplittableRandom(9), 16, 16).requiresGrad(true);
        List<WeakReference<Tensor>> grads = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            Tensor y = x.tanh().pow(2).sum();
            y.backward(Tensor.scalar(1), false, true);      // x.grad() is on the tape, referring to the graph
            Tensor gradPenalty = x.grad().pow(2).sum();
            assertTrue(gradPenalty.requiresGrad());
            if (i % 100 == 0) {
                grads.add(new WeakReference<>(x.grad()));
            }
            x.zeroGrad();                                   // as every training loop does: drops the graph
        }
        assertTrue(allCleared(grads), "zeroGrad() did not release the gradients' graphs");
    }

    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            least = Math.min(least, rt.totalMemory() - rt.freeMemory());
        }
        return least;
    }

    private static boolean allCleared(List<WeakReference<Tensor>> refs) {
        return WeakRefs.collect(refs, 20) == refs.size();
    }

    @Test
    void mixedSecondDerivativesOfMatmulThroughTheLeftOperandsGradient() {
        // d/dB of dL/dA runs matmul's backward with a transposed second operand (a branch no other test
        // reaches): L = sum((AB)^2)/2, dL/dA = (AB) B^T, and d/dB sum(dL/dA) = u (B^T 1)^T + 1 (B^T u)^T
        // with u = A^T 1 = (5, 7, 9)
        Tensor a = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 3, 2).requiresGrad(true);
        Tensor ga = Tensor.grad(a.matmul(b).pow(2).sum().div(2), a, true);
        assertArrayEquals(new double[] {78, 178, 278, 177, 403, 629}, ga.toArray(), 0);
        assertArrayEquals(new double[] {116, 152, 134, 176, 152, 200}, Tensor.grad(ga.sum(), b, false).toArray(), 0);
        GradCheck.defaults().check(in -> Tensor.grad(in.get(0).matmul(in.get(1)).softmax(1).pow(2).sum(), in.get(0),
                true), Tensor.uniform(new SplittableRandom(1), -1, 1, 2, 3), Tensor.uniform(new SplittableRandom(2), -1, 1, 3, 2)).orThrow();
    }

    @Test
    void erfsSecondDerivativeVanishesAtInfinityAndWhereItsExponentialUnderflows() {
        Tensor x = Tensor.of(new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 30, -30, 1})
                .requiresGrad(true);
        Tensor g = Tensor.grad(x.erf().sum(), x, true);
        double[] second = Tensor.grad(g.sum(), x, false).toArray();
        assertArrayEquals(new double[] {0, 0, 0, 0, -2 * 1.1283791670955126 * Math.exp(-1)}, second, 1e-15,
                "0, not 0 * inf = NaN, where exp(-a^2) is 0");
    }
}
