package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A thread's scopes (grad mode, workspaces) stay its own: found by a probe, each broken by a thread
 * the library itself ran work on, or by a tensor handed from one thread to another.
 */
class ThreadScopesTest {
    /**
     * Run in a fresh JVM whose common pool has eight workers: parallel-stream elements on those workers,
     * half of them computing a large tanh in a disabled scope (its kernel split over the pool), half
     * differentiating x * x. A split that waited by join() ran other elements inside its disabled scope:
     * their x * x recorded nothing and x's gradient stayed 0 (11 to 22 times in 600 rounds here).
     * Prints the number of wrong gradients.
     */
    static final class ParallelStream {
        public static void main(String[] args) {
            Tensor big = Tensor.randn(new SplittableRandom(1), 1 << 16 | 1);
            AtomicInteger wrong = new AtomicInteger();
            for (int round = 0; round < 600; round++) {
                IntStream.range(0, 64).parallel().forEach(i -> {
                    if (i % 2 == 0) {
                        try (GradMode.Scope off = GradMode.disabled()) {
                            big.tanh().sum().item();
                        }
                    } else {
                        Value x = Value.of(3.0);
                        x.mul(x).backward();
                        wrong.addAndGet(x.grad() == 6 ? 0 : 1);
                    }
                });
            }
            System.out.println(wrong.get());
        }
    }

    @Test
    void aLargeOpOnAPoolThreadRunsNoOtherTaskInsideItsScopes() throws Exception {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.util.concurrent.ForkJoinPool.common.parallelism=8", "-XX:ActiveProcessorCount=8",
                "-cp", classPath,
                ParallelStream.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals("0", out.strip(), "wrong gradients (or the child's output)");
    }

    @Test
    void aGradientReplacedOnAnotherThreadIsNotReclaimedByTheFirstThreadsScope() throws Exception {
        // thread A trains p in its workspace, then hands p to thread B; B's backward replaces p's gradient
        // while A has an unrelated scope open. A's closing scope reclaimed the old gradient, which B still
        // read (and B's bookkeeping raced A's: ConcurrentModificationException in A's close)
        Workspace workspace = Workspace.create();
        Tensor x = Tensor.of(new double[] {1, 2});
        Tensor p = Tensor.of(new double[] {3, 4}).requiresGrad(true);
        try (Workspace.Scope s = workspace.open()) {
            x.mul(p).sum().backward();
        }
        CountDownLatch opened = new CountDownLatch(1);
        CountDownLatch replaced = new CountDownLatch(1);
        CompletableFuture<Tensor> old = CompletableFuture.supplyAsync(() -> {
            try {
                opened.await();
                Tensor before = p.grad();
                x.mul(p).sum().backward(); // p's gradient becomes before + x, made on this thread
                replaced.countDown();
                return before;
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        try (Workspace.Scope s = workspace.open()) {
            opened.countDown();
            assertTrue(replaced.await(30, TimeUnit.SECONDS));
        }
        assertArrayEquals(new double[] {1, 2}, old.get(30, TimeUnit.SECONDS).toArray(), 0, "was reclaimed");
        assertArrayEquals(new double[] {2, 4}, p.grad().toArray(), 0);
    }

    @Test
    void scopesCloseOnTheirOwnThreadAndADeadThreadsWorkspaceIsNamed() throws Exception {
        java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            GradMode.Scope off = other.submit(GradMode::disabled).get(30, TimeUnit.SECONDS);
            IllegalStateException e = assertThrows(IllegalStateException.class, off::close); // it switched the other's mode
            assertEquals("GradMode.Scope.close: a scope closes on the thread that opened it; this is another thread",
                    e.getMessage());
            assertEquals(false, other.submit(GradMode::isEnabled).get(30, TimeUnit.SECONDS), "still the opener's");
            other.submit(off::close).get(30, TimeUnit.SECONDS);
            assertEquals(true, other.submit(GradMode::isEnabled).get(30, TimeUnit.SECONDS));
            off.close(); // closed already: harmless, on any thread
        } finally {
            other.shutdown();
        }
        Workspace workspace = Workspace.create();
        Thread t = new Thread(workspace::open); // ends with its scope open
        t.start();
        t.join();
        IllegalStateException e = assertThrows(IllegalStateException.class, workspace::open);
        assertTrue(e.getMessage().endsWith("That thread has ended without closing it, so this workspace cannot be used"
                + " again"), e.getMessage());
    }

    @Test
    void aSplitKernelRethrowsItsHalvesExceptionsAsTheyAre() { // a review's: a checked one from the worker was dropped
        for (int throwing = 0; throwing < 2; throwing++) {
            int which = throwing;
            io.github.jgrad.autodiff.internal.Kernels.Range job = (from, to) -> {
                if ((from == 0) == (which == 0)) {
                    ThreadScopesTest.<RuntimeException>sneaky(new java.io.IOException("half " + from));
                }
                try {
                    Thread.sleep(100); // long enough for an idle pool worker to take the other half
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            Exception e = assertThrows(Exception.class,
                    () -> io.github.jgrad.autodiff.internal.Kernels.split(2, 1 << 20, job));
            assertTrue(e instanceof java.io.IOException, e.toString());
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> void sneaky(Throwable e) throws E {
        throw (E) e;
    }
}
