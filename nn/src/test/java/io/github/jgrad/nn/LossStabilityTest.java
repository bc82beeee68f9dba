package io.github.jgrad.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.Tensor;
import org.junit.jupiter.api.Test;

/** Losses at extreme logits: the exact values and gradients, never NaN. */
class LossStabilityTest {
    private static final double INF = Double.POSITIVE_INFINITY;

    /** log(1 + e^z) - z y, evaluated without cancellation and with the limits at infinite z. */
    private static double bce(double z, double y) {
        if (z == INF) {
            return y == 1 ? 0 : INF;
        }
        if (z == -INF) {
            return y == 0 ? 0 : INF;
        }
        return z > 0 ? z * (1 - y) + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)) - z * y;
    }

    /** sigmoid(z) - y, evaluated without cancellation. */
    private static double bceGrad(double z, double y) {
        return z > 0 ? (1 - y) - Math.exp(-z) / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)) - y;
    }

    @Test
    void bceWithLogitsIsExactAtHugeAndInfiniteLogits() {
        double[] zs = {100, -100, 1e4, -1e4, INF, -INF, 30, 0};
        double[] ys = {0, 1, 0.25};
        for (double y : ys) {
            Tensor z = Tensor.of(zs).requiresGrad(true);
            Tensor target = Tensor.full(new int[] {zs.length}, y);
            Tensor loss = Loss.binaryCrossEntropyWithLogits(z, target, Reduction.NONE);
            loss.sum().backward();
            for (int i = 0; i < zs.length; i++) {
                double expected = bce(zs[i], y);
                double g = bceGrad(zs[i], y);
                String at = "z = " + zs[i] + ", y = " + y;
                // an infinite expectation is compared exactly (a tolerance of inf * 1e-15 accepts anything)
                assertEquals(expected, loss.get(i), Double.isInfinite(expected) ? 0 : Math.abs(expected) * 1e-15, at);
                assertEquals(g, z.grad().get(i), Math.abs(g) * 1e-15, at);
            }
        }
        // the documented numbers: z = 100, y = 1 costs log1p(e^-100) = 3.72e-44, gradient -3.72e-44
        Tensor z = Tensor.of(new double[] {100}).requiresGrad(true);
        Tensor loss = Loss.binaryCrossEntropyWithLogits(z, Tensor.ones(1), Reduction.SUM);
        loss.backward();
        assertEquals(3.720075976020836e-44, loss.item(), 1e-58);
        assertEquals(-3.720075976020836e-44, z.grad().item(), 1e-58);
    }

    @Test
    void lossesOfScalarFloat32TensorsStayFloat32() { // BCE with logits gave float64 (its zero constant promoted)
        Tensor z = Tensor.scalar(0.3).to(io.github.jgrad.autodiff.DType.FLOAT32);
        Tensor y = Tensor.scalar(1).to(io.github.jgrad.autodiff.DType.FLOAT32);
        assertEquals(io.github.jgrad.autodiff.DType.FLOAT32, Loss.binaryCrossEntropyWithLogits(z, y).dtype());
        assertEquals((float) Math.log1p(Math.exp(-(double) 0.3f)), (float) Loss.binaryCrossEntropyWithLogits(z, y).item());
        assertEquals(io.github.jgrad.autodiff.DType.FLOAT32, Loss.mse(z, y).dtype());
    }

    @Test
    void bceOfCertainWrongProbabilitiesIsExactly100InBothDTypes() { // float32 gave 99.983: e^-100 rounded, then log
        for (io.github.jgrad.autodiff.DType dtype : io.github.jgrad.autodiff.DType.values()) {
            Tensor p = Tensor.of(new double[] {0, 1, 1, 0.5}).to(dtype).requiresGrad(true);
            Tensor y = Tensor.of(new double[] {1, 0, 1, 1}).to(dtype);
            Tensor loss = Loss.binaryCrossEntropy(p, y, Reduction.NONE);
            assertArrayEquals(new double[] {100, 100, 0, Math.log(2)}, loss.toArray(), 1e-7, dtype.toString());
            assertEquals(100, loss.toArray()[0], 0, dtype.toString());
            loss.sum().backward();
            // no gradient where log p is clamped (p = 0, and 1 - p = 0); -y/p at p = 1 (bounds included) and 0.5
            assertArrayEquals(new double[] {0, 0, -1, -2}, p.grad().toArray(), 0, dtype.toString());
        }
    }

    @Test
    void rightlyCertainInfiniteLogitsCostNothingAndTeachNothing() {
        Tensor z = Tensor.of(new double[] {INF, -INF}).requiresGrad(true);
        Tensor loss = Loss.binaryCrossEntropyWithLogits(z, Tensor.of(new double[] {1, 0}));
        loss.backward();
        assertEquals(0, loss.item(), 0);
        assertArrayEquals(new double[] {0, 0}, z.grad().toArray(), 0);
    }

    @Test
    void crossEntropyWithOneHotTargetsIsExactAtLogitsOfPlusMinus1e8() {
        Tensor logits = Tensor.of(new double[] {1e8, -1e8, 0, 1e8, -1e8, 0}, 2, 3).requiresGrad(true);
        Tensor onehot = Tensor.of(new double[] {1, 0, 0, 0, 1, 0}, 2, 3);
        Tensor loss = Loss.crossEntropy(logits, onehot);
        assertEquals((0 + 2e8) / 2, loss.item(), 0);
        loss.backward();
        assertArrayEquals(new double[] {0, 0, 0, 0.5, -0.5, 0}, logits.grad().toArray(), 0);
        // the same loss from class indices
        assertEquals(1e8, Loss.crossEntropy(logits.detach(), new int[] {0, 1}).item(), 0);
    }

    @Test
    void crossEntropyWithSoftTargetsAndAnImpossibleClass() {
        double e = Math.E;
        // row 0: soft labels; row 1: a logit of -infinity whose target is 0 costs nothing
        Tensor logits = Tensor.of(new double[] {1, 2, 3, 0, Double.NEGATIVE_INFINITY, 1}, 2, 3).requiresGrad(true);
        Tensor targets = Tensor.of(new double[] {0.2, 0.3, 0.5, 1, 0, 0}, 2, 3);
        Tensor loss = Loss.crossEntropy(logits, targets);
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        double[] p = {Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z};
        double row0 = -(0.2 * Math.log(p[0]) + 0.3 * Math.log(p[1]) + 0.5 * Math.log(p[2]));
        double row1 = Math.log(1 + e);
        assertEquals((row0 + row1) / 2, loss.item(), 1e-15);
        loss.backward();
        double[] expected = {(p[0] - 0.2) / 2, (p[1] - 0.3) / 2, (p[2] - 0.5) / 2,
            (1 / (1 + e) - 1) / 2, 0, e / (1 + e) / 2};
        assertArrayEquals(expected, logits.grad().toArray(), 1e-16);
    }

    @Test
    void gradientsTowardsTargetsHoldWhereATargetIsZero() { // d/dy of BCE is -z, of soft cross-entropy -logSoftmax
        double[] zs = {1.5, -2, 0.7, 40, -40};
        Tensor y = Tensor.of(new double[] {1, 0, 0.4, 0, 1}).requiresGrad(true);
        Loss.binaryCrossEntropyWithLogits(Tensor.of(zs), y, Reduction.SUM).backward();
        assertArrayEquals(new double[] {-1.5, 2, -0.7, -40, 40}, y.grad().toArray(), 0);

        double[] logits = {2, -1, 0.5, 0, Double.NEGATIVE_INFINITY, 1};
        Tensor p = Tensor.of(new double[] {1, 0, 0, 0.5, 0, 0.5}, 2, 3).requiresGrad(true);
        Loss.crossEntropy(Tensor.of(logits, 2, 3), p, Reduction.SUM).backward();
        double z0 = Math.log(Math.exp(2) + Math.exp(-1) + Math.exp(0.5));
        double z1 = Math.log(1 + Math.E);
        // -logSoftmax, but 0 towards the impossible class's zero target (-log 0 is infinite)
        double[] expected = {z0 - 2, z0 + 1, z0 - 0.5, z1, 0, z1 - 1};
        assertArrayEquals(expected, p.grad().toArray(), 1e-15);
    }

    @Test
    void crossEntropyTakesIndicesAsAVectorOrAColumnWithAnyReduction() {
        Tensor logits = Tensor.of(new double[] {1, 2, 3, 0, 0, 0}, 2, 3);
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        double[] rows = {-Math.log(Math.exp(3) / z), Math.log(3)};
        Tensor column = Tensor.of(new double[] {2, 1}, 2, 1);
        assertArrayEquals(rows, Loss.crossEntropy(logits, column, Reduction.NONE).toArray(), 1e-15);
        assertArrayEquals(rows, Loss.crossEntropy(logits, Tensor.of(new double[] {2, 1}), Reduction.NONE).toArray(), 1e-15);
        assertEquals(rows[0] + rows[1], Loss.crossEntropy(logits, column, Reduction.SUM).item(), 1e-15);
        Tensor onehot = Tensor.of(new double[] {0, 0, 1, 0, 1, 0}, 2, 3);
        assertArrayEquals(rows, Loss.crossEntropy(logits, onehot, Reduction.NONE).toArray(), 1e-15);
    }

    @Test
    void crossEntropyRejectsTargetsOfNeitherForm() {
        Tensor logits = Tensor.zeros(2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Loss.crossEntropy(logits, Tensor.zeros(2, 4)));
        assertTrue(e.getMessage().contains("(2, 4)") && e.getMessage().contains("(2, 3)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Loss.crossEntropy(Tensor.zeros(3), Tensor.zeros(3)));
        assertTrue(e.getMessage().contains("need to be (n, classes)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Loss.crossEntropy(logits, Tensor.of(new double[] {0, 1e10})));
        assertTrue(e.getMessage().contains("class index 1.0E10 at row 1 is not an integer in [0, 3)"), e.getMessage());
    }
}
