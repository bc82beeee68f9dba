package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
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
        assertTrue(Tensor.randn(new SplittableRandom(1), 2).mul(0.5).isLeaf(), "computed from no-grad inputs: records nothing");

        Tensor frozen = Tensor.of(new double[] {1, 2});                 // requires no gradient
        frozen.copyFrom(Tensor.of(new double[] {3, 4}));
        assertArrayEquals(new double[] {3, 4}, frozen.toArray(), 0);
        assertThrows(IllegalStateException.class, () -> y.copyFrom(Tensor.zeros(2)));
    }

    @Test
    void aResultChangedThroughALeafThatViewsItCannotBeDifferentiated() {
        // exp's backward reads its own output: changed through a detached copy it gave [0, 0], not [1, e]
        Tensor p = Tensor.of(new double[] {0, 1}).requiresGrad(true);
        Tensor y = p.exp();
        y.detach().copyFrom(Tensor.zeros(2));
        refuses(() -> y.sum().backward(), "backward of exp", "its result", "changed in place");

        Tensor q = Tensor.of(new double[] {0, 1}).requiresGrad(true);
        Tensor t = q.tanh();
        Tensor view;
        try (GradMode.Scope s = GradMode.disabled()) {
            view = t.reshape(2, 1);                                    // a leaf sharing t's data
        }
        view.copyFrom(Tensor.of(new double[] {5, 5}, 2, 1));
        refuses(() -> t.sum().backward(), "backward of tanh");

        Tensor r = Tensor.of(new double[] {0, 1}).requiresGrad(true);   // the older route, through addInPlace
        Tensor u = r.sigmoid();
        u.detach().requiresGrad(true).addInPlace(1, Tensor.ones(2));
        refuses(() -> u.sum().backward(), "backward of sigmoid");
    }

    @Test
    void gradientsAreCopiedOnlyWhereTheyWouldBeShared() {
        // a broadcast bias's gradient goes through sumTo's reshape (a view of a temporary): no copy needed
        Tensor x = Tensor.randn(new SplittableRandom(1), 4, 3);
        Tensor w = Tensor.randn(new SplittableRandom(2), 3, 2).requiresGrad(true);
        Tensor b = Tensor.zeros(2).requiresGrad(true);
        x.matmulAdd(w, b).tanh().sum().backward();
        assertNotSame(LayoutOps.COPY, b.grad().op(), "the bias gradient was copied needlessly");
        assertNotSame(LayoutOps.COPY, w.grad().op());
    }

    @Test
    void aChangedResultIsRefusedOnlyWhereItsBackwardReadsIt() {
        // matmul's backward needs x and w, not its output: editing the output through a view before it is
        // used (as PyTorch allows) leaves a gradient to compute, of the edited graph's loss
        Tensor x = Tensor.of(new double[][] {{1, 2}, {3, 4}});
        Tensor w = Tensor.of(new double[][] {{1, -1}, {2, 0.5}}).requiresGrad(true);
        Tensor out = x.matmul(w);
        Tensor shown = out.detach();
        shown.copyFrom(shown.clamp(0, 1));
        out.sum().backward();
        assertArrayEquals(new double[] {4, 4, 6, 6}, w.grad().toArray(), 0);

        // a changed input is reported as such, not as a change of the result that views it
        Tensor p = Tensor.of(new double[][] {{1, 2}, {3, 4}}).requiresGrad(true);
        Tensor r = p.reshape(4).mul(2);
        p.addInPlace(1, Tensor.ones(2, 2));
        refuses(() -> r.sum().backward(), "input 0", "changed in place (addInPlace or copyFrom");
    }
}
