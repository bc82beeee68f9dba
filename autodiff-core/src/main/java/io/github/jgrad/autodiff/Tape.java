package io.github.jgrad.autodiff;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The tensor tape: orders a graph topologically and runs the chain rule over it, without recursion
 * ({@link ValueTape} is the scalar one).
 *
 * <p>A graph is the set of nodes reachable from its outputs through {@link Node#parents}. Ordering it
 * is an iterative depth-first search with an explicit stack, so a chain of millions of nodes needs no
 * thread stack. Visited nodes are marked with the number of the current pass instead of being kept in
 * a hash set. One graph must not be ordered by two threads at once.
 */
final class Tape {
    private static final AtomicLong PASSES = new AtomicLong();

    private Tape() {
    }

    /** Every node reachable from {@code roots}, each after all of its parents. */
    static Node[] order(Node... roots) {
        long pass = PASSES.incrementAndGet();
        Node[] out = new Node[64];
        int size = 0;
        Node[] stack = new Node[64];
        int[] nextParent = new int[64];
        for (Node root : roots) {
            if (root.seenInPass == pass) {
                continue;
            }
            root.seenInPass = pass;
            int depth = 0;
            stack[depth++] = root;
            while (depth > 0) {
                Node top = stack[depth - 1];
                int i = nextParent[depth - 1];
                if (i < top.parents.length) {
                    nextParent[depth - 1] = i + 1;
                    Node parent = top.parents[i];
                    if (parent.seenInPass != pass) {
                        parent.seenInPass = pass;
                        if (depth == stack.length) {
                            stack = Arrays.copyOf(stack, depth * 2);
                            nextParent = Arrays.copyOf(nextParent, depth * 2);
                        }
                        stack[depth] = parent;
                        nextParent[depth] = 0;
                        depth++;
                    }
                } else {
                    if (size == out.length) {
                        out = Arrays.copyOf(out, size * 2);
                    }
                    out[size++] = top;
                    nextParent[depth - 1] = 0;
                    depth--;
                }
            }
        }
        return size == out.length ? out : Arrays.copyOf(out, size);
    }

    /**
     * The chain rule over an order from {@link #order}: each node, outputs before inputs, pushes its
     * gradient to its parents exactly once. The caller has seeded the outputs' gradients.
     */
    static void propagate(Node[] order, Autograd.Watcher watcher) {
        boolean check = Anomaly.isEnabled();
        for (int i = order.length - 1; i >= 0; i--) {
            order[i].propagate(check, watcher);
        }
    }
}
