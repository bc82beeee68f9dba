package io.github.jgrad.autodiff;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds an {@link Explanation}: runs the backward pass, then walks the tape in the same order
 * (values in reverse computation order, each value's operands in operand order) and writes one step
 * per edge from the local derivatives the tape recorded. It replays the pass in its own array of
 * gradients, adding the same products in the same order as {@link Value#propagate}, so every step's
 * number is exactly what backward computed. No recursion: graphs of any depth are walked in loops.
 */
final class Explainer {
    private static final int LARGEST = 5;

    private final Value[] order;
    private final Names names;
    private final String[] name;
    private final String root;

    private Explainer(Value[] order, Names names) {
        this.order = order;
        this.names = names;
        this.name = new String[order.length];
        for (int i = 0; i < order.length; i++) {
            name[i] = names.name(i);
        }
        this.root = name[order.length - 1];
    }

    static Explanation explain(Value output, int decimals, int maxNodes) {
        output.backward();
        Value[] order = ValueTape.order(output);   // the order backward walked, parents before children
        Names names = new Names(order, decimals);
        if (order.length > maxNodes) {
            return summary(output, order, names, maxNodes);
        }
        return new Explainer(order, names).steps(output, decimals);
    }

    private Explanation steps(Value output, int decimals) {
        int n = order.length;
        Map<Value, Integer> index = indexOf(order);
        int[] uses = new int[n];
        for (Value node : order) {
            for (Value p : node.operands()) {
                if (!p.isConstant()) {
                    uses[index.get(p)]++;
                }
            }
        }
        double[] grad = passGradients(order, index);   // each step below shows how one term of these arose
        int[] received = new int[n];
        double[][] parts = new double[n][];
        List<Explanation.Step> steps = new ArrayList<>();
        steps.add(new Explanation.Step(1, Explanation.Step.Kind.OUTPUT, root, "", 1, 1, "",
                d(root) + " = 1", Double.NaN, 1));
        for (int i = n - 1; i >= 0; i--) {
            Value v = order[i];
            if (v.isConstant()) {
                continue;
            }
            if (uses[i] > 1) {
                steps.add(new Explanation.Step(steps.size() + 1, Explanation.Step.Kind.SUM, name[i], "", 1, uses[i], "",
                        sum(i, parts[i], grad[i]), Double.NaN, grad[i]));
            }
            Value[] ps = v.operands();
            for (int k = 0; k < ps.length; k++) {
                if (ps[k].isConstant()) {
                    continue;
                }
                int j = index.get(ps[k]);
                double local = v.localDerivative(k);
                double contribution = Value.chain(grad[i], local);
                if (uses[j] == 1) { // the whole gradient, as backward accumulates it from 0: -0.0 becomes 0.0
                    contribution = 0.0 + contribution;
                }
                int part = ++received[j];
                if (uses[j] > 1) {
                    if (parts[j] == null) {
                        parts[j] = new double[uses[j]];
                    }
                    parts[j][part - 1] = contribution;
                }
                String lhs = d(name[j]) + (uses[j] > 1 ? " (part " + part + " of " + uses[j] + ")" : "");
                String chain = lhs + " = " + d(name[i]) + " * " + d2(i, j, uses[j]) + " = "
                        + names.fixed(grad[i]) + " * " + Names.group(names.fixed(local)) + " = "
                        + names.fixed(contribution);
                steps.add(new Explanation.Step(steps.size() + 1, Explanation.Step.Kind.CHAIN, name[j], name[i], part,
                        uses[j], local(v, ps, i, k, index, uses[j]), chain, local, contribution));
            }
        }
        List<Explanation.Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Value v = order[i];
            if (!v.isConstant()) {
                rows.add(new Explanation.Row(name[i], v.isLeaf() ? null : definition(v, index), names.fixed(v.data()),
                        names.fixed(grad[i]), v.isLeaf()));
            }
        }
        String dot = GraphViz.dot(output, decimals, value -> name[index.get(value)], true);
        return new Explanation(root, names.fixed(output.data()), n, steps, rows, List.of(), dot);
    }

    /** "dL/d" for output L; followed by a name it is the gradient of that value. */
    private String d(String of) {
        return "d" + root + "/d" + of;
    }

    /** The local derivative d order[i] / d (operand k of ps, v's operands): formula in names, numbers plugged in, result. */
    private String local(Value v, Value[] ps, int i, int k, Map<Value, Integer> index, int operandUses) {
        int a = 0;
        int b = ps.length > 1 ? 1 : -1;
        if (v.op() == ReduceOps.DOT) {
            int half = ps.length / 2;
            a = k % half;
            b = half + a;
        } else if (v.op() == ReduceOps.SUM) {
            a = k;
            b = -1;
        }
        String nameA = name[index.get(ps[a])];
        String nameB = b < 0 ? null : name[index.get(ps[b])];
        String formula = v.formula(k);
        // the definition is only needed where the formula uses out (n-ary ops' formulas never do: a
        // sum of n terms written n times would make explaining it quadratic)
        String words = Names.substitute(formula, nameA, nameB, usesOut(formula) ? definition(v, index) : null);
        String named = Names.substitute(formula, nameA, nameB, name[i]);
        String plugged = Names.substitute(formula, number(ps[a]), b < 0 ? null : number(ps[b]),
                names.fixed(v.data()));
        StringBuilder sb = new StringBuilder(d2(i, index.get(ps[k]), operandUses)).append(" = ").append(words);
        if (!plugged.equals(words)) {
            if (!named.equals(words)) {
                sb.append(" = ").append(named);
            }
            sb.append(" = ").append(plugged);
            String result = names.fixed(v.localDerivative(k));
            if (!result.equals(plugged)) {
                sb.append(" = ").append(result);
            }
        }
        return sb.toString();
    }

    /**
     * "dA/dB": the local derivative of value i by its operand j. Where A is the output and B is used
     * more than once, that reads like B's whole gradient (which sums the uses), so it is marked local.
     */
    private String d2(int i, int j, int usesOfJ) {
        return "d" + name[i] + "/d" + name[j] + (i == order.length - 1 && usesOfJ > 1 ? " (local)" : "");
    }

    private static boolean usesOut(String formula) {
        return Names.substitute(formula, "a", "b", "\u0000").indexOf('\u0000') >= 0;
    }

    /** A value's number as plugged into a formula: a constant as written, anything else to the decimals. */
    private String number(Value v) {
        return v.isConstant() ? names.compact(v.data()) : names.fixed(v.data());
    }

    /** dL/dx = part 1 + ... + part m = p1 + ... + pm = total. */
    private String sum(int i, double[] parts, double total) {
        StringBuilder words = new StringBuilder(d(name[i])).append(" = ");
        StringBuilder numbers = new StringBuilder();
        for (int p = 0; p < parts.length; p++) {
            words.append(p == 0 ? "" : " + ").append("part ").append(p + 1);
            String x = names.fixed(parts[p]);
            numbers.append(p == 0 ? x : " + " + Names.group(x));
        }
        return words.append(" = ").append(numbers).append(" = ").append(names.fixed(total)).toString();
    }

    /** How a value is computed from its operands' names: {@code x*y}, {@code tanh(z)}, {@code w0*x0 + w1*x1}. */
    private String definition(Value v, Map<Value, Integer> index) {
        Value[] ps = v.operands();
        String[] operands = new String[ps.length];
        for (int k = 0; k < ps.length; k++) {
            operands[k] = name[index.get(ps[k])];
        }
        Op op = v.op();
        StringBuilder sb = new StringBuilder();
        if (op == ReduceOps.SUM || op == ReduceOps.DOT) {
            int terms = op == ReduceOps.DOT ? ps.length / 2 : ps.length;
            for (int k = 0; k < terms; k++) {
                sb.append(k == 0 ? "" : " + ").append(op == ReduceOps.SUM ? operands[k]
                        : Names.group(operands[k]) + "*" + Names.group(operands[terms + k]));
            }
        } else if (ps.length == 2 && op.symbol().length() == 1) {
            String symbol = op.symbol();
            String infix = symbol.equals("+") || symbol.equals("-") ? " " + symbol + " " : symbol;
            sb.append(Names.group(operands[0])).append(infix).append(Names.group(operands[1]));
        } else {
            sb.append(op.symbol()).append('(').append(String.join(", ", operands)).append(')');
        }
        return sb.toString();
    }

    /**
     * The gradient of the output with respect to every value in {@code order}, from this pass alone
     * (a leaf's {@code grad()} also holds earlier passes): the chain rule replayed in the order and
     * with the products of {@link Value#propagate}.
     */
    private static double[] passGradients(Value[] order, Map<Value, Integer> index) {
        int n = order.length;
        double[] grad = new double[n];
        grad[n - 1] = 1;
        for (int i = n - 1; i >= 0; i--) {
            Value v = order[i];
            Value[] ps = v.operands();
            for (int k = 0; k < ps.length; k++) {
                grad[index.get(ps[k])] += Value.chain(grad[i], v.localDerivative(k));
            }
        }
        return grad;
    }

    /** Each node's position in {@code order}. */
    private static Map<Value, Integer> indexOf(Value[] order) {
        Map<Value, Integer> index = new IdentityHashMap<>(2 * order.length);
        for (int i = 0; i < order.length; i++) {
            index.put(order[i], i);
        }
        return index;
    }

    /** The report of a graph with more than maxNodes values: counts and the largest gradients, no steps. */
    private static Explanation summary(Value output, Value[] order, Names names, int maxNodes) {
        int n = order.length;
        double[] grads = passGradients(order, indexOf(order));
        Map<Op, Integer> perOp = new HashMap<>();
        int leaves = 0;
        int constants = 0;
        int nonFinite = 0;
        int[] largest = new int[LARGEST];
        int found = 0;
        for (int i = 0; i < n; i++) {
            Value v = order[i];
            if (v.isConstant()) {
                constants++;
                continue;
            }
            double g = grads[i];
            if (!Double.isFinite(g)) {
                nonFinite++;
            }
            if (!v.isLeaf()) {
                perOp.merge(v.op(), 1, Integer::sum);
                continue;
            }
            leaves++;
            if (!Double.isFinite(g)) {
                continue;
            }
            // keep the LARGEST leaves with the largest |gradient|, largest first
            int at;
            if (found < LARGEST) {
                at = found++;
            } else if (Math.abs(g) > Math.abs(grads[largest[LARGEST - 1]])) {
                at = LARGEST - 1;
            } else {
                continue;
            }
            while (at > 0 && Math.abs(grads[largest[at - 1]]) < Math.abs(g)) {
                largest[at] = largest[at - 1];
                at--;
            }
            largest[at] = i;
        }
        String root = names.name(n - 1);
        List<String> lines = new ArrayList<>();
        lines.add("the graph has " + n + " values (constants included), more than the limit of " + maxNodes
                + ", so here is a summary instead of the steps");
        lines.add("leaves " + leaves + ", constants " + constants + ", operations " + (n - leaves - constants));
        StringBuilder ops = new StringBuilder("operations by kind:");
        // most frequent first; ties in the order of the built-in ops' table, user ops after them
        List<Op> builtins = Op.builtins();
        List<Op> kinds = new ArrayList<>(perOp.keySet());
        kinds.sort(Comparator.<Op>comparingInt(op -> -perOp.get(op))
                .thenComparingInt(op -> builtins.contains(op) ? builtins.indexOf(op) : Integer.MAX_VALUE));
        for (int k = 0; k < kinds.size(); k++) {
            ops.append(k == 0 ? " " : ", ").append(kinds.get(k).name()).append(' ').append(perOp.get(kinds.get(k)));
        }
        lines.add(ops.toString());
        StringBuilder top = new StringBuilder("largest gradients of leaves:");
        for (int t = 0; t < found; t++) {
            top.append(t == 0 ? " " : ", ").append("d").append(root).append("/d").append(names.name(largest[t]))
                    .append(" = ").append(names.fixed(grads[largest[t]]));
        }
        lines.add(found == 0 ? "no finite leaf gradients" : top.toString());
        lines.add("non-finite gradients: " + nonFinite);
        lines.add("to see every step, raise the limit: Explain.options().maxNodes(" + n + ").backward(output)");
        String dot = "digraph jgrad {\n  note [shape=note, label=\"" + n + " values: more than the explain limit of "
                + maxNodes + ", not drawn\"];\n}\n";
        return new Explanation(root, names.fixed(output.data()), n, List.of(), List.of(), lines, dot);
    }
}
