package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Memory reuse must change no number and let no tensor see reused memory. The tests run with
 * assertions on, so every array a workspace hands out again is full of NaN first: a kernel that
 * counted on the zeros of a new array would give a different answer here.
 */
class WorkspaceTest {
    static List<OpTable.Row> tensorRows() {
        return OpTableTest.tensorRows().toList();
    }

    /** Forward and backward of one op row: the result, then each input's gradient. */
    private static List<double[]> run(OpTable.Row row, Tensor[] in) {
        Tensor out = row.tensor().apply(List.of(in));
        Tensor w = Tensor.randn(new SplittableRandom(7), out.shape()).to(out.dtype());
        out.mul(w).sum().backward();
        List<double[]> all = new ArrayList<>();
        all.add(out.toArray());
        for (Tensor t : in) {
            all.add(t.grad() == null ? null : t.grad().toArray());
        }
        return all;
    }

    private static Tensor[] leaves(OpTable.Row row) {
        return leaves(row, DType.FLOAT64);
    }

    private static Tensor[] leaves(OpTable.Row row, DType dtype) {
        Tensor[] in = row.inputs(3);
        for (int i = 0; i < in.length; i++) {
            in[i] = (dtype == DType.FLOAT32 ? Tensor.of(in[i].toFloatArray(), in[i].shape()) : in[i]).requiresGrad(true);
        }
        return in;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tensorRows")
    void everyOpGivesTheSameNumbersInReusedFloat32Memory(OpTable.Row row) {
        List<double[]> plain = run(row, leaves(row, DType.FLOAT32));
        Workspace ws = Workspace.create();
        for (int step = 0; step < 3; step++) { // float arrays are recycled (and NaN-filled) too
            Tensor[] in = leaves(row, DType.FLOAT32);
            List<double[]> reused;
            try (Workspace.Scope s = ws.open()) {
                reused = run(row, in);
            }
            for (int k = 0; k < plain.size(); k++) {
                assertArrayEquals(plain.get(k), reused.get(k), row + ": output " + k + " at step " + step);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tensorRows")
    void everyOpGivesTheSameNumbersInReusedMemory(OpTable.Row row) {
        List<double[]> plain = run(row, leaves(row));
        Workspace ws = Workspace.create();
        for (int step = 0; step < 3; step++) { // the second and third steps run in recycled (NaN-filled) arrays
            Tensor[] in = leaves(row);
            List<double[]> reused;
            try (Workspace.Scope s = ws.open()) {
                reused = run(row, in);
            }
            for (int k = 0; k < plain.size(); k++) {
                assertArrayEquals(plain.get(k), reused.get(k), row + ": output " + k + " at step " + step);
            }
        }
    }

    private static void assertReclaimed(Executable use) {
        IllegalStateException e = assertThrows(IllegalStateException.class, use::run);
        assertTrue(e.getMessage().contains("reclaimed"), e.getMessage());
    }

    @FunctionalInterface
    interface Executable {
        void run();
    }

    @Test
    void aTensorKeptPastItsScopeCannotBeReadOrUsed() {
        Workspace ws = Workspace.create();
        Tensor x = Tensor.randn(new SplittableRandom(1), 4, 3);
        double[] xs = x.toArray();
        Tensor h;
        Tensor view;
        try (Workspace.Scope s = ws.open()) {
            h = x.tanh();
            view = h.reshape(12).detach();
            assertEquals(Math.tanh(x.get(0, 0)), h.get(0, 0), 1e-15);
        }
        // the next step computes into the memory h had: h must not show those numbers
        try (Workspace.Scope s = ws.open()) {
            x.mul(2);
        }
        assertReclaimed(h::toArray);
        assertReclaimed(() -> h.get(0, 0));
        assertReclaimed(h::toString);
        assertReclaimed(() -> h.add(1));
        assertReclaimed(view::item);
        assertReclaimed(() -> Workspace.keep(h));
        assertEquals(12, h.size()); // its shape is no memory: still there
        assertArrayEquals(xs, x.toArray()); // data made outside scopes is untouched
    }

    @Test
    void aViewOfATensorFromOutsideTheScopeStaysValidWithIt() { // as the class Javadoc says
        Workspace ws = Workspace.create();
        Tensor p = Tensor.of(new double[] {1, 2, 3, 4}).requiresGrad(true);
        Tensor detached;
        Tensor reshaped;
        try (Workspace.Scope s = ws.open()) {
            detached = p.detach();
            reshaped = detached.reshape(2, 2);
        }
        try (Workspace.Scope s = ws.open()) {
            Tensor.randn(new SplittableRandom(3), 4).mul(2); // memory reused
        }
        p.addInPlace(1, Tensor.ones(4));
        assertArrayEquals(new double[] {2, 3, 4, 5}, detached.toArray());
        assertArrayEquals(new double[] {2, 3, 4, 5}, reshaped.toArray());
    }

    @Test
    void theReclaimedErrorNamesTheTensorAndTheWayOut() {
        Workspace ws = Workspace.create();
        Tensor h;
        try (Workspace.Scope s = ws.open()) {
            h = Tensor.ones(2, 3).exp();
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, h::item);
        assertEquals("a tensor of shape (2, 3) (exp) was used after its memory was reclaimed (its Workspace scope"
                + " closed): read what you need from it inside the scope, or take it out with Workspace.keep before"
                + " the scope closes", e.getMessage());
    }

    @Test
    void aKeptTensorAndItsViewsLiveOn() {
        Workspace ws = Workspace.create();
        Tensor kept;
        Tensor view;
        try (Workspace.Scope s = ws.open()) {
            kept = Workspace.keep(Tensor.of(new double[] {1, 2, 3, 4}).mul(3));
            view = kept.reshape(2, 2);
        }
        for (int i = 0; i < 3; i++) {
            try (Workspace.Scope s = ws.open()) {
                Tensor.of(new double[] {5, 6, 7, 8}).mul(3).exp(); // same size: would take a freed array
            }
        }
        assertArrayEquals(new double[] {3, 6, 9, 12}, kept.toArray());
        assertArrayEquals(new double[] {3, 6, 9, 12}, view.toArray());
        Tensor outside = Tensor.scalar(2);
        assertSame(outside, Workspace.keep(outside));
    }

    @Test
    void aGraphWhoseMemoryWasReclaimedCannotBeDifferentiated() {
        Workspace ws = Workspace.create();
        Tensor w = Tensor.randn(new SplittableRandom(2), 3, 3).requiresGrad(true);
        Tensor loss;
        try (Workspace.Scope s = ws.open()) {
            loss = w.tanh().sum();
        }
        assertReclaimed(loss::backward);
        assertEquals(null, w.grad());
    }

    @Test
    void noGraphWhoseMemoryWasReclaimedIsDifferentiatedEvenWhereBackwardReadsNoneOfIt() {
        Workspace ws = Workspace.create();
        Tensor w = Tensor.of(new double[] {1, 5, 3}).requiresGrad(true);
        Tensor max;
        Tensor scaled;
        try (Workspace.Scope s = ws.open()) {
            max = w.max();              // its backward compares w with the result: recycled memory if allowed
            scaled = w.mul(2).sum();    // its backward reads no reclaimed array, and is refused all the same
        }
        try (Workspace.Scope s = ws.open()) {
            Tensor.ones(); // takes the very array the maximum lived in
            assertReclaimed(max::backward);
        }
        assertReclaimed(max::backward);
        assertReclaimed(scaled::backward);
        assertEquals(null, w.grad());
        try (Workspace.Scope s = ws.open()) { // computed again, it is differentiated as ever
            w.max().backward();
        }
        assertArrayEquals(new double[] {0, 1, 0}, w.grad().toArray());
    }

    @Test
    void aTensorOfAnOuterScopeKeepsTheGradientsOfInnerScopes() {
        Workspace ws = Workspace.create();
        try (Workspace.Scope epoch = ws.open()) {
            Tensor w = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true); // owned by the outer scope
            for (int batch = 1; batch <= 3; batch++) {
                try (Workspace.Scope s = ws.open()) {
                    w.mul(w).sum().backward();
                    Tensor.zeros(3).add(7); // inner work, recycled at the next batch
                }
                assertArrayEquals(new double[] {2 * batch, 4 * batch, 6 * batch}, w.grad().toArray(), "batch " + batch);
            }
        }
    }

    @Test
    void aGradientFromAnOuterScopeGivenToAnInnerTensorGoesWithTheOuterScope() {
        Workspace ws = Workspace.create();
        Tensor seed;
        try (Workspace.Scope outer = ws.open()) {
            seed = Tensor.of(new double[] {1, 2});
            try (Workspace.Scope inner = ws.open()) {
                Tensor h = Tensor.zeros(2).requiresGrad(true);
                h.setGrad(seed);
                assertArrayEquals(new double[] {1, 2}, h.grad().toArray());
            }
            assertArrayEquals(new double[] {1, 2}, seed.toArray(), "the outer scope is open: the seed lives");
        }
        assertReclaimed(seed::toArray);
    }

    @Test
    void aParametersGradientOutlivesItsScopeUntilTheNextGradient() {
        Workspace ws = Workspace.create();
        Tensor w = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
        try (Workspace.Scope s = ws.open()) {
            w.mul(w).sum().backward();
        }
        Tensor first = w.grad();
        Tensor firstView = first.reshape(3, 1); // made outside scopes, sharing the gradient's memory
        assertArrayEquals(new double[] {2, 4, 6}, first.toArray());
        w.zeroGrad();
        try (Workspace.Scope s = ws.open()) {
            w.mul(3).sum().backward(); // reuses the memory of the first gradient
        }
        assertArrayEquals(new double[] {3, 3, 3}, w.grad().toArray());
        assertReclaimed(first::toArray);
        assertReclaimed(firstView::toArray);
        // accumulating without zeroGrad: the new sum replaces the old gradient
        try (Workspace.Scope s = ws.open()) {
            w.mul(w).sum().backward();
        }
        assertArrayEquals(new double[] {5, 7, 9}, w.grad().toArray());
    }

    @Test
    void aReplacedGradientLastsItsScopeAndASharedOneLastsItsHolders() { // two cases of a probe
        Workspace ws = Workspace.create();
        Tensor p = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        Tensor q = Tensor.of(new double[] {0, 0}).requiresGrad(true);
        try (Workspace.Scope s = ws.open()) {
            p.mul(p).sum().backward();
            Tensor g = p.grad();
            p.setGrad(g.mul(0.5));                                // as clipGradNorm replaces it, in the same step
            assertArrayEquals(new double[] {2, 4}, g.toArray());   // the replaced gradient is readable until the end
            q.setGrad(p.grad());                                  // now p and q hold the same gradient
        }
        try (Workspace.Scope s = ws.open()) {
            p.zeroGrad();
            p.mul(5).sum().backward();                            // p gets a new gradient; q still holds the old one
        }
        assertArrayEquals(new double[] {1, 2}, q.grad().toArray());
        assertArrayEquals(new double[] {5, 5}, p.grad().toArray());
        Tensor shared = q.grad();
        try (Workspace.Scope s = ws.open()) {
            q.zeroGrad();
            q.mul(3).sum().backward();                            // its last holder lets it go
        }
        assertReclaimed(shared::toArray);
    }

    @Test
    void aGradientSharedBetweenStepsLastsItsHoldersToo() { // a probe's case: q.setGrad(p.grad()) with no scope open
        Workspace ws = Workspace.create();
        Tensor p = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        Tensor q = Tensor.of(new double[] {0, 0}).requiresGrad(true);
        try (Workspace.Scope s = ws.open()) {
            p.mul(p).sum().backward();
        }
        q.setGrad(p.grad());                                      // between steps
        try (Workspace.Scope s = ws.open()) {
            p.zeroGrad();
            p.mul(3).sum().backward();                            // was reclaimed here, though q held it
        }
        assertArrayEquals(new double[] {2, 4}, q.grad().toArray());
        Tensor old = q.grad();
        q.setGrad(Tensor.ones(2));                                // replaced between steps: left to the collector
        try (Workspace.Scope s = ws.open()) {
            Tensor.zeros(2).add(1);                               // memory reused: old must not show it
        }
        assertArrayEquals(new double[] {2, 4}, old.toArray());
        // a gradient whose scope reclaimed it is refused when given, not only when read
        Tensor reclaimed;
        try (Workspace.Scope s = ws.open()) {
            reclaimed = Tensor.ones(2).mul(2);
        }
        assertReclaimed(() -> q.setGrad(reclaimed));
    }

    @Test
    void gradientsLetGoOrHeldElsewhereAreNotReclaimedButOneDroppedByZeroGradIs() { // a hostile probe's two cases
        Workspace ws = Workspace.create();
        Tensor p = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
        try (Workspace.Scope s = ws.open()) {
            p.mul(p).sum().backward();
        }
        Tensor old = p.grad();
        p.setGrad(old.mul(0.5));                                  // replaced between steps by a plain tensor
        try (Workspace.Scope s = ws.open()) {
            p.zeroGrad();
            p.mul(p).sum().backward();                            // reclaimed old here, which p no longer held
        }
        assertArrayEquals(new double[] {2, 4, 6}, old.toArray());

        Workspace other = Workspace.create();
        Tensor q = Tensor.zeros(3).requiresGrad(true);
        try (Workspace.Scope s = other.open()) {
            q.setGrad(p.grad());                                  // held by ws, given inside other's scope
        }
        try (Workspace.Scope s = ws.open()) {
            p.zeroGrad();
            p.mul(10).sum().backward();                           // reclaimed it here, though q held it
        }
        assertArrayEquals(new double[] {2, 4, 6}, q.grad().toArray());
        assertArrayEquals(new double[] {10, 10, 10}, p.grad().toArray());

        // a review of the fix: replaced between steps by a gradient another workspace holds, and replaced
        // inside another workspace's scope, each was still reclaimed by ws's next step
        Tensor r = Tensor.zeros(3).requiresGrad(true);
        try (Workspace.Scope s = other.open()) {
            r.mul(r).add(r.mul(5)).sum().backward();              // r's gradient, held by other: 5, 5, 5
        }
        for (int variant = 0; variant < 2; variant++) {
            try (Workspace.Scope s = ws.open()) {
                p.zeroGrad();
                p.mul(p).sum().backward();
            }
            Tensor replaced = p.grad();
            if (variant == 0) {
                p.setGrad(r.grad());                              // between steps, held by other
            } else {
                try (Workspace.Scope s = other.open()) {
                    p.setGrad(Tensor.ones(3));                    // in other's step
                }
            }
            try (Workspace.Scope s = ws.open()) {
                p.zeroGrad();
                p.mul(3).sum().backward();
            }
            assertArrayEquals(new double[] {2, 4, 6}, replaced.toArray(), "variant " + variant);
        }
        assertArrayEquals(new double[] {5, 5, 5}, r.grad().toArray());

        // dropped by zeroGrad between steps: still ws's, reclaimed when its next step gives p a gradient,
        // so that a loop calling zeroGrad before its scope reuses the memory (the Javadoc's rule)
        Tensor dropped = p.grad();
        p.zeroGrad();
        p.setGrad(Tensor.ones(3));
        try (Workspace.Scope s = ws.open()) {
            p.zeroGrad();
            p.mul(p).sum().backward();
        }
        assertReclaimed(dropped::toArray);
    }

    /** A parameter given a gradient on the tape (createGraph) in a step of {@code ws}, then dropped. */
    private static java.lang.ref.WeakReference<Tensor> parameterWithAGradientOnTheTape(Workspace ws) {
        Tensor x = Tensor.ones(1000).requiresGrad(true);
        try (Workspace.Scope s = ws.open()) {
            x.mul(x).sum().backward(Tensor.scalar(1), false, true);
        }
        return new java.lang.ref.WeakReference<>(x);
    }

    @Test
    void aTensorWhoseGradientIsOnTheTapeIsStillCollected() { // a review: the workspace's map kept it forever
        // the weak map's value, a gradient recorded with createGraph, reached its own key through the graph
        Workspace ws = Workspace.create();
        List<java.lang.ref.WeakReference<Tensor>> dropped = List.of(parameterWithAGradientOnTheTape(ws));
        assertEquals(1, WeakRefs.collect(dropped, 50), "collected while the workspace lives");
        java.lang.ref.Reference.reachabilityFence(ws);
    }

    @Test
    void aGradientDroppedByZeroGradIsReusedEvenIfCollectedMeanwhile() { // a review of the leak's first fix
        // holding gradients weakly lost their memory to any collection between zeroGrad and backward: a
        // Trainer step allocated every parameter's gradient afresh whenever a young GC ran in its forward pass
        Workspace ws = Workspace.create();
        Tensor p = Tensor.ones(100_000).requiresGrad(true);
        java.util.Set<double[]> arrays = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int step = 0; step < 6; step++) {
            try (Workspace.Scope s = ws.open()) {
                p.zeroGrad();
                System.gc();                                      // the dropped gradient has no holder but ws
                p.mul(p).sum().backward();
            }
            arrays.add(p.grad().doubles());
        }
        assertTrue(arrays.size() <= 2, arrays.size() + " arrays for 6 steps' gradients");
    }

    @Test
    void aHolderInAnOuterScopeAndAGradientOfAnotherWorkspaceLastAsLongAsTheirTensors() { // a probe's cases
        Workspace ws = Workspace.create();
        Tensor p = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        try (Workspace.Scope s = ws.open()) {
            p.mul(p).sum().backward();
        }
        try (Workspace.Scope outer = ws.open()) {
            Tensor holder = Tensor.zeros(2).requiresGrad(true);  // made in the outer scope
            holder.setGrad(p.grad());
            try (Workspace.Scope inner = ws.open()) {
                p.zeroGrad();
                p.mul(3).sum().backward();                        // p's old gradient was reclaimed here
            }
            assertArrayEquals(new double[] {2, 4}, holder.grad().toArray());
        }
        // a gradient made in one workspace's scope, given inside another's nested in it, outlives both
        Workspace a = Workspace.create();
        Workspace b = Workspace.create();
        Tensor q = Tensor.of(new double[] {0, 0, 0, 0}).requiresGrad(true);
        try (Workspace.Scope outer = a.open()) {
            Tensor g = Tensor.ones(4).mul(3);
            try (Workspace.Scope inner = b.open()) {
                q.setGrad(g);
            }
        }
        try (Workspace.Scope s = a.open()) {
            Tensor.ones(4).mul(7);                                // a's memory reused
        }
        assertArrayEquals(new double[] {3, 3, 3, 3}, q.grad().toArray());
    }

    @Test
    void aTensorThatDiesTakesItsGradientAlong() throws InterruptedException { // the workspace held every one
        Workspace ws = Workspace.create();
        java.lang.ref.WeakReference<Tensor> watched = null;
        for (int i = 0; i < 3; i++) {
            Tensor x = Tensor.randn(new SplittableRandom(i), 1000).requiresGrad(true);  // a fresh leaf each step (an input's gradient)
            try (Workspace.Scope s = ws.open()) {
                x.mul(x).sum().backward();
            }
            assertEquals(2 * x.get(0), x.grad().get(0), 0);
            watched = new java.lang.ref.WeakReference<>(x);
        }
        for (int k = 0; k < 50 && watched.get() != null; k++) {
            System.gc();
            Thread.sleep(10);
        }
        assertEquals(null, watched.get(), "the workspace keeps no tensor of an earlier step alive");
    }

    @Test
    void copyingAFloat32TensorMakesNoCopyOfIt() { // float32 optimizer state allocated a model-sized array per step
        Tensor source = Tensor.ones(DType.FLOAT32, 50_000);     // 200 KB: counted (a humongous array is not, in G1)
        Tensor target = Tensor.zeros(DType.FLOAT32, 50_000);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory
                .getThreadMXBean();
        long id = Thread.currentThread().getId();
        target.copyFrom(source);                                 // warm
        long before = threads.getThreadAllocatedBytes(id);
        target.copyFrom(source);
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        assertTrue(allocated < 20_000, allocated + " bytes for a copy of 200 KB");
        assertEquals(1, target.get(49_999), 0);
    }

    @Test
    void aKeptGradientIsNeverReclaimed() {
        Workspace ws = Workspace.create();
        Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        try (Workspace.Scope s = ws.open()) {
            w.sum().backward();
        }
        Tensor kept = Workspace.keep(w.grad());
        w.zeroGrad();
        try (Workspace.Scope s = ws.open()) {
            w.mul(5).sum().backward();
        }
        assertArrayEquals(new double[] {1, 1}, kept.toArray());
        assertArrayEquals(new double[] {5, 5}, w.grad().toArray());
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(DType.class)
    void aSteadyLoopStopsGrowingItsMemoryAndGivesTheSameNumbers(DType dtype) {
        Tensor x = Tensor.randn(new SplittableRandom(5), 16, 8).to(dtype);
        Tensor w = Tensor.randn(new SplittableRandom(6), 8, 4).to(dtype).requiresGrad(true);
        double[] plain = new double[5];
        for (int step = 0; step < 5; step++) {
            w.zeroGrad();
            Tensor loss = x.matmul(w).tanh().pow(2).mean();
            loss.backward();
            plain[step] = loss.item();
            w.addInPlace(-0.1, w.grad());
        }
        Tensor w2 = Tensor.randn(new SplittableRandom(6), 8, 4).to(dtype).requiresGrad(true);
        Workspace ws = Workspace.create();
        long[] retained = new long[5];
        for (int step = 0; step < 5; step++) {
            try (Workspace.Scope s = ws.open()) {
                w2.zeroGrad();
                Tensor loss = x.matmul(w2).tanh().pow(2).mean();
                loss.backward();
                assertEquals(plain[step], loss.item(), 0, "step " + step);
                w2.addInPlace(-0.1, w2.grad());
            }
            retained[step] = ws.retainedBytes();
        }
        assertTrue(retained[1] > 0);
        assertEquals(retained[1], retained[4], "memory held after step 2 and after step 5");
    }

    @Test
    void stepsOfChangingShapesKeepOnlyTheRecentLengths() { // the pool kept an array of every length it ever saw
        Workspace ws = Workspace.create();
        int idle = io.github.jgrad.autodiff.internal.Arena.Pool.IDLE_STEPS;
        long most = 0;
        for (int step = 0; step < 40; step++) {
            try (Workspace.Scope s = ws.open()) {
                Tensor x = Tensor.ones(1000 + step).mul(2).exp(); // arrays of a new length at every step
                assertEquals(Math.exp(2), x.toArray()[0], 0);
            }
            most = Math.max(most, ws.retainedBytes());
        }
        long perStep = 3 * 8 * 1040; // at most three arrays of at most 1040 doubles
        assertTrue(most > 0 && most <= (idle + 1) * perStep, most + " bytes retained; at most " + (idle + 1)
                + " steps' worth");
        long steady = 0;
        for (int step = 0; step < 20; step++) { // a steady loop reuses its arrays at every step
            try (Workspace.Scope s = ws.open()) {
                Tensor.ones(500).mul(2).exp();
            }
            if (step == 0) {
                steady = ws.retainedBytes();
            }
        }
        assertTrue(ws.retainedBytes() > 0 && ws.retainedBytes() <= 3 * 8 * 500, "only this length's arrays are left: "
                + ws.retainedBytes());
        assertTrue(steady >= ws.retainedBytes(), "the old lengths were dropped, none added");
        for (int step = 0; step < 3000; step++) { // the table kept a slot for every length, scanned at every step
            try (Workspace.Scope s = ws.open()) {
                Tensor.ones(1 + step).mul(2);
            }
        }
        for (int step = 0; step < 10; step++) {
            try (Workspace.Scope s = ws.open()) {
                Tensor.ones(500).mul(2).exp();
            }
        }
        assertEquals(16, ws.poolSlots(), "the table shrinks to the kinds in use");
    }

    @Test
    void nestedScopesReclaimInnerTensorsFirst() {
        Workspace ws = Workspace.create();
        Workspace other = Workspace.create();
        try (Workspace.Scope outer = ws.open()) {
            Tensor a = Tensor.ones(3).mul(2);
            Tensor b;
            try (Workspace.Scope inner = other.open()) {
                b = a.add(1);
                assertThrows(IllegalStateException.class, outer::close, "closing the outer scope first");
            }
            assertReclaimed(b::toArray);
            assertArrayEquals(new double[] {2, 2, 2}, a.toArray());
        }
    }

    @Test
    void anotherThreadIsUnaffectedAndCannotShareAWorkspace() throws InterruptedException {
        Workspace ws = Workspace.create();
        AtomicReference<Tensor> made = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (Workspace.Scope s = ws.open()) {
            Thread t = new Thread(() -> {
                try {
                    made.set(Tensor.ones(2).mul(4));
                    ws.open();
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            t.start();
            t.join();
        }
        assertArrayEquals(new double[] {4, 4}, made.get().toArray()); // made on a thread with no scope
        assertNotNull(failure.get());
        assertTrue(failure.get().getMessage().contains("one thread at a time"), failure.get().getMessage());
    }
}
