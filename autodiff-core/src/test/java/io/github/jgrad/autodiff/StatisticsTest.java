package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** var, std and argmin, which a PyTorch user missed (a new user's probe), against closed forms. */
class StatisticsTest {
    private static final Tensor X = Tensor.of(new double[] {1, 2, 4, 3, 5, 9}, 2, 3);

    @Test
    void varianceAndStandardDeviationAsTorchComputesThem() {
        // rows: mean 7/3, squared deviations 42/9; mean 17/3, squared deviations 168/9: 7/3 and 28/3 (n - 1),
        // 14/9 and 56/9 (n), to numpy 2's bits (x.var(axis=1, ddof=1) and ddof=0), the second 2 ulps below 28/3
        assertArrayEquals(new double[] {0x1.2aaaaaaaaaaaap+1, 0x1.2aaaaaaaaaaaap+3}, X.var(new int[] {1}, 1, false)
                .toArray(), 0);
        assertArrayEquals(new double[] {0x1.8e38e38e38e38p+0, 0x1.8e38e38e38e38p+2}, X.var(new int[] {1}, 0, false)
                .toArray(), 0);
        assertArrayEquals(new int[] {2, 1}, X.var(new int[] {-1}, 1, true).shape());
        assertArrayEquals(new double[] {2, 4.5, 12.5}, X.var(new int[] {0}, 1, false).toArray(), 1e-15);
        double mean = 24.0 / 6;
        double ss = 9 + 4 + 0 + 1 + 1 + 25;
        assertEquals(ss / 5, X.var().item(), 1e-15);
        assertEquals(Math.sqrt(ss / 5), X.std().item(), 1e-15);
        assertEquals(mean, X.mean().item(), 0);
        assertArrayEquals(new double[] {Math.sqrt(7.0 / 3), Math.sqrt(28.0 / 3)},
                X.std(new int[] {1}, 1, false).toArray(), 1e-15);
        // two passes: a common offset cancels exactly (a one-pass E[x^2] - E[x]^2 gives 0 or garbage here)
        assertEquals(1.0, Tensor.of(new double[] {1e9 + 1, 1e9 + 2, 1e9 + 3}).var().item(), 0);
        assertTrue(Double.isNaN(Tensor.of(new double[] {5}).var().item()), "one element, correction 1: NaN");
        assertEquals(0.0, Tensor.of(new double[] {5}).var(new int[0], 0, false).item(), 0);
        assertEquals(DType.FLOAT32, X.to(DType.FLOAT32).var().dtype());
    }

    @Test
    void varianceAndStandardDeviationHaveTheirGradients() {
        Tensor x = Tensor.randn(new SplittableRandom(3), 3, 4);
        for (int correction : new int[] {0, 1}) {
            GradCheck.defaults().check(in -> in.get(0).var(new int[] {1}, correction, false), x).orThrow();
            GradCheck.defaults().check(in -> in.get(0).std(new int[] {0}, correction, true), x).orThrow();
        }
        Tensor w = Tensor.of(new double[] {1, 2, 4}).requiresGrad(true);
        w.var().backward();                                     // 2 (x - mean) / (n - 1)
        assertArrayEquals(new double[] {-4.0 / 3, -1.0 / 3, 5.0 / 3}, w.grad().toArray(), 1e-15);
        Tensor c = Tensor.of(new double[] {2, 2, 2}).requiresGrad(true);
        c.std().backward();
        assertTrue(Double.isNaN(c.grad().toArray()[0]), "std of equal entries: NaN gradient, as PyTorch's");
    }

    @Test
    void argminAsNumPy() {
        Tensor t = Tensor.of(new double[] {3, 1, 1, Double.NaN, 0, Double.NaN, 0.0, -0.0, 5}, 3, 3);
        assertArrayEquals(new double[] {1, 0, 0}, t.argmin(1, false).toArray(), 0); // first tie, first NaN, -0 == 0 (numpy)
        assertArrayEquals(new int[] {3, 1}, t.argmin(-1, true).shape());
        assertArrayEquals(new double[] {1, 1, 1}, t.argmin(0).toArray(), 0);             // numpy: [1 1 1]
        assertArrayEquals(new double[] {0, 0, 2}, t.argmax(1, false).toArray(), 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> X.std(new int[] {2}, 1, false));
        assertEquals("std: axis 2 is out of range for a tensor of shape (2, 3) (valid: -2 to 1)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 0).argmin(1, false));
        assertEquals("argmin: axis 1 of shape (2, 0) is empty", e.getMessage());
        assertTrue(!t.requiresGrad() && !Tensor.randn(new SplittableRandom(1), 2).requiresGrad(true).argmin(0, false)
                .requiresGrad());
    }
}
