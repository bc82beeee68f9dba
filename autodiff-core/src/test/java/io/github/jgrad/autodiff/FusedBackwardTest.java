package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * tanh's and sigmoid's backward run as one fused primitive each: bit for bit what the chain of ops they
 * replace computed, zero gradients included, and still differentiable (second derivatives in closed
 * form).
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
}
