package io.github.jgrad.autodiff;

/**
 * A node on the tape: something computed from its parents that can push its gradient back to them.
 *
 * <p>{@link Value} is the scalar node; later node kinds (tensors) share this class, so there is one
 * tape mechanism, {@link Tape}, not one per kind of node.
 */
abstract class Node {
    /** The nodes this one was computed from, in operand order; empty for leaves. */
    final Node[] parents;

    /** Mark used by {@link Tape#order} instead of a visited set: equal to the pass that saw it last. */
    long seenInPass;

    Node(Node[] parents) {
        this.parents = parents;
    }

    final boolean isLeaf() {
        return parents.length == 0;
    }

    /** Adds 1 to this node's gradient: it is the output a backward pass starts from. */
    abstract void seedGradient();

    /** Resets the gradient of an interior node before a backward pass recomputes it. */
    abstract void clearGradient();

    /** Chain rule for one node: adds this node's gradient times each local derivative to its parents. */
    abstract void propagate();

    /** Throws if the gradient this node just pushed into its parents is NaN or infinite. */
    abstract void checkPropagated();
}
