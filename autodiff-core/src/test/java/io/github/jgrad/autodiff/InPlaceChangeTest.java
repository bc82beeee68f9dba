package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A graph computed from a parameter that was since changed in place would differentiate with the new
 * values (d/dp sum(p*p) = 2p read after the step): backward refuses, as PyTorch's version counter does.
 */
class InPlaceChangeTest {
    private static void refuses(Runnable backward, String... fragments) {
        IllegalStateException e = assertThrows(IllegalStateException.class, backward::run);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "'" + e.getMessage() + "' should mention '" + f + "'");
        }
    }

    @Test
    void backwardAfterAnOptimizerStepThrowsInsteadOfUsingTheNewValues() {
        Tensor p = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        Tensor loss = p.mul(p).sum();
        p.addInPlace(1, Tensor.of(new double[] {10, 10}));   // was: p.grad() = [22, 24], not [2, 4]
        refuses(loss::backward, "backward of mul", "input 0", "(2)", "changed in place", "forward pass again");
    }

    @Test
    void copyFromAndViewsCountAsChangesToo() {
        Tensor p = Tensor.of(new double[] {1, 2, 3, 4}).requiresGrad(true);
        Tensor viaReshape = p.reshape(2, 2).mul(p.reshape(2, 2)).sum();
        p.copyFrom(Tensor.zeros(4));
        refuses(viaReshape::backward, "changed in place");

        // a detached copy shares the data: marked as a parameter and stepped, it changes p's graph too
        Tensor q = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        Tensor loss = q.exp().sum();
        Tensor alias = q.detach().requiresGrad(true);
        alias.addInPlace(-1, Tensor.ones(2));
        refuses(loss::backward, "backward of exp");
    }

    @Test
    void theUsualLoopIsUnaffected() {
        Tensor p = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        for (int step = 0; step < 3; step++) {       // forward, backward, step; forward again
            p.zeroGrad();
            p.mul(p).sum().backward();
            try (GradMode.Scope s = GradMode.disabled()) {
                p.addInPlace(-0.25, p.grad());
            }
        }
        // p halves each step (p - 0.25 * 2p): 1, 2 -> 0.125, 0.25; the last gradient was 2 * (0.25, 0.5)
        assertArrayEquals(new double[] {0.125, 0.25}, p.toArray(), 0);
        assertArrayEquals(new double[] {0.5, 1.0}, p.grad().toArray(), 0);
    }

    @Test
    void changingOneParameterDoesNotInvalidateGraphsThatDoNotUseIt() {
        Tensor a = Tensor.of(new double[] {3}).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {5}).requiresGrad(true);
        Tensor loss = a.mul(a).sum();
        b.addInPlace(1, Tensor.ones(1));
        loss.backward();
        assertArrayEquals(new double[] {6}, a.grad().toArray(), 0);
    }

    @Test
    void leavesAreWhatPyTorchCallsLeavesAndAnyLeafCanBeLoadedInto() {
        Tensor p = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        Tensor y = p.mul(p);
        assertTrue(p.isLeaf());
        assertFalse(y.isLeaf());
        y.sum().backward();
        assertFalse(y.isLeaf(), "a freed result is still not a leaf");
        assertTrue(Tensor.randn(1, 2).mul(0.5).isLeaf(), "computed from no-grad inputs: records nothing");

        Tensor frozen = Tensor.of(new double[] {1, 2});                 // requires no gradient
        frozen.copyFrom(Tensor.of(new double[] {3, 4}));
        assertArrayEquals(new double[] {3, 4}, frozen.toArray(), 0);
        assertThrows(IllegalStateException.class, () -> y.copyFrom(Tensor.zeros(2)));
    }
}
