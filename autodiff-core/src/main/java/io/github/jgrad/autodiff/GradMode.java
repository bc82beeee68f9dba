package io.github.jgrad.autodiff;

/**
 * Whether operations record the graph, per thread. Inside a {@link #disabled()} scope nothing is
 * recorded: tensor results require no gradient and hold no reference to their inputs, and
 * {@link Value} results are leaves holding their numbers, kept on no tape (use it for inference and
 * optimizer updates; micrograd, which has no such mode, records always, as values do outside one).
 *
 * <pre>{@code
 * try (GradMode.Scope ignored = GradMode.disabled()) {
 *     Tensor prediction = model.forward(x);   // no graph, no memory held for backward
 * }
 * }</pre>
 */
public final class GradMode {
    private static final ThreadLocal<State> STATE = ThreadLocal.withInitial(State::new);

    private GradMode() {
    }

    /** A thread's mode and its open scopes, innermost last. */
    static final class State {
        boolean enabled = true;
        final java.util.ArrayList<Scope> open = new java.util.ArrayList<>();

        /** The innermost open scope decides; with none open, the graph is recorded. */
        void update() {
            enabled = open.isEmpty() || open.get(open.size() - 1).on;
        }
    }

    /** Whether operations on this thread currently record the graph (true unless in a disabled scope). */
    public static boolean isEnabled() {
        return STATE.get().enabled;
    }

    /** This thread's state, for a per-thread structure to read its mode without another lookup. */
    static State state() {
        return STATE.get();
    }

    /** Stops recording on this thread until the scope is closed. Scopes nest. */
    public static Scope disabled() {
        return open(false);
    }

    /** Records on this thread until the scope is closed, even inside a disabled scope. */
    public static Scope enabled() {
        return open(true);
    }

    private static Scope open(boolean on) {
        State state = STATE.get();
        Scope scope = new Scope(state, on);
        state.open.add(scope);
        state.enabled = on;
        return scope;
    }

    /**
     * An open scope. Closing it ends it; the innermost scope still open then decides the mode, so
     * scopes closed out of order (or twice) leave the thread as if each had been closed in order.
     * Close a scope on the thread that opened it.
     */
    public static final class Scope implements AutoCloseable {
        private final State state;
        private final boolean on;
        private boolean closed;

        private Scope(State state, boolean on) {
            this.state = state;
            this.on = on;
        }

        /**
         * Ends the scope.
         *
         * @throws IllegalStateException on another thread than the one that opened it, whose mode it
         *     would change behind its back
         */
        @Override
        public void close() {
            if (closed) {
                return; // closing twice is harmless, on any thread
            }
            if (STATE.get() != state) {
                throw new IllegalStateException("GradMode.Scope.close: a scope closes on the thread that opened it;"
                        + " this is another thread");
            }
            java.util.ArrayList<Scope> open = state.open;
            for (int i = open.size() - 1; i >= 0; i--) {
                if (open.get(i) == this) {
                    open.remove(i);
                    state.update();
                    closed = true;
                    return;
                }
            }
        }
    }
}
