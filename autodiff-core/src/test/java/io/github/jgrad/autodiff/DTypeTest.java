package io.github.jgrad.autodiff;

import static io.github.jgrad.autodiff.DType.FLOAT32;
import static io.github.jgrad.autodiff.DType.FLOAT64;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** float32 tensors: every op of the table against float64, promotion, conversion, and what reports show. */
class DTypeTest {
    private static final double F32_EPS = Math.ulp(1.0f);

    /** Float32 copies of {@code in} that require grad, and the same values widened to float64. */
    private static List<List<Tensor>> twins(Tensor[] in) {
        List<Tensor> singles = new ArrayList<>();
        List<Tensor> doubles = new ArrayList<>();
        for (Tensor t : in) {
            Tensor single = Tensor.of(t.toFloatArray(), t.shape()).requiresGrad(true);
            singles.add(single);
            doubles.add(Tensor.of(single.toArray(), t.shape()).requiresGrad(true));
        }
        return List.of(singles, doubles);
    }

    private static boolean isProduct(Op op) {
        return op == ProductOps.MATMUL || op == ProductOps.MATMUL_NT || op == ProductOps.MATMUL_TN
                || op == ProductOps.MATMUL_TT || op == ProductOps.MATMUL_ADD;
    }

    /** exp, tanh, sigmoid, log, sin and cos, whose float32 kernels are not float64's rounded (FloatFunctionAccuracyTest). */
    private static boolean floatKernel(Op op) {
        return op == UnaryOps.EXP || op == UnaryOps.TANH || op == UnaryOps.SIGMOID || op == UnaryOps.LOG
                || op == UnaryOps.SIN || op == UnaryOps.COS;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.github.jgrad.autodiff.OpTableTest#tensorRows")
    void everyOpInFloat32IsItsFloat64ResultRoundedOnceAndItsGradientsAgree(OpTable.Row row) {
        for (long seed = 1; seed <= 3; seed++) {
            List<List<Tensor>> twins = twins(row.inputs(seed));
            Tensor y32 = row.tensor().apply(twins.get(0));
            Tensor y64 = row.tensor().apply(twins.get(1));
            assertEquals(FLOAT32, y32.dtype(), row + " on float32 inputs");
            float[] expected = y64.toFloatArray();
            float[] actual = y32.toFloatArray();
            if (isProduct(row.op())) { // sgemm accumulates in float32
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i], actual[i], 8 * F32_EPS * (1 + Math.abs(expected[i])), row + " at " + i);
                }
            } else if (floatKernel(row.op())) { // made for float results: the float beside float64's at most
                for (int i = 0; i < expected.length; i++) {
                    assertTrue(FloatFunctionAccuracyTest.ulps(expected[i], actual[i]) <= 1, row + " at " + i);
                }
            } else { // computed in double and rounded once: exactly float64's result rounded
                assertArrayEquals(expected, actual, row + ": float32 result is not float64's rounded");
            }
            Tensor w = Tensor.randn(new SplittableRandom(seed + 100), y64.shape());
            List<Tensor> g32 = Tensor.grad(List.of(y32.mul(w.to(FLOAT32)).sum()), twins.get(0), false);
            List<Tensor> g64 = Tensor.grad(List.of(y64.mul(w).sum()), twins.get(1), false);
            for (int k = 0; k < g32.size(); k++) {
                assertEquals(FLOAT32, g32.get(k).dtype(), row + ": gradient " + k);
                double[] a = g32.get(k).toArray();
                double[] e = g64.get(k).toArray();
                double scale = 1;
                for (double v : e) {
                    scale = Math.max(scale, Math.abs(v));
                }
                for (int i = 0; i < a.length; i++) { // a few roundings of float32, relative to the gradient's size
                    assertEquals(e[i], a[i], 64 * F32_EPS * scale, row + ": gradient " + k + " at " + i);
                }
            }
        }
    }

    @Test
    void float32SoftmaxRowsAreFloat64sRoundedOnce() { // a row at a time in a buffer of doubles (Softmax.softmaxRows)
        for (int[] shape : new int[][] {{300, 10}, {3, 700}, {2, 3, 64}, {70_000, 2}, {5, 1}, {4, 0}}) {
            Tensor x = Tensor.randn(new SplittableRandom(11), shape).mul(8).to(FLOAT32);
            float[] v = x.toFloatArray();
            int n = shape[shape.length - 1];
            if (n > 1 && v.length >= 4 * n) { // rows with infinities and NaN, and a row of -inf
                v[0] = Float.NEGATIVE_INFINITY;
                v[1] = Float.NaN;
                v[2 * n] = Float.POSITIVE_INFINITY;
                java.util.Arrays.fill(v, 3 * n, 4 * n, Float.NEGATIVE_INFINITY);
                x = Tensor.of(v, shape);
            }
            Tensor wide = x.to(FLOAT64);
            String what = java.util.Arrays.toString(shape);
            assertArrayEquals(wide.softmax(-1).toFloatArray(), x.softmax(-1).toFloatArray(), "softmax " + what);
            assertArrayEquals(wide.logSoftmax(-1).toFloatArray(), x.logSoftmax(-1).toFloatArray(), "logSoftmax " + what);
            assertEquals(FLOAT32, x.softmax(-1).dtype());
            Tensor g = Tensor.randn(new SplittableRandom(12), shape).to(FLOAT32); // the backwards: a row at a time too, the same bits
            for (boolean log : new boolean[] {false, true}) {
                Tensor y = log ? x.logSoftmax(-1) : x.softmax(-1);
                int ax = shape.length - 1;
                Tensor expected = log ? ReduceOps.logSoftmaxBackward(g.to(FLOAT64), y.to(FLOAT64), ax)
                        : ReduceOps.softmaxBackward(g.to(FLOAT64), y.to(FLOAT64), ax);
                Tensor got = log ? ReduceOps.logSoftmaxBackward(g, y, ax) : ReduceOps.softmaxBackward(g, y, ax);
                assertEquals(FLOAT32, got.dtype());
                assertArrayEquals(expected.toFloatArray(), got.toFloatArray(), (log ? "logSoftmax" : "softmax") + "'s backward " + what);
            }
        }
    }

    @Test
    void sameShapeAndScalarOperandsRunTheFloatKernelsWithTheSameBits() {
        Tensor a = Tensor.uniform(new SplittableRandom(5), 0.5, 2, 700, 3); // more than one block of FloatKernels
        Tensor b = Tensor.uniform(new SplittableRandom(6), 0.5, 2, 700, 3);
        List<java.util.function.BinaryOperator<Tensor>> ops = List.of(Tensor::add, Tensor::sub, Tensor::mul,
                Tensor::div, Tensor::pow, Tensor::maximum, Tensor::gt, ChainOps::chain, ChainOps::chainDiv,
                ChainOps::gate, ChainOps::chainSign);
        Tensor a32 = a.to(FLOAT32);
        Tensor b32 = b.to(FLOAT32).sub(1); // negative entries too, for gate and maximum
        Tensor c = Tensor.scalar(0.3);
        Tensor wide = Tensor.uniform(new SplittableRandom(7), 0.5, 2, 4, 700).to(FLOAT32); // rows longer than a block
        Tensor row = Tensor.uniform(new SplittableRandom(8), -1, 1, 700).to(FLOAT32);
        for (int k = 0; k < ops.size(); k++) {
            var op = ops.get(k);
            for (Tensor r : List.of(row, row.reshape(1, 700))) {
                assertArrayEquals(op.apply(wide.to(FLOAT64), r.to(FLOAT64)).toFloatArray(), op.apply(wide, r).toFloatArray(),
                        "op " + k + " with a row of shape " + java.util.Arrays.toString(r.shape()));
            }
            assertArrayEquals(op.apply(a32.to(FLOAT64), b32.to(FLOAT64)).toFloatArray(), op.apply(a32, b32).toFloatArray(),
                    "op " + k + " on two arrays");
            assertArrayEquals(op.apply(a32.to(FLOAT64), c.to(FLOAT32).to(FLOAT64)).toFloatArray(),
                    op.apply(a32, c).toFloatArray(), "op " + k + " with a 0-d float64 operand (rounded to float first)");
            assertEquals(FLOAT32, op.apply(a32, c).dtype());
        }
        float[] tanh64 = a32.to(FLOAT64).tanh().toFloatArray();
        float[] tanh32 = a32.tanh().toFloatArray(); // float32's own kernel: the float beside float64's at most
        for (int i = 0; i < tanh64.length; i++) {
            assertTrue(FloatFunctionAccuracyTest.ulps(tanh64[i], tanh32[i]) <= 1, "tanh at " + i);
        }
    }

    @Test
    void rowsSetGradEmptyAxesAndUserOpsKeepTheirDtype() {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        Tensor rows = t.indexSelect(0, 2, 0);
        assertEquals(FLOAT32, rows.dtype());
        assertArrayEquals(new float[] {5, 6, 1, 2}, rows.toFloatArray());
        assertEquals(FLOAT32, t.slice(1, 1, 2).dtype());
        Tensor p = Tensor.zeros(FLOAT32, 3, 2).requiresGrad(true);
        p.setGrad(Tensor.ones(3, 2));
        assertEquals(FLOAT32, p.grad().dtype(), "setGrad converts to the tensor's dtype");
        assertEquals(FLOAT32, Tensor.zeros(FLOAT32, 2, 0).logSumExp(1, false).dtype());
        Op widen = Op.define("widen").tensor(in -> in[0].to(FLOAT64).mul(2), (g, out, in) -> new Tensor[] {g.mul(2)})
                .rule("2 g").build();
        Tensor x = Tensor.of(new float[] {0.1f}).requiresGrad(true);
        Tensor y = widen.apply(x);
        assertEquals(FLOAT64, y.dtype(), "a user op's result has its forward's dtype");
        assertEquals(2.0 * 0.1f, y.item());
        y.sum().backward();
        assertEquals(FLOAT32, x.grad().dtype());
        assertEquals(2f, (float) x.grad().item());
    }

    @Test
    void promotionFollowsPyTorch() {
        Tensor x32 = Tensor.ones(FLOAT32, 2, 3);
        Tensor x64 = Tensor.ones(2, 3);
        assertEquals(FLOAT64, x32.add(x64).dtype(), "float32 with float64 gives float64");
        assertEquals(FLOAT32, x32.mul(Tensor.scalar(2)).dtype(), "a 0-d float64 tensor does not promote");
        assertEquals(FLOAT64, x32.sum().add(Tensor.scalar(2)).dtype(), "two 0-d tensors: the wider");
        assertEquals(FLOAT32, x32.sum().mul(0.5).dtype(), "a Java double promotes not even a 0-d float32 tensor");
        assertEquals(FLOAT32, x32.gt(0.5).dtype(), "comparisons: the operands' type");
        assertEquals(FLOAT32, Tensor.where(x64.gt(0), x32, Tensor.scalar(0)).dtype(), "where's mask takes no part");
        assertEquals(FLOAT64, x32.argmax(1).dtype(), "argmax: float64 indices");
        // a Java double is rounded to float32 first, as PyTorch does: 9 * 0.1f, not 9 * 0.1 rounded
        Tensor nine = Tensor.of(new float[] {9});
        assertEquals(9 * 0.1f, (float) nine.mul(0.1).item());
        assertTrue(9 * 0.1f != (float) (9 * 0.1), "the example tells the two apart");
    }

    @Test
    void aFloat64ScalarTensorInAFloat32OpIsRoundedToFloatFirst() { // a probe's cases
        // the result is float32 (a 0-d tensor does not promote), so the op computes in float32, as
        // PyTorch: the float64 operand is rounded first, as a Java double argument is
        Tensor x = Tensor.of(new float[] {0.1f, 1f});
        Tensor tenth = Tensor.scalar(0.1);
        assertArrayEquals(new double[] {1, 0}, x.eq(tenth).toArray());   // was [0, 0]
        assertArrayEquals(new double[] {1, 0}, x.le(tenth).toArray());
        assertArrayEquals(new double[] {0, 1}, x.gt(tenth).toArray());
        assertArrayEquals(new double[] {0, 1 - 0.1f}, x.sub(tenth).toArray());   // was 1.49e-9 at 0
        assertArrayEquals(new double[] {0, 0.1f - 1}, tenth.sub(x).toArray());  // the 0-d operand first
        double half = Math.scalb(1.0, -24) + Math.scalb(1.0, -50); // rounds to 2^-24: 1 + 2^-24 ties to 1
        assertEquals(1.0f, (float) Tensor.of(new float[] {1f}).add(Tensor.scalar(half)).item());
        // every op of a float32 tensor with a float64 scalar tensor gives the bits of the same op with the
        // scalar as a Java double, gradients included (the chain rule's products are such ops too)
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        float[] values = new float[64];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) r.nextDouble(-3, 3);
        }
        for (int trial = 0; trial < 20; trial++) {
            double c = r.nextDouble(0.1, 3);
            Tensor a = Tensor.of(values.clone()).requiresGrad(true);
            Tensor s = Tensor.scalar(c).requiresGrad(true);
            a.mul(s).div(s).sub(s).pow(s).mul(Tensor.of(values)).sum().backward();
            Tensor w = Tensor.of(values.clone()).requiresGrad(true);
            w.mul(c).div(c).sub(c).pow(c).mul(Tensor.of(values)).sum().backward();
            assertArrayEquals(w.grad().toFloatArray(), a.grad().toFloatArray(), "c = " + c);
        }
        // pow's gradient towards a float64 exponent reads the log of a float32 base in float64
        Tensor base = Tensor.of(new float[] {1.5f}).requiresGrad(true);
        Tensor exponent = Tensor.of(new double[] {0.3}).requiresGrad(true);
        base.pow(exponent).sum().backward();
        assertEquals(Math.pow(1.5, 0.3) * Math.log(1.5), exponent.grad().item(), 1e-16); // was 3e-8 off
    }

    @Test
    void float32BackwardsCompareAndComputeInFloat32() { // a probe's cases
        // clamp's mask compared a float with the unrounded double bound: 0.7f is below 0.7, so a value on
        // the (rounded) bound had gradient 0
        for (int n : new int[] {1, 100}) {
            float[] seven = new float[n];
            java.util.Arrays.fill(seven, 0.7f);
            Tensor x = Tensor.of(seven).requiresGrad(true);
            x.clamp(0.7, 1.0).sum().backward();
            assertEquals(1, x.grad().get(n - 1), 0, "n = " + n);
            Tensor z = Tensor.of(new float[] {0.1f}).requiresGrad(true);
            z.clamp(-1, 0.1).sum().backward();
            assertEquals(1, z.grad().item(), 0);
        }
        // maximum's tie with a float64 scalar tensor is a tie in float: half each
        Tensor x = Tensor.of(new float[] {0.1f, 0.7f}).requiresGrad(true);
        Tensor s = Tensor.scalar(0.1).requiresGrad(true);
        x.maximum(s).sum().backward();
        assertArrayEquals(new double[] {0.5, 1}, x.grad().toArray());
        assertEquals(0.5, s.grad().item(), 0);
        // pow's base gradient with a float64 scalar exponent is the float32 exponent's, with createGraph
        // too (that path used the unrounded exponent)
        Tensor base = Tensor.of(new float[] {0.7f, 2.9f}).requiresGrad(true);
        for (double exponent : new double[] {0.1, 1.0 / 3, 2.7}) {
            for (boolean createGraph : new boolean[] {false, true}) {
                Tensor e64 = Tensor.scalar(exponent).requiresGrad(true);
                Tensor e32 = Tensor.scalar(exponent).to(FLOAT32).requiresGrad(true);
                float[] wide = Tensor.grad(List.of(base.pow(e64).sum()), List.of(base, e64), createGraph).get(0)
                        .toFloatArray();
                float[] single = Tensor.grad(List.of(base.pow(e32).sum()), List.of(base, e32), createGraph).get(0)
                        .toFloatArray();
                assertArrayEquals(single, wide, "exponent " + exponent + ", createGraph " + createGraph);
            }
        }
        // 0-d float32 operands stay in float32 through pow's exponent gradient, as shape (1) ones do
        java.util.SplittableRandom r = new java.util.SplittableRandom(9);
        for (int k = 0; k < 100; k++) {
            float a = (float) r.nextDouble(0.1, 3);
            float b = (float) r.nextDouble(-2, 2);
            Tensor b0 = Tensor.of(new float[] {b}).reshape().requiresGrad(true);
            Tensor b1 = Tensor.of(new float[] {b}).requiresGrad(true);
            Tensor.of(new float[] {a}).reshape().pow(b0).backward();
            Tensor.of(new float[] {a}).pow(b1).sum().backward();
            assertEquals(FLOAT32, b0.grad().dtype());
            assertEquals(b1.grad().item(), b0.grad().item(), 0, a + "^" + b);
        }
    }

    @Test
    void toIsDifferentiableAndEachGradientHasItsTensorsDtype() {
        Tensor p32 = Tensor.of(new float[] {1.5f, -2f}).requiresGrad(true);
        Tensor p64 = Tensor.of(new double[] {0.25, 4}).requiresGrad(true);
        Tensor loss = p32.to(FLOAT64).mul(p64).sum().add(p32.mul(p32).sum());
        assertEquals(FLOAT64, loss.dtype());
        loss.backward();
        assertEquals(FLOAT32, p32.grad().dtype());
        assertEquals(FLOAT64, p64.grad().dtype());
        assertArrayEquals(new double[] {0.25 + 3, 4 - 4}, p32.grad().toArray());
        assertArrayEquals(new double[] {1.5, -2}, p64.grad().toArray());
        // used without to(): mixed ops promote, and the gradient is converted back where the type changed
        Tensor q = Tensor.of(new float[] {2}).requiresGrad(true);
        q.mul(Tensor.of(new double[] {0.1})).sum().backward();
        assertEquals(FLOAT32, q.grad().dtype());
        assertEquals(0.1f, (float) q.grad().item());
        // second derivatives through a conversion
        Tensor x = Tensor.of(new float[] {3}).requiresGrad(true);
        Tensor g = Tensor.grad(x.to(FLOAT64).pow(3).sum(), x, true);
        assertEquals(FLOAT32, g.dtype());
        assertEquals(27f, (float) g.item());
        assertEquals(18f, (float) Tensor.grad(g.sum(), x, false).item());
        assertSame(x, x.to(FLOAT32), "to its own dtype is the tensor itself");
    }

    @Test
    void conversionRoundsToNearestAndOverflowsToInfinity() {
        Tensor t = Tensor.of(new double[] {0.1, 1e39, -1e39, 1e-50, Double.NaN}).to(FLOAT32);
        assertArrayEquals(new float[] {0.1f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, Float.NaN},
                t.toFloatArray());
        assertEquals((double) 0.1f, t.to(FLOAT64).get(0), "widening is exact");
    }

    @Test
    void factoriesAndAccessors() {
        assertArrayEquals(new float[] {0, 0}, Tensor.zeros(FLOAT32, 2).toFloatArray());
        assertArrayEquals(new float[] {1, 1, 1}, Tensor.ones(FLOAT32, 3).toFloatArray());
        assertArrayEquals(new float[] {0.1f}, Tensor.full(FLOAT32, new int[] {1}, 0.1).toFloatArray());
        float[] data = {1, 2, 3, 4, 5, 6};
        Tensor t = Tensor.of(data, 2, 3);
        data[0] = 99; // a copy
        assertEquals(1.0, t.get(0, 0));
        assertEquals(6, t.size());
        assertEquals(5.0, t.get(1, 1));
        assertEquals(21.0, t.sum().item());
        assertEquals(FLOAT32, t.reshape(3, 2).dtype());
        assertEquals(FLOAT32, t.detach().dtype());
        assertEquals("tensor([[1.00000, 2.00000, 3.00000], [4.00000, 5.00000, 6.00000]], shape=(2, 3), dtype=float32)",
                t.toString());
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[] {1, 2, 3}, 2, 2));
        float sNaN = Float.intBitsToFloat(0x7f800123);
        Tensor filled = Tensor.createFloats(new int[] {2, 2}, values -> { // the array itself, every bit kept
            assertEquals(4, values.length);
            values[1] = 0.1f;
            values[3] = sNaN;
        });
        assertEquals(FLOAT32, filled.dtype());
        assertArrayEquals(new int[] {2, 2}, filled.shape());
        assertEquals(0x7f800123, Float.floatToRawIntBits(filled.toFloatArray()[3]));
        assertArrayEquals(new float[] {0, 0.1f}, java.util.Arrays.copyOf(filled.toFloatArray(), 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.createFloats(new int[] {2, -1}, values -> { }));
        assertTrue(e.getMessage().contains("createFloats"), e.getMessage());
    }

    @Test
    void aReshapeAndADetachOfFloat32DataAreViews() {
        Tensor p = Tensor.of(new float[] {1, 2, 3, 4}).requiresGrad(true);
        Tensor view = p.detach().reshape(2, 2);
        p.addInPlace(0.5, Tensor.of(new double[] {2, 2, 2, 2}));
        assertArrayEquals(new float[] {2, 3, 4, 5}, view.toFloatArray(), "the view sees the in-place change");
        Tensor leaf = Tensor.zeros(FLOAT32, 2);
        leaf.copyFrom(Tensor.of(new double[] {0.1, 1e39}));
        assertArrayEquals(new float[] {0.1f, Float.POSITIVE_INFINITY}, leaf.toFloatArray(), "converted on copy");
    }

    @Test
    void largeProductsUseSgemmWithinFloat32sPrecision() {
        int n = 64;
        Tensor a = Tensor.randn(new SplittableRandom(1), n, n);
        Tensor b = Tensor.randn(new SplittableRandom(2), n, n);
        Tensor a32 = a.to(FLOAT32);
        Tensor b32 = b.to(FLOAT32);
        double[] exact = a32.to(FLOAT64).matmul(b32.to(FLOAT64)).toArray();
        Tensor c = a32.matmul(b32);
        assertEquals(FLOAT32, c.dtype());
        double[] got = c.toArray();
        for (int i = 0; i < got.length; i++) { // |error| <= k eps sum |a||b|, about k eps sqrt(k) here
            assertEquals(exact[i], got[i], n * F32_EPS * 8, "element " + i);
        }
        Tensor bias = Tensor.randn(new SplittableRandom(3), n).to(FLOAT32);
        double[] withBias = a32.matmulAdd(b32, bias).toArray();
        double[] expected = a32.to(FLOAT64).matmul(b32.to(FLOAT64)).add(bias.to(FLOAT64)).toArray();
        for (int i = 0; i < got.length; i++) {
            assertEquals(expected[i], withBias[i], n * F32_EPS * 8, "matmulAdd element " + i);
        }
    }

    @Test
    void gradCheckChecksFloat32InputsInFloat64AndRefusesAFloat32Output() {
        Tensor x = Tensor.of(new float[] {0.5f, -1.25f});
        GradCheck.defaults().check(l -> l.get(0).tanh().sum(), x).orThrow();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GradCheck.defaults().check(l -> l.get(0).to(FLOAT32).tanh().sum(), x));
        assertTrue(e.getMessage().contains("f returned a float32 tensor"), e.getMessage());
    }

    @Test
    void reportsAndAnomalyModeShowTheDtype() {
        Tensor w = Tensor.of(new float[] {1, 2}).requiresGrad(true).label("w");
        Tensor y = w.mul(w).sum();
        assertTrue(GraphViz.dot(y).contains("(2) float32"), GraphViz.dot(y));
        String report = Explain.backward(w.mul(w).sum()).toString();
        assertTrue(report.contains("(2) float32"), report);
        try (Anomaly.Scope ignored = Anomaly.detect()) {
            // finite in float64, infinite once rounded to float32
            ArithmeticException e = assertThrows(ArithmeticException.class,
                    () -> Tensor.of(new float[] {100}).requiresGrad(true).exp());
            assertTrue(e.getMessage().contains("Infinity"), e.getMessage());
            // a float64 gradient that overflows converted to its float32 parameter names the op it came from
            Tensor p = Tensor.of(new float[] {1}).requiresGrad(true);
            Tensor big = p.mul(Tensor.of(new double[] {1e300})).sum();
            e = assertThrows(ArithmeticException.class, big::backward);
            assertTrue(e.getMessage().startsWith("backward of mul: the gradient for input 0 overflowed converted to"
                    + " float32"), e.getMessage());                      // was "to produced Infinity ..."
        }
    }

    @Test
    void permutationsAndReductionsOverSeparateAxesAreFloat64sRounded() {
        Tensor t = Tensor.uniform(new SplittableRandom(9), -1, 1, 3, 4, 5).to(FLOAT32);
        Tensor t64 = t.to(FLOAT64);
        assertArrayEquals(t64.permute(2, 0, 1).toFloatArray(), t.permute(2, 0, 1).toFloatArray());
        assertEquals(FLOAT32, t.permute(2, 0, 1).dtype());
        int[] ends = {0, 2};
        assertArrayEquals(t64.sum(ends, false).toFloatArray(), t.sum(ends, false).toFloatArray());
        assertArrayEquals(t64.max(ends, true).toFloatArray(), t.max(ends, true).toFloatArray());
        assertArrayEquals(t64.max(2).toFloatArray(), t.max(2).toFloatArray());
        assertArrayEquals(new int[] {4}, t.sum(ends, false).shape());
        Tensor negativeZeros = Tensor.full(FLOAT32, new int[] {2, 3, 2}, -0.0); // the sign of a sum of -0.0 as float64's
        for (int axis = 0; axis < 3; axis++) {
            assertArrayEquals(negativeZeros.to(FLOAT64).sum(axis).toFloatArray(), negativeZeros.sum(axis).toFloatArray(),
                    "sums of -0.0 along axis " + axis);
        }
        assertEquals(FLOAT32, t.max(ends, true).dtype());
    }

    @Test
    void aFloat32SumAccumulatesInDouble() {
        float[] ones = new float[(1 << 24) + 3]; // float32 accumulation stops at 2^24
        java.util.Arrays.fill(ones, 1f);
        assertEquals((float) ((1 << 24) + 3), (float) Tensor.of(ones).sum().item(), "2^24 + 3 rounded once");
        assertEquals(16777220.0, Tensor.of(ones).sum().item());
        // down columns and along a middle axis too: 2^24 + 1 + 1 + 1 + 1, where float32 would stay at 2^24
        float[] column = new float[5 * 3];
        java.util.Arrays.fill(column, 1f);
        java.util.Arrays.fill(column, 0, 3, 1 << 24);
        float[] expected = {(1 << 24) + 4, (1 << 24) + 4, (1 << 24) + 4};
        Tensor t = Tensor.of(column).reshape(5, 3);
        assertArrayEquals(expected, t.sum(0).toFloatArray(), "column sums");
        assertArrayEquals(expected, t.reshape(1, 5, 3).sum(1).toFloatArray(), "a middle axis");
        assertArrayEquals(expected, t.transpose(0, 1).sum(1).toFloatArray(), "row sums");
        assertEquals(FLOAT32, t.sum(0).dtype());
        assertArrayEquals(new float[] {1 << 24, 1 << 24, 1 << 24}, t.max(0).toFloatArray(), "max");
    }

    @Test
    void aFloat32MeanIsRoundedOnce() { // a probe's: the float32 sum was rounded, then divided
        assertEquals(3e38f, Tensor.of(new float[] {3e38f, 3e38f}).mean().toFloatArray()[0], "was Infinity");
        SplittableRandom r = new SplittableRandom(7);
        int wrong = 0;
        for (int c = 0; c < 2000; c++) { // against the exact mean rounded to float32 (21% were an ulp off)
            float[] v = new float[1 + r.nextInt(40)];
            java.math.BigDecimal sum = java.math.BigDecimal.ZERO;
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-3, 4)));
                sum = sum.add(new java.math.BigDecimal(v[i]));
            }
            float exact = sum.divide(java.math.BigDecimal.valueOf(v.length), java.math.MathContext.DECIMAL128).floatValue();
            wrong += Tensor.of(v).mean().toFloatArray()[0] == exact ? 0 : 1;
        }
        assertEquals(0, wrong, "means not correctly rounded, of 2000");
        // along an axis, keeping dims, with its gradient 1/n in float32
        Tensor t = Tensor.of(new float[] {1, 2, 4, 3e38f, 3e38f, 3e38f}, 2, 3).requiresGrad(true);
        Tensor m = t.mean(new int[] {1}, true);
        assertEquals(FLOAT32, m.dtype());
        assertArrayEquals(new int[] {2, 1}, m.shape());
        assertArrayEquals(new float[] {7f / 3, 3e38f}, m.toFloatArray());
        m.sum().backward();
        assertEquals(FLOAT32, t.grad().dtype());
        assertArrayEquals(new float[] {1f / 3, 1f / 3, 1f / 3, 1f / 3, 1f / 3, 1f / 3}, t.grad().toFloatArray());
    }

    @Test
    void matmulAddOfFloat32FactorsAndAFloat64BiasIsTheTwoOps() { // a probe's: it multiplied in float64
        Tensor x = Tensor.of(new float[] {0.1f, 0.2f}, 1, 2).requiresGrad(true);
        Tensor w = Tensor.of(new float[] {0.3f, 0.7f}, 2, 1).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {0}, 1).requiresGrad(true);
        Tensor fused = x.matmulAdd(w, b);
        Tensor twoOps = x.matmul(w).add(b);
        assertEquals(FLOAT64, fused.dtype());
        assertEquals(0.17000000178813934, twoOps.item()); // the float32 product, then the float64 sum
        assertEquals(twoOps.item(), fused.item(), "was 0.1700000013411045");
        List<Tensor> g = Tensor.grad(List.of(fused), List.of(x, w, b), false);
        List<Tensor> h = Tensor.grad(List.of(twoOps), List.of(x, w, b), false);
        for (int i = 0; i < 3; i++) {
            assertEquals(h.get(i).dtype(), g.get(i).dtype());
            assertArrayEquals(h.get(i).toArray(), g.get(i).toArray(), 0);
        }
    }

    @Test
    void ofWithAnEmptyShapeIsAVectorAndReshapeRebuildsZeroDimensions() { // the documented way, for a probe's case
        Tensor s = Tensor.scalar(3);
        assertArrayEquals(new int[] {1}, Tensor.of(s.toArray(), s.shape()).shape(), "an empty shape is none");
        Tensor back = Tensor.of(s.toArray()).reshape(s.shape());
        assertArrayEquals(new int[0], back.shape());
        assertEquals(3, back.item());
        Tensor f = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new int[] {2, 3}, Tensor.of(f.toFloatArray()).reshape(f.shape()).shape());
    }
}
