package io.github.jgrad.autodiff;

import io.github.jgrad.autodiff.internal.MatMul;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Independent graphs on several threads at once give bit for bit the results the same computations
 * give on one thread; grad mode is per thread; a shared model can serve inference on several threads
 * under {@link GradMode#disabled()}. Threads are lined up with a {@link CyclicBarrier} before every
 * iteration so that they really run the same phases together (on any number of cores), and each
 * thread works on a different seed from its neighbours at the same moment, or on the same seed as all
 * others, in turn. No timing is asserted; waits are bounded only so that a deadlock fails instead of
 * hanging the build.
 */
final class ThreadSafetyTest {
    private static final int THREADS = 6;
    private static final int ITERATIONS = 100;
    private static final int SEEDS = 5;
    /** 64 x 64 x 64 multiply-adds: far above MatMul.NATIVE_MIN_WORK, so BLAS runs where it loads. */
    private static final int N = 64;
    private static final int CLASSES = 16;

    private ExecutorService pool;

    @BeforeEach
    void startPool() {
        pool = Executors.newFixedThreadPool(THREADS);
    }

    @AfterEach
    void stopPool() throws InterruptedException {
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS), "worker threads did not stop");
    }

    // ------------------------------------------------------------------ the computations

    /** Read-only input shared by every thread: requires no gradient. */
    private static final Tensor INPUT = Tensor.uniform(new SplittableRandom(1000), -1, 1, N, N);
    /** Side of a second, element-wise branch: 256^2 elements, enough for the kernels to split work over the common pool. */
    private static final int WIDE = 256;
    /** Read-only input of the element-wise branch, shared too. */
    private static final Tensor WIDE_INPUT = Tensor.uniform(new SplittableRandom(1001), -1, 1, WIDE, WIDE);
    /** Class labels, one per row, shared too. */
    private static final Tensor LABELS = labels();

    private static Tensor labels() {
        double[] d = new double[N];
        for (int i = 0; i < N; i++) {
            d[i] = (i * 5) % CLASSES;
        }
        return Tensor.of(d, N, 1);
    }

    /** A two-layer network's parameters made from {@code seed}: each call gives fresh leaves. */
    private static Tensor[] parameters(long seed) {
        return new Tensor[] {
            Tensor.uniform(new SplittableRandom(seed * 8), -0.25, 0.25, N, N).requiresGrad(true),
            Tensor.uniform(new SplittableRandom(seed * 8 + 1), -0.1, 0.1, N).requiresGrad(true),
            Tensor.uniform(new SplittableRandom(seed * 8 + 2), -0.25, 0.25, N, CLASSES).requiresGrad(true),
            Tensor.uniform(new SplittableRandom(seed * 8 + 3), -0.1, 0.1, CLASSES).requiresGrad(true),
            Tensor.uniform(new SplittableRandom(seed * 8 + 4), -1, 1, WIDE, WIDE).requiresGrad(true)};
    }

    /** logits = tanh(x W1 + b1) W2 + b2: the products of the forward and backward take the native path. */
    private static Tensor logits(Tensor[] p, Tensor x) {
        Tensor h = x.matmul(p[0]).add(p[1]).tanh();
        return h.matmulAdd(p[2], p[3]);
    }

    /** One training step's numbers: the loss, then the gradient of every parameter. */
    private static double[][] mlpStep(long seed) {
        Tensor[] p = parameters(seed);
        Tensor z = logits(p, INPUT);
        Tensor nll = z.logSoftmax(1).gather(1, LABELS).mean().neg();
        Tensor confidence = z.softmax(1).pow(2).sum().mul(0.01);
        // element-wise ops and row sums over 256 x 256: the kernels split these between two threads
        Tensor wide = p[4].mul(WIDE_INPUT).tanh().sum(1, false).pow(2).mean().mul(0.01);
        // a product below 32^3 multiply-adds runs jgrad's Java kernel, forward and backward
        Tensor small = p[4].slice(0, 0, 16).slice(1, 0, 16).matmul(WIDE_INPUT.slice(0, 0, 16).slice(1, 0, 16))
                .tanh().mean().mul(0.01);
        Tensor loss = nll.add(confidence).add(wide).add(small);
        loss.backward();
        return new double[][] {{loss.item()}, p[0].grad().toArray(), p[1].grad().toArray(), p[2].grad().toArray(),
            p[3].grad().toArray(), p[4].grad().toArray()};
    }

    /** A scalar network on Values: 24 tanh neurons over 16 inputs, a squared error and a log-sigmoid; loss, then every gradient. */
    private static double[] valueStep(long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        List<Value> x = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            x.add(Value.of(r.nextDouble(-1, 1)));
        }
        List<Value> params = new ArrayList<>();
        Value out = Value.of(0.0);
        for (int j = 0; j < 24; j++) {
            List<Value> w = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                w.add(Value.of(r.nextDouble(-1, 1)));
            }
            Value b = Value.of(r.nextDouble(-0.5, 0.5));
            Value v = Value.of(r.nextDouble(-1, 1));
            params.addAll(w);
            params.add(b);
            params.add(v);
            out = out.add(Value.dot(w, x).add(b).tanh().mul(v));
        }
        Value loss = out.sub(0.25).pow(2).add(out.sigmoid().log().neg());
        loss.backward();
        double[] result = new double[1 + params.size() + x.size()];
        result[0] = loss.data();
        for (int i = 0; i < params.size(); i++) {
            result[1 + i] = params.get(i).grad();
        }
        for (int i = 0; i < x.size(); i++) {
            result[1 + params.size() + i] = x.get(i).grad();
        }
        return result;
    }

    // ------------------------------------------------------------------ tests

    @Test
    void aLargeOpNeedsNoFreeWorkerOfTheCommonPool() throws InterruptedException { // a probe: JDK 25 waited for one
        int workers = java.util.concurrent.ForkJoinPool.getCommonPoolParallelism();
        CountDownLatch started = new CountDownLatch(workers);
        CountDownLatch release = new CountDownLatch(1);
        for (int i = 0; i < workers; i++) {
            java.util.concurrent.ForkJoinPool.commonPool().execute(() -> {
                started.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        try {
            assertTrue(started.await(20, TimeUnit.SECONDS), "every worker of the common pool is busy");
            Tensor x = Tensor.ones(1000, 1000);                    // large enough to split over two threads
            double[] sum = new double[1];
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                    () -> sum[0] = x.add(x).sum().item());
            assertEquals(2e6, sum[0], 0);
        } finally {
            release.countDown();
        }
    }

    @Test
    void independentGraphsOnManyThreadsMatchOneThreadBitForBit() throws Exception {
        double[] input = INPUT.toArray();
        double[] labels = LABELS.toArray();
        double[][][] mlpReference = new double[SEEDS][][];
        double[][] valueReference = new double[SEEDS][];
        for (int s = 0; s < SEEDS; s++) {
            mlpReference[s] = mlpStep(s);
            valueReference[s] = valueStep(s);
            assertTrue(Double.isFinite(mlpReference[s][0][0]) && Double.isFinite(valueReference[s][0]));
            for (int k = 1; k < mlpReference[s].length; k++) {
                assertTrue(Arrays.stream(mlpReference[s][k]).anyMatch(g -> g != 0), "parameter " + k + " gets a gradient");
            }
        }
        assertFalse(Arrays.equals(mlpReference[0][1], mlpReference[1][1]), "seeds give different graphs");

        List<String> mismatches = runTogether((t, sync) -> {
            List<String> found = new ArrayList<>();
            for (int it = 0; it < ITERATIONS; it++) {
                sync.await();
                int seed = it % 4 == 0 ? 0 : (t + it) % SEEDS; // every fourth round all threads run seed 0
                double[][] mlp = mlpStep(seed);
                for (int k = 0; k < mlp.length; k++) {
                    if (!Arrays.equals(mlpReference[seed][k], mlp[k])) {
                        found.add("thread " + t + " iteration " + it + " seed " + seed + ": MLP result " + k);
                    }
                }
                if (!Arrays.equals(valueReference[seed], valueStep(seed))) {
                    found.add("thread " + t + " iteration " + it + " seed " + seed + ": Value graph");
                }
            }
            return found;
        });
        assertNoneFound(mismatches);
        assertNull(INPUT.grad(), "the shared input requires no gradient and gets none");
        assertFalse(INPUT.requiresGrad());
        assertArrayEquals(input, INPUT.toArray(), 0, "the shared input is unchanged");
        assertArrayEquals(labels, LABELS.toArray(), 0);
    }

    @Test
    void sharedModelServesInferenceOnManyThreadsUnderGradModeDisabled() throws Exception {
        Tensor[] model = parameters(7);
        double[][] before = new double[model.length][];
        for (int k = 0; k < model.length; k++) {
            before[k] = model[k].toArray();
        }
        Tensor[] batches = new Tensor[SEEDS];
        double[][] reference = new double[SEEDS][];
        for (int s = 0; s < SEEDS; s++) {
            batches[s] = Tensor.uniform(new SplittableRandom(2000 + s), -1, 1, N, N);
            try (GradMode.Scope ignored = GradMode.disabled()) {
                reference[s] = logits(model, batches[s]).softmax(1).toArray();
            }
        }
        assertFalse(Arrays.equals(reference[0], reference[1]));

        List<String> mismatches = runTogether((t, sync) -> {
            List<String> found = new ArrayList<>();
            for (int it = 0; it < ITERATIONS; it++) {
                sync.await();
                int s = (t + it) % SEEDS;
                try (GradMode.Scope ignored = GradMode.disabled()) {
                    Tensor probabilities = logits(model, batches[s]).softmax(1);
                    if (probabilities.requiresGrad()) {
                        found.add("thread " + t + ": a result recorded a graph under GradMode.disabled()");
                    }
                    if (!Arrays.equals(reference[s], probabilities.toArray())) {
                        found.add("thread " + t + " iteration " + it + " batch " + s + ": different output");
                    }
                }
            }
            return found;
        });
        assertNoneFound(mismatches);
        for (int k = 0; k < model.length; k++) {
            assertArrayEquals(before[k], model[k].toArray(), 0, "parameter " + k + " unchanged");
            assertNull(model[k].grad(), "parameter " + k + " has no gradient");
            assertTrue(model[k].requiresGrad());
        }
    }

    @Test
    void viewsTakenOnTwoThreadsAtOnceShareTheirSourcesVersion() throws Exception {
        // each thread could make the source's version counter: the losing view kept one nobody moved, and a
        // backward through it ran on data changed in place since (a probe: 8,171 of 20,000 trials)
        int trials = 20_000;
        Tensor[] shared = new Tensor[trials];
        for (int i = 0; i < trials; i++) {
            shared[i] = Tensor.zeros(4);
        }
        Tensor[][] views = new Tensor[2][trials];
        java.util.concurrent.atomic.AtomicIntegerArray reached = new java.util.concurrent.atomic.AtomicIntegerArray(2);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int me = t;
            workers.add(pool.submit(() -> {
                for (int i = 0; i < trials; i++) {
                    reached.set(me, i);
                    for (int spins = 1; reached.get(1 - me) < i; spins++) { // both threads take view i together
                        if (spins % 64 == 0) {
                            Thread.yield(); // the other may wait for a core (a busy machine): spinning took minutes
                        } else {
                            Thread.onSpinWait();
                        }
                    }
                    views[me][i] = me == 0 ? shared[i].reshape(2, 2) : shared[i].detach();
                }
                reached.set(me, trials);
            }));
        }
        for (Future<?> w : workers) {
            w.get(60, TimeUnit.SECONDS);
        }
        int split = 0;
        for (int i = 0; i < trials; i++) {
            split += views[0][i].storage == shared[i].storage && views[1][i].storage == shared[i].storage ? 0 : 1;
        }
        assertEquals(0, split, "views with a version counter of their own");
    }

    @Test
    void aDisabledScopeOnOneThreadDoesNotStopAnotherFromRecording() throws Exception {
        CountDownLatch otherIsInsideScope = new CountDownLatch(1);
        CountDownLatch mainHasRecorded = new CountDownLatch(1);
        Future<Boolean> other = pool.submit(() -> {
            try (GradMode.Scope ignored = GradMode.disabled()) {
                otherIsInsideScope.countDown();
                assertTrue(mainHasRecorded.await(60, TimeUnit.SECONDS), "main thread never recorded");
                // still inside the scope: this thread records nothing, whatever main did meanwhile
                Tensor x = Tensor.scalar(3).requiresGrad(true);
                return GradMode.isEnabled() || x.mul(x).requiresGrad();
            }
        });
        assertTrue(otherIsInsideScope.await(60, TimeUnit.SECONDS));
        assertTrue(GradMode.isEnabled(), "the other thread's scope is not this thread's");
        Tensor x = Tensor.scalar(3).requiresGrad(true);
        Tensor y = x.mul(x);
        assertTrue(y.requiresGrad());
        Value v = Value.of(3);
        v.mul(v).backward();
        mainHasRecorded.countDown();
        y.backward();
        assertEquals(6.0, x.grad().item(), 0, "d x^2 / dx at 3");
        assertEquals(6.0, v.grad(), 0);
        assertFalse(other.get(60, TimeUnit.SECONDS), "the other thread recorded inside its disabled scope");
    }

    @Test
    void workerThreadsRecordWhileTheSubmittingThreadIsInADisabledScope() throws Exception {
        Future<Double> gradient;
        try (GradMode.Scope ignored = GradMode.disabled()) {
            Tensor local = Tensor.scalar(2).requiresGrad(true);
            assertFalse(local.mul(local).requiresGrad(), "this thread does not record");
            gradient = pool.submit(() -> {
                Tensor x = Tensor.scalar(2.5).requiresGrad(true);
                Tensor y = x.mul(x).mul(x); // d x^3/dx = 3 x^2 = 18.75
                y.backward();
                return x.grad().item();
            });
            assertEquals(18.75, gradient.get(60, TimeUnit.SECONDS), 0);
        }
        assertTrue(GradMode.isEnabled(), "the scope is closed again");
    }

    @Test
    void scopesOnManyThreadsNestAndRestoreIndependently() throws Exception {
        List<String> wrong = runTogether((t, sync) -> {
            List<String> found = new ArrayList<>();
            for (int it = 0; it < ITERATIONS * 10; it++) {
                sync.await();
                boolean disable = (t + it) % 2 == 0;
                try (GradMode.Scope outer = disable ? GradMode.disabled() : GradMode.enabled()) {
                    Tensor x = Tensor.scalar(it).requiresGrad(true);
                    if (x.add(x).requiresGrad() == disable) {
                        found.add("thread " + t + " iteration " + it + ": outer scope ignored");
                    }
                    try (GradMode.Scope inner = disable ? GradMode.enabled() : GradMode.disabled()) {
                        if (x.add(x).requiresGrad() != disable) {
                            found.add("thread " + t + " iteration " + it + ": inner scope ignored");
                        }
                    }
                    if (GradMode.isEnabled() == disable) {
                        found.add("thread " + t + " iteration " + it + ": inner scope not restored");
                    }
                }
                if (!GradMode.isEnabled()) {
                    found.add("thread " + t + " iteration " + it + ": outer scope not restored");
                }
            }
            return found;
        });
        assertNoneFound(wrong);
    }

    // ------------------------------------------------------------------ helpers

    /** What one thread does: {@code sync.await()} before each iteration; returns what it found wrong. */
    @FunctionalInterface
    private interface Worker {
        List<String> run(int thread, Sync sync) throws Exception;
    }

    /** The barrier every thread waits at before each iteration. */
    @FunctionalInterface
    private interface Sync {
        void await() throws Exception;
    }

    /**
     * Runs {@code worker} on THREADS pool threads at once; every iteration starts when all threads have
     * reached the barrier, so the iterations overlap. Returns what the workers report. A worker that
     * throws breaks the barrier at once (the others stop instead of waiting out the timeout) and its
     * exception, not the others' BrokenBarrierException, is rethrown.
     */
    private List<String> runTogether(Worker worker) throws Exception {
        CyclicBarrier barrier = new CyclicBarrier(THREADS);
        Sync sync = () -> barrier.await(60, TimeUnit.SECONDS);
        List<Future<List<String>>> futures = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            futures.add(pool.submit(() -> {
                try {
                    return worker.run(thread, sync);
                } catch (Exception | Error e) {
                    barrier.reset();
                    throw e;
                }
            }));
        }
        List<String> all = new ArrayList<>();
        ExecutionException cause = null;
        for (Future<List<String>> f : futures) {
            try {
                all.addAll(f.get(300, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                if (cause == null || cause.getCause() instanceof BrokenBarrierException) {
                    cause = e;
                }
            }
        }
        if (cause != null) {
            throw cause;
        }
        return all;
    }

    /** Passes if nothing was reported; otherwise names how many findings and the first few. */
    private static void assertNoneFound(List<String> found) {
        assertTrue(found.isEmpty(), found.size() + " wrong results, first: "
                + found.subList(0, Math.min(8, found.size())));
    }
}
