package io.github.jgrad.autodiff;

import io.github.jgrad.autodiff.internal.Arena;
import io.github.jgrad.autodiff.internal.Shapes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Memory reused from one training step to the next, so that a steady loop allocates (almost) nothing:
 * the tensors of a step are computed into the memory of the step before. Prior art: DJL's NDManager
 * scopes and DL4J's workspaces (memory tied to a scope), PyTorch's caching allocator (reuse by size).
 * {@code nn}'s Trainer uses one without being asked; plain code that opens no scope is unaffected.
 *
 * <pre>{@code
 * Workspace workspace = Workspace.create();
 * for (int step = 0; step < 100; step++) {
 *     try (Workspace.Scope scope = workspace.open()) {
 *         optimizer.zeroGrad();
 *         Tensor loss = Loss.crossEntropy(model.forward(x), y);
 *         loss.backward();
 *         optimizer.step();
 *         total += loss.item();                 // read what the step produced inside the scope,
 *         last = Workspace.keep(loss);          // or keep the tensor itself
 *     }
 * }
 * }</pre>
 *
 * <p><b>The rules.</b> Every tensor created on a thread while a scope is open on it belongs to that
 * scope: results, factory tensors, views of these, gradients of intermediates (a view of a tensor from
 * outside the scope, such as {@code p.detach()} of a parameter, shares that tensor's memory and stays
 * valid with it, showing its current values). When the scope closes, their
 * memory returns to the workspace and they are <em>reclaimed</em>: reading or using one throws an
 * {@link IllegalStateException} that says so. A reclaimed tensor never shows the numbers of whatever
 * reuses its memory. Tensors created outside scopes (parameters, data) are never touched, except:
 * <ul>
 *   <li>a gradient that a scope gives to a tensor created outside it ({@link Tensor#grad()} of a
 *       parameter, by {@code backward} or {@link Tensor#setGrad}) outlives the scope. It stays valid
 *       until a later scope of the same workspace gives that tensor a new gradient; then the old one
 *       is reclaimed when that scope closes (unless another tensor from outside scopes holds it too:
 *       {@code q.setGrad(p.grad())}, in a step or between steps) and its memory reused. So
 *       {@code p.grad()} is readable between steps and, until its scope ends, after
 *       {@code clipGradNorm} replaced it. A gradient replaced between steps is left to the garbage
 *       collector (one dropped by {@code zeroGrad()} or {@code setGrad(null)} between steps stays the
 *       workspace's until a later scope gives the tensor a gradient, so that a loop calling
 *       {@code zeroGrad()} before its scope reuses the memory), and so is the gradient of a tensor
 *       that is itself garbage, one a tensor of an open scope holds too, one replaced on another
 *       thread (a model handed on), and one replaced in another workspace's scope while none of its
 *       own is open (with one of its own open on this thread, it is reclaimed when that scope
 *       closes). A gradient made in one workspace's scope, or held by it, and given inside another's
 *       belongs to the first, which counts the new holder;</li>
 *   <li>{@link #keep(Tensor)} takes a tensor (and the views sharing its data) out of its scope or
 *       workspace for good, like any tensor made outside scopes.</li>
 * </ul>
 * Optimizer state that must outlive a step (momentum, Adam's moments) is kept this way.
 *
 * <p><b>Threads and nesting.</b> A workspace serves one thread at a time. A model it trained may
 * be handed to another thread between steps (its gradients are then the new thread's to replace),
 * but a tensor of a scope still open must not be: keep it first. Scopes nest, also of
 * different workspaces; they close in the reverse order of opening, on the thread that opened them.
 * Other threads are unaffected by a scope. The workspace holds on to the arrays its steps used, by
 * length ({@link #retainedBytes()}), until it is garbage: as much as its largest step where every step
 * has the same shapes. A step is an outermost scope; arrays of a length no step asked for in the last
 * four steps are dropped, so steps of changing shapes (batches of many sizes) keep the arrays of the
 * recent ones, not of every length they ever used.
 */
public final class Workspace {
    private final Arena.Pool pool = new Arena.Pool(this);
    /** The gradients this workspace's scopes gave to tensors from outside them, by tensor. */
    // weak: a tensor that dies takes its entry along. The value holds the gradient's memory, not the gradient:
    // one recorded with createGraph reaches its tensor through the graph and would keep the entry forever
    private final Map<Tensor, Gradient> grads = new WeakHashMap<>();
    /** How many tensors of {@link #grads} hold each gradient's memory ({@code q.setGrad(p.grad())}: two). */
    private final Map<Storage, Integer> holders = new WeakHashMap<>(); // (tensors and storages have identity equality)
    /** The storages created in open scopes, innermost last; a scope is a mark on this stack. */
    private Storage[] storages = new Storage[64];
    private int storageCount;
    private Scope innermost;
    private Thread thread;

    private Workspace() {
    }

    /** A workspace with no memory yet: it grows to what its scopes use. */
    public static Workspace create() {
        return new Workspace();
    }

    /**
     * Opens a scope on this thread: until it closes, new tensors use this workspace's memory.
     *
     * @throws IllegalStateException if another thread has a scope of this workspace open
     */
    public synchronized Scope open() { // synchronized: two threads opening at once cannot both pass the check
        Thread current = Thread.currentThread();
        if (thread != null && thread != current) {
            throw new IllegalStateException("Workspace.open: " + thread + " has a scope of this workspace open; a"
                    + " workspace serves one thread at a time (create one per thread)" + (thread.isAlive() ? ""
                    : ". That thread has ended without closing it, so this workspace cannot be used again"));
        }
        thread = current;
        Scope s = new Scope(innermost, Arena.activate(pool), pool.mark(), storageCount);
        innermost = s;
        return s;
    }

    /** The pool's table of array kinds, for tests. */
    int poolSlots() {
        return pool.slots();
    }

    /** Bytes of memory held for reuse by later scopes (none while in use by open scopes). */
    public long retainedBytes() {
        return pool.retainedBytes();
    }

    /**
     * Takes {@code t}, and every tensor sharing its data, out of the scope or workspace that would
     * reclaim it: from now on it lives as a tensor made outside scopes does. A tensor that no scope
     * owns is returned as it is. Call it on the thread of the scope.
     *
     * @throws IllegalStateException if {@code t} was already reclaimed
     */
    public static Tensor keep(Tensor t) {
        Storage s = t.storage;
        if (s == null) {
            return t;
        }
        Object data = memory(t); // throws if reclaimed
        if (s.owner instanceof Scope scope) {
            scope.workspace().pool.untake(data);
        } else if (s.owner instanceof Workspace w) {
            synchronized (w) { // its gradients' bookkeeping may be reached from another thread (gradAssigned)
                memory(t); // reclaimed meanwhile by the owner's closing scope, which holds the lock to do it: throws
                w.grads.values().removeIf(g -> g.storage == s);
                w.holders.remove(s);
                s.owner = null;
            }
            return t;
        }
        s.owner = null;
        return t;
    }

    /** The storage of a tensor being created: owned by this thread's innermost open scope; null outside scopes. */
    static Storage storageOfNewTensor() {
        Arena.Pool p = Arena.active();
        if (p == null) {
            return null;
        }
        Workspace w = (Workspace) p.owner();
        Storage s = new Storage();
        s.owner = w.innermost;
        if (w.storageCount == w.storages.length) {
            w.storages = java.util.Arrays.copyOf(w.storages, w.storageCount * 2);
        }
        w.storages[w.storageCount++] = s;
        return s;
    }

    /**
     * Called when {@code t}'s gradient became {@code g} (not null) inside a scope: a gradient made in
     * the scope for a tensor from outside it moves to the workspace, and the gradient this workspace
     * gave {@code t} before, unless another tensor holds it too, is reclaimed when the current scope
     * closes (read in this scope, as {@code clipGradNorm} replaces it, it stays valid), its memory
     * then reused. The gradient {@code previous} it replaces is let go by the workspace holding it
     * when another records the new one (between steps, or in another workspace's scope), and
     * {@code g}, if a workspace holds it, is counted as held once more.
     */
    static void gradAssigned(Tensor t, Tensor previous, Tensor g) {
        Arena.Pool p = Arena.active();
        Workspace held = heldBy(g);
        Workspace deciding = held != null ? held : p == null ? null : (Workspace) p.owner();
        Workspace before = heldBy(previous);
        if (before != null && before != deciding) {
            before.letGo(t); // replaced between steps, or in another workspace's step: no longer t's
        }
        if (deciding != null) {
            deciding.assigned(t, g); // made in, or held by, that workspace (a gradient held twice is counted twice)
        }
    }

    /** The workspace whose open scope made {@code g} or that holds it as a gradient, or null. */
    private static Workspace heldBy(Tensor g) {
        Object owner = g == null || g.storage == null ? null : g.storage.owner;
        return owner instanceof Scope scope ? scope.workspace() : owner instanceof Workspace w ? w : null;
    }

    // synchronized, as letGo: a thread given a model another thread trained in this workspace reaches
    // this bookkeeping too (gradients are handed on with their tensors)
    private synchronized void assigned(Tensor t, Tensor g) {
        if (ownedByScope(t.storage)) {
            if (g.storage != null && ownedByScope(g.storage) && inside((Scope) g.storage.owner, (Scope) t.storage.owner)) {
                // t is from an outer scope, still open: its gradient lives as long as t, not the inner scope
                untake(g);
                g.storage.owner = null;
            } else if (g.storage != null && g.storage.owner == this) {
                // a gradient this workspace keeps for a tensor from outside scopes, now held by t too: counted
                // for good (t's scope closing does not count down), so it is never reclaimed, only collected
                holders.merge(g.storage, 1, Integer::sum);
            }
            return; // t itself goes when its scope closes, and its gradient with it
        }
        Gradient previous = grads.remove(t);
        if (ownedByScope(g.storage)) {
            untake(g);
            g.storage.owner = this;
        }
        if (g.storage != null && g.storage.owner == this) {
            grads.put(t, new Gradient(g.storage, memory(g), g.shape));
            holders.merge(g.storage, 1, Integer::sum);
        }
        release(previous);
    }

    /**
     * What reclaiming a gradient this workspace gave needs, without the gradient itself: its storage
     * (every view of it), its array and its shape (to name it).
     */
    private record Gradient(Storage storage, Object memory, int[] shape) {
    }

    /** Forgets the gradient this workspace gave {@code t}, which t no longer holds. */
    private synchronized void letGo(Tensor t) {
        release(grads.remove(t));
    }

    /**
     * Counts down the holders of {@code previous} (a gradient this workspace gave, now replaced); the
     * last one gone, it is reclaimed when the current scope closes, or left to the collector between
     * steps and when replaced on another thread than the one with a scope open (it may still read it).
     * Nothing for null or a gradient this workspace no longer holds. Called holding this workspace's lock.
     */
    private void release(Gradient previous) {
        if (previous != null && previous.storage.owner == this) {
            int held = holders.getOrDefault(previous.storage, 1) - 1;
            if (held > 0) {
                holders.put(previous.storage, held);
            } else {
                holders.remove(previous.storage);
                if (innermost != null && Thread.currentThread() == thread) {
                    innermost.replaced.add(previous);
                } else { // replaced between steps: no scope to reclaim it, so its memory is left to the collector
                    previous.storage.owner = null;
                }
            }
        }
    }

    /** Takes g's memory out of the arrays the pool takes back. */
    private void untake(Tensor g) {
        pool.untake(memory(g));
    }

    /** A tensor's array, of either dtype. */
    private static Object memory(Tensor t) {
        double[] d = t.doubles();
        return d != null ? d : t.floats();
    }

    /** Whether {@code inner} was opened inside {@code outer}, which is still open (not the same scope). */
    private static boolean inside(Scope inner, Scope outer) {
        for (Scope s = inner.outer; s != null; s = s.outer) {
            if (s == outer) {
                return true;
            }
        }
        return false;
    }

    private boolean ownedByScope(Storage s) {
        return s != null && s.owner instanceof Scope scope && scope.workspace() == this;
    }

    private static void reclaim(Storage s, String why) {
        s.owner = null;
        s.reclaimed = why;
    }

    /** A scope of a {@link Workspace}: see the class comment. Closing it twice is harmless. */
    public final class Scope implements AutoCloseable {
        private final Scope outer;
        private final Arena.Pool previousPool;
        private final int takenMark;
        private final int storageMark;
        /** Gradients replaced in this scope and no longer held: reclaimed when it closes. */
        private final List<Gradient> replaced = new ArrayList<>();
        private boolean closed;

        private Scope(Scope outer, Arena.Pool previousPool, int takenMark, int storageMark) {
            this.outer = outer;
            this.previousPool = previousPool;
            this.takenMark = takenMark;
            this.storageMark = storageMark;
        }

        Workspace workspace() {
            return Workspace.this;
        }

        /**
         * Reclaims the tensors of this scope and returns their memory to the workspace.
         *
         * @throws IllegalStateException if called on another thread, or while a scope opened after
         *     this one is still open
         */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            if (Thread.currentThread() != thread || innermost != this || Arena.active() != pool) {
                throw new IllegalStateException("Workspace.Scope.close: scopes close on the thread that opened them,"
                        + " in reverse order of opening; " + (Thread.currentThread() != thread ? "this is another thread"
                        : "a scope opened after this one is still open"));
            }
            closed = true;
            for (int i = storageCount - 1; i >= storageMark; i--) {
                if (storages[i].owner == this) {
                    reclaim(storages[i], "its Workspace scope closed");
                }
                storages[i] = null;
            }
            storageCount = storageMark;
            synchronized (Workspace.this) { // holders may be counted by another thread: see assigned
                for (Gradient gradient : replaced) { // a gradient has its tensor's shape, which names both
                    // not kept, nor held again
                    if (gradient.storage.owner == Workspace.this && !holders.containsKey(gradient.storage)) {
                        reclaim(gradient.storage, "a later step gave the tensor of shape " + Shapes.str(gradient.shape)
                                + " a new gradient");
                        pool.give(gradient.memory);
                    }
                }
            }
            replaced.clear();
            pool.release(takenMark);
            innermost = outer;
            if (outer == null) {
                pool.endStep();
                synchronized (Workspace.this) {
                    thread = null;
                }
            }
            Arena.activate(previousPool);
        }
    }
}
