package io.github.jgrad.autodiff;

import static io.github.jgrad.autodiff.WeakRefs.cleared;
import static io.github.jgrad.autodiff.WeakRefs.collect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * The flat scalar tape ({@link ValueTape}): values are swept in creation order, the tape is emptied
 * by every backward pass and reused, and every graph the tape no longer lists (held across steps,
 * built on another thread, larger than the tape) is still differentiated exactly, by the fallback
 * order. These tests try to catch a reused tape slot giving a wrong gradient.
 */
final class ValueTapeTest {

    /** d/dw of sum over k of (w * x_k)^2 = 2 w sum x_k^2, in one graph or across steps. */
    @Test
    void aHeldOutputIsDifferentiatedExactlyAfterManyStepsReusedTheTape() {
        Value w = Value.of(0.75, "w");
        Value first = w.mul(1.5).tanh().mul(w);               // step 0's loss, held
        double d1 = first.data();
        first.backward();
        double expected = w.grad();                           // recorded at w = 0.75
        for (int step = 0; step < 200; step++) {              // micrograd's loop: build, backward, update
            w.zeroGrad();
            Value loss = w.mul(w).mul(step).add(w.sin());
            loss.backward();
            w.setData(w.data() - 1e-4 * w.grad());
        }
        assertTrue(w.data() != 0.75, "the steps moved w");
        w.zeroGrad();
        Value pending = w.mul(w).mul(w).mul(w).mul(w);        // now first's slot holds one of these
        first.backward();                                     // its slots were overwritten 201 times
        assertEquals(expected, w.grad(), 0, "the local derivatives recorded at step 0, bit for bit");
        assertEquals(d1, first.data(), 0);
        assertEquals(0.0, pending.grad(), 0, "the graph now in first's slots was not reached");
        double t = Math.tanh(1.5 * 0.75);
        assertEquals(t + 0.75 * 1.5 * (1 - t * t), expected, 1e-15, "closed form at w = 0.75");
    }

    @Test
    void repeatedBackwardAccumulatesIntoLeavesThroughTheFallbackToo() {
        Value x = Value.of(2.0);
        Value y = x.mul(x).add(x.exp());                      // dy/dx = 2x + e^x
        y.backward();                                         // from the tape
        double once = x.grad();
        y.backward();                                         // the tape was emptied: the fallback order
        assertEquals(2 * once, x.grad(), 0);
        assertEquals(4 + Math.exp(2), once, 1e-15);
        assertEquals(1.0, y.grad(), 0, "an interior gradient is set, not summed, by each pass");
    }

    @Test
    void anOperandFromAnEarlierStepMakesTheWholeGraphDifferentiable() {
        Value w = Value.of(0.5);
        double[] xs = {1.25, -2, 3.5};
        Value total = Value.of(0);
        Value reference = Value.of(0);
        for (double x : xs) {
            Value loss = w.mul(x).pow(2);
            loss.backward();                                  // empties the tape after every step
            total = total.add(loss);                          // reads a value the tape no longer lists
        }
        w.zeroGrad();
        total.backward();
        double viaSteps = w.grad();
        Value w2 = Value.of(0.5);
        for (double x : xs) {
            reference = reference.add(w2.mul(x).pow(2));      // the same graph built in one go
        }
        reference.backward();
        assertEquals(w2.grad(), viaSteps, 0, "bit for bit the graph recorded on one tape");
        double sumSquares = 1.25 * 1.25 + 4 + 3.5 * 3.5;
        assertEquals(2 * 0.5 * sumSquares, viaSteps, 1e-14);
    }

    @Test
    void aValueComputedOnAnotherThreadJoinsThisThreadsGraph() throws Exception {
        Value x = Value.of(0.3);
        Value y = Value.of(-1.7);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Value h;
        try {
            h = pool.submit(() -> x.mul(y).add(x)).get();       // on the other thread's tape
        } finally {
            pool.shutdown();
        }
        Value z = h.tanh().mul(h);                              // on this thread's tape
        z.backward();
        double hv = 0.3 * -1.7 + 0.3;
        double t = Math.tanh(hv);
        double dz = t + hv * (1 - t * t);
        assertEquals(dz * (-1.7 + 1), x.grad(), 1e-15);
        assertEquals(dz * 0.3, y.grad(), 1e-15);
    }

    @Test
    void aGraphLongerThanTheTapeIsDifferentiatedExactly() throws InterruptedException {
        int n = ValueTape.CAPACITY + 1000;                      // the tape empties itself once, mid-graph
        double c = 1 + 0x1p-20;
        double[] r = SmallStack.call(() -> {
            Value x = Value.of(1.0);
            Value y = x;
            for (int i = 0; i < n; i++) {
                y = y.mul(c);
            }
            y.backward();
            return new double[] {x.grad()};
        });
        assertEquals(DeepGraphTest.powerByRepeatedProduct(c, n), r[0], 0, "backward multiplies by c once per node");
    }

    @Test
    void aThreadThatDifferentiatesALongerGraphGrowsItsTapeToSweepTheNext() throws InterruptedException {
        int n = ValueTape.CAPACITY + 1000;
        double c = 1 + 0x1p-20;
        double expected = DeepGraphTest.powerByRepeatedProduct(c, n);
        double[] r = SmallStack.call(() -> {
            ValueTape tape = ValueTape.current();
            Value x = Value.of(1.0);
            Value y = x;
            for (int i = 0; i < n; i++) {
                y = y.mul(c);
            }
            Value first = y;
            y.backward();                                      // the tape emptied itself mid-graph: searched
            double grad1 = x.grad();
            int grown = tape.capacity();
            x.zeroGrad();
            y = x;
            for (int i = 0; i < n; i++) {
                y = y.mul(c);
                if (i == 0) {
                    first = y;
                }
            }
            boolean listed = tape.lists(first);                // the whole second graph is on the tape
            y.backward();
            double grad2 = x.grad();
            Value.of(2.0).mul(x).backward();                   // a short graph after: the tape stays grown
            return new double[] {grad1, grown, listed ? 1 : 0, grad2, tape.capacity()};
        });
        assertEquals(expected, r[0], 0);
        assertTrue(r[1] > n && r[1] <= 2 * n, "grown to a power of two holding the graph: " + r[1]);
        assertEquals(1, r[2], 0, "the second graph of the same length was not emptied from the tape");
        assertEquals(expected, r[3], 0, "swept, the same bits");
        assertEquals(r[1], r[4], 0);
    }

    @Test
    void aTapeOnlyGrowsForAGraphLongerThanItWas() throws InterruptedException {
        double[] r = SmallStack.call(() -> {
            ValueTape tape = ValueTape.current();
            Value x = Value.of(0.5);
            Value h = x.mul(3.0);                              // an earlier step's value: off the tape after a pass
            Value.of(1.0).mul(2.0).backward();
            for (int i = 0; i < ValueTape.CAPACITY + 10; i++) { // inference that fills the tape
                Value.of(1.0).mul(2.0);
            }
            h.mul(h).backward();                               // searched (h is off the tape), but short
            return new double[] {tape.capacity(), x.grad()};
        });
        assertEquals(ValueTape.CAPACITY, r[0], 0, "a short graph needs no larger tape");
        assertEquals(2 * 1.5 * 3.0, r[1], 0);
    }

    @Test
    void otherGraphsOnTheTapeKeepTheirGradients() {
        Value a = Value.of(3.0);
        Value b = Value.of(4.0);
        Value p = a.mul(b);
        p.backward();                                          // p.grad = 1, a.grad = 4
        Value q = a.add(b).mul(2.0);                           // on the emptied tape, with p off it
        Value r = p.mul(a);                                    // p read again: the fallback order
        q.backward();
        assertEquals(1.0, p.grad(), 0, "q's pass did not reach p");
        assertEquals(4.0 + 2.0, a.grad(), 0);
        r.backward();
        assertEquals(3.0, p.grad(), 0, "dr/dp = a, set by r's pass");
        assertEquals(4.0 + 2.0 + (4.0 * 3.0 + 12.0), a.grad(), 0, "dr/da = b * a + p");
    }

    @Test
    void aGraphDroppedWithoutBackwardIsReleasedByTheNextPass() throws InterruptedException {
        List<WeakReference<Value>> watched = new ArrayList<>();
        Value x = Value.of(0.5);
        Value y = x;
        for (int i = 0; i < 1000; i++) {
            y = y.sin();
            if (i % 100 == 0) {
                watched.add(new WeakReference<>(y));
            }
        }
        y = null;                                              // dropped, never differentiated
        Value small = x.mul(2.0);
        small.backward();                                      // empties this thread's tape
        assertEquals(watched.size(), collect(watched, 50), "no value of the dropped graph stays reachable");
        assertEquals(watched.size(), cleared(watched));
        assertEquals(2.0, x.grad(), 0);
    }

    @Test
    void aThreadThatNeverDifferentiatesKeepsAtMostAFullTapeAlive() {
        // evaluation only: dot products of 784 operands, never differentiated (found by review: the
        // tape kept every graph, about 69 KB each, until out of memory)
        List<Value> w = Value.of(new double[784]);
        List<WeakReference<Value>> early = new ArrayList<>();
        int perGraph = 784 + 2;                                 // the dot's slots and the sigmoid
        int graphs = 2 * ValueTape.current().capacity() / perGraph + 2; // enough to fill the tape twice
        for (int k = 0; k < graphs; k++) {
            Value p = Value.dot(w, Value.of(new double[784])).sigmoid();
            if (k < 10) {
                early.add(new WeakReference<>(p));
            }
            assertEquals(0.5, p.data(), 0);
        }
        assertEquals(early.size(), collect(early, 50), "the first graphs were released by the full tape");
    }

    @Test
    void aPassThatThrowsStillEmptiesTheTape() {
        Value x = Value.of(0.0);
        Value y = x.sqrt().add(x.mul(2.0));                     // d/dx sqrt(x) = +inf at 0
        List<WeakReference<Value>> watched = List.of(new WeakReference<>(y));
        try (Anomaly.Scope s = Anomaly.detect()) {
            ArithmeticException e = org.junit.jupiter.api.Assertions.assertThrows(ArithmeticException.class,
                    y::backward);
            assertTrue(e.getMessage().contains("sqrt"), e.getMessage());
        }
        y = null;
        assertEquals(1, collect(watched, 50), "the tape let go of the failed pass's graph");
        Value z = x.add(1.0).mul(3.0);                          // the next pass is a clean one
        x.zeroGrad();
        z.backward();
        assertEquals(3.0, x.grad(), 0);
    }

    @Test
    void anomalyModeNamesANonFiniteConstantInTheResultItMakes() {
        try (Anomaly.Scope s = Anomaly.detect()) {
            assertEquals(2, Value.of(2).max(Double.NEGATIVE_INFINITY).data(), 0); // a bound: no op made a non-finite value
            ArithmeticException e = org.junit.jupiter.api.Assertions.assertThrows(ArithmeticException.class,
                    () -> Value.of(2).mul(Double.NEGATIVE_INFINITY));
            assertTrue(e.getMessage().contains("mul produced -Infinity from operands 2.0, -Infinity"), e.getMessage());
        }
    }

    @Test
    void threadsOrderGraphsThatShareALeafWithoutInterfering() throws Exception {
        // firstNonFinite, explain, GraphViz and GradCheck only read: several threads may run them on
        // graphs sharing values (found by review: shared marks once made the order overflow)
        Value w = Value.of(0.5);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(pool.submit(() -> {
                    int found = 0;
                    for (int round = 0; round < 2000; round++) {
                        Value s = Value.of(0);
                        for (int k = 0; k < 50; k++) {
                            s = s.add(w.mul(k));
                        }
                        found += s.firstNonFinite().isPresent() ? 1 : 0;
                        found += ValueTape.order(s).length == 1 + 1 + 50 + 50 + 50 ? 0 : 1;
                    }
                    return found;
                }));
            }
            for (java.util.concurrent.Future<Integer> f : done) {
                assertEquals(0, f.get(), "every order holds each value once");
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void parentsIsAnUnmodifiableViewThatAnswersQueriesForNull() {
        Value x = Value.of(1.0);
        List<Value> ps = x.mul(x).parents();
        assertFalse(ps.contains(null));
        assertEquals(-1, ps.indexOf(null));
        assertSame(x, ps.get(1));
        org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class, () -> ps.set(0, x));
    }

    @Test
    void withGradModeOffValuesAreLeavesKeptOnNoTape() {
        Value x = Value.of(0.5);
        Value w = Value.of(-2.0);
        List<WeakReference<Value>> made = new ArrayList<>();
        Value y;
        try (GradMode.Scope s = GradMode.disabled()) {
            Value h = x.mul(w).tanh();
            made.add(new WeakReference<>(h));
            y = Value.sum(h, x, Value.dot(List.of(x, w), List.of(w, x))).add(1.0);
            try (GradMode.Scope on = GradMode.enabled()) {     // an enabled scope inside records again
                assertFalse(x.mul(w).isLeaf());
            }
        }
        double expected = Math.tanh(-1) + 0.5 + 2 * (0.5 * -2.0) + 1;
        assertEquals(expected, y.data(), 0);
        assertTrue(y.isLeaf() && y.parents().isEmpty() && y.op() == Op.LEAF, "a leaf, as under no_grad");
        y.backward();
        assertEquals(1.0, y.grad(), 0);
        assertEquals(0.0, x.grad(), 0, "nothing was recorded to reach x");
        assertEquals(1, collect(made, 50), "no tape kept the intermediate value");
        Value z = y.mul(x);                                     // recorded again: y is an input
        z.backward();
        assertEquals(expected, x.grad(), 0);
        assertEquals(1.0 + 0.5, y.grad(), 0);
    }

    @Test
    void explainAndTheFallbackOrderAgreeWithTheSweep() {
        Value x = Value.of(0.4, "x");
        Value y = Value.of(1.1, "y");
        Value s = Value.sum(x.mul(y), x.tanh(), y.pow(3.0), Value.dot(List.of(x, y), List.of(y, x)));
        Value[] order = ValueTape.order(s);
        assertSame(s, order[order.length - 1]);
        assertFalse(s.isLeaf());
        s.backward();                                          // the sweep
        double gx = x.grad();
        double gy = y.grad();
        x.zeroGrad();
        y.zeroGrad();
        Explain.backward(s);                                   // a second pass: the fallback order
        assertEquals(gx, x.grad(), 0);
        assertEquals(gy, y.grad(), 0);
        double t = Math.tanh(0.4);
        assertEquals(1.1 + (1 - t * t) + 2 * 1.1, gx, 1e-15);
        assertEquals(0.4 + 3 * 1.1 * 1.1 + 2 * 0.4, gy, 1e-15);
    }

    /**
     * Dot products over the same list share one copy of its operands and their data (a neuron's
     * weights, a layer's inputs). That copy must not outlive a change: a leaf set, or an element
     * replaced, between two products over the same list object gives the second product the new
     * numbers, and each backward pass uses what its own product read.
     */
    @Test
    void dotProductsOverOneListSeeEveryChangeToIt() {
        List<Value> w = Value.of(2.0, 3.0);
        List<Value> x = Value.of(5.0, 7.0);
        Value before = Value.dot(w, x);                        // 2*5 + 3*7
        w.get(0).setData(-1.0);
        Value afterSet = Value.dot(w, x);                      // -1*5 + 3*7
        Value x1 = x.get(1);
        Value z = Value.of(11.0);
        x.set(1, z);
        Value afterReplace = Value.dot(w, x);                  // -1*5 + 3*11
        assertEquals(31.0, before.data(), 0);
        assertEquals(16.0, afterSet.data(), 0);
        assertEquals(28.0, afterReplace.data(), 0);
        Value loss = Value.sum(before, afterSet.mul(10.0), afterReplace.mul(100.0));
        loss.backward();
        assertEquals(5.0 + 10 * 5.0 + 100 * 5.0, w.get(0).grad(), 0);
        assertEquals(7.0 + 10 * 7.0 + 100 * 11.0, w.get(1).grad(), 0);
        assertEquals(2.0 + 10 * -1.0 + 100 * -1.0, x.get(0).grad(), 0, "w0 as each product read it");
        assertEquals(3.0 + 10 * 3.0, x1.grad(), 0, "x1 was read by the first two products");
        assertEquals(100 * 3.0, z.grad(), 0, "z was read only by the last product");
        assertEquals(3.0, before.localDerivative(3), 0, "d before / d x1 = w1 as recorded");
        assertEquals(-1.0, afterReplace.localDerivative(2), 0);
        assertSame(z, afterReplace.parents().get(3));
    }

    /** A product over a list of values from an earlier step still reaches them (the fallback order). */
    @Test
    void aDotProductOverValuesOfAnEarlierStepIsDifferentiatedExactly() {
        Value a = Value.of(0.5);
        List<Value> hidden = List.of(a.tanh(), a.mul(a));      // recorded, then the tape is emptied
        Value.of(1.0).mul(2.0).backward();
        List<Value> w = Value.of(3.0, -2.0);
        Value out = Value.dot(w, hidden);
        out.backward();
        double t = Math.tanh(0.5);
        assertEquals(3.0 * (1 - t * t) - 2.0 * 2 * 0.5, a.grad(), 1e-15);
        assertEquals(t, w.get(0).grad(), 0);
        assertEquals(0.25, w.get(1).grad(), 0);
    }

    /** A dot product that finds the tape full empties it before making its runs, so they know their operands are off it. */
    @Test
    void aDotProductThatFillsTheTapeStillReachesValuesRecordedBeforeIt() {
        Value.of(1.0).mul(2.0).backward();                     // an empty tape
        Value x = Value.of(1.0);
        Value h = x;
        for (int i = 0, n = ValueTape.current().capacity(); i < n; i++) { // exactly a full tape
            h = h.mul(1.0);
        }
        Value out = Value.dot(List.of(Value.of(3.0)), List.of(h));
        out.backward();
        assertEquals(3.0, x.grad(), 0);
        Value w = Value.of(1.0);                               // a recurrence through dot products, longer than the tape
        Value h0 = Value.of(0.5);
        Value r = h0;
        int steps = ValueTape.current().capacity() / 3 + 10;   // (the tape grew to hold the first graph)
        for (int i = 0; i < steps; i++) {
            r = Value.dot(List.of(w, Value.of(1.0)), List.of(r, Value.of(1.0)));
        }
        r.backward();
        assertEquals(1.0, h0.grad(), 0);
        assertEquals(0.5 * steps + (double) steps * (steps - 1) / 2, w.grad(), 0);
    }
}
