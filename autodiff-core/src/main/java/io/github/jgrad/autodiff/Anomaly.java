package io.github.jgrad.autodiff;

/**
 * Anomaly detection: while a scope is open, the first operation whose result or gradient is NaN or
 * infinite throws an {@link ArithmeticException} naming the operation and its operands, at the point
 * the value was created (so the stack trace shows the user's line).
 *
 * <pre>{@code
 * try (Anomaly.Scope ignored = Anomaly.detect()) {
 *     Value y = x.log();          // throws here if x <= 0
 *     y.backward();               // or here, naming the op whose derivative was not finite
 * }
 * }</pre>
 *
 * <p>Off by default. Detection is global (all threads) while at least one scope is open. When off it
 * costs a {@link Value} nothing on finite results (the flag is read only after a result has been found
 * non-finite), a {@link Tensor} op one volatile read, and a backward pass one read.
 */
public final class Anomaly {
    private static volatile int openScopes;

    private Anomaly() {
    }

    /** Opens a detection scope; close it (try-with-resources) to end detection. Scopes nest. */
    public static Scope detect() {
        synchronized (Anomaly.class) {
            openScopes++;
        }
        return new Scope();
    }

    /** Whether detection is on. */
    public static boolean isEnabled() {
        return openScopes > 0;
    }

    /** An open detection scope. Closing it twice has no further effect. */
    public static final class Scope implements AutoCloseable {
        private boolean closed;

        private Scope() {
        }

        @Override
        public void close() {
            synchronized (Anomaly.class) {
                if (!closed) {
                    closed = true;
                    openScopes--;
                }
            }
        }
    }
}
