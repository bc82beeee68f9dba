package io.github.jgrad.autodiff;

import io.github.jgrad.autodiff.internal.MatMul;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Matrix products at the edges found in review: native memory, aliasing, empty shapes, signed zeros. */
class MatMulEdgeTest {
    /** Sum of row i of a times column j of b, the slow way. */
    private static double entry(Tensor a, Tensor b, int i, int j) {
        int k = a.shape(1);
        int m = b.shape(1);
        double[] x = a.toArray();
        double[] y = b.toArray();
        double s = 0;
        for (int p = 0; p < k; p++) {
            s += x[i * k + p] * y[p * m + j];
        }
        return s;
    }

    @Test
    void aJavaCppPointerScopeOnTheCallersThreadDoesNotFreeTheKernelsBuffers() {
        // was: the scope freed the thread's cached native buffers; the next product crashed the JVM
        // (SIGSEGV in dgemm) or threw "This pointer address is NULL" on every later call
        Tensor a = Tensor.randn(new SplittableRandom(1), 100, 100);
        Tensor b = Tensor.randn(new SplittableRandom(2), 100, 100);
        try (PointerScope s = new PointerScope()) {
            a.matmul(b);
        }
        for (int round = 0; round < 2; round++) {                 // a grown buffer, then the same shapes
            Tensor x = Tensor.randn(new SplittableRandom(3 + round), 100, 200);
            Tensor y = Tensor.randn(new SplittableRandom(4 + round), 200, 100);
            Tensor p = x.matmul(y);
            assertEquals(entry(x, y, 7, 9), p.toArray()[7 * 100 + 9], 1e-12);
        }
        Tensor q = a.matmul(b);
        assertEquals(entry(a, b, 99, 0), q.toArray()[99 * 100], 1e-12);
    }

    @Test
    void operandsLargerThanTheCachedBuffersWorkToo() {
        int n = 2049;                                              // 2049^2 doubles > MatMul.CACHE_LIMIT
        assertTrue((long) n * n > MatMul.CACHE_LIMIT);
        Tensor a = Tensor.rand(new SplittableRandom(5), n, n);
        Tensor v = Tensor.rand(new SplittableRandom(6), n, 1);
        Tensor p = a.matmul(v);
        assertEquals(entry(a, v, 0, 0), p.toArray()[0], 1e-9);
        assertEquals(entry(a, v, n - 1, 0), p.toArray()[n - 1], 1e-9);
    }

    @Test
    void blasRefusesAnOutputThatIsAlsoAnInput() {
        // was: [0, 0, 0, 0] on the Java kernel (C zeroed before A was read), right on the native one
        double[] a = {1, 2, 3, 4};
        double[] id = {1, 0, 0, 1};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Blas.gemm(false, false, 2, 2, 2, a, id, a));
        assertTrue(e.getMessage().contains("C must be an array of its own"), e.getMessage());
        double[] c = new double[4];
        Blas.gemm(false, false, 2, 2, 2, a, id, c);
        assertArrayEquals(a, c, 0);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)   // a hang guard, not a speed target: this was endless
    void emptyProductsReturnAtOnceWhateverTheirWidth() {
        assertEquals(0, Tensor.zeros(0, 0).matmul(Tensor.zeros(0, Integer.MAX_VALUE)).size());
        Blas.gemm(false, false, 0, Integer.MAX_VALUE, 0, new double[0], new double[0], new double[0]);
        Tensor batched = Tensor.zeros(1_000_000, 0, 3).matmul(Tensor.zeros(3, 5));   // no gemm per batch
        assertArrayEquals(new int[] {1_000_000, 0, 5}, batched.shape());
        double[] c = {7, 7, 7, 7};
        Blas.gemm(false, false, 2, 2, 0, new double[0], new double[0], c);         // k = 0: an empty sum
        assertArrayEquals(new double[4], c, 0);
    }

    @Test
    void negativeZerosSurviveBroadcastingAndWhere() {
        // as NumPy: 1 / where(True, -0.0, 1) is -inf (x + 0.0 had turned -0.0 into +0.0)
        Tensor w = Tensor.where(Tensor.ones(2), Tensor.of(new double[] {-0.0, -0.0}, 2), Tensor.ones(2));
        assertArrayEquals(new double[] {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY},
                Tensor.ones(2).div(w).toArray(), 0);
        assertEquals(Double.doubleToRawLongBits(-0.0),
                Double.doubleToRawLongBits(Tensor.scalar(-0.0).broadcastTo(3).toArray()[2]));
    }
}
