package io.github.jgrad.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * A random differentiable function of n inputs, drawn by {@link ValueGraphs} or {@link TensorGraphs}:
 * a straight-line program whose every step applies one op to earlier results or inputs. Steps may
 * reuse any earlier result, so graphs share sub-expressions. Immutable.
 *
 * <p>It prints as the program it is: {@code t2 = mul(x0, x1); t3 = exp(t2)} (inputs are
 * {@code x0..}, results {@code t<n>}; the last result is the output).
 *
 * @param <V> {@link io.github.jgrad.autodiff.Value} or {@link io.github.jgrad.autodiff.Tensor}
 */
public final class Graph<V> {
    /** Constants in order of simplicity: shrinking replaces a constant by a simpler one. */
    static final double[] SIMPLE_CONSTANTS = {1, 2, 0.5, -1};

    private final int inputs;
    private final List<Step<V>> steps;
    private final ToDoubleFunction<V> magnitude;

    /** One step: an op, the nodes it reads, its constant and a free choice (an axis, a cut). */
    static final class Step<V> {
        final GraphOp<V> op;
        final int[] args;
        final double constant;
        final int choice;

        Step(GraphOp<V> op, int[] args, double constant, int choice) {
            this.op = op;
            this.args = args;
            this.constant = constant;
            this.choice = choice;
        }

        Step<V> with(int[] newArgs, double newConstant, int newChoice) {
            return new Step<>(op, newArgs, newConstant, newChoice);
        }
    }

    Graph(int inputs, List<Step<V>> steps, ToDoubleFunction<V> magnitude) {
        if (inputs < 1 || steps.isEmpty()) {
            throw new IllegalArgumentException("a graph needs an input and a step, got " + inputs + " and " + steps.size());
        }
        this.inputs = inputs;
        this.steps = List.copyOf(steps);
        this.magnitude = magnitude;
    }

    /** A graph of {@code size} random steps over {@code inputs} inputs, drawing ops from {@code ops}. */
    static <V> Graph<V> random(SplittableRandom r, int inputs, int size, List<GraphOp<V>> ops, double[] constants,
                               ToDoubleFunction<V> magnitude) {
        List<Step<V>> steps = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            GraphOp<V> op = ops.get(r.nextInt(ops.size()));
            int[] args = new int[op.minArity + r.nextInt(op.maxArity - op.minArity + 1)];
            for (int k = 0; k < args.length; k++) {
                args[k] = r.nextInt(inputs + i);
            }
            steps.add(new Step<>(op, args, constants[r.nextInt(constants.length)], r.nextInt(1 << 16)));
        }
        return new Graph<>(inputs, steps, magnitude);
    }

    /** Number of inputs this graph reads. */
    public int inputs() {
        return inputs;
    }

    /** Number of steps (each adds one or a few nodes to the autodiff graph). */
    public int size() {
        return steps.size();
    }

    /**
     * Builds the graph on {@code x} and returns its output, the last step's result.
     *
     * @throws IllegalArgumentException if {@code x} does not hold {@link #inputs()} elements
     */
    public V apply(List<V> x) {
        return run(x, null);
    }

    /**
     * Whether, at {@code x}, every operand of a kinked op (relu, abs, max, clamp, a maximum's ties) is
     * at least {@code margin} from its kink, and every intermediate result is finite and at most
     * {@code maxMagnitude} in magnitude: where finite differences of step much smaller than
     * {@code margin} mean something.
     */
    public boolean isSmoothAt(List<V> x, double margin, double maxMagnitude) {
        Kinks k = new Kinks(true);
        run(x, k);
        return k.nearest >= margin && k.largest <= maxMagnitude;
    }

    private V run(List<V> x, Kinks kinks) {
        Objects.requireNonNull(x, "x");
        if (x.size() != inputs) {
            throw new IllegalArgumentException("graph has " + inputs + " inputs, got " + x.size());
        }
        Kinks k = kinks == null ? Kinks.NONE : kinks;
        List<V> nodes = new ArrayList<>(x);
        for (Step<V> s : steps) {
            List<V> operands = new ArrayList<>(s.args.length);
            for (int a : s.args) {
                operands.add(nodes.get(a));
            }
            V out = s.op.apply.apply(operands, s.constant, s.choice, k);
            if (kinks != null) {
                k.magnitude(magnitude.applyAsDouble(out));
            }
            nodes.add(out);
        }
        return nodes.get(nodes.size() - 1);
    }

    /** Whether input {@code i} is read by a step. */
    boolean reads(int i) {
        for (Step<V> s : steps) {
            for (int a : s.args) {
                if (a == i) {
                    return true;
                }
            }
        }
        return false;
    }

    /** This graph without input {@code i}, which no step reads. */
    Graph<V> withoutInput(int i) {
        List<Step<V>> out = new ArrayList<>();
        for (Step<V> s : steps) {
            int[] args = s.args.clone();
            for (int k = 0; k < args.length; k++) {
                args[k] -= args[k] > i ? 1 : 0;
            }
            out.add(s.with(args, s.constant, s.choice));
        }
        return new Graph<>(inputs - 1, out, magnitude);
    }

    /**
     * Smaller graphs, the biggest cut first: without the steps the output does not read; with an
     * earlier output; with a step replaced by an input (a sub-graph by a leaf); with an operand read
     * from an input instead of a step; with fewer operands; with simpler constants and choices.
     */
    List<Graph<V>> shrinks() {
        List<Graph<V>> out = new ArrayList<>();
        int n = steps.size();
        boolean[] live = live();
        int dead = 0;
        for (boolean l : live) {
            dead += l ? 0 : 1;
        }
        if (dead > 0) {
            Graph<V> g = this;
            for (int i = n - 1; i >= 0; i--) {
                if (!live[i]) {
                    g = g.remove(i, 0);
                }
            }
            out.add(g); // and the cuts below too: a failure may lie in a step the output does not read
        }
        for (int i = 0; i < n - 1; i++) {
            out.add(new Graph<>(inputs, steps.subList(0, i + 1), magnitude));
        }
        for (int i = 0; i < n - 1; i++) {
            for (int j = 0; j < Math.min(inputs, 2); j++) {
                out.add(remove(i, j));
            }
        }
        for (int i = 0; i < n; i++) {
            Step<V> s = steps.get(i);
            for (int p = 0; p < s.args.length; p++) {
                if (s.args[p] >= inputs) {
                    int[] args = s.args.clone();
                    args[p] = 0;
                    out.add(replace(i, s.with(args, s.constant, s.choice)));
                }
            }
            if (s.args.length > s.op.minArity) {
                out.add(replace(i, s.with(Arrays.copyOf(s.args, s.args.length - 1), s.constant, s.choice)));
            }
            if (s.op.usesConstant) {
                for (double c : SIMPLE_CONSTANTS) {
                    if (c == s.constant) {
                        break;
                    }
                    out.add(replace(i, s.with(s.args, c, s.choice)));
                }
            }
            if (s.op.usesChoice && s.choice != 0) {
                out.add(replace(i, s.with(s.args, s.constant, 0)));
            }
        }
        return out;
    }

    /** Which steps the output depends on. */
    private boolean[] live() {
        boolean[] live = new boolean[steps.size()];
        live[live.length - 1] = true;
        for (int i = live.length - 1; i >= 0; i--) {
            if (live[i]) {
                for (int a : steps.get(i).args) {
                    if (a >= inputs) {
                        live[a - inputs] = true;
                    }
                }
            }
        }
        return live;
    }

    /** Without step i (not the last): what read its result reads input {@code leaf} instead. */
    private Graph<V> remove(int i, int leaf) {
        int node = inputs + i;
        List<Step<V>> out = new ArrayList<>(steps.size() - 1);
        for (int k = 0; k < steps.size(); k++) {
            if (k == i) {
                continue;
            }
            Step<V> s = steps.get(k);
            int[] args = s.args.clone();
            for (int p = 0; p < args.length; p++) {
                args[p] = args[p] == node ? leaf : args[p] > node ? args[p] - 1 : args[p];
            }
            out.add(s.with(args, s.constant, s.choice));
        }
        return new Graph<>(inputs, out, magnitude);
    }

    private Graph<V> replace(int i, Step<V> step) {
        List<Step<V>> out = new ArrayList<>(steps);
        out.set(i, step);
        return new Graph<>(inputs, out, magnitude);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < steps.size(); i++) {
            Step<V> s = steps.get(i);
            sb.append(i == 0 ? "" : "; ").append('t').append(inputs + i).append(" = ").append(s.op.name).append('(');
            for (int p = 0; p < s.args.length; p++) {
                sb.append(p == 0 ? "" : ", ").append(s.args[p] < inputs ? "x" : "t").append(s.args[p]);
            }
            if (s.op.usesConstant) {
                sb.append(", c=").append(s.constant);
            }
            if (s.op.usesChoice) {
                sb.append(", k=").append(s.choice);
            }
            sb.append(')');
        }
        return sb.toString();
    }
}
