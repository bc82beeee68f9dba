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
 * Explain.Report report = Explain.backward(f);     // runs f.backward() and records every step
 * System.out.print(report.toText());              // or toMarkdown(), toDot()
 * }</pre>
 *
 * <p>The report has one numbered {@link Step} per edge of the graph, in the order backward visits
 * them (outputs before inputs, the reverse of the order the values were computed). Each step gives
 * the local derivative (its formula from the {@link Op} table in the operands' names, the same
 * formula with the numbers plugged in, and the number the tape recorded) and the chain rule
 * (gradient of the output with respect to the child, times the local derivative). Where a value feeds
 * several others, each edge gives one part of its gradient and a {@link Step.Kind#SUM SUM} step adds
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
 * report is a snapshot: changing leaves afterwards (an optimizer step) does not change it.
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
    public static Report backward(Value output) {
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
        public TensorReport backward(Tensor output) {
            return TensorExplainer.explain(output, decimals, maxNodes);
        }

        /** Runs the backward pass from {@code output} and explains it with these options. */
        public Report backward(Value output) {
            return Explainer.explain(Objects.requireNonNull(output, "output"), decimals, maxNodes);
        }
    }

    /**
     * One step of the chain rule.
     *
     * <ul>
     *   <li>{@link Kind#OUTPUT}: the start of backward, d output / d output = 1.
     *   <li>{@link Kind#CHAIN}: one edge from a value {@link #name()} to a value {@link #via()}
     *       computed from it: the local derivative d via / d name ({@link #local()}) and the chain rule
     *       d output / d name = d output / d via * d via / d name ({@link #chain()}). If {@code name}
     *       feeds several values, the edge gives {@link #part()} of {@link #parts()} of its gradient.
     *   <li>{@link Kind#SUM}: d output / d name = the sum of its {@link #parts()} parts.
     * </ul>
     */
    public static final class Step {
        /** What a step does. */
        public enum Kind {
            /** d output / d output = 1: where backward starts. */
            OUTPUT,
            /** One edge of the chain rule. */
            CHAIN,
            /** The parts of the gradient of a value that feeds several others, added up. */
            SUM
        }

        private final int number;
        private final Kind kind;
        private final String name;
        private final String via;
        private final int part;
        private final int parts;
        private final String local;
        private final String chain;
        private final double localDerivative;
        private final double value;

        Step(int number, Kind kind, String name, String via, int part, int parts, String local, String chain,
                double localDerivative, double value) {
            this.number = number;
            this.kind = kind;
            this.name = name;
            this.via = via;
            this.part = part;
            this.parts = parts;
            this.local = local;
            this.chain = chain;
            this.localDerivative = localDerivative;
            this.value = value;
        }

        /** The step's number, from 1, in the order backward visits the graph. */
        public int number() {
            return number;
        }

        /** What the step does. */
        public Kind kind() {
            return kind;
        }

        /** The name of the value whose gradient this step computes (or part of it), such as {@code z3}. */
        public String name() {
            return name;
        }

        /** For a CHAIN step, the name of the value the gradient comes back from; otherwise "". */
        public String via() {
            return via;
        }

        /** Which part of the gradient of {@link #name()} a CHAIN step computes, from 1; 1 for other steps. */
        public int part() {
            return part;
        }

        /**
         * How many parts the gradient of {@link #name()} has: the number of times the value is used
         * (1 for the output). When it is 1, a CHAIN step computes the whole gradient.
         */
        public int parts() {
            return parts;
        }

        /**
         * For a CHAIN step, the local derivative written out, such as
         * {@code dO3/dz3 = sigmoid(z3)*(1 - sigmoid(z3)) = O3*(1 - O3) = 0.6445*(1 - 0.6445) = 0.2291};
         * otherwise "".
         */
        public String local() {
            return local;
        }

        /**
         * The gradient this step computes, written out, such as
         * {@code dcost/dz3 = dcost/dO3 * dO3/dz3 = -0.5511 * 0.2291 = -0.1263}.
         */
        public String chain() {
            return chain;
        }

        /** For a CHAIN step, the local derivative d via / d name recorded on the tape; otherwise NaN. */
        public double localDerivative() {
            return localDerivative;
        }

        /**
         * The number this step computes: 1 for OUTPUT, the part of the gradient for CHAIN (the whole
         * gradient when {@link #parts()} is 1), the whole gradient for SUM.
         */
        public double value() {
            return value;
        }

        /** Whether {@link #value()} is the whole gradient of {@link #name()} (not one part of it). */
        public boolean isWholeGradient() {
            return kind != Kind.CHAIN || parts == 1;
        }

        /** The step as the text report prints it: number, local derivative, chain rule. */
        @Override
        public String toString() {
            return number + ". " + (local.isEmpty() ? chain : local + "\n" + chain);
        }
    }

    /**
     * Runs the backward pass from a one-element tensor (as {@code output.backward()} does, freeing the
     * graph) and explains it op by op: each step is the gradient one tensor sends back to an input,
     * with the rule that computes it and its numbers for tensors of up to 12 elements. Graphs of more
     * than 500 tensors are summarised. Label tensors with {@link Tensor#label(String)}.
     *
     * @throws IllegalArgumentException if the output is not a one-element tensor that requires grad
     */
    public static TensorReport backward(Tensor output) {
        return DEFAULTS.backward(output);
    }

    /**
     * One step of a tensor graph's backward pass: the gradient {@code via} sends back to an input, the
     * rule that computes it, and its numbers: all of them for up to 12 elements (none stored beyond).
     */
    public static final class TensorStep {
        private final int number;
        private final String gradient;
        private final String via;
        private final String rule;
        private final boolean accumulates;
        private final int[] shape;
        private final double[] values;
        private final String shown;

        TensorStep(int number, String gradient, String via, String rule, boolean accumulates, int[] shape,
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

        /** The step on one line, as {@link TensorReport#toText()} prints it. */
        public String describe() {
            return number + ". " + gradient + (accumulates ? " += " : " = ") + rule + "   (backward of " + via + ", "
                    + Shapes.str(shape) + ") = " + shown;
        }
    }

    /** The explanation of a tensor graph's backward pass. Immutable. */
    public static final class TensorReport {
        private final String head;
        private final int tensors;
        private final int limit;
        private final List<String> values;
        private final List<TensorStep> steps;
        private final List<String> summary;
        private final String dot;

        TensorReport(String head, int tensors, int limit, List<String> values, List<TensorStep> steps,
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
        public List<TensorStep> steps() {
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
            sb.append(" (").append(tensors).append(" tensors, ").append(steps.size()).append(" steps)\n");
            sb.append("\nTensors, in the order they were computed\n");
            for (String v : values) {
                sb.append("  ").append(v).append('\n');
            }
            sb.append("\nChain rule, in the order backward applies it\n");
            for (TensorStep s : steps) {
                sb.append("  ").append(s.describe()).append('\n');
            }
            return sb.toString();
        }

        /** The same as Markdown: the tensors as a list, the steps as a table (or the summary). */
        public String toMarkdown() {
            StringBuilder sb = new StringBuilder("**").append(escape(head)).append("**");
            if (isSummary()) {
                sb.append(": summary (more than ").append(limit).append(" tensors)\n\n");
                for (String line : summary) {
                    sb.append("- ").append(escape(line)).append('\n');
                }
                return sb.toString();
            }
            sb.append(" (").append(tensors).append(" tensors, ").append(steps.size()).append(" steps)\n\n");
            for (String v : values) {
                sb.append("- ").append(code(v)).append('\n');
            }
            sb.append("\n| step | gradient | rule | backward of | shape | numbers |\n|---|---|---|---|---|---|\n");
            for (TensorStep s : steps) {
                sb.append("| ").append(s.number()).append(" | ").append(code(s.gradient()))
                        .append(s.accumulates() ? " (+=)" : "").append(" | ").append(code(s.rule())).append(" | ")
                        .append(code(s.via())).append(" | ").append(Shapes.str(s.shape())).append(" | ")
                        .append(escape(s.shown())).append(" |\n");
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
    }

    /** One value of an explained graph, as the report lists it. */
    record Row(String name, String definition, String data, String grad, boolean leaf) {
    }

    /**
     * The explanation of one backward pass: its steps and the same content as plain text, Markdown
     * and Graphviz DOT. Immutable: a snapshot taken right after the pass.
     */
    public static final class Report {
        private final String output;
        private final String outputData;
        private final int nodes;
        private final List<Step> steps;
        private final List<Row> rows;
        private final List<String> summary;
        private final String dot;

        Report(String output, String outputData, int nodes, List<Step> steps, List<Row> rows,
                List<String> summary, String dot) {
            this.output = output;
            this.outputData = outputData;
            this.nodes = nodes;
            this.steps = List.copyOf(steps);
            this.rows = List.copyOf(rows);
            this.summary = List.copyOf(summary);
            this.dot = dot;
        }

        /** The steps in the order backward visits them; empty if the graph was too large ({@link #isSummary()}). */
        public List<Step> steps() {
            return steps;
        }

        /** Whether the graph had more values than the limit, so the report is a summary without steps. */
        public boolean isSummary() {
            return !summary.isEmpty();
        }

        /** Number of values in the graph, constants included. */
        public int nodes() {
            return nodes;
        }

        /**
         * Plain text for the console: the values in computation order, the numbered steps, and the
         * gradients of the leaves (or the summary of a graph that is too large).
         */
        public String toText() {
            StringBuilder sb = new StringBuilder();
            if (isSummary()) {
                sb.append("Backward pass of ").append(output).append(" = ").append(outputData).append(": summary\n");
                for (String line : summary) {
                    sb.append("  ").append(line).append('\n');
                }
                return sb.toString();
            }
            sb.append("Backward pass of ").append(output).append(" = ").append(outputData).append(" (")
                    .append(rows.size()).append(rows.size() == 1 ? " value, " : " values, ")
                    .append(steps.size()).append(steps.size() == 1 ? " step)\n" : " steps)\n");
            sb.append("\nValues, in the order they were computed\n");
            int width = 0;
            for (Row r : rows) {
                width = Math.max(width, r.name().length());
            }
            for (Row r : rows) {
                sb.append("  ").append(r.name()).append(" ".repeat(width - r.name().length())).append(" = ");
                if (r.definition() != null) {
                    sb.append(r.definition()).append(" = ");
                }
                sb.append(r.data()).append('\n');
            }
            sb.append("\nChain rule, in the order backward applies it\n");
            int digits = Integer.toString(steps.size()).length();
            String indent = " ".repeat(digits + 4);
            for (Step s : steps) {
                String n = Integer.toString(s.number());
                sb.append("  ").append(" ".repeat(digits - n.length())).append(n).append(". ");
                if (!s.local().isEmpty()) {
                    sb.append(s.local()).append('\n').append(indent);
                }
                sb.append(s.chain()).append('\n');
            }
            sb.append("\nGradients of the leaves\n");
            for (Row r : rows) {
                if (r.leaf()) {
                    sb.append("  d").append(output).append("/d").append(r.name()).append(" = ")
                            .append(r.grad()).append('\n');
                }
            }
            return sb.toString();
        }

        /**
         * Markdown: a table of the values (definition, data, gradient) and a table of the steps (local
         * derivative, chain rule), formulas in code spans (or the summary as a list).
         */
        public String toMarkdown() {
            StringBuilder sb = new StringBuilder();
            sb.append("**Backward pass of ").append(escape(output)).append(" = ").append(outputData).append("**");
            if (isSummary()) {
                sb.append(": summary\n\n");
                for (String line : summary) {
                    sb.append("- ").append(escape(line)).append('\n');
                }
                return sb.toString();
            }
            sb.append(" (").append(rows.size()).append(" values, ").append(steps.size()).append(" steps)\n\n");
            sb.append("| value | computed as | data | gradient |\n|---|---|---:|---:|\n");
            for (Row r : rows) {
                sb.append("| ").append(code(r.name())).append(" | ")
                        .append(r.definition() == null ? "" : code(r.definition())).append(" | ")
                        .append(r.data()).append(" | ").append(r.grad()).append(" |\n");
            }
            sb.append("\n| step | local derivative | chain rule |\n|---:|---|---|\n");
            for (Step s : steps) {
                sb.append("| ").append(s.number()).append(" | ").append(code(s.local())).append(" | ")
                        .append(code(s.chain())).append(" |\n");
            }
            return sb.toString();
        }

        /**
         * Graphviz DOT of the graph as {@link GraphViz#dot} draws it, with every value named as in the
         * steps and every edge labelled with its local derivative (or a note saying the graph is too
         * large to draw). Render with {@code dot -Tsvg}. Like {@link GraphViz#dot}, its boxes show each
         * value's {@code grad()}, which for a leaf includes earlier backward passes.
         */
        public String toDot() {
            return dot;
        }

        /** The same as {@link #toText()}. */
        @Override
        public String toString() {
            return toText();
        }

    }

    /** {@code s} as a Markdown code span that stays in its table cell (no line break, no pipe, no backtick). */
    static String code(String s) {
        return s.isEmpty() ? "" : "`" + oneLine(s).replace('`', '\'').replace("|", "\\|") + "`";
    }

    /** {@code s} as Markdown text that reads literally: emphasis, table, code and HTML characters escaped. */
    static String escape(String s) {
        return oneLine(s).replace("&", "&amp;").replace("<", "&lt;").replace("\\", "\\\\").replace("|", "\\|")
                .replace("*", "\\*").replace("_", "\\_").replace("`", "\\`");
    }

    private static String oneLine(String s) {
        return s.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ');
    }
}
