package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Forward values and error messages of tensor operations. */
class TensorTest {

    private static Tensor t(double[] d, int... shape) {
        return Tensor.of(d, shape);
    }

    static void assertMessage(Executable e, String... parts) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        for (String p : parts) {
            assertTrue(x.getMessage().contains(p), "message '" + x.getMessage() + "' lacks '" + p + "'");
        }
    }

    @Test
    void createFillsTheTensorsOwnArrayAndPassesTheFillersExceptionOn() throws java.io.IOException {
        Tensor t = Tensor.create(new int[] {2, 3}, d -> {
            assertEquals(6, d.length);
            for (int i = 0; i < d.length; i++) {
                d[i] = i * i;
            }
        });
        assertArrayEquals(new int[] {2, 3}, t.shape());
        assertArrayEquals(new double[] {0, 1, 4, 9, 16, 25}, t.toArray());
        assertMessage(() -> Tensor.create(new int[] {-1}, d -> { }), "create: negative dimension in shape (-1)");
        java.io.IOException failure = new java.io.IOException("disk gone");
        assertSame(failure, assertThrows(java.io.IOException.class, () -> Tensor.create(new int[] {1}, d -> {
            throw failure;
        })));
    }

    @Test
    void randomTensorsDrawFromTheGeneratorGiven() {
        SplittableRandom expected = new SplittableRandom(7);
        double[] draws = new double[12];
        for (int i = 0; i < draws.length; i++) {
            draws[i] = expected.nextGaussian();
        }
        SplittableRandom random = new SplittableRandom(7);
        Tensor first = Tensor.randn(random, 3, 2);
        Tensor next = Tensor.randn(random, 6);
        assertArrayEquals(new int[] {3, 2}, first.shape());
        assertArrayEquals(java.util.Arrays.copyOf(draws, 6), first.toArray(), 0, "row-major, one draw each");
        assertArrayEquals(java.util.Arrays.copyOfRange(draws, 6, 12), next.toArray(), 0,
                "one generator, successive draws");
        SplittableRandom uniforms = new SplittableRandom(3);
        double u = uniforms.nextDouble();
        assertEquals(-2 + 5 * u, Tensor.uniform(new SplittableRandom(3), -2, 3, 1).item());
        assertEquals(u, Tensor.rand(new SplittableRandom(3)).item(), "no dims: a 0-d tensor");
        assertEquals("randn: the random generator is null",
                assertThrows(NullPointerException.class, () -> Tensor.randn(null, 2)).getMessage());
        assertEquals("uniform: the random generator is null",
                assertThrows(NullPointerException.class, () -> Tensor.uniform(null, 0, 1, 2)).getMessage());
        assertEquals("rand: the random generator is null",
                assertThrows(NullPointerException.class, () -> Tensor.rand(null, 2)).getMessage());
    }

    @Test
    void factories() {
        assertArrayEquals(new int[] {2, 3}, Tensor.zeros(2, 3).shape());
        assertArrayEquals(new double[] {1, 1}, Tensor.ones(2).toArray());
        assertArrayEquals(new double[] {7, 7, 7, 7}, Tensor.full(new int[] {2, 2}, 7).toArray());
        assertArrayEquals(new double[] {0, 1, 2, 3}, Tensor.arange(4).toArray());
        assertArrayEquals(new double[] {1, 0.5, 0}, Tensor.arange(1, -0.1, -0.5).toArray(), 1e-15);
        assertArrayEquals(new double[] {1, 0, 0, 1}, Tensor.eye(2).toArray());
        assertEquals(0, Tensor.scalar(3).dim());
        assertEquals(3.0, Tensor.scalar(3).item());
        assertArrayEquals(Tensor.randn(new SplittableRandom(7), 5).toArray(), Tensor.randn(new SplittableRandom(7), 5).toArray(), "same seed, same numbers");
        Tensor u = Tensor.uniform(new SplittableRandom(1), -2, 3, 1000);
        for (double v : u.toArray()) {
            assertTrue(v >= -2 && v < 3);
        }
        double mean = Tensor.randn(new SplittableRandom(3), 100_000).mean().item();
        assertEquals(0, mean, 0.02);
        assertEquals(6.0, Tensor.of(new double[][] {{1, 2, 3}, {4, 5, 6}}).get(1, 2));
        assertMessage(() -> Tensor.of(new double[5], 2, 3), "5 values", "(2, 3)");
        assertMessage(() -> Tensor.zeros(2, -1), "negative", "(2, -1)");
        assertMessage(() -> Tensor.zeros(65536, 65536, 65536, 65536), "(65536, 65536, 65536, 65536)", "more than");
        assertEquals(5.0, Tensor.scalar(5).permute().item(), "a scalar permutes to itself");
    }

    @Test
    void broadcastingFollowsNumpy() {
        Tensor a = t(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor row = t(new double[] {10, 20, 30}, 3);
        Tensor col = t(new double[] {100, 200}, 2, 1);
        assertArrayEquals(new double[] {11, 22, 33, 14, 25, 36}, a.add(row).toArray());
        assertArrayEquals(new double[] {101, 102, 103, 204, 205, 206}, a.add(col).toArray());
        Tensor outer = col.mul(row);
        assertArrayEquals(new int[] {2, 3}, outer.shape());
        assertArrayEquals(new double[] {1000, 2000, 3000, 2000, 4000, 6000}, outer.toArray());
        assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5}, a.sub(1).toArray());
        assertMessage(() -> a.add(t(new double[] {1, 2}, 2)), "add", "(2, 3)", "(2)");
        Tensor c = Tensor.arange(24).reshape(2, 1, 3, 4);
        Tensor d = Tensor.arange(6).reshape(2, 3, 1);
        assertArrayEquals(new int[] {2, 2, 3, 4}, c.add(d).shape());
        assertEquals(23.0 + 5.0, c.add(d).get(1, 1, 2, 3));
        assertEquals(0.0 + 3.0, c.add(d).get(0, 1, 0, 0));
    }

    @Test
    void unaryOpsAndComparisons() {
        Tensor x = t(new double[] {-2, 0, 0.5, 3});
        assertArrayEquals(new double[] {0, 0, 0.5, 3}, x.relu().toArray());
        assertArrayEquals(new double[] {2, 0, 0.5, 3}, x.abs().toArray());
        assertArrayEquals(new double[] {-1, 0, 0.5, 1}, x.clamp(-1, 1).toArray());
        assertArrayEquals(new double[] {0, 0, 1, 1}, x.gt(0).toArray());
        assertArrayEquals(new double[] {Math.tanh(-2), 0, Math.tanh(0.5), Math.tanh(3)}, x.tanh().toArray(), 1e-16);
        assertArrayEquals(new double[] {1, 0, 0, 1}, x.sigmoid().sub(0.5).abs().gt(0.3).toArray());
        assertEquals(0.0, Tensor.scalar(-1000).sigmoid().item());
        assertEquals(1.0, Tensor.scalar(1000).sigmoid().item());
        Tensor w = Tensor.where(x.gt(0), x, x.mul(-10));
        assertArrayEquals(new double[] {20, -0.0, 0.5, 3}, w.toArray());   // 0 * -10 = -0.0, kept as NumPy keeps it
    }

    @Test
    void reductionsAlongAnyAxes() {
        Tensor a = Tensor.arange(24).reshape(2, 3, 4);
        assertEquals(276.0, a.sum().item());
        assertEquals(11.5, a.mean().item());
        Tensor s1 = a.sum(1, false);
        assertArrayEquals(new int[] {2, 4}, s1.shape());
        assertArrayEquals(new double[] {12, 15, 18, 21, 48, 51, 54, 57}, s1.toArray());
        Tensor s02 = a.sum(new int[] {0, 2}, true);
        assertArrayEquals(new int[] {1, 3, 1}, s02.shape());
        assertArrayEquals(new double[] {60, 92, 124}, s02.toArray()); // sum over i, k of 12i + 4j + k
        assertArrayEquals(new double[] {3, 7, 11, 15, 19, 23}, a.max(-1, false).toArray());
        assertArrayEquals(new double[] {0, 1, 2, 3}, a.min(new int[] {0, 1}, false).toArray());
        assertArrayEquals(new int[] {1, 1, 1}, a.max(new int[0], true).shape());
        assertMessage(() -> a.sum(3, false), "sum", "axis 3", "shape (2, 3, 4)");
        assertMessage(() -> a.sum(new int[] {1, -2}, false), "axis 1 given twice");
        assertMessage(() -> Tensor.zeros(2, 0).max(1, false), "max", "empty");
    }

    @Test
    void sumsArePairwiseAndMaxPropagatesNaN() {
        // 1 + 1e6 copies of 1e-16: a running sum stays at 1.0, pairwise summation keeps the 1e-10
        double[] d = new double[1_000_001];
        d[0] = 1;
        java.util.Arrays.fill(d, 1, d.length, 1e-16);
        assertEquals(1 + 1e-10, Tensor.of(d).sum().item(), 1e-14);
        assertEquals(1 + 1e-10, Tensor.of(d).reshape(1, -1).sum(1, false).item(), 1e-14);
        assertTrue(Double.isNaN(Tensor.of(new double[] {1, Double.NaN, 3}).max().item()));
        Tensor columns = Tensor.of(new double[] {1, Double.NaN, 3, 4}, 2, 2).max(0, false);
        assertEquals(3.0, columns.get(0));
        assertTrue(Double.isNaN(columns.get(1)));
        assertEquals(Double.doubleToRawLongBits(0.0),
                Double.doubleToRawLongBits(Tensor.of(new double[] {-0.0}).relu().item()), "relu(-0.0) is +0.0");
    }

    @Test
    void argmaxFollowsNumpy() {
        Tensor a = Tensor.of(new double[] {1, 5, 5, 0, 7, -1, Double.NaN, 2, 9}, 3, 3);
        assertArrayEquals(new double[] {1, 1, 0}, a.argmax(1).toArray(), "first of tied maxima; first NaN");
        assertArrayEquals(new double[] {2, 1, 2}, a.argmax(0).toArray());
        assertArrayEquals(new int[] {3}, a.argmax(-1).shape());
        assertEquals(0, Tensor.of(new double[] {4, 2}).argmax(0).dim());
        assertMessage(() -> Tensor.zeros(2, 0).argmax(1), "argmax", "empty");
    }

    @Test
    void softmaxStaysFiniteForHugeLogits() {
        Tensor logits = t(new double[] {1000, -1000, 0, 999, 1000, 1000}, 2, 3);
        Tensor p = logits.softmax(1);
        Tensor lp = logits.logSoftmax(1);
        for (double v : lp.toArray()) {
            assertTrue(Double.isFinite(v), lp.toString());
        }
        double e = Math.exp(-1);
        assertArrayEquals(new double[] {1, 0, 0, e / (2 + e), 1 / (2 + e), 1 / (2 + e)},
                p.toArray(), 1e-16);
        assertEquals(-2000.0, lp.get(0, 1), 1e-12);
        assertArrayEquals(new double[] {1, 1}, p.sum(1, false).toArray(), 1e-15);
    }

    @Test
    void matmulHasNumpySemantics() {
        Tensor a = Tensor.arange(6).reshape(2, 3);
        Tensor b = Tensor.arange(12).reshape(3, 4);
        Tensor c = a.matmul(b);
        assertArrayEquals(new int[] {2, 4}, c.shape());
        assertArrayEquals(new double[] {20, 23, 26, 29, 56, 68, 80, 92}, c.toArray());
        Tensor v = t(new double[] {1, 2, 3});
        assertEquals(0, v.matmul(v).dim());
        assertEquals(14.0, v.matmul(v).item());
        assertArrayEquals(new double[] {8, 26}, a.matmul(v).toArray());          // (2,3)@(3) -> (2)
        assertArrayEquals(new double[] {32, 38, 44, 50}, v.matmul(b).toArray()); // (3)@(3,4) -> (4)
        Tensor batch = Tensor.arange(2 * 2 * 3).reshape(2, 1, 2, 3);
        Tensor many = Tensor.arange(3 * 3 * 2).reshape(3, 3, 2);
        Tensor bc = batch.matmul(many);
        assertArrayEquals(new int[] {2, 3, 2, 2}, bc.shape());
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                for (int r = 0; r < 2; r++) {
                    for (int col = 0; col < 2; col++) {
                        double expected = 0;
                        for (int k = 0; k < 3; k++) {
                            expected += batch.get(i, 0, r, k) * many.get(j, k, col);
                        }
                        assertEquals(expected, bc.get(i, j, r, col));
                    }
                }
            }
        }
        assertMessage(() -> a.matmul(a), "matmul", "(2, 3)", "not aligned", "3", "2");
        assertMessage(() -> Tensor.scalar(1).matmul(v), "matmul", "()", "(3)");
        assertMessage(() -> Tensor.zeros(2, 2, 3).matmul(Tensor.zeros(3, 3, 1)), "matmul", "(2)", "(3)");
    }

    @Test
    void largeMatmulMatchesNaiveLoops() {
        int n = 130;
        int k = 257;
        int m = 129; // odd sizes cross block boundaries and the two-thread split
        Tensor a = Tensor.randn(new SplittableRandom(1), n, k);
        Tensor b = Tensor.randn(new SplittableRandom(2), k, m);
        Tensor c = a.matmul(b);
        double[] ad = a.toArray();
        double[] bd = b.toArray();
        for (int i = 0; i < n; i += 7) {
            for (int j = 0; j < m; j += 5) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += ad[i * k + p] * bd[p * m + j];
                }
                assertEquals(s, c.get(i, j), 1e-12);
            }
        }
    }

    @Test
    void layoutOps() {
        Tensor a = Tensor.arange(6).reshape(2, 3);
        assertArrayEquals(new double[] {0, 3, 1, 4, 2, 5}, a.transpose(0, 1).toArray());
        assertArrayEquals(new int[] {3, 2}, a.mT().shape());
        assertArrayEquals(new int[] {3, 2}, a.reshape(-1, 2).shape());
        assertArrayEquals(new int[] {2, 1, 3}, a.unsqueeze(1).shape());
        assertArrayEquals(new int[] {2, 3}, a.unsqueeze(1).squeeze(1).shape());
        Tensor p = Tensor.arange(24).reshape(2, 3, 4).permute(2, 0, 1);
        assertArrayEquals(new int[] {4, 2, 3}, p.shape());
        assertEquals(1 * 12 + 2 * 4 + 3, p.get(3, 1, 2));
        assertArrayEquals(new double[] {1, 2, 4, 5}, a.slice(1, 1, 3).toArray());
        assertArrayEquals(new double[] {0, 2, 3, 5}, a.slice(1, 0, 3, 2).toArray());
        assertArrayEquals(new double[] {3, 4, 5, 0, 1, 2, 3, 4, 5}, a.indexSelect(0, 1, 0, 1).toArray());
        Tensor idx = t(new double[] {2, 0, 1, 1}, 2, 2);
        assertArrayEquals(new double[] {2, 0, 4, 4}, a.gather(1, idx).toArray());
        Tensor cat = Tensor.concat(1, a, Tensor.full(new int[] {2, 1}, 9));
        assertArrayEquals(new double[] {0, 1, 2, 9, 3, 4, 5, 9}, cat.toArray());
        Tensor st = Tensor.stack(0, a, a);
        assertArrayEquals(new int[] {2, 2, 3}, st.shape());
        assertArrayEquals(new int[] {2, 3, 2}, Tensor.stack(2, a, a).shape());
        assertArrayEquals(new double[] {0, 1, 2, 0, 1, 2}, t(new double[] {0, 1, 2}).broadcastTo(2, 3).toArray());

        assertMessage(() -> a.reshape(4, 2), "reshape", "(2, 3)", "(4, 2)");
        assertMessage(() -> a.slice(1, 2, 5), "slice", "(2, 3)");
        assertMessage(() -> a.indexSelect(0, 2), "indexSelect", "index 2", "(2, 3)");
        assertMessage(() -> a.gather(1, t(new double[] {3, 0}, 2, 1)), "gather", "3.0");
        assertMessage(() -> a.gather(0, t(new double[] {0, 1}, 1, 2)), "gather", "(1, 2)", "(2, 3)");
        assertMessage(() -> Tensor.concat(0, a, Tensor.zeros(2, 2)), "concat", "(2, 2)", "(2, 3)");
        assertMessage(() -> Tensor.stack(0, a, Tensor.zeros(3, 2)), "stack", "(2, 3)", "(3, 2)");
        assertMessage(() -> a.permute(0, 0), "permute", "repeated");
        assertArrayEquals(new double[] {0}, Tensor.arange(10).slice(0, 0, 10, Integer.MAX_VALUE).toArray());
        Tensor wide = Tensor.zeros(0, 1 << 30);
        assertMessage(() -> Tensor.concat(1, wide, wide, wide), "concat", "exceed");
        assertMessage(() -> Tensor.arange(0, 1e12, 1), "arange", "exceed");
        assertMessage(() -> a.broadcastTo(3, 3), "broadcastTo", "(2, 3)", "(3, 3)");
    }

    @Test
    void noGradScopeRecordsNothing() {
        Tensor w = Tensor.ones(2).requiresGrad(true);
        try (GradMode.Scope ignored = GradMode.disabled()) {
            Tensor y = w.mul(3).sum();
            assertTrue(!y.requiresGrad() && y.op() == ReduceOps.SUM);
            assertThrows(IllegalStateException.class, y::backward);
            try (GradMode.Scope inner = GradMode.enabled()) {
                assertTrue(w.mul(3).requiresGrad());
            }
            assertTrue(!w.mul(3).requiresGrad(), "disabled again after the inner scope");
        }
        assertTrue(w.mul(3).requiresGrad());
        assertTrue(!w.detach().requiresGrad());
    }
}
