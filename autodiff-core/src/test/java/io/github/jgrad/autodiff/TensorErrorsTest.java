package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad arguments found in review: each error names the op the user called and the shapes as given. */
class TensorErrorsTest {
    private static void rejects(Executable e, String... parts) {
        TensorTest.assertMessage(e, parts);
    }

    @Test
    void broadcastToRejectsNegativeSizes() {
        // was: shape (-2, -2) holding [0, 0, 0, 0], or NegativeArraySizeException
        rejects(() -> Tensor.ones(1).broadcastTo(-2, -2), "broadcastTo", "negative", "(-2, -2)");
        rejects(() -> Tensor.ones(1).broadcastTo(-1), "broadcastTo", "negative");
        rejects(() -> Tensor.ones(1).broadcastTo(65536, 65536), "broadcastTo", "more than");
    }

    @Test
    void reductionsOfEmptyTensorsWhoseResultIsTooLargeSaySo() {
        // the input is legal (no elements); the result would have 46341^2 > 2^31 elements
        rejects(() -> Tensor.zeros(0, 46341, 46341).sum(0, false), "sum", "(1, 46341, 46341)", "more than");
        rejects(() -> Tensor.zeros(0, 65537, 65537).sum(0, false), "sum", "more than");
        rejects(() -> Tensor.zeros(0, 46341, 2, 46341).sum(new int[] {0, 2}, false), "sum", "more than");
        rejects(() -> Tensor.zeros(0, 46341, 46341).mean(0, false), "mean", "more than");
        assertArrayEquals(new double[6], Tensor.zeros(0, 2, 3).sum(0, false).toArray(), 0);   // as NumPy
    }

    @Test
    void axisReshapeAndProductErrorsNameTheShapes() { // a new user's probe: only the rank, or the wrong one
        Tensor x = Tensor.zeros(2, 3);
        rejects(() -> x.unsqueeze(4), "unsqueeze: axis 4 is out of range for a tensor of shape (2, 3) (valid: -3 to 2)");
        rejects(() -> x.sum(new int[] {Integer.MIN_VALUE}, false),
                "sum: axis -2147483648 is out of range for a tensor of shape (2, 3) (valid: -2 to 1)");
        rejects(() -> x.softmax(2), "softmax: axis 2 is out of range for a tensor of shape (2, 3) (valid: -2 to 1)");
        rejects(() -> Tensor.scalar(1).softmax(0), "softmax: axis 0 is out of range for a tensor of shape () (a 0-d tensor has no axes)");
        rejects(() -> x.reshape(-1, -1), "reshape: cannot reshape (2, 3) into (-1, -1): sizes are >= 0, with at most one -1");
        rejects(() -> Tensor.zeros(100000, 1).matmul(Tensor.zeros(1, 100000)),
                "matmul: shapes (100000, 1) and (1, 100000): shape (100000, 100000) has more than 2147483639 elements");
    }

    @Test
    void aScalarsBackwardTakesANullGradientAsPyTorchsNone() { // a new user's probe: it threw NullPointerException
        Tensor w = Tensor.of(new double[] {1.5, -2}).requiresGrad(true);
        w.mul(w).sum().backward(null, false, true);            // d/dw sum w^2 = 2w, itself on the tape
        assertArrayEquals(new double[] {3, -4}, w.grad().toArray(), 0);
        Tensor g = w.grad();
        w.zeroGrad();
        g.sum().backward();                                    // d/dw sum 2w = 2
        assertArrayEquals(new double[] {2, 2}, w.grad().toArray(), 0);
        NullPointerException e = assertThrows(NullPointerException.class, () -> w.mul(2.0).backward(null, false, false));
        assertTrue(e.getMessage().startsWith("backward: gradient is null; pass d loss / d this, of shape (2)"), e.getMessage());
    }

    @Test
    void errorsNameTheOpTheUserCalled() {
        rejects(() -> Tensor.zeros(0).min(), "min: axis 0 of shape (0) is empty");
        rejects(() -> Tensor.zeros(2).minimum(Tensor.zeros(3)), "minimum: shapes (2) and (3)");
        rejects(() -> Tensor.stack(3, Tensor.zeros(2), Tensor.zeros(2)), "stack: axis 3", "rank 1", "-2 to 1");
        assertArrayEquals(new int[] {2, 2}, Tensor.stack(-1, Tensor.zeros(2), Tensor.zeros(2)).shape());
        rejects(() -> Tensor.zeros(3).matmul(Tensor.zeros(4)), "matmul: shapes (3) and (4)", "3", "4");
        rejects(() -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4)), "matmul: shapes (2, 3) and (4)");
        rejects(() -> Tensor.zeros(4).matmul(Tensor.zeros(3, 2)), "matmul: shapes (4) and (3, 2)");
        rejects(() -> Tensor.zeros(1, 2, 3).matmulAdd(Tensor.zeros(4, 5), Tensor.zeros(5)),
                "matmulAdd: shapes (1, 2, 3) and (4, 5)");
        rejects(() -> Tensor.zeros(65536, 65536), "zeros: shape (65536, 65536) has more than");
        rejects(() -> Tensor.zeros(65536, 0).matmul(Tensor.zeros(0, 65536)), "matmul", "more than");
        rejects(() -> Tensor.eye(-1), "eye: n must be >= 0, got -1");
        Tensor x = Tensor.ones(2).requiresGrad(true);
        NullPointerException npe = assertThrows(NullPointerException.class,
                () -> x.mul(2).backward(null, false, false));
        assertTrue(npe.getMessage().contains("backward: gradient is null"), npe.getMessage());
    }

    @Test
    void errorsNameTheFactoryCalledAndAllTheShapes() {
        // found by the hardening probe: these blamed a helper (zeros, full, uniform) or half the shapes
        rejects(() -> Tensor.zeros(2, 2, 3).matmul(Tensor.zeros(3, 3, 4)),
                "matmul: shapes (2, 2, 3) and (3, 3, 4): their batch dimensions (2) and (3) cannot be broadcast");
        rejects(() -> Tensor.eye(65536), "eye: shape (65536, 65536) has more than");
        rejects(() -> Tensor.zeros(100000, 1).add(Tensor.zeros(1, 100000)), // a second probe: these said "broadcast"
                "add: shapes (100000, 1) and (1, 100000) broadcast to (100000, 100000), more than 2147483639 elements");
        rejects(() -> Tensor.where(Tensor.zeros(100000, 1), Tensor.zeros(1, 100000), Tensor.zeros(1)),
                "where: shapes (100000, 1) and (1, 100000) broadcast to (100000, 100000)");
        assertArrayEquals(new int[] {0, 100000}, Tensor.zeros(0, 1).add(Tensor.zeros(1, 100000)).shape()); // empty is fine
        rejects(() -> Tensor.ones(-1), "ones: negative dimension in shape (-1)");
        rejects(() -> Tensor.rand(new SplittableRandom(1), -1), "rand: negative dimension in shape (-1)");
        rejects(() -> Tensor.zeros(2, 3).matmulAdd(Tensor.zeros(3, 4), Tensor.zeros(5)),
                "matmulAdd: bias of shape (5) does not broadcast to the product's shape (2, 4) of (2, 3) and (3, 4)");
        rejects(() -> Tensor.zeros(2, 3).matmulAdd(Tensor.zeros(3, 4), Tensor.zeros(3, 1, 4)),
                "matmulAdd: bias of shape (3, 1, 4)");
        assertArrayEquals(new double[] {1, 2, 1, 2}, Tensor.zeros(2, 3).matmulAdd(Tensor.zeros(3, 2),
                Tensor.of(new double[] {1, 2}, 1, 2)).toArray(), 0);
    }

    @Test
    void aNullArgumentIsNamedWithTheOp() {
        Tensor x = Tensor.zeros(2, 3);
        String[] messages = {
            "add: b is null", "pow: b is null", "gt: b is null", "matmul: b is null", "matmulAdd: bias is null",
            "where: a is null", "indexSelect: indices is null", "gather: index is null",
            "concat: tensor 1 of 2 is null", "stack: tensor 0 of 1 is null", "copyFrom: source is null",
            "mul: b is null", "max: b is null", "minimum: b is null",
            "broadcastTo: shape is null", "sum: axes is null", "mean: axes is null", "max: axes is null",
            "min: axes is null", "reshape: shape is null", "permute: axes is null", "concat: tensors is null",
            "stack: tensors is null", "grad: outputs is null", "grad: inputs is null", "grad: output 0 is null",
            "zeros: shape is null", "of: data is null", "of: shape is null", "of: shape is null", "get: index is null",
            "of: rows is null", "of: row 1 is null", "sum: values is null", "sum: values is null", "dot: a is null",
        };
        Executable[] calls = {
            () -> x.add((Tensor) null), () -> x.pow((Tensor) null), () -> x.gt((Tensor) null), () -> x.matmul(null),
            () -> x.matmulAdd(Tensor.zeros(3, 2), null), () -> Tensor.where(x, null, x), () -> x.indexSelect(0, (int[]) null),
            () -> x.gather(0, null), () -> Tensor.concat(0, x, null), () -> Tensor.stack(0, (Tensor) null),
            () -> x.copyFrom(null), () -> Value.of(1).mul(null), () -> Value.of(1).max(null), () -> x.minimum((Tensor) null),
            // a probe's: these gave the JVM's own messages ("Cannot read the array length because ...")
            () -> x.broadcastTo((int[]) null), () -> x.sum(null, false), () -> x.mean(null, true), () -> x.max(null, false),
            () -> x.min(null, false), () -> x.reshape((int[]) null), () -> x.permute((int[]) null),
            () -> Tensor.concat(0, (Tensor[]) null), () -> Tensor.stack(0, (Tensor[]) null),
            () -> Tensor.grad(null, List.of(x), false), () -> Tensor.grad(List.of(x), null, false),
            () -> Tensor.grad(null, x, false), () -> Tensor.zeros((int[]) null), () -> Tensor.of((double[]) null),
            () -> Tensor.of(new double[] {1}, (int[]) null), () -> Tensor.of(new float[] {1}, (int[]) null),
            () -> x.get((int[]) null),
            () -> Tensor.of((double[][]) null), () -> Tensor.of(new double[][] {{1}, null}),
            () -> Value.sum((Value[]) null), () -> Value.sum((List<Value>) null), () -> Value.dot(null, List.of()),
        };
        for (int i = 0; i < calls.length; i++) {
            NullPointerException e = assertThrows(NullPointerException.class, calls[i]);
            assertEquals(messages[i], e.getMessage());
        }
    }

    @Test
    void logSumExpAndSoftmaxOverAnEmptyAxisAreDefinedAsInPyTorch() {
        // logsumexp of nothing is log(0) = -inf (SciPy, PyTorch); softmax of nothing is empty
        assertEquals(Double.NEGATIVE_INFINITY, Tensor.zeros(0).logSumExp(0, false).item());
        assertArrayEquals(new double[] {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY},
                Tensor.zeros(2, 0).logSumExp(1, false).toArray(), 0);
        assertArrayEquals(new int[] {3, 0}, Tensor.zeros(3, 0).softmax(1).shape());
        assertArrayEquals(new int[] {0, 3}, Tensor.zeros(0, 3).logSoftmax(0).shape());
        Tensor e = Tensor.zeros(2, 0).requiresGrad(true);
        e.logSumExp(1, false).sum().backward();
        assertArrayEquals(new int[] {2, 0}, e.grad().shape());
    }

    @Test
    void uniformStaysInsideHalfOpenIntervalsAndRejectsInfiniteWidths() {
        // was [Infinity, ...] and [NaN, ...]; NumPy raises OverflowError
        rejects(() -> Tensor.uniform(new SplittableRandom(1), -Double.MAX_VALUE, Double.MAX_VALUE, 3), "uniform", "finite");
        rejects(() -> Tensor.uniform(new SplittableRandom(1), Double.NEGATIVE_INFINITY, 0, 4), "uniform", "finite");
        // an interval one ulp wide holds a single double, low: 463 of 1000 samples were high
        for (double v : Tensor.uniform(new SplittableRandom(1), 1.0, Math.nextUp(1.0), 1000).toArray()) {
            assertEquals(1.0, v, 0);
        }
        for (double v : Tensor.uniform(new SplittableRandom(7), -3, 5, 10_000).toArray()) {
            assertTrue(-3 <= v && v < 5, "sample " + v);
        }
    }

    @Test
    void aNaNOperandOfMaximumOrMinimumGetsTheWholeGradientOnEitherSide() {
        // as PyTorch: the result is NaN and both operands receive g, whichever side the NaN is on
        double nan = Double.NaN;
        for (boolean max : new boolean[] {true, false}) {
            Tensor a = Tensor.of(new double[] {nan, 1, 2, 3}).requiresGrad(true);
            Tensor b = Tensor.of(new double[] {1, nan, 2, 1}).requiresGrad(true);
            Tensor y = max ? a.maximum(b) : a.minimum(b);
            y.sum().backward();
            String op = max ? "maximum" : "minimum";
            assertArrayEquals(new double[] {1, 1, 0.5, max ? 1 : 0}, a.grad().toArray(), 0, op);
            assertArrayEquals(new double[] {1, 1, 0.5, max ? 0 : 1}, b.grad().toArray(), 0, op);
            assertTrue(Double.isNaN(y.toArray()[0]) && Double.isNaN(y.toArray()[1]), op);
        }
    }
}
