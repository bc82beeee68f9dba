package io.github.jgrad.autodiff;

/**
 * A node on the tape: something computed from its parents that can push its gradient back to them.
 *
 * <p>{@link Tensor} is the one kind of node, ordered and differentiated by {@link Tape}; scalar
 * {@link Value}s keep a tape of their own ({@link ValueTape}).
 */
abstract class Node {
    static final Node[] NO_PARENTS = {};

    /** The nodes this one was computed from, in operand order; empty for leaves and freed nodes. */
    Node[] parents;

    /** Mark used by {@link Tape#order} instead of a visited set: equal to the pass that saw it last. */
    long seenInPass;

    Node(Node[] parents) {
        this.parents = parents;
    }

    /** Whether this node has no recorded parents: a leaf, or a tensor whose graph was freed. */
    final boolean hasNoParents() {
        return parents.length == 0;
    }

    /**
     * Chain rule for one node: adds this node's gradient times each local derivative to its parents'
     * gradients. With {@code check} set (anomaly detection), throws if a contribution is not finite;
     * {@code watcher}, if not null, sees each contribution (explain reports).
     */
    abstract void propagate(boolean check, Autograd.Watcher watcher);
}
