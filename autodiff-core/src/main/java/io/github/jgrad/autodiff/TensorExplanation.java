package io.github.jgrad.autodiff;

import io.github.jgrad.autodiff.internal.Shapes;

import java.util.List;

/** The explanation of a tensor graph's backward pass. Immutable. */
public final class TensorExplanation {
    private final String head;
    private final int tensors;
    private final int limit;
    private final List<String> values;
    private final List<Step> steps;
    private final List<String> summary;
    private final String dot;

    TensorExplanation(String head, int tensors, int limit, List<String> values, List<Step> steps,
                 List<String> summary, String dot) {
        this.head = head;
        this.tensors = tensors;
        this.limit = limit;
        this.values = List.copyOf(values);
        this.steps = List.copyOf(steps);
        this.summary = List.copyOf(summary);
        this.dot = dot;
    }

    /** The steps in the order backward applies them (empty for a summarised graph). */
    public List<Step> steps() {
        return steps;
    }

    /** Whether the graph was too large to write out. */
    public boolean isSummary() {
        return tensors > limit;
    }

    /** The tensors in computation order, then the numbered steps (or a summary). */
    public String toText() {
        StringBuilder sb = new StringBuilder(head);
        if (isSummary()) {
            sb.append(": summary (more than ").append(limit).append(" tensors)\n");
            for (String line : summary) {
                sb.append("  ").append(line).append('\n');
            }
            return sb.toString();
        }
        sb.append(" (").append(Explanation.count(tensors, "tensor")).append(", ").append(Explanation.count(steps.size(), "step"))
                .append(")\n");
        sb.append("\nTensors, each after those it is computed from\n");
        for (String v : values) {
            sb.append("  ").append(v).append('\n');
        }
        sb.append("\nChain rule, in the order backward applies it\n");
        for (Step s : steps) {
            sb.append("  ").append(s.describe()).append('\n');
        }
        return sb.toString();
    }

    /** The same as Markdown: the tensors as a list, the steps as a table (or the summary). */
    public String toMarkdown() {
        StringBuilder sb = new StringBuilder("**").append(Explanation.escape(head)).append("**");
        if (isSummary()) {
            sb.append(": summary (more than ").append(limit).append(" tensors)\n\n");
            for (String line : summary) {
                sb.append("- ").append(Explanation.escape(line)).append('\n');
            }
            return sb.toString();
        }
        sb.append(" (").append(Explanation.count(tensors, "tensor")).append(", ").append(Explanation.count(steps.size(), "step"))
                .append(")\n\n");
        for (String v : values) {
            sb.append("- ").append(Explanation.code(v)).append('\n');
        }
        sb.append("\n| step | gradient | rule | backward of | shape | numbers |\n|---|---|---|---|---|---|\n");
        for (Step s : steps) {
            sb.append("| ").append(s.number()).append(" | ").append(Explanation.code(s.gradient()))
                    .append(s.accumulates() ? " (+=)" : "").append(" | ").append(Explanation.code(s.rule())).append(" | ")
                    .append(Explanation.code(s.via())).append(" | ").append(Shapes.str(s.shape())).append(" | ")
                    .append(s.shown()).append(" |\n"); // numbers, in brackets that no parenthesis follows: no link
        }
        return sb.toString();
    }

    /** The graph in Graphviz DOT: a box per tensor (name, op, shape); empty for a summarised graph. */
    public String toDot() {
        return dot;
    }

    @Override
    public String toString() {
        return toText();
    }

    /**
     * One step of a tensor graph's backward pass: the gradient {@code via} sends back to an input, the
     * rule that computes it, and its numbers: all of them for up to 12 elements (none stored beyond).
     */
    public static final class Step {
        private final int number;
        private final String gradient;
        private final String via;
        private final String rule;
        private final boolean accumulates;
        private final int[] shape;
        private final double[] values;
        private final String shown;

        Step(int number, String gradient, String via, String rule, boolean accumulates, int[] shape,
                   double[] values, String shown) {
            this.number = number;
            this.gradient = gradient;
            this.via = via;
            this.rule = rule;
            this.accumulates = accumulates;
            this.shape = shape.clone();
            this.values = values.length <= 12 ? values.clone() : new double[0];
            this.shown = shown;
        }

        /** The step's number, from 1. */
        public int number() {
            return number;
        }

        /** Which gradient this step computes, as {@code dloss/dw}. */
        public String gradient() {
            return gradient;
        }

        /** The tensor whose backward sends it. */
        public String via() {
            return via;
        }

        /** The rule, in the tensors' names ({@code x^T @ g}). */
        public String rule() {
            return rule;
        }

        /** Whether this adds to a gradient an earlier step began (a tensor used more than once). */
        public boolean accumulates() {
            return accumulates;
        }

        /** The gradient's shape (a copy). */
        public int[] shape() {
            return shape.clone();
        }

        /** The gradient's numbers (a copy) if it has at most 12, else an empty array. */
        public double[] values() {
            return values.clone();
        }

        /** The gradient's numbers as the report prints them (or their count and range). */
        public String shown() {
            return shown;
        }

        /** The step on one line, as {@link TensorExplanation#toText()} prints it. */
        public String describe() {
            return number + ". " + gradient + (accumulates ? " += " : " = ") + rule + "   (backward of " + via + ", "
                    + Shapes.str(shape) + ") = " + shown;
        }
    }
}
