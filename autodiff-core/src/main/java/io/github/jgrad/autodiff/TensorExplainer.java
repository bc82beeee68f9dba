package io.github.jgrad.autodiff;

import io.github.jgrad.autodiff.internal.Shapes;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Explains a tensor graph's backward pass one op at a time: for each edge, the gradient one tensor
 * sends back to another, the rule that computes it (in the tensors' names, from the table below),
 * and its numbers when the tensor is small, as the real {@code backward()} computes them: the pass
 * is watched edge by edge, not replayed, so each op's backward runs once.
 */
final class TensorExplainer {
    private TensorExplainer() {
    }

    static TensorExplanation explain(Tensor output, int decimals, int maxNodes) {
        java.util.Objects.requireNonNull(output, "output");
        if (output.size() != 1 || !output.requiresGrad()) {
            throw new IllegalArgumentException("explain: the output must be a one-element tensor that requires grad;"
                    + " it has shape " + Shapes.str(output.shape()) + (output.requiresGrad() ? "" : " and requires none"));
        }
        Node[] order = Tape.order(output);
        Map<Tensor, String> names = Names.ofTensors(order);
        String number = "%." + decimals + "f";
        List<String> values = new ArrayList<>();
        List<TensorExplanation.Step> steps = new ArrayList<>();
        if (order.length <= maxNodes) {
            for (Node node : order) {
                Tensor t = (Tensor) node;
                StringBuilder def = new StringBuilder(names.get(t)).append(" = ");
                if (t.hasNoParents()) {
                    def.append(TensorText.role(t));
                } else {
                    def.append(t.op()).append('(');
                    for (int i = 0; i < t.parents.length; i++) {
                        def.append(i == 0 ? "" : ", ").append(names.get((Tensor) t.parents[i]));
                    }
                    def.append(')');
                }
                values.add(def.append("  ").append(TensorText.shapeAndType(t)).append(' ')
                        .append(show(t, number)).toString());
            }
        }
        String dot = order.length <= maxNodes ? GraphViz.dot(order, names)
                : "digraph jgrad {\n  note [shape=note, label=\"" + order.length + " tensors: more than the explain limit of "
                + maxNodes + ", not drawn\"];\n}\n"; // as a summarised Value report draws
        String of = names.get(output);
        Autograd.Watcher record = order.length > maxNodes ? null : (t, k, g, adds) -> {
            Tensor p = (Tensor) t.parents[k];
            String rule = substitute(t.op().rule(k), t, names);
            if (!Arrays.equals(p.shape(), t.shape()) && t.op().broadcasts()) {
                rule += ", summed over the axes " + names.get(p) + " was broadcast along";
            }
            steps.add(new TensorExplanation.Step(steps.size() + 1, "d" + of + "/d" + names.get(p), names.get(t), rule,
                    adds, g.shape(), g.toArray(), show(g, number)));
        };
        Autograd.backward(output, Tensor.ones(output.dtype(), output.shape()), false, false, record);
        String head = "Backward pass of " + names.get(output) + " = " + String.format(Locale.ROOT, number, output.item());
        return new TensorExplanation(head, order.length, maxNodes, values, steps, summary(order), dot);
    }


    private static String substitute(String rule, Tensor t, Map<Tensor, String> names) {
        String a = t.parents.length > 0 ? names.get((Tensor) t.parents[0]) : "a";
        String b = t.parents.length > 1 ? names.get((Tensor) t.parents[1]) : "b";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rule.length(); i++) {
            char c = rule.charAt(i);
            boolean alone = (i == 0 || !Character.isLetterOrDigit(rule.charAt(i - 1)))
                    && (i + 1 == rule.length() || !Character.isLetterOrDigit(rule.charAt(i + 1)));
            if (alone && c == 'a') {
                sb.append(a);
            } else if (alone && c == 'b') {
                sb.append(b);
            } else if (rule.startsWith("out", i) && (i + 3 == rule.length() || !Character.isLetterOrDigit(rule.charAt(i + 3)))
                    && (i == 0 || !Character.isLetterOrDigit(rule.charAt(i - 1)))) {
                sb.append(names.get(t));
                i += 2;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }


    /** The numbers of a small tensor, or its size and range. */
    static String show(Tensor t, String number) {
        double[] d = t.toArray();
        if (d.length > 12) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (double v : d) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            return String.format(Locale.ROOT, "(%d numbers from " + number + " to " + number + ")", d.length, lo, hi);
        }
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < d.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, number, d[i]));
        }
        return sb.append(']').toString();
    }

    private static List<String> summary(Node[] order) {
        Map<String, Integer> ops = new TreeMap<>();
        for (Node n : order) {
            ops.merge(((Tensor) n).op().name(), 1, Integer::sum);
        }
        return List.of(order.length + " tensors", "operations: " + ops);
    }
}
