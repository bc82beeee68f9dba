package io.github.jgrad.autodiff;

import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Draws a graph in Graphviz DOT: of values as micrograd's notebooks do (one box per value with its
 * label, data and gradient, one oval per operation), or of tensors (one box per tensor with its
 * name, op and shape). Render with {@code dot -Tsvg graph.dot}.
 */
public final class GraphViz {
    private GraphViz() {
    }

    /**
     * The DOT text of the tensor graph that computes {@code root}: a box per tensor (its label, or its
     * op and a counter as explain reports name it; its op, or parameter or input for leaves, or its op
     * marked "(graph freed)" for a result whose graph backward has freed; its shape), an arrow from
     * each input. Draw it before backward, which frees the graph (or pass retainGraph = true); nothing
     * is run.
     */
    public static String dot(Tensor root) {
        Node[] order = Tape.order(root);
        return dot(order, Names.ofTensors(order));
    }

    /** The DOT text of the graph that computes {@code root}, with numbers to 4 decimals. */
    public static String dot(Value root) {
        return dot(root, 4);
    }

    /** The DOT text of the graph that computes {@code root}, with numbers to {@code decimals} decimals. */
    public static String dot(Value root, int decimals) {
        return dot(root, decimals, null, false);
    }

    /**
     * The DOT text with each value's box titled {@code names.apply(value)} (by default its label, or
     * "const") and, if {@code localDerivatives}, each edge from a non-constant operand labelled with
     * the local derivative the tape recorded for it. Used by {@link Explain}.
     */
    static String dot(Value root, int decimals, Function<Value, String> names, boolean localDerivatives) {
        if (decimals < 0 || decimals > 17) {
            throw new IllegalArgumentException("GraphViz.dot: decimals must be in 0..17, got " + decimals);
        }
        String number = "%." + decimals + "f";
        Value[] order = ValueTape.order(root);
        Map<Value, Integer> ids = new IdentityHashMap<>(order.length * 2);
        StringBuilder sb = new StringBuilder("digraph jgrad {\n  rankdir=LR;\n");
        for (Value v : order) {
            int id = ids.size();
            ids.put(v, id);
            String label = names != null ? escape(names.apply(v))
                    : v.label() != null ? escape(v.label()) : v.isConstant() ? "const" : "";
            sb.append("  v").append(id).append(" [shape=record, label=\"{ ").append(label)
                    .append(" | data ").append(String.format(Locale.ROOT, number, v.data()))
                    .append(" | grad ").append(String.format(Locale.ROOT, number, v.grad()))
                    .append(" }\"];\n");
            if (!v.isLeaf()) {
                sb.append("  v").append(id).append("op [label=\"").append(escape(v.op().symbol()))
                        .append("\"];\n");
                sb.append("  v").append(id).append("op -> v").append(id).append(";\n");
                Value[] ps = v.operands();
                for (int k = 0; k < ps.length; k++) {
                    Value p = ps[k];
                    sb.append("  v").append(ids.get(p)).append(" -> v").append(id).append("op");
                    if (localDerivatives && !p.isConstant()) {
                        sb.append(" [label=\"").append(String.format(Locale.ROOT, number, v.localDerivative(k)))
                                .append("\"]");
                    }
                    sb.append(";\n");
                }
            }
        }
        return sb.append("}\n").toString();
    }

    /**
     * {@code s} as a Graphviz record label: quotes, braces, bars, angle brackets escaped, {@code &} as
     * {@code &amp;} (Graphviz reads HTML entities in every label: {@code a&lt;b} would show {@code a<b}), and
     * newlines, tabs and other control characters as spaces.
     */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ("\"\\{}|<>".indexOf(c) >= 0) {
                sb.append('\\');
            }
            if (c == '&') {
                sb.append("&amp;");
            } else {
                sb.append(c < ' ' || c == 0x7f ? ' ' : c); // a NUL would end the file for dot
            }
        }
        return sb.toString();
    }

    /** Graphviz DOT of the graph: one box per tensor (name, op, shape and a dtype other than float64), an edge from each input. */
    static String dot(Node[] order, Map<Tensor, String> names) {
        StringBuilder sb = new StringBuilder("digraph jgrad {\n  rankdir=LR;\n  node [shape=record];\n");
        Map<Tensor, Integer> ids = new IdentityHashMap<>();
        for (Node node : order) {
            Tensor t = (Tensor) node;
            int id = ids.size();
            ids.put(t, id);
            sb.append("  t").append(id).append(" [label=\"{ ").append(escape(names.get(t))).append(" | ")
                    .append(escape(TensorText.role(t))).append(" | ")
                    .append(TensorText.shapeAndType(t)).append(" }\"];\n");
            for (Node p : t.parents) {
                sb.append("  t").append(ids.get((Tensor) p)).append(" -> t").append(id).append(";\n");
            }
        }
        return sb.append("}\n").toString();
    }
}
