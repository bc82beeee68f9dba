package io.github.jgrad.autodiff;

import io.github.jgrad.autodiff.internal.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The tensor engine's autograd: how a result is recorded ({@link #record}), and the backward passes
 * ({@link Tensor#backward}, {@link Tensor#grad(List, List, boolean)}): seeding, running each node's
 * backward once in reverse topological order ({@link Tape}), accumulating into leaves, handing out
 * gradients nobody else holds, and freeing the graph.
 */
final class Autograd {
    private Autograd() {
    }

    /**
     * The one way a result enters the tape, for built-in and user-defined ops alike: a tensor of
     * {@code data}, computed by {@code op} from {@code inputs}, that records its inputs and backward only
     * if grad mode is on and an input requires a gradient. It notes the inputs' storage versions (to
     * refuse a backward after they change in place), shares the version counter of an input whose data
     * it shares (a view), marks results whose backward reads them ({@link Op#readsOutput()}), and, in
     * anomaly mode, checks the result for NaN and infinities.
     */
    static Tensor record(Op op, double[] data, int[] shape, Tensor.Backward backward, Tensor... inputs) {
        return record(DType.of(inputs), op, data, shape, backward, inputs);
    }

    /**
     * {@link #record(Op, double[], int[], Tensor.Backward, Tensor...)} with the result's dtype given (not
     * the inputs' promotion): {@code data} holds the values computed in double, rounded here for float32.
     */
    static Tensor record(DType dtype, Op op, double[] data, int[] shape, Tensor.Backward backward, Tensor... inputs) {
        return dtype == DType.FLOAT64 ? record(op, data, null, shape, backward, inputs)
                : record(op, null, Tensor.narrowResult(data), shape, backward, inputs);
    }

    /** A float32 result computed as floats. */
    static Tensor record(Op op, float[] data, int[] shape, Tensor.Backward backward, Tensor... inputs) {
        return record(op, null, data, shape, backward, inputs);
    }

    private static Tensor record(Op op, double[] data, float[] floats, int[] shape, Tensor.Backward backward,
                                 Tensor... inputs) {
        boolean track = false;
        if (GradMode.isEnabled()) {
            for (Tensor t : inputs) {
                track |= t.requiresGrad;
            }
        }
        Tensor out = new Tensor(data, floats, shape, op, track ? inputs : Node.NO_PARENTS, track ? backward : null);
        out.requiresGrad = track;
        for (Tensor t : inputs) {
            if (data != null ? t.doubles() == data : t.floats() == floats) { // a view: in-place changes to either are changes to both
                out.storage = t.storage();
            }
        }
        if (track) {
            int[] versions = null;
            for (int i = 0; i < inputs.length; i++) {
                int v = inputs[i].version();
                if (v != 0) {
                    if (versions == null) {
                        versions = new int[inputs.length];
                    }
                    versions[i] = v;
                }
            }
            out.inputVersions = versions;
        }
        if (op.readsOutput()) {
            out.readsOwnData = true;
            out.versionAtCreation = out.version();
        }
        if (out.createdAt != null) {
            checkFinite(op.chainRule() ? "the incoming gradient times the local derivative gave" : op + " produced",
                    out.data(), shape, inputs);
        }
        return out;
    }


    static void checkFinite(String what, double[] data, int[] shape, Tensor[] inputs) {
        for (int i = 0; i < data.length; i++) {
            if (!Double.isFinite(data[i])) {
                StringBuilder sb = new StringBuilder(what).append(' ').append(data[i]).append(" at flat index ")
                        .append(i).append(" of shape ").append(Shapes.str(shape));
                for (int k = 0; k < inputs.length; k++) {
                    sb.append(k == 0 ? " from inputs of shape " : ", ").append(Shapes.str(inputs[k].shape));
                }
                throw new NonFiniteException(sb.toString());
            }
        }
    }

    /** Sees each gradient the chain rule sends along an edge of a pass, as explain reports record them. */
    @FunctionalInterface
    interface Watcher {
        /**
         * {@code from}'s backward sent {@code gradient} (in the input's dtype) to its input {@code input},
         * which {@code adds} to a gradient that input already received in this pass.
         */
        void sent(Tensor from, int input, Tensor gradient, boolean adds);
    }

    /** {@link Tensor#backward(Tensor, boolean, boolean)}: every leaf's gradient changes, or none. */
    static void backward(Tensor root, Tensor gradient, boolean retainGraph, boolean createGraph) {
        backward(root, gradient, retainGraph, createGraph, null);
    }

    /** {@link #backward(Tensor, Tensor, boolean, boolean)}, shown to {@code watcher} (if not null) edge by edge. */
    static void backward(Tensor root, Tensor gradient, boolean retainGraph, boolean createGraph, Watcher watcher) {
        Objects.requireNonNull(gradient, "backward: gradient is null; pass d loss / d this, of shape "
                + Shapes.str(root.shape) + " (backward() seeds a one-element output with 1)");
        Tensor[] roots = {root};
        Tensor[] seeds = {gradient};
        Pass pass = pass(roots, seeds, null, createGraph, watcher); // on an exception: graph kept, nothing changed
        Node[] order = pass.order;
        // every leaf's new gradient first, then all of them at once: all leaves change or none
        Tensor[] updated = new Tensor[order.length];
        Set<Object> handedOut = Collections.newSetFromMap(new IdentityHashMap<>());
        try (GradMode.Scope ignored = createGraph ? GradMode.enabled() : GradMode.disabled()) {
            for (int k = 0; k < order.length; k++) {
                Tensor t = (Tensor) order[k];
                if (t.hasNoParents() && t.requiresGrad && t.passGrad != null) {
                    updated[k] = t.grad == null ? own(t.passGrad, seeds, handedOut, createGraph) : t.grad.add(t.passGrad);
                }
            }
        } catch (NonFiniteException e) { // anomaly mode: an accumulated gradient is not finite
            pass.end(roots);
            throw new NonFiniteException("backward: adding this pass's gradient into grad() of a leaf went"
                    + " non-finite (nothing was changed): " + e.getMessage());
        } catch (Throwable e) { // a checked exception too, thrown through a user op's backward (Kotlin, sneaky throws)
            pass.end(roots);
            throw e;
        }
        for (int k = 0; k < order.length; k++) {
            if (updated[k] != null) {
                Tensor leaf = (Tensor) order[k];
                Tensor previous = leaf.grad;
                leaf.grad = updated[k];
                Workspace.gradAssigned(leaf, previous, updated[k]);
            }
        }
        finish(pass, roots, retainGraph || createGraph);
    }

    /**
     * A pass gradient {@code g} to hand out (as a leaf's grad() or a result of grad()), as a tensor of
     * its own: a copy where g is, or shares its data with, a caller's seed or a gradient already
     * handed out, or requires grad although no graph is being created (a seed that requires grad
     * passed through unchanged). Otherwise g itself: made in this pass, seen by nobody else.
     * {@code handedOut} collects the gradients and data arrays handed out so far.
     */
    private static Tensor own(Tensor g, Tensor[] seeds, Set<Object> handedOut, boolean createGraph) {
        boolean shared = handedOut.contains(g) || (g.storage != null && handedOut.contains(g.storage))
                || (!createGraph && g.requiresGrad);
        for (Tensor s : seeds) {
            shared |= s == g || (g.storage != null && g.storage == s.storage);
        }
        if (shared) {
            return LayoutOps.copy(g);
        }
        handedOut.add(g);
        if (g.storage != null) {
            handedOut.add(g.storage);
        }
        return g;
    }

    /**
     * Where an exception thrown inside an op's backward came from, added to it as suppressed (its type
     * and message stay the thrower's, as PyTorch leaves a custom Function's): the op and its result's
     * shape, which the thrower's stack trace does not name.
     */
    static final class InBackward extends RuntimeException {
        private static final long serialVersionUID = 1;

        InBackward(Tensor result) {
            super("thrown in the backward of " + result.op() + ", whose result has shape " + Shapes.str(result.shape),
                    null, false, false);
        }
    }

    /** The seed of {@link Tensor#backward()}: ones for a one-element output; anything else is refused. */
    static Tensor scalarSeed(Tensor root) {
        if (root.size() != 1) {
            throw new IllegalStateException("backward: output has shape " + Shapes.str(root.shape)
                    + "; gradients can be seeded implicitly only for one-element outputs: reduce it to one number"
                    + " first (sum(), mean(), or a loss with Reduction.MEAN), or pass d loss / d output with"
                    + " backward(gradient)");
        }
        return Tensor.ones(root.dtype(), root.shape);
    }

    /** {@link Tensor#grad(List, List, boolean)}. */
    static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs, boolean createGraph) {
        Objects.requireNonNull(outputs, "grad: outputs is null");
        Objects.requireNonNull(inputs, "grad: inputs is null");
        if (outputs.isEmpty() || inputs.isEmpty()) {
            throw new IllegalArgumentException("grad: needs at least one output and one input, got " + outputs.size()
                    + " and " + inputs.size());
        }
        Tensor[] roots = outputs.toArray(new Tensor[0]);
        Tensor[] seeds = new Tensor[roots.length];
        for (int i = 0; i < roots.length; i++) {
            Objects.requireNonNull(roots[i], "grad: output " + i + " is null");
            if (roots[i].size() != 1) {
                throw new IllegalArgumentException("grad: output " + i + " has shape " + Shapes.str(roots[i].shape)
                        + "; outputs must be scalars");
            }
            seeds[i] = Tensor.ones(roots[i].dtype(), roots[i].shape);
        }
        for (int i = 0; i < inputs.size(); i++) {
            Tensor in = Objects.requireNonNull(inputs.get(i), "grad: input " + i + " is null");
            if (!in.requiresGrad) {
                throw new IllegalArgumentException("grad: input " + i + " of shape " + Shapes.str(in.shape)
                        + " does not require grad");
            }
        }
        Pass pass = pass(roots, seeds, inputs, createGraph, null);
        List<Tensor> result = new ArrayList<>(inputs.size());
        Set<Object> handedOut = Collections.newSetFromMap(new IdentityHashMap<>());
        try (GradMode.Scope ignored = createGraph ? GradMode.enabled() : GradMode.disabled()) {
            for (Tensor in : inputs) {
                result.add(in.passGrad != null ? own(in.passGrad, seeds, handedOut, createGraph)
                        : Tensor.zeros(in.dtype(), in.shape));
            }
        } finally {
            finish(pass, roots, createGraph);
        }
        return result;
    }

    /**
     * Seeds the roots and runs the chain rule over the nodes to run, which it returns: all nodes behind
     * the roots, or with {@code inputs} only those whose backward carries a gradient towards an input.
     * On an exception the graph is as it was and no pass gradient is left behind.
     */
    private static Pass pass(Tensor[] roots, Tensor[] seeds, List<Tensor> inputs, boolean createGraph,
                             Watcher watcher) {
        String who = inputs == null ? "backward" : "grad"; // the public call, for the messages
        for (int i = 0; i < roots.length; i++) {
            if (!roots[i].requiresGrad) {
                throw new IllegalStateException(who + ": the output (" + roots[i].op + ", shape "
                        + Shapes.str(roots[i].shape) + ") does not require grad: no input requires grad, it was"
                        + " computed with GradMode disabled, or it is a gradient that was not recorded (taken"
                        + " without createGraph) or that no input moves (a linear function's is constant; PyTorch"
                        + " refuses it too)");
            }
            if (!Arrays.equals(seeds[i].shape, roots[i].shape)) {
                throw new IllegalArgumentException(who + ": gradient of shape " + Shapes.str(seeds[i].shape)
                        + " for an output of shape " + Shapes.str(roots[i].shape));
            }
        }
        Node[] order = Tape.order(roots);
        for (Node node : order) { // all of them: a freed node has lost the parents that might lead to an input
            Tensor t = (Tensor) node;
            if (t.storage != null && t.storage.reclaimed != null) { // its scope closed: the graph's memory is reused
                throw t.storage.reclaimedError(t);
            }
            if (t.freed) {
                throw new IllegalStateException(who + ": the graph behind a " + t.op + " result of shape "
                        + Shapes.str(t.shape) + " was freed by an earlier pass (backward, Tensor.grad or"
                        + " Explain.backward all free it): compute the forward pass again, or keep the graph for a"
                        + " second pass with retainGraph = true in that backward call (createGraph = true in"
                        + " Tensor.grad)");
            }
        }
        if (inputs != null) {
            order = leadingTo(order, inputs);
        }
        Pass pass = new Pass(order, stash(order, roots));
        try (GradMode.Scope ignored = createGraph ? GradMode.enabled() : GradMode.disabled()) {
            for (int i = 0; i < roots.length; i++) {
                Tensor seed = seeds[i].dtype() == roots[i].dtype() ? seeds[i] : seeds[i].to(roots[i].dtype());
                roots[i].passGrad = roots[i].passGrad == null ? seed : roots[i].passGrad.add(seed);
            }
            Tape.propagate(order, watcher);
        } catch (Throwable e) { // leave no half-computed gradient or count behind; checked ones too (sneaky throws)
            pass.end(roots);
            throw e;
        }
        return pass;
    }

    /**
     * A pass: the nodes it runs, each counted as in a running pass until it ends ({@link Tensor#inPasses}),
     * and the pass gradients it found on them when it started (null if none), which belong to a pass
     * running this one from inside an op's backward (re-entrant, as a checkpoint that recomputes a
     * block and differentiates it with {@link Tensor#grad}).
     */
    private record Pass(Node[] order, Map<Tensor, Tensor> outer) {
        /** Drops this pass's gradients and gives the outer pass its own back. */
        void end(Tensor[] roots) {
            clear(order, roots);
            for (Node n : order) {
                if (!n.hasNoParents()) { // as counted: a pass frees no node another running pass counts
                    ((Tensor) n).inPasses--;
                }
            }
            if (outer != null) {
                outer.forEach((t, g) -> t.passGrad = g);
            }
        }
    }

    /**
     * Clears the pass gradients of the nodes to run, of their inputs and of the roots, as {@link #clear},
     * and returns the ones it found (null if none): only a pass that is running leaves any.
     */
    private static Map<Tensor, Tensor> stash(Node[] order, Tensor[] roots) {
        Map<Tensor, Tensor> found = null;
        for (Tensor r : roots) {
            found = take(r, found);
        }
        for (Node node : order) {
            if (!node.hasNoParents()) { // leaves are never freed: shared inputs are not written to
                ((Tensor) node).inPasses++;
            }
            found = take((Tensor) node, found);
            for (Node p : node.parents) {
                found = take((Tensor) p, found);
            }
        }
        return found;
    }

    private static Map<Tensor, Tensor> take(Tensor t, Map<Tensor, Tensor> found) {
        if (t.passGrad == null) {
            return found;
        }
        Map<Tensor, Tensor> into = found == null ? new IdentityHashMap<>() : found;
        into.put(t, t.passGrad);
        t.passGrad = null;
        return into;
    }

    /**
     * The nodes of {@code order} (parents before children) whose backward must run for gradients to
     * reach {@code inputs}: those with a parent that is an input or leads to one. In that order.
     */
    private static Node[] leadingTo(Node[] order, List<Tensor> inputs) {
        Set<Node> reaches = Collections.newSetFromMap(new IdentityHashMap<>());
        reaches.addAll(inputs);
        List<Node> run = new ArrayList<>();
        for (Node node : order) {
            boolean feeds = false;
            for (Node p : node.parents) {
                feeds |= reaches.contains(p);
            }
            if (feeds) {
                run.add(node);
                reaches.add(node);
            }
        }
        return run.toArray(new Node[0]);
    }

    /** Drops the pass gradients of the nodes run, of their inputs and of the roots. */
    private static void clear(Node[] order, Tensor[] roots) {
        for (Node node : order) {
            ((Tensor) node).passGrad = null;
            for (Node p : node.parents) {
                ((Tensor) p).passGrad = null;
            }
        }
        for (Tensor r : roots) {
            r.passGrad = null;
        }
    }

    /** Ends a pass: clears its gradients and, unless {@code retainGraph}, frees the nodes it ran. */
    private static void finish(Pass pass, Tensor[] roots, boolean retainGraph) {
        pass.end(roots);
        if (!retainGraph) {
            for (Node node : pass.order) {
                Tensor t = (Tensor) node;
                // a node a running pass still holds (this pass runs inside its op's backward) is left to it
                if (!t.hasNoParents() && t.inPasses == 0) {
                    t.parents = Node.NO_PARENTS;
                    t.backward = null;
                    t.freed = true;
                }
            }
        }
    }

    /**
     * The chain rule for one result: checks that neither it (where its backward reads it) nor its
     * inputs changed in place since it was computed, runs its backward, checks each gradient's shape
     * (and, in anomaly mode, its values), and adds it into its input's pass gradient.
     */

    static void propagate(Tensor t, boolean check, Watcher watcher) {
        if (t.passGrad == null || t.backward == null && !t.freed) {
            return;
        }
        if (t.backward == null) { // freed by a pass this one did not start: another thread's, on the same graph
            throw new IllegalStateException("backward of " + t.op + ": its graph was freed while this pass ran, by a"
                    + " pass over the same graph on another thread (a graph is differentiated on one thread at a"
                    + " time; see Tensor's thread rules)");
        }
        if (t.readsOwnData && t.version() != t.versionAtCreation) {
            throw new IllegalStateException("backward of " + t.op + ": its result (shape " + Shapes.str(t.shape)
                    + ") was changed in place through a leaf sharing its data (a detach() or a reshape made with"
                    + " grad mode off) after it was computed; its backward would read the new values. Compute the"
                    + " forward pass again");
        }
        Node[] parents = t.parents;
        for (int i = 0; i < parents.length; i++) {
            Tensor p = (Tensor) parents[i];
            if (p.version() != (t.inputVersions == null ? 0 : t.inputVersions[i])) {
                throw new IllegalStateException("backward of " + t.op + ": input " + i + " (shape " + Shapes.str(p.shape)
                        + ") was changed in place (addInPlace or copyFrom, as by an optimizer step) after this result"
                        + " was computed from it; its gradient would mix old and new values. Compute the forward"
                        + " pass again after changing parameters");
            }
        }
        Tensor[] gs = t.backwardOf(t.passGrad);
        for (int i = 0; i < parents.length; i++) {
            Tensor p = (Tensor) parents[i];
            Tensor gi = gs[i];
            if (gi == null || !p.requiresGrad) {
                continue;
            }
            checkShape(t, i, gi, p);
            if (gi.dtype() != p.dtype()) { // the graph changed type here: a gradient has its tensor's dtype
                try {
                    gi = gi.to(p.dtype());
                } catch (NonFiniteException e) { // anomaly mode: it overflowed on the way (float64 to float32)
                    throw anomalyInBackward(t, "the gradient for input " + i + " overflowed converted to " + p.dtype()
                            + " (" + e.getMessage() + ")");
                }
            }
            if (check) {
                try {
                    checkFinite("gradient", gi.data(), gi.shape, new Tensor[] {p});
                } catch (NonFiniteException e) {
                    throw anomalyInBackward(t, e.getMessage() + " for input " + i);
                }
            }
            if (watcher != null) {
                watcher.sent(t, i, gi, p.passGrad != null);
            }
            if (p.passGrad == null) {
                p.passGrad = gi;
            } else {
                try {
                    p.passGrad = p.passGrad.add(gi);
                } catch (NonFiniteException e) { // anomaly mode: finite contributions that overflowed together
                    throw anomalyInBackward(t, "the gradient for input " + i + " (shape " + Shapes.str(p.shape)
                            + (p.hasNoParents() ? ", a leaf" : ", computed by " + p.op) + ") went non-finite added to"
                            + " the gradient from its other uses ("
                            + e.getMessage() + ")");
                }
            }
        }
    }

    /** Refuses a gradient {@code gi} that t's backward gave input i, p, unless it has p's shape. */
    static void checkShape(Tensor t, int i, Tensor gi, Tensor p) {
        if (!Arrays.equals(gi.shape, p.shape)) {
            throw new IllegalStateException("backward of " + t.op + ": gradient of shape " + Shapes.str(gi.shape)
                    + " for input " + i + " of shape " + Shapes.str(p.shape));
        }
    }

    /** Names this op as the one whose backward went non-finite; the cause says where it was created. */
    static NonFiniteException anomalyInBackward(Tensor t, String detail) {
        NonFiniteException e = new NonFiniteException("backward of " + t.op + ": " + detail);
        if (t.createdAt != null) {
            e.initCause(t.createdAt);
        }
        return e;
    }
}
