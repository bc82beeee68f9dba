package io.github.jgrad.testing;

import java.util.List;

/**
 * One kind of instruction a random {@link Graph} may hold: a name, how many operands it reads and how
 * to apply it. Domain guards (log sees {@code u*u + 0.25}) and kink bookkeeping live in the apply
 * function, so every generated graph is defined everywhere by construction.
 *
 * @param <V> Value or Tensor
 */
final class GraphOp<V> {
    /** Applies the op to its operands, with the step's constant and choice; reports kinks to {@code kinks}. */
    @FunctionalInterface
    interface Apply<V> {
        V apply(List<V> operands, double constant, int choice, Kinks kinks);
    }

    final String name;
    /** Fewest and most operands; equal for fixed-arity ops. */
    final int minArity;
    final int maxArity;
    /** Whether the constant is part of the op (shown and shrunk). */
    final boolean usesConstant;
    /** Whether the choice is part of the op (an axis or a cut: shown and shrunk). */
    final boolean usesChoice;
    final Apply<V> apply;

    GraphOp(String name, int minArity, int maxArity, boolean usesConstant, boolean usesChoice, Apply<V> apply) {
        this.name = name;
        this.minArity = minArity;
        this.maxArity = maxArity;
        this.usesConstant = usesConstant;
        this.usesChoice = usesChoice;
        this.apply = apply;
    }

    @Override
    public String toString() {
        return name;
    }
}
