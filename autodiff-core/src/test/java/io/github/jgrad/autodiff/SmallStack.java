package io.github.jgrad.autodiff;

import java.util.concurrent.Callable;

/** Runs test code on a thread with a deliberately small stack (256 KiB): recursion per node would overflow. */
final class SmallStack {
    private SmallStack() {
    }

    /** {@code body}'s result, computed on a 256 KiB-stack thread; its failure rethrown as an AssertionError. */
    static <T> T call(Callable<T> body) throws InterruptedException {
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(null, () -> {
            try {
                result[0] = body.call();
            } catch (Throwable e) {
                failure[0] = e;
            }
        }, "small-stack", 256 * 1024);
        t.start();
        t.join();
        if (failure[0] != null) {
            throw new AssertionError(failure[0]);
        }
        @SuppressWarnings("unchecked")
        T value = (T) result[0];
        return value;
    }
}
