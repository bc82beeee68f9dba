package io.github.jgrad.autodiff;

import java.util.List;

/**
 * The explanation of one backward pass: its steps and the same content as plain text, Markdown
 * and Graphviz DOT. Immutable: a snapshot taken right after the pass.
 */
public final class Explanation {
    private final String output;
    private final String outputData;
    private final int nodes;
    private final List<Step> steps;
    private final List<Row> rows;
    private final List<String> summary;
    private final String dot;

    Explanation(String output, String outputData, int nodes, List<Step> steps, List<Row> rows,
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
                .append(count(rows.size(), "value")).append(", ").append(count(steps.size(), "step")).append(")\n");
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
        sb.append(" (").append(count(rows.size(), "value")).append(", ").append(count(steps.size(), "step")).append(")\n\n");
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

    /** One value of an explained graph, as the report lists it. */
    record Row(String name, String definition, String data, String grad, boolean leaf) {
    }

    /** {@code s} as a Markdown code span that stays in its table cell (no line break, no pipe, no backtick). */
    static String code(String s) {
        return s.isEmpty() ? "" : "`" + oneLine(s).replace('`', '\'').replace("|", "\\|") + "`";
    }

    /** "1 step", "2 steps": a count and its noun, for the reports' headings. */
    static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /**
     * {@code s} as Markdown text that reads literally, on one line: the characters of emphasis,
     * strikethrough, tables, code, link brackets and HTML escaped (a bare address such as
     * {@code www.example.com} may still be shown as a link by renderers that autolink one).
     */
    static String escape(String s) {
        String line = oneLine(s);
        StringBuilder sb = new StringBuilder(line.length() + 8);
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '\\', '|', '*', '_', '`', '~', '[', ']' -> sb.append('\\').append(c);
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static String oneLine(String s) {
        return s.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ');
    }
}
