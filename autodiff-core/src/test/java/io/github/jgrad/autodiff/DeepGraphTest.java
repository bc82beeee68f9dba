package io.github.jgrad.autodiff;

import static io.github.jgrad.autodiff.WeakRefs.cleared;
import static io.github.jgrad.autodiff.WeakRefs.collect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Graphs of a million chained ops, scalar and tensor, built, differentiated and released on a thread
 * with a 256 KiB stack (anything recursive per node would overflow it), with exact gradients.
 *
 * <p>The multiplier c = 1 + 2^-20 is chosen so c^N stays about 2.6 (no overflow) while every product is
 * rounded; backward multiplies the incoming gradient 1 by c once per node, output to input, which is
 * the same sequence of roundings as the loop {@code p = 1; p *= c} in {@link #powerByRepeatedProduct},
 * so the expected gradient is that loop's result bit for bit, not an approximation of c^N.
 */
final class DeepGraphTest {
    private static final int N = 1_000_000;
    /** Every STRIDE-th intermediate is watched through a weak reference. */
    private static final int STRIDE = 1000;
    private static final double C = 1 + 0x1p-20;
    /** System.gc() calls allowed before a reference that should be collectable counts as leaked. */
    private static final int GC_ATTEMPTS = 50;

    /** 1 * c * c * ... (n factors of c), rounded after every product, as backward computes it. */
    static double powerByRepeatedProduct(double c, int n) {
        double p = 1;
        for (int i = 0; i < n; i++) {
            p *= c;
        }
        return p;
    }

    // ------------------------------------------------------------------ Value

    @Test
    void valueChainOfAMillionAddsHasGradientExactlyOne() throws InterruptedException {
        double[] r = SmallStack.call(() -> {
            Value x = Value.of(0.5);
            Value y = x;
            for (int i = 0; i < N; i++) {
                y = y.add(0.25);
            }
            y.backward();
            return new double[] {y.data(), x.grad()};
        });
        assertEquals(0.5 + 0.25 * N, r[0], 0, "every partial sum is a multiple of 1/4 below 2^50: exact");
        assertEquals(1.0, r[1], 0);
    }

    @Test
    void valueChainOfAMillionMultipliesHasTheExactProductAsGradient() throws InterruptedException {
        double[] r = SmallStack.call(() -> {
            Value x = Value.of(1.0);
            Value y = x;
            for (int i = 0; i < N; i++) {
                y = y.mul(C);
            }
            y.backward();
            double first = x.grad();
            y.backward(); // Value graphs are kept: a second pass adds the same gradient again
            return new double[] {y.data(), first, x.grad()};
        });
        double p = powerByRepeatedProduct(C, N);
        assertEquals(p, r[0], 0, "forward from x = 1 is the same product");
        assertEquals(p, r[1], 0);
        assertEquals(2 * p, r[2], 0);
        assertEquals(Math.exp(N * Math.log1p(0x1p-20)), p, 1e-6 * p, "sanity: the loop is c^N up to rounding");
    }

    @Test
    void droppingTheOutputOfAMillionValueChainReleasesEveryNode() throws InterruptedException {
        String failure = SmallStack.call(() -> {
            Value x = Value.of(1.0);
            List<WeakReference<Value>> watched = new ArrayList<>();
            Value y = x;
            for (int i = 1; i <= N; i++) {
                y = y.mul(C);
                if (i % STRIDE == 0) {
                    watched.add(new WeakReference<>(y));
                }
            }
            y.backward();
            double grad = x.grad();
            if (grad != powerByRepeatedProduct(C, N)) {
                return "gradient " + grad;
            }
            // while the output is held, the whole chain is reachable from it: nothing may be cleared
            collect(watched, 1);
            // the fence keeps y strongly reachable up to here: without it the JIT may treat y as dead
            // after its last use above, and the collector may then take the chain early
            Reference.reachabilityFence(y);
            if (cleared(watched) != 0) {
                return cleared(watched) + " nodes of a live graph were collected";
            }
            y = null; // the only strong reference to the chain
            int clearedNow = collect(watched, GC_ATTEMPTS);
            if (clearedNow != watched.size()) {
                return (watched.size() - clearedNow) + " of " + watched.size() + " nodes still reachable";
            }
            // the leaf survives its graph: it never referred to the nodes computed from it
            return x.data() == 1.0 && x.grad() == grad ? null : "leaf changed";
        });
        assertEquals(null, failure);
    }

    // ------------------------------------------------------------------ Tensor

    @Test
    void tensorChainOfAMillionAddsHasGradientExactlyOne() throws InterruptedException {
        double[] r = SmallStack.call(() -> {
            Tensor x = Tensor.scalar(0.5).requiresGrad(true);
            Tensor c = Tensor.scalar(0.25); // one constant for the whole chain keeps memory down
            Tensor y = x;
            for (int i = 0; i < N; i++) {
                y = y.add(c);
            }
            y.backward();
            return new double[] {y.item(), x.grad().item(), x.grad().dim()};
        });
        assertEquals(0.5 + 0.25 * N, r[0], 0);
        assertEquals(1.0, r[1], 0);
        assertEquals(0, r[2], "the gradient of a 0-d leaf is 0-d");
    }

    @Test
    void tensorChainOfAMillionMultipliesIsFreedByBackward() throws InterruptedException {
        String failure = SmallStack.call(() -> {
            Tensor x = Tensor.of(new double[] {1.0}, 1).requiresGrad(true);
            Tensor c = Tensor.of(new double[] {C}, 1);
            List<WeakReference<Tensor>> watched = new ArrayList<>();
            Tensor y = chainOfProducts(x, c, watched);
            double p = powerByRepeatedProduct(C, N);
            if (y.item() != p) {
                return "forward " + y.item() + ", expected " + p;
            }

            // retainGraph keeps every node: a weak reference to a live node is never cleared
            y.backward(true);
            if (x.grad().item() != p) {
                return "first gradient " + x.grad().item() + ", expected " + p;
            }
            collect(watched, 1);
            Reference.reachabilityFence(y);
            if (cleared(watched) != 0) {
                return cleared(watched) + " nodes of a retained graph were collected";
            }

            // a plain backward adds the same gradient again and cuts the output from the chain
            y.backward();
            if (x.grad().item() != 2 * p) {
                return "second gradient " + x.grad().item() + ", expected " + 2 * p;
            }
            int clearedNow = collect(watched, GC_ATTEMPTS);
            if (clearedNow != watched.size()) {
                return (watched.size() - clearedNow) + " of " + watched.size()
                        + " intermediates still reachable from the output after backward";
            }
            // output and leaf are still held (and used) here: the chain went, they did not
            Reference.reachabilityFence(y);
            Reference.reachabilityFence(x);
            if (y.item() != p || !y.requiresGrad() || x.grad().item() != 2 * p) {
                return "output or leaf changed";
            }
            Tensor output = y;
            IllegalStateException again = assertThrows(IllegalStateException.class, output::backward);
            if (!again.getMessage().contains("retainGraph")) {
                return "message does not say how to keep the graph: " + again.getMessage();
            }
            if (x.grad().item() != 2 * p) {
                return "a refused backward changed the gradient";
            }
            return null;
        });
        assertEquals(null, failure);
    }

    @Test
    void functionalGradWithoutCreateGraphFreesTheChainToo() throws InterruptedException {
        String failure = SmallStack.call(() -> {
            Tensor x = Tensor.scalar(1.0).requiresGrad(true);
            Tensor c = Tensor.scalar(C);
            List<WeakReference<Tensor>> watched = new ArrayList<>();
            Tensor y = chainOfProducts(x, c, watched);
            Tensor g = Tensor.grad(y, x, false);
            double p = powerByRepeatedProduct(C, N);
            if (g.item() != p || x.grad() != null) {
                return "grad " + g.item() + " (expected " + p + "), leaf gradient " + x.grad();
            }
            int clearedNow = collect(watched, GC_ATTEMPTS);
            Reference.reachabilityFence(y);
            if (clearedNow != watched.size()) {
                return (watched.size() - clearedNow) + " of " + watched.size() + " intermediates kept after grad()";
            }
            return null;
        });
        assertEquals(null, failure);
    }

    @Test
    void backwardThroughAFreedNodeFromANewOutputIsRefused() throws InterruptedException {
        IllegalStateException e = SmallStack.call(() -> {
            Tensor x = Tensor.scalar(2).requiresGrad(true);
            Tensor mid = x;
            for (int i = 0; i < N / 10; i++) {
                mid = mid.add(Tensor.scalar(1));
            }
            Tensor loss = mid.mul(mid);
            loss.backward();
            assertEquals(2 * (2.0 + N / 10), x.grad().item(), 0, "d(mid^2)/dx = 2 mid");
            Tensor reused = mid.mul(3); // mid is still a value, but its graph was freed with loss's
            IllegalStateException thrown = assertThrows(IllegalStateException.class, reused::backward);
            assertEquals(2 * (2.0 + N / 10), x.grad().item(), 0, "a refused backward changes no gradient");
            return thrown;
        });
        assertNotNull(e.getMessage());
        assertTrue(e.getMessage().contains("retainGraph"), e.getMessage());
        assertTrue(e.getMessage().contains("freed"), e.getMessage());
    }

    @Test
    void tensorChainWhereEveryNodeFeedsTwoOpsIsExact() throws InterruptedException {
        // y_{k+1} = y_k * a + y_k * b: each node is used twice (2^n paths from output to input, which a
        // tape that visited paths instead of nodes could not finish); backward adds g*a and g*b into one
        // gradient per node, so the expected gradient is the loop g = g*a + g*b, rounding for rounding
        int n = N / 10;
        double a = 0.5;
        double b = 0.5 + 0x1p-20;
        double[] r = SmallStack.call(() -> {
            Tensor x = Tensor.scalar(1.0).requiresGrad(true);
            Tensor ta = Tensor.scalar(a);
            Tensor tb = Tensor.scalar(b);
            Tensor y = x;
            for (int i = 0; i < n; i++) {
                y = y.mul(ta).add(y.mul(tb));
            }
            y.backward();
            return new double[] {x.grad().item()};
        });
        double g = 1;
        for (int i = 0; i < n; i++) {
            g = g * a + g * b;
        }
        assertEquals(g, r[0], 0);
        assertEquals(Math.exp(n * Math.log1p(0x1p-20)), g, 1e-9 * g, "sanity: (1 + 2^-20)^n");
    }

    // ------------------------------------------------------------------ helpers

    /** x * c * c * ... (N factors), watching every STRIDE-th product but the last through a weak reference. */
    private static Tensor chainOfProducts(Tensor x, Tensor c, List<WeakReference<Tensor>> watched) {
        Tensor y = x;
        for (int i = 1; i <= N; i++) {
            y = y.mul(c);
            if (i % STRIDE == 0 && i < N) {
                watched.add(new WeakReference<>(y));
            }
        }
        return y;
    }
}
