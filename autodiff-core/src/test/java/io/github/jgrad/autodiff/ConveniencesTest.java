package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What a PyTorch user reaches for first: printing, axis-only reductions, argmax with keepDims, numel. */
class ConveniencesTest {
    @Test
    void tensorsPrintAsNestedRowsAndLargeOnesAreSummarised() {
        Tensor m = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertEquals("tensor([[1.00000, 2.00000, 3.00000], [4.00000, 5.00000, 6.00000]], shape=(2, 3))", m.toString());
        assertEquals("tensor(0.500000, shape=(), requiresGrad)", Tensor.scalar(0.5).requiresGrad(true).toString());
        String big = Tensor.arange(0, 2000, 1).reshape(2, 1000).toString();   // NumPy: first and last 3 per axis
        assertTrue(big.startsWith("tensor([[0.00000, 1.00000, 2.00000, ..., 997.000, 998.000, 999.000], [1000.00,"),
                big);
        assertTrue(big.endsWith("1999.00]], shape=(2, 1000))"), big);
        assertEquals("tensor([], shape=(0))", Tensor.zeros(0).toString());
        // one [] for an empty tensor, not one per outer index (that ran out of memory here)
        assertEquals("tensor([], shape=(100000, 100000, 0))", Tensor.zeros(100000, 100000, 0).toString());
        String cube = Tensor.arange(7 * 8 * 30).reshape(7, 8, 30).toString();   // every axis summarised
        assertTrue(cube.startsWith("tensor([[[0.00000, 1.00000, 2.00000, ..., 27.0000, 28.0000, 29.0000], [30.0000,"), cube);
        assertTrue(cube.contains("88.0000, 89.0000], ..., [150.000, "), cube);   // rows 3 to 4 left out
        assertTrue(cube.contains("239.000]], [[240.000, "), cube);
        assertTrue(cube.contains("719.000]], ..., [[960.000, "), cube);          // plane 3 left out
        assertTrue(cube.endsWith("1679.00]]], shape=(7, 8, 30))"), cube);
        int[] deep = new int[5000];                                             // a bracket per axis, without recursion
        java.util.Arrays.fill(deep, 1);
        String one = Tensor.ones(deep).toString();                              // StackOverflowError at rank 3500 once
        assertTrue(one.startsWith("tensor(" + "[".repeat(5000) + "1.00000" + "]".repeat(5000) + ", shape=(1, 1, "), "rank 5000");
    }

    @Test
    void reductionsOverOneAxisDropItByDefault() {
        Tensor m = Tensor.of(new double[] {1, 5, 3, 4, 2, 6}, 2, 3);
        assertArrayEquals(new double[] {9, 12}, m.sum(1).toArray(), 0);
        assertArrayEquals(new double[] {2.5, 3.5, 4.5}, m.mean(0).toArray(), 0);
        assertArrayEquals(new double[] {5, 6}, m.max(1).toArray(), 0);
        assertArrayEquals(new double[] {1, 2}, m.min(1).toArray(), 0);
        assertEquals(6, m.numel());
    }

    @Test
    void argmaxCanKeepItsAxisToCompareWithColumnLabels() {
        Tensor logits = Tensor.of(new double[] {0.1, 0.9, 0.8, 0.2, 0.3, 0.7}, 3, 2);
        Tensor labels = Tensor.of(new double[] {1, 0, 0}, 3, 1);
        assertArrayEquals(new int[] {3, 1}, logits.argmax(1, true).shape());
        // (3, 1) against (3, 1): 2 of 3 right; argmax(1) (shape (3)) would broadcast to (3, 3)
        assertEquals(2.0 / 3, logits.argmax(1, true).eq(labels).mean().item(), 1e-15);
        assertArrayEquals(new int[] {3, 3}, logits.argmax(1).eq(labels).shape());
    }

    @Test
    void backwardTakesAGradientAloneAndTellsHowToReduceANonScalar() {
        Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        x.mul(3).backward(Tensor.of(new double[] {1, 10}));
        assertArrayEquals(new double[] {3, 30}, x.grad().toArray(), 0);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> x.mul(3).backward());
        assertTrue(e.getMessage().contains("reduce it to one number first (sum(), mean()"), e.getMessage());
    }

    @Test
    void anomalyMessagesNameTheOpNotTheChainRulesHelpers() {
        Tensor x = Tensor.scalar(0).requiresGrad(true);
        try (Anomaly.Scope s = Anomaly.detect()) {
            Tensor y = x.sqrt();
            ArithmeticException e = assertThrows(ArithmeticException.class, y::backward);
            assertTrue(e.getMessage().startsWith("backward of sqrt: the incoming gradient times the local derivative"
                    + " gave Infinity"), e.getMessage());
        }
    }
}
