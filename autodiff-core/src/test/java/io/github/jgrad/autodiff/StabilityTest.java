package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Softmax, log-softmax, log-sum-exp and cross-entropy at extreme logits: exact values and gradients. */
class StabilityTest {
    private static final double BIG = 1e8;

    @Test
    void softmaxAndLogSoftmaxAreExactForLogitsOfPlusMinus1e8() {
        Tensor x = Tensor.of(new double[] {BIG, -BIG, 0, -BIG, -BIG, -BIG}, 2, 3);
        assertArrayEquals(new double[] {1, 0, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3}, x.softmax(1).toArray(), 0);
        assertArrayEquals(new double[] {0, -2 * BIG, -BIG, -Math.log(3), -Math.log(3), -Math.log(3)},
                x.logSoftmax(1).toArray(), 1e-15);
    }

    @Test
    void crossEntropyWithOneHotTargetsHasTheGradientSoftmaxMinusTarget() {
        // loss = -sum(onehot * logSoftmax(x)); d/dx = softmax(x) - onehot, exactly
        double[][] logits = {{BIG, -BIG, 0}, {BIG, -BIG, 0}, {-BIG, -BIG, -BIG}};
        int[] classes = {0, 1, 2};
        double[] expectedLoss = {0, 2 * BIG, Math.log(3)};
        double[][] expectedGrad = {{0, 0, 0}, {1, -1, 0}, {1.0 / 3, 1.0 / 3, 1.0 / 3 - 1}};
        for (int r = 0; r < 3; r++) {
            Tensor x = Tensor.of(logits[r]).requiresGrad(true);
            Tensor onehot = Tensor.zeros(3);
            onehot.data()[classes[r]] = 1;
            Tensor loss = x.logSoftmax(0).mul(onehot).sum().neg();
            loss.backward();
            assertEquals(expectedLoss[r], loss.item(), 1e-15 * Math.max(1, expectedLoss[r]), "row " + r);
            assertArrayEquals(expectedGrad[r], x.grad().toArray(), 1e-16, "row " + r);
        }
    }

    @Test
    void logSumExpAndItsGradientDoNotOverflow() {
        Tensor x = Tensor.of(new double[] {BIG, BIG, -BIG, -BIG, 1e308, 1e308, 0, -1000}, 4, 2).requiresGrad(true);
        Tensor lse = x.logSumExp(1, false);
        double ln2 = Math.log(2);
        assertArrayEquals(new double[] {BIG + ln2, -BIG + ln2, 1e308, Math.log1p(Math.exp(-1000))},
                lse.toArray(), 0);
        lse.sum().backward();
        assertArrayEquals(new double[] {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 0}, x.grad().toArray(), 0);
    }

    @Test
    void rowsOfMinusInfinityGiveMinusInfinityNotNaN() {
        Tensor x = Tensor.of(new double[] {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY, 0, Double.NEGATIVE_INFINITY}, 2, 2);
        assertArrayEquals(new double[] {Double.NEGATIVE_INFINITY, 0}, x.logSumExp(1, false).toArray(), 0);
        // a row that is all -infinity has no softmax (0/0): NaN, as in PyTorch; one finite entry is fine
        double[] ls = x.logSoftmax(1).toArray();
        assertEquals(Double.NaN, ls[0]);
        assertArrayEquals(new double[] {0, Double.NEGATIVE_INFINITY}, new double[] {ls[2], ls[3]}, 0);
    }

    @Test
    void theHessianOfSoftmaxCrossEntropyIsDiagPMinusPPTransposed() {
        // the max shift carries no gradient, so nothing in the composition flattens the curvature
        double[] logits = {1, 2, 3};
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        double[] p = {Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z};
        Tensor x = Tensor.of(logits).requiresGrad(true);
        Tensor onehot = Tensor.of(new double[] {0, 1, 0});
        Tensor loss = x.logSoftmax(0).mul(onehot).sum().neg();
        Tensor g = Tensor.grad(loss, x, true);
        assertArrayEquals(new double[] {p[0], p[1] - 1, p[2]}, g.toArray(), 1e-15);
        for (int i = 0; i < 3; i++) {
            Tensor row = Tensor.grad(g.indexSelect(0, i).sum(), x, true);
            double[] expected = new double[3];
            for (int j = 0; j < 3; j++) {
                expected[j] = (i == j ? p[i] : 0) - p[i] * p[j];
            }
            assertArrayEquals(expected, row.toArray(), 1e-15, "Hessian row " + i);
        }
    }

    @Test
    void theHessianAtHugeLogitsIsTheExactLimitZero() {
        // p = (1, 0): diag(p) - p p^T is exactly 0, computed without NaN
        Tensor x = Tensor.of(new double[] {BIG, -BIG}).requiresGrad(true);
        Tensor loss = x.logSoftmax(0).indexSelect(0, 1).sum().neg();
        Tensor g = Tensor.grad(loss, x, true);
        assertArrayEquals(new double[] {1, -1}, g.toArray(), 0);
        assertArrayEquals(new double[] {0, 0}, Tensor.grad(g.indexSelect(0, 0).sum(), x, false).toArray(), 0);
    }
}
