package io.github.jgrad.autodiff;

/**
 * Whether tensor operations record the graph, per thread. Inside a {@link #disabled()} scope nothing
 * is recorded: results require no gradient and hold no reference to their inputs (use it for
 * inference and optimizer updates).
 *
 * <pre>{@code
 * try (GradMode.Scope ignored = GradMode.disabled()) {
 *     Tensor prediction = model.apply(x);   // no graph, no memory held for backward
 * }
 * }</pre>
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {
    }

    /** Whether operations on this thread currently record the graph (true unless in a disabled scope). */
    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Stops recording on this thread until the scope is closed. Scopes nest. */
    public static Scope disabled() {
        return set(false);
    }

    /** Records on this thread until the scope is closed, even inside a disabled scope. */
    public static Scope enabled() {
        return set(true);
    }

    private static Scope set(boolean on) {
        boolean[] flag = ENABLED.get();
        Scope scope = new Scope(flag, flag[0]);
        flag[0] = on;
        return scope;
    }

    /** An open scope; closing it restores the previous mode. */
    public static final class Scope implements AutoCloseable {
        private final boolean[] flag;
        private final boolean previous;
        private boolean closed;

        private Scope(boolean[] flag, boolean previous) {
            this.flag = flag;
            this.previous = previous;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                flag[0] = previous;
            }
        }
    }
}
