package io.github.jgrad.autodiff;

import io.github.jgrad.autodiff.internal.Shapes;

import java.util.List;
import java.util.Objects;

/**
 * Explain mode: runs the backward pass of a small graph and writes out the chain rule, step by step,
 * the way backprop is worked by hand.
 *
 * <pre>{@code
 * Value x = Value.of(0.5, "x");
 * Value y = Value.of(-1.5, "y");
 * Value f = x.mul(y).add(x).tanh().label("f");
 * Explanation report = Explain.backward(f);     // runs f.backward() and records every step
 * System.out.print(report.toText());              // or toMarkdown(), toDot()
 * }</pre>
 *
 * <p>The report has one numbered {@link Explanation.Step} per edge of the graph, in the order backward visits
 * them (outputs before inputs, the reverse of the order the values were computed). Each step gives
 * the local derivative (its formula from the {@link Op} table in the operands' names, the same
 * formula with the numbers plugged in, and the number the tape recorded) and the chain rule
 * (gradient of the output with respect to the child, times the local derivative). Where a value feeds
 * several others, each edge gives one part of its gradient and a {@link Explanation.Step.Kind#SUM SUM} step adds
 * the parts, at the point where backward has received them all. Constants (plain double operands)
 * get no steps; their numbers appear in the formulas. Numbers are printed with 4 decimals by default;
 * all arithmetic is done in full double precision, so a printed product may differ in its last digit
 * from the product of the printed factors.
 *
 * <p>Values are called by their labels; unlabelled ones get generated names such as {@code mul1},
 * {@code add2} (op and a counter per op, in computation order) and {@code leaf1}; a label used by
 * several values gets {@code #2}, {@code #3} on its later uses; constants are shown as numbers.
 *
 * <p><b>Size guard.</b> A graph of more than {@link Options#maxNodes(int) maxNodes} values (500 by
 * default, constants included) is not written out: the report says so and summarises the graph
 * (counts, operations by kind, the leaves with the largest gradients) in every format.
 *
 * <p><b>Gradients.</b> {@code Explain.backward(output)} runs exactly the pass {@code output.backward()}
 * does, so leaf gradients accumulate as usual; the steps show the gradients this pass computes. The
 * report is a snapshot: changing leaves afterwards (an optimizer step) does not change it. Leaves
 * are shown with the data they hold when the report is made, while the local derivatives are those
 * recorded when the graph was computed ({@link Value#setData}); so explain a graph before you set a
 * leaf it was computed from, or its formulas' numbers will not match the recorded derivatives.
 *
 * <p>Tensor graphs are explained op by op instead, by {@link #backward(Tensor)}.
 */
public final class Explain {
    private static final Options DEFAULTS = new Options(4, 500);

    private Explain() {
    }

    /**
     * Runs the backward pass from {@code output} (as {@code output.backward()} does) and explains it
     * with the default options: 4 decimals, at most 500 values.
     */
    public static Explanation backward(Value output) {
        return DEFAULTS.backward(output);
    }

    /** The default options, to change with {@link Options#decimals} and {@link Options#maxNodes}. */
    public static Options options() {
        return DEFAULTS;
    }

    /** How to explain: number of decimals and size limit. Immutable. */
    public static final class Options {
        private final int decimals;
        private final int maxNodes;

        private Options(int decimals, int maxNodes) {
            this.decimals = decimals;
            this.maxNodes = maxNodes;
        }

        /**
         * These options with numbers printed to {@code decimals} decimals (default 4).
         *
         * @throws IllegalArgumentException unless {@code 0 <= decimals <= 17}
         */
        public Options decimals(int decimals) {
            if (decimals < 0 || decimals > 17) {
                throw new IllegalArgumentException("Explain: decimals must be in 0..17, got " + decimals);
            }
            return new Options(decimals, maxNodes);
        }

        /**
         * These options with a size limit: a graph of more than {@code maxNodes} values (constants
         * included) is summarised instead of explained step by step (default 500).
         *
         * @throws IllegalArgumentException if {@code maxNodes < 1}
         */
        public Options maxNodes(int maxNodes) {
            if (maxNodes < 1) {
                throw new IllegalArgumentException("Explain: maxNodes must be at least 1, got " + maxNodes);
            }
            return new Options(decimals, maxNodes);
        }

        /** Explains a tensor graph's backward pass with these options; see {@link Explain#backward(Tensor)}. */
        public TensorExplanation backward(Tensor output) {
            return TensorExplainer.explain(output, decimals, maxNodes);
        }

        /** Runs the backward pass from {@code output} and explains it with these options. */
        public Explanation backward(Value output) {
            return Explainer.explain(Objects.requireNonNull(output, "output"), decimals, maxNodes);
        }
    }


    /**
     * Runs the backward pass from a one-element tensor (as {@code output.backward()} does, freeing the
     * graph) and explains it op by op: each step is the gradient one tensor sends back to an input,
     * with the rule that computes it and its numbers for tensors of up to 12 elements. Graphs of more
     * than 500 tensors are summarised. Label tensors with {@link Tensor#label(String)}. The steps are
     * recorded from the real pass as it runs: each op's backward runs once, and the report shows the
     * numbers {@code backward()} gave, a stochastic user-defined backward's included.
     *
     * @throws IllegalArgumentException if the output is not a one-element tensor that requires grad
     */
    public static TensorExplanation backward(Tensor output) {
        return DEFAULTS.backward(output);
    }
}
