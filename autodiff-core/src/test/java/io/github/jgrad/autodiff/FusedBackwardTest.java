package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * tanh's and sigmoid's backward run as one fused primitive each: bit for bit what the chain of ops they
 * replace computed, zero gradients included, and still differentiable (second derivatives in closed
 * form). Softmax and log-softmax are one primitive each way: equal to the compositions they replaced
 * to the last ulps, along any axis, at the edges too.
 */
class FusedBackwardTest {
    private static final double[] X = {-30, -2.5, -0.3, -0.0, 0, 1e-9, 0.4, 0.7, 3, 40};
    private static final double[] G = {1.5, 0, -2, 1, 0.25, 3, 0, -1, 7, 1};

    @Test
    void theFusedBackwardsEqualTheCompositionsTheyReplace() {
        Tensor x = Tensor.of(X).requiresGrad(true);
        Tensor g = Tensor.of(G);
        Tensor y = x.tanh();
        Tensor composed = g.chain(y.mul(y).neg().add(1));
        y.backward(g);
        assertArrayEquals(composed.toArray(), x.grad().toArray(), 0, "tanh");
        Tensor u = Tensor.of(X).requiresGrad(true);
        Tensor s = u.sigmoid();
        Tensor composedSigmoid = g.chain(s.mul(s.neg().add(1)));
        s.backward(g);
        assertArrayEquals(composedSigmoid.toArray(), u.grad().toArray(), 0, "sigmoid");
    }

    @Test
    void log1pSoftplusSinAndCosBackwardsEqualTheirCompositionsAndDifferentiateTwice() {
        double[] at = {-0.9, -0.3, -0.0, 0, 1e-9, 0.4, 2, 30};
        double[] g = {1.5, 0, -2, 1, 0.25, 3, 0, -1};
        List<java.util.function.UnaryOperator<Tensor>> forwards = List.of(Tensor::log1p, Tensor::softplus, Tensor::sin, Tensor::cos);
        List<java.util.function.BinaryOperator<Tensor>> composed = List.of(
            (gg, x) -> gg.chainDiv(x.add(1)), (gg, x) -> gg.chain(x.sigmoid()),
            (gg, x) -> gg.chain(x.cos()), (gg, x) -> gg.chain(x.sin()).neg());
        List<Op> fused = List.of(UnaryOps.LOG1P_BACKWARD, UnaryOps.SOFTPLUS_BACKWARD, UnaryOps.SIN_BACKWARD, UnaryOps.COS_BACKWARD);
        for (int k = 0; k < forwards.size(); k++) {
            Tensor x = Tensor.of(at).requiresGrad(true);
            Tensor dx = Tensor.grad(List.of(forwards.get(k).apply(x).mul(Tensor.of(g)).sum()), List.of(x), true).get(0);
            assertEquals(fused.get(k), dx.op(), "one fused primitive");
            double[] expected = composed.get(k).apply(Tensor.of(g), Tensor.of(at)).toArray();
            for (int i = 0; i < at.length; i++) { // the same bits, -0.0 included
                assertEquals(Double.doubleToLongBits(expected[i]), Double.doubleToLongBits(dx.toArray()[i]), fused.get(k) + " at " + at[i]);
            }
            // the fused op's own backward, towards g and towards a, against the composition's
            Tensor v = Tensor.of(new double[] {0.5, -1, 2, 0, 3, -0.25, 1, 4});
            List<Tensor> fusedIn = List.of(Tensor.of(g).requiresGrad(true), Tensor.of(at).requiresGrad(true));
            List<Tensor> plainIn = List.of(Tensor.of(g).requiresGrad(true), Tensor.of(at).requiresGrad(true));
            Tensor f = dx.op() == UnaryOps.LOG1P_BACKWARD ? UnaryOps.log1pBackward(fusedIn.get(0), fusedIn.get(1))
                    : dx.op() == UnaryOps.SOFTPLUS_BACKWARD ? UnaryOps.softplusBackward(fusedIn.get(0), fusedIn.get(1))
                    : dx.op() == UnaryOps.SIN_BACKWARD ? UnaryOps.sinBackward(fusedIn.get(0), fusedIn.get(1))
                    : UnaryOps.cosBackward(fusedIn.get(0), fusedIn.get(1));
            f.backward(v);
            composed.get(k).apply(plainIn.get(0), plainIn.get(1)).backward(v);
            for (int input = 0; input < 2; input++) {
                double[] want = plainIn.get(input).grad().toArray();
                double[] have = fusedIn.get(input).grad().toArray();
                for (int i = 0; i < at.length; i++) {
                    assertEquals(Double.doubleToLongBits(want[i]), Double.doubleToLongBits(have[i]),
                            fused.get(k) + "'s backward towards " + (input == 0 ? "g" : "a") + " at " + at[i]);
                }
            }
            Tensor d2 = Tensor.grad(List.of(dx.sum()), List.of(x), false).get(0);
            for (int i = 0; i < at.length; i++) {
                double a = at[i];
                double s = 1 / (1 + Math.exp(-a));
                double second = switch (k) {
                    case 0 -> -1 / ((1 + a) * (1 + a));
                    case 1 -> s * (1 - s);
                    case 2 -> -Math.sin(a);
                    default -> -Math.cos(a);
                };
                assertEquals(g[i] * second, d2.toArray()[i], 1e-12 * (1 + Math.abs(g[i] * second)), fused.get(k) + "'s own derivative at " + a);
            }
        }
    }

    /** pow's gradient towards its base as the composition computed it: g * where(b = 0, 0, b * a^(b-1)). */
    private static Tensor composedPowBackward(Tensor g, Tensor a, Tensor b) {
        Tensor zeroExp = b.eq(0);
        Tensor safeB = Tensor.where(zeroExp, Tensor.scalar(1), b);
        return g.chain(Tensor.where(zeroExp, Tensor.scalar(0), safeB.mul(a.pow(safeB.sub(1)))));
    }

    @Test
    void powsBackwardTowardsItsBaseEqualsItsCompositionAndDifferentiatesLikeIt() {
        double nan = Double.NaN;
        double inf = Double.POSITIVE_INFINITY;
        double[] a = {-2, -0.0, 0, 0.5, 1, 2, nan, inf, -1, 3, 0, 1.5};
        double[] b = {3, -1, 0, 0.5, nan, 2, 0, 2, inf, 1, 0.5, -2.5};
        double[] g = {1, 2, 0.5, 0, -3, 1, 2, 0.25, 1, -1, 2, 0.75};
        for (Tensor exponent : List.of(Tensor.of(b), Tensor.scalar(3), Tensor.scalar(0), Tensor.scalar(-0.5))) {
            Tensor x = Tensor.of(a).requiresGrad(true);
            Tensor dx = Tensor.grad(List.of(x.pow(exponent).mul(Tensor.of(g)).sum()), List.of(x), true).get(0);
            assertEquals(ArithmeticOps.POW_BACKWARD, dx.op(), "one fused primitive");
            double[] composed = composedPowBackward(Tensor.of(g), Tensor.of(a), exponent).toArray();
            for (int i = 0; i < a.length; i++) { // the same bits, NaN, infinities and the zero rules included
                assertEquals(Double.doubleToLongBits(composed[i]), Double.doubleToLongBits(dx.toArray()[i]),
                        "d/da at a = " + a[i] + ", b = " + exponent.toArray()[exponent.size() == 1 ? 0 : i]);
            }
            Tensor v = Tensor.of(new double[] {0.5, -1, 2, 0, 3, -0.25, 1, 4, 1, 2, 0, -1});
            List<Tensor> fusedIn = List.of(Tensor.of(g).requiresGrad(true), Tensor.of(a).requiresGrad(true));
            List<Tensor> plainIn = List.of(Tensor.of(g).requiresGrad(true), Tensor.of(a).requiresGrad(true));
            ArithmeticOps.powBackward(fusedIn.get(0), fusedIn.get(1), exponent).backward(v);
            composedPowBackward(plainIn.get(0), plainIn.get(1), exponent).backward(v);
            for (int input = 0; input < 2; input++) {
                double[] want = plainIn.get(input).grad().toArray();
                double[] have = fusedIn.get(input).grad().toArray();
                for (int i = 0; i < a.length; i++) {
                    assertEquals(Double.doubleToLongBits(want[i]), Double.doubleToLongBits(have[i]),
                            "towards " + (input == 0 ? "g" : "a") + " at a = " + a[i]);
                }
            }
        }
        Tensor x = Tensor.of(new double[] {0.5, 2, -1.5}).requiresGrad(true); // second derivative of x^3: 6x
        Tensor d1 = Tensor.grad(List.of(x.pow(3).sum()), List.of(x), true).get(0);
        assertArrayEquals(new double[] {0.75, 12, 6.75}, d1.toArray(), 0);
        assertArrayEquals(new double[] {3, 12, -9}, Tensor.grad(List.of(d1.sum()), List.of(x), false).get(0).toArray(), 0);
        Tensor e3 = Tensor.of(new double[] {3});                          // the exponent changed in place between passes
        Tensor y = Tensor.of(new double[] {2}).requiresGrad(true);
        Tensor dy = Tensor.grad(List.of(y.pow(e3).sum()), List.of(y), true).get(0);
        assertArrayEquals(new double[] {12}, dy.toArray(), 0);
        e3.copyFrom(Tensor.of(new double[] {5}));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Tensor.grad(List.of(dy.sum()), List.of(y), false));
        assertTrue(e.getMessage().contains("powBackward"), e.getMessage());
        Tensor base = Tensor.of(new double[] {-1}).requiresGrad(true);          // a float32 exponent of a float64 base
        Tensor big = Tensor.of(new float[] {16777218f}, 1);                       // b - 1 is not a float
        Tensor db = Tensor.grad(List.of(base.pow(big).sum()), List.of(base), true).get(0);
        assertArrayEquals(new double[] {-16777218}, db.toArray(), 0);
        assertArrayEquals(new double[] {16777218.0 * 16777217}, Tensor.grad(List.of(db.sum()), List.of(base), false).get(0).toArray(), 0);
        Tensor rows = Tensor.of(new double[][] {{1, 2}, {3, 4}}).requiresGrad(true); // a broadcast base keeps the composition
        Tensor col = Tensor.of(new double[] {2, 3}).requiresGrad(true);
        Tensor gc = Tensor.grad(List.of(col.pow(rows).sum()), List.of(col), false).get(0);
        assertArrayEquals(new double[] {1 + 3 * 2 * 2, 2 * 3 + 4 * 3 * 3 * 3}, gc.toArray(), 1e-12);
    }

    @Test
    void divsBackwardTowardsItsDivisorEqualsItsCompositionAndDifferentiatesLikeIt() {
        double[] a = {1.5, 0, -2, 3, 0.25, -0.0, 7, 1};
        double[] b = {2, -0.5, 0, 0, 4, 3, -1e-300, 1e300};
        double[] g = {1, 2, 0, 1, -3, 1, 0.5, 2};
        Tensor x = Tensor.of(a).requiresGrad(true);
        Tensor y = Tensor.of(b).requiresGrad(true);
        Tensor[] grads = Tensor.grad(List.of(x.div(y).mul(Tensor.of(g)).sum()), List.of(x, y), true).toArray(new Tensor[0]);
        assertEquals(ArithmeticOps.DIV_BACKWARD, grads[1].op(), "one fused primitive");
        Tensor q = Tensor.of(a).div(Tensor.of(b));
        double[] composed = Tensor.of(g).chain(q).chainDiv(Tensor.of(b)).neg().toArray();
        for (int i = 0; i < a.length; i++) { // the same bits, -0.0 and the zero rule at b = 0 included
            assertEquals(Double.doubleToLongBits(composed[i]), Double.doubleToLongBits(grads[1].toArray()[i]), "d/db at " + i);
        }
        Tensor v = Tensor.of(new double[] {0.5, -1, 2, 0, 3, -0.25, 1, 4});
        List<Tensor> fusedIn = List.of(Tensor.of(g).requiresGrad(true), q.detach().requiresGrad(true), Tensor.of(b).requiresGrad(true));
        List<Tensor> plainIn = List.of(Tensor.of(g).requiresGrad(true), q.detach().requiresGrad(true), Tensor.of(b).requiresGrad(true));
        ArithmeticOps.divBackward(fusedIn.get(0), fusedIn.get(1), fusedIn.get(2)).backward(v);
        plainIn.get(0).chain(plainIn.get(1)).chainDiv(plainIn.get(2)).neg().backward(v);
        for (int input = 0; input < 3; input++) {
            double[] want = plainIn.get(input).grad().toArray();
            double[] have = fusedIn.get(input).grad().toArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(Double.doubleToLongBits(want[i]), Double.doubleToLongBits(have[i]), "input " + input + " at " + i);
            }
        }
        // float32: float64's result rounded once (DTypeTest), so g * y neither overflows nor underflows
        float[] af = {1e38f, 1e-30f, 3, 0};
        float[] bf = {1e19f, 1e-10f, 0, 2};
        float[] gf = {1e20f, 1e-30f, 1, 5};
        Tensor xf = Tensor.of(af, af.length).requiresGrad(true);
        Tensor yf = Tensor.of(bf, bf.length).requiresGrad(true);
        Tensor qf = xf.div(yf);
        float[] dbf = Tensor.grad(List.of(qf.mul(Tensor.of(gf, gf.length)).sum()), List.of(yf), false).get(0).toFloatArray();
        assertArrayEquals(new float[] {-1e20f, (float) (-(1e-30f * (double) qf.toFloatArray()[1]) / 1e-10f), Float.NEGATIVE_INFINITY, -0f},
                dbf, "where the float composition gave -inf and -0");
        Tensor row = Tensor.of(new double[] {2, 4}).requiresGrad(true); // a broadcast divisor, copied then summed
        Tensor m = Tensor.of(new double[][] {{1, 2}, {3, 4}});
        Tensor gr = Tensor.grad(List.of(m.div(row).sum()), List.of(row), false).get(0);
        assertArrayEquals(new double[] {-4.0 / 4, -6.0 / 16}, gr.toArray(), 1e-15);
    }

    /** Broadcast operands of div and maximum go through the fused backwards: the compositions' bits. */
    @Test
    void broadcastDivAndMaximumBackwardsEqualTheirCompositions() {
        double nan = Double.NaN;
        Tensor m = Tensor.of(new double[][] {{1, -2, 0, 3}, {0.5, nan, -0.0, 7}, {2, 2, 1e300, -1e-300}});
        Tensor gm = Tensor.of(new double[][] {{1, 0, -2, 0.5}, {3, 1, 1, -1}, {0, 2, 4, 1e10}});
        for (Tensor other : List.of(Tensor.of(new double[] {2, 0, -0.5, 1e-300}), Tensor.of(new double[][] {{-1}, {0}, {3}}),
                Tensor.scalar(2), Tensor.scalar(0))) {
            Tensor b = other.detach().requiresGrad(true);
            Tensor a = m.detach().requiresGrad(true);
            Tensor[] div = Tensor.grad(List.of(a.div(b).mul(gm).sum()), List.of(a, b), false).toArray(new Tensor[0]);
            Tensor q = m.div(other);
            assertBits(gm.chainDiv(other).sumTo(m.shape), div[0], "div towards a, b " + other);
            assertBits(gm.chain(q).chainDiv(other).neg().sumTo(other.shape), div[1], "div towards b " + other);
            Tensor[] max = Tensor.grad(List.of(a.maximum(b).mul(gm).sum()), List.of(a, b), false).toArray(new Tensor[0]);
            Tensor half = m.eq(other).mul(0.5);
            assertBits(gm.chain(m.lt(other).add(half).neg().add(1)).sumTo(m.shape), max[0], "maximum towards a, b " + other);
            assertBits(gm.chain(m.gt(other).add(half).neg().add(1)).sumTo(other.shape), max[1], "maximum towards b " + other);
        }
    }

    private static void assertBits(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        double[] e = expected.toArray();
        double[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(Double.doubleToLongBits(e[i]), Double.doubleToLongBits(a[i]), what + " at " + i);
        }
    }

    @Test
    void maximumsBackwardEqualsItsCompositionTiesAndNaNIncluded() {
        double[] a = {1, 2, 3, Double.NaN, 0, -0.0, 5, Double.POSITIVE_INFINITY};
        double[] b = {2, 2, 1, 0, Double.NaN, 0.0, 5, 1};
        double[] g = {1.5, -2, 3, 4, 0.5, 1, 0, 2};
        Tensor x = Tensor.of(a).requiresGrad(true);
        Tensor y = Tensor.of(b).requiresGrad(true);
        x.maximum(y).backward(Tensor.of(g));
        Tensor half = Tensor.of(a).eq(Tensor.of(b)).mul(0.5);
        double[][] composed = {
            Tensor.of(g).chain(Tensor.of(a).lt(Tensor.of(b)).add(half).neg().add(1)).toArray(),
            Tensor.of(g).chain(Tensor.of(a).gt(Tensor.of(b)).add(half).neg().add(1)).toArray()};
        double[][] fused = {x.grad().toArray(), y.grad().toArray()};
        for (int side = 0; side < 2; side++) {
            for (int i = 0; i < a.length; i++) {
                assertEquals(Double.doubleToLongBits(composed[side][i]), Double.doubleToLongBits(fused[side][i]), "side " + side + " at " + i);
            }
        }
        assertArrayEquals(new double[] {0, -1, 3, 4, 0.5, 0.5, 0, 2}, fused[0], 0, "1 wins, 0.5 at ties (-0 = 0), 1 with NaN");
        Tensor gx = Tensor.grad(List.of(Tensor.of(a).requiresGrad(true).maximum(y).sum()), List.of(y), true).get(0);
        assertEquals(ArithmeticOps.MAXIMUM_BACKWARD, gx.op(), "one fused primitive");
    }

    @Test
    void secondDerivativesGoThroughTheFusedOps() {
        double[] at = {-1.2, -0.1, 0.3, 2};
        Tensor x = Tensor.of(at).requiresGrad(true);
        Tensor dx = Tensor.grad(List.of(x.tanh().sum()), List.of(x), true).get(0);
        Tensor d2 = Tensor.grad(List.of(dx.sum()), List.of(x), false).get(0);
        Tensor v = Tensor.of(at).requiresGrad(true);
        Tensor dv = Tensor.grad(List.of(v.sigmoid().sum()), List.of(v), true).get(0);
        Tensor d2v = Tensor.grad(List.of(dv.sum()), List.of(v), false).get(0);
        double[] tanh2 = new double[at.length];
        double[] sigmoid2 = new double[at.length];
        for (int i = 0; i < at.length; i++) {
            double t = Math.tanh(at[i]);
            double s = 1 / (1 + Math.exp(-at[i]));
            tanh2[i] = -2 * t * (1 - t * t);
            sigmoid2[i] = s * (1 - s) * (1 - 2 * s);
        }
        assertArrayEquals(tanh2, d2.toArray(), 1e-15);
        assertArrayEquals(sigmoid2, d2v.toArray(), 1e-15);
    }

    /** softmax and log-softmax as compositions of primitives, as jgrad computed them before they were fused. */
    private static Tensor composed(boolean log, Tensor x, int axis) {
        Tensor m = x.max(axis, true).detach();
        Tensor shifted = x.sub(Tensor.where(m.abs().lt(Double.POSITIVE_INFINITY), m, Tensor.scalar(0)));
        Tensor sum = shifted.exp().sum(new int[] {axis}, true);
        return log ? shifted.sub(sum.log()) : shifted.exp().div(sum);
    }

    @Test
    void softmaxAndLogSoftmaxEqualTheirCompositionsAlongEveryAxis() {
        Tensor x = Tensor.randn(new SplittableRandom(5), 3, 4, 6).mul(4);
        Tensor g = Tensor.randn(new SplittableRandom(6), 3, 4, 6);
        for (boolean log : new boolean[] {false, true}) {
            for (int axis = 0; axis < 3; axis++) {
                Tensor a = x.detach().requiresGrad(true);
                Tensor b = x.detach().requiresGrad(true);
                Tensor fused = log ? a.logSoftmax(axis) : a.softmax(axis);
                Tensor plain = composed(log, b, axis);
                String what = (log ? "logSoftmax" : "softmax") + " along axis " + axis;
                assertEquals(log ? ReduceOps.LOG_SOFTMAX : ReduceOps.SOFTMAX, fused.op(), what);
                assertArrayEquals(plain.toArray(), fused.toArray(), 0, what);
                fused.backward(g);
                plain.backward(g);
                assertArrayEquals(b.grad().toArray(), a.grad().toArray(), 1e-14, what + ", gradient");
            }
        }
    }

    @Test
    void softmaxBackwardSumsALongRowPairwise() {
        // sum(g * y) over a row of one 1 and 4095 terms of 1e-17: added one by one after the 1, every
        // small term is lost (the sum stays 1); pairwise, as the forward sums, they are kept
        int r = 4096;
        double[] y = new double[r];
        double[] g = new double[r];
        java.util.Arrays.fill(y, 1e-17);
        java.util.Arrays.fill(g, 1);
        y[0] = 1;
        double[] out = io.github.jgrad.autodiff.internal.Softmax.softmaxBackward(false, g, y, 1, r, 1);
        double s = 1 + (r - 1) * 1e-17;                       // to 1e-16 relative
        assertEquals(1e-17 * (1 - s), out[1], 1e-17 * (s - 1) * 0.02, "y (g - s) with s kept to its small terms");
    }

    @Test
    void softmaxAtTheEdgesIsTheCompositions() {
        double inf = Double.POSITIVE_INFINITY;
        Tensor x = Tensor.of(new double[] {-inf, -inf, -inf, inf, 1, -inf, 1e8, -1e8, 3, Double.NaN, 0, 1, 0, 0, 0},
                5, 3);
        for (boolean log : new boolean[] {false, true}) {
            double[] fused = (log ? x.logSoftmax(1) : x.softmax(1)).toArray();
            double[] plain = composed(log, x, 1).toArray();
            assertArrayEquals(plain, fused, 0, log ? "logSoftmax" : "softmax");
            Tensor columns = x.mT(); // the same rows as columns: the kernel's strided lanes
            double[] fusedLanes = (log ? columns.logSoftmax(0) : columns.softmax(0)).toArray();
            assertArrayEquals(composed(log, columns, 0).toArray(), fusedLanes, 0, (log ? "logSoftmax" : "softmax") + " along 0");
        }
        assertArrayEquals(new double[] {Double.NaN, 0, 0}, x.softmax(1).slice(0, 1, 2, 1).reshape(3).toArray(), 0);
        assertArrayEquals(new double[] {0, -2e8, 3 - 1e8}, x.logSoftmax(1).slice(0, 2, 3, 1).reshape(3).toArray(), 0);
    }

    @Test
    void theCrossEntropyGradientIsSoftmaxMinusOneHot() {
        double[] z = {2, -1, 0.5, 0.1, 0.2, 0.3};
        Tensor logits = Tensor.of(z, 2, 3).requiresGrad(true);
        Tensor picked = logits.logSoftmax(1).gather(1, Tensor.of(new double[] {0, 2}, 2, 1));
        picked.sum().neg().backward();
        double[] expected = new double[6];
        for (int row = 0; row < 2; row++) {
            double sum = 0;
            for (int c = 0; c < 3; c++) {
                sum += Math.exp(z[row * 3 + c]);
            }
            for (int c = 0; c < 3; c++) {
                expected[row * 3 + c] = Math.exp(z[row * 3 + c]) / sum - (c == (row == 0 ? 0 : 2) ? 1 : 0);
            }
        }
        assertArrayEquals(expected, logits.grad().toArray(), 4e-16); // a few ulps of numbers below 1
    }

    /** Every kind of double, NaN payloads included. */
    private static final double[] SPECIALS = {0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, 1e-310, 1, -1,
        Double.MAX_VALUE, -Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN,
        Double.longBitsToDouble(0x7ff0000000000001L), Double.longBitsToDouble(0xfff8000000000000L)};

    /** An n x n grid of every pair of {@link #SPECIALS}: the points x (by row) and the gradients g (by column). */
    private static Tensor[] grid() {
        int n = SPECIALS.length;
        double[] x = new double[n * n];
        double[] g = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                x[i * n + j] = SPECIALS[i];
                g[i * n + j] = SPECIALS[j];
            }
        }
        return new Tensor[] {Tensor.of(x, n, n), Tensor.of(g, n, n)};
    }

    /**
     * The chain rule's product and quotient are g == 0 ? 0 : g * d (g / d) bit for bit at every kind
     * of number, on every loop that computes them: contiguous, with one number, broadcast, float32.
     * NaN's payload is not compared: Java leaves it open, and a compiled loop may swap operands.
     */
    @Test
    void chainAndChainDivAreTheZeroRuleBitForBitOnEveryPath() {
        Tensor[] xg = grid();
        double[] d = xg[0].toArray();
        double[] g = xg[1].toArray();
        int n = xg[0].shape(0);
        for (boolean div : new boolean[] {false, true}) {
            double[] contiguous = (div ? xg[1].chainDiv(xg[0]) : xg[1].chain(xg[0])).toArray();
            double[] column = (div ? xg[1].chainDiv(xg[0].slice(1, 0, 1)) : xg[1].chain(xg[0].slice(1, 0, 1))).toArray();
            float[] floats = (div ? xg[1].to(DType.FLOAT32).chainDiv(xg[0].to(DType.FLOAT32))
                    : xg[1].to(DType.FLOAT32).chain(xg[0].to(DType.FLOAT32))).toFloatArray();
            for (int k = 0; k < d.length; k++) {
                double expected = g[k] == 0 ? 0 : div ? g[k] / d[k] : g[k] * d[k];
                assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(contiguous[k]),
                        (div ? "chainDiv(" : "chain(") + g[k] + ", " + d[k] + ")");
                double dc = d[(k / n) * n];
                double expectedColumn = g[k] == 0 ? 0 : div ? g[k] / dc : g[k] * dc;
                assertEquals(Double.doubleToLongBits(expectedColumn), Double.doubleToLongBits(column[k]),
                        "broadcast " + (div ? "chainDiv(" : "chain(") + g[k] + ", " + dc + ")");
                float gf = (float) g[k];
                float df = (float) d[k];
                float expectedFloat = gf == 0 ? 0 : div ? gf / df : gf * df;
                assertEquals(Float.floatToIntBits(expectedFloat), Float.floatToIntBits(floats[k]),
                        "float32 " + (div ? "chainDiv(" : "chain(") + gf + ", " + df + ")");
            }
            for (double c : new double[] {Double.POSITIVE_INFINITY, Double.NaN, 0.0, -2.5}) {
                double[] scalar = (div ? xg[1].chainDiv(Tensor.scalar(c)) : xg[1].chain(Tensor.scalar(c))).toArray();
                for (int k = 0; k < g.length; k++) {
                    double expected = g[k] == 0 ? 0 : div ? g[k] / c : g[k] * c;
                    assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(scalar[k]),
                            (div ? "chainDiv(" : "chain(") + g[k] + ", " + c + ")");
                }
            }
        }
    }

    @Test
    void reluBackwardIsASelectBitForBitAtEveryKindOfNumber() {
        Tensor[] xg = grid();
        double[] x = xg[0].toArray();
        double[] g = xg[1].toArray();
        double[] gated = ChainOps.gate(xg[1], xg[0]).toArray();
        for (int k = 0; k < x.length; k++) {
            double expected = x[k] > 0 ? g[k] : 0.0;
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(gated[k]),
                    "gate(" + g[k] + ", " + x[k] + ")");
        }
    }

    /** As PyTorch's clamp_backward: where(low &lt;= x &lt;= high, g, 0), so 0 * inf outside stays 0. */
    @Test
    void clampBackwardIsASelectBitForBitAtEveryKindOfNumber() {
        Tensor[] xg = grid();
        double[] x = xg[0].toArray();
        double[] g = xg[1].toArray();
        Tensor xt = xg[0].detach().requiresGrad(true);
        xt.clamp(-1, 2).backward(xg[1]);
        double[] dx = xt.grad().toArray();
        for (int k = 0; k < x.length; k++) {
            double expected = x[k] >= -1 && x[k] <= 2 ? g[k] : 0.0;
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(dx[k]),
                    "clamp's gradient " + g[k] + " at " + x[k]);
        }
        Tensor f = Tensor.of(new float[] {-3, -1, 0.5f, 2, 7, Float.NaN}, 6).requiresGrad(true);
        Tensor fc = f.clamp(-1, 2);
        assertArrayEquals(new float[] {-1, -1, 0.5f, 2, 2, Float.NaN}, fc.toFloatArray());
        fc.backward(Tensor.of(new float[] {1, 2, 3, 4, Float.POSITIVE_INFINITY, 6}, 6));
        assertArrayEquals(new float[] {0, 2, 3, 4, 0, 0}, f.grad().toFloatArray(), "float32, bounds included");
    }

    @Test
    void absBackwardIsTheChainRulesProductBySignAtEveryKindOfNumber() {
        Tensor[] xg = grid();
        for (DType dtype : DType.values()) {
            Tensor xt = xg[0].to(dtype);
            Tensor gt = xg[1].to(dtype);
            double[] got = ChainOps.chainSign(gt, xt).toArray();
            double[] gv = gt.toArray();
            double[] xv = xt.toArray();
            for (int k = 0; k < xv.length; k++) {
                double expected = gv[k] == 0 ? 0.0 : gv[k] * Math.signum(xv[k]); // the composition it replaces
                assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(got[k]),
                        dtype + ": chainSign(" + gv[k] + ", " + xv[k] + ")");
            }
        }
    }

    @Test
    void float32SquaresBackwardIsFloat64sRoundedOnce() {
        // (2g) * a in float, recomputed in double where 2g overflows: every pair of these, both ways
        float[] v = {0, -0f, 1, -1, 0.1f, 3, -7.5f, 1e-20f, 1e20f, 0x1p-149f, -0x1p-149f, 0x1.8p-148f, 0x1p-126f, 0x1.fffffep126f,
            0x1p127f, -0x1.5p127f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        int n = v.length * v.length + 600; // past a block of 512, on the second block's loop too
        float[] g = new float[n];
        float[] a = new float[n];
        java.util.SplittableRandom r = new java.util.SplittableRandom(29);
        for (int i = 0; i < n; i++) {
            boolean pair = i < v.length * v.length;
            g[i] = pair ? v[i / v.length] : (float) r.nextGaussian() * (i % 7 == 0 ? 0x1p127f : 1);
            a[i] = pair ? v[i % v.length] : (float) r.nextGaussian() * (i % 5 == 0 ? 0x1p-140f : 1);
        }
        Tensor x = Tensor.of(a, n).requiresGrad(true);
        x.pow(2).backward(Tensor.of(g, n));
        float[] got = x.grad().toFloatArray();
        int overflowed = 0;
        for (int i = 0; i < n; i++) {
            float expected = (float) io.github.jgrad.autodiff.internal.ChainRule.chain(g[i], 2.0 * a[i]);
            overflowed += Math.abs(g[i]) >= 0x1p127f && Float.isFinite(g[i]) && Float.isFinite(expected) ? 1 : 0;
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(got[i]), "x^2's gradient at " + a[i] + " for g = " + g[i]);
        }
        assertTrue(overflowed > 10, "pairs where 2g overflows and the result does not: " + overflowed);
    }
}
