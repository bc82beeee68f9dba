package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * What a pass hands out and what it runs: each leaf's gradient is a tensor of its own, a detached
 * copy keeps no graph alive, Tensor.grad runs only the part of the graph that leads to its inputs,
 * and a pass that fails changes nothing.
 */
class GradientOwnershipTest {
    @Test
    void eachLeafGetsAGradientOfItsOwnNotTheSeedOrAnotherLeafs() {
        Tensor a = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {3, 4}).requiresGrad(true);
        a.add(b).sum().backward();                          // add's backward hands g to both inputs
        assertNotSame(a.grad(), b.grad());
        a.grad().copyFrom(Tensor.zeros(2));                 // was: b.grad() became [0, 0] too
        assertArrayEquals(new double[] {1, 1}, b.grad().toArray(), 0);

        Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        Tensor v = Tensor.of(new double[] {1, 1});          // a reused upstream-gradient buffer
        x.add(1).backward(v, false, false);
        v.copyFrom(Tensor.of(new double[] {7, 7}));         // was: x.grad() became [7, 7]
        assertArrayEquals(new double[] {1, 1}, x.grad().toArray(), 0);

        // a seed that requires grad, without createGraph: the stored gradient is plain numbers
        Tensor w = Tensor.of(new double[] {1, 1}).requiresGrad(true);
        Tensor z = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        z.add(1).backward(w.mul(2), false, false);
        assertFalse(z.grad().requiresGrad(), "was: z.grad() was w.mul(2) itself, with its graph");
        assertArrayEquals(new double[] {2, 2}, z.grad().toArray(), 0);
        // with createGraph it stays on the tape, as a copy
        Tensor u = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        u.add(1).backward(w.mul(2), false, true);
        assertTrue(u.grad().requiresGrad());
        u.grad().sum().backward();
        assertArrayEquals(new double[] {2, 2}, w.grad().toArray(), 0);
    }

    @Test
    void gradReturnsTensorsOfTheirOwnToo() {
        Tensor a = Tensor.scalar(1).requiresGrad(true);
        Tensor b = Tensor.scalar(2).requiresGrad(true);
        List<Tensor> g = Tensor.grad(List.of(a.add(b)), List.of(a, b), false);
        assertNotSame(g.get(0), g.get(1));
        assertEquals(1, g.get(0).item());
        assertEquals(1, Tensor.grad(a, a, false).item());   // d a / d a, the seed, copied
    }

    @Test
    void aDetachedResultKeepsNoGraphAlive() {
        Tensor w = Tensor.randn(new SplittableRandom(1), 64, 64).requiresGrad(true);
        List<Tensor> kept = new ArrayList<>();
        List<WeakReference<Tensor>> graph = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Tensor hidden = Tensor.randn(new SplittableRandom(2 + i), 32, 64).matmul(w).tanh();
            graph.add(new WeakReference<>(hidden));
            kept.add(hidden.matmul(w).detach());            // was: the detached copy held its source's graph
        }
        assertEquals(graph.size(), WeakRefs.collect(graph, 20), "intermediate results still reachable");
        assertEquals(5, kept.size());
    }

    @Test
    void gradRunsAndFreesOnlyThePartOfTheGraphThatLeadsToItsInputs() {
        Tensor w = Tensor.of(new double[] {0.5, -1}).requiresGrad(true);
        Tensor feat = w.mul(3).tanh();
        Tensor g = Tensor.grad(feat.pow(2).sum(), feat, false);   // runs pow and sum, not tanh or mul
        feat.backward(g.mul(0.5), false, false);                  // was: "the graph ... was freed"
        double[] f = feat.toArray();
        double[] expected = new double[2];
        double[] wv = {0.5, -1};
        for (int i = 0; i < 2; i++) {                             // d/dw sum(feat^2)/2 = feat * 3 (1 - feat^2)
            expected[i] = f[i] * 3 * (1 - f[i] * f[i]);
            assertEquals(Math.tanh(3 * wv[i]), f[i], 0);
        }
        assertArrayEquals(expected, w.grad().toArray(), 1e-15);

        // a branch that does not lead to the input is not run: a parameter changed there does not matter
        Tensor p = Tensor.scalar(1).requiresGrad(true);
        Tensor q = Tensor.scalar(2).requiresGrad(true);
        Tensor y = p.mul(p).add(q.mul(q));
        p.addInPlace(-0.1, Tensor.scalar(1));
        assertEquals(4, Tensor.grad(y, q, false).item());         // was: "input 0 ... was changed in place"
    }

    @Test
    void aBackwardThatOverflowsWhileAccumulatingChangesNoLeafAndKeepsTheGraph() {
        Tensor a = Tensor.scalar(1).requiresGrad(true);
        Tensor b = Tensor.scalar(1).requiresGrad(true);
        b.setGrad(Tensor.scalar(Double.MAX_VALUE));
        Tensor y = a.mul(Double.MAX_VALUE).add(b.mul(Double.MAX_VALUE));
        try (Anomaly.Scope s = Anomaly.detect()) {
            ArithmeticException e = assertThrows(ArithmeticException.class, y::backward);
            assertTrue(e.getMessage().startsWith("backward: adding this pass's gradient into grad() of a leaf"),
                    e.getMessage());
        }
        assertEquals(null, a.grad(), "a was updated although b's update failed");
        assertEquals(Double.MAX_VALUE, b.grad().item());
        b.zeroGrad();
        y.backward();                                             // the graph is still there
        assertEquals(Double.MAX_VALUE, a.grad().item());
    }

    @Test
    void gradChecksItsArguments() {
        Tensor x = Tensor.scalar(1).requiresGrad(true);
        Tensor y = x.mul(x);
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> Tensor.grad(List.of(y), List.of(), false));
        assertTrue(empty.getMessage().contains("at least one output and one input"), empty.getMessage());
        NullPointerException nullInput = assertThrows(NullPointerException.class,
                () -> Tensor.grad(List.of(y), Arrays.asList(x, null), false));
        assertTrue(nullInput.getMessage().contains("input 1 is null"), nullInput.getMessage());
        Tensor.grad(y, x, false);
        IllegalStateException twice = assertThrows(IllegalStateException.class, () -> Tensor.grad(y, x, false));
        assertTrue(twice.getMessage().contains("createGraph = true in Tensor.grad"), twice.getMessage());
    }
}
