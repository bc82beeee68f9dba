package io.github.jgrad.testing;

import io.github.jgrad.autodiff.Op;
import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.autodiff.internal.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;

/**
 * Random graphs over {@link Tensor} for property tests: random shapes, random broadcasting between
 * inputs, and steps over the element-wise, reduction, softmax, product and layout ops, plus any
 * user-defined ones ({@link #with}).
 *
 * <pre>{@code
 * Property.forAll(TensorGraphs.builtin().cases(3, 8)).tries(600).check(c -> {
 *     Property.assume(c.isSmooth());
 *     GradCheck.defaults().check(c.graph()::apply, c.inputs()).orThrow();
 * });
 * }</pre>
 *
 * <p>Every input's shape broadcasts against one base shape (rank 0 to 3, sides 1 to 3): some leading
 * dimensions dropped, some sides set to 1; every step keeps its result broadcastable to the base
 * (a reduction keeps its axis, a transpose is undone). Domains are guarded by construction as in
 * {@link ValueGraphs}; kinks (relu, abs, maximum, minimum, clamp, ties of max, where) are measured by
 * {@link Case#isSmooth()}.
 */
public final class TensorGraphs {
    /** Kink margin used by {@link Case#isSmooth()}. */
    public static final double KINK_MARGIN = 1e-3;
    /** Largest |intermediate| for which {@link Case#isSmooth()} holds; see {@link ValueGraphs#MAX_MAGNITUDE}. */
    public static final double MAX_MAGNITUDE = ValueGraphs.MAX_MAGNITUDE;
    private static final double[] CONSTANTS = {-1.5, -0.5, 0.5, 2.0, 3.0};
    private static final List<GraphOp<Tensor>> BUILTIN = List.of(
            binary("add", Tensor::add),
            binary("sub", Tensor::sub),
            binary("mul", Tensor::mul),
            binary("div", (a, b) -> a.div(b.mul(b).add(0.5))),
            unary("neg", Tensor::neg),
            unary("clone", Tensor::clone),
            unary("exp", Tensor::exp),
            unary("log", a -> a.mul(a).add(0.25).log()),
            unary("log1p", a -> a.mul(a).log1p()),
            unary("sqrt", a -> a.mul(a).add(0.25).sqrt()),
            unary("tanh", Tensor::tanh),
            unary("sigmoid", Tensor::sigmoid),
            unary("softplus", Tensor::softplus),
            unary("sin", Tensor::sin),
            unary("cos", Tensor::cos),
            unary("erf", Tensor::erf),
            kinked("relu", 1, (x, kinks) -> {
                distance(kinks, x.get(0));
                return x.get(0).relu();
            }),
            kinked("abs", 1, (x, kinks) -> {
                distance(kinks, x.get(0));
                return x.get(0).abs();
            }),
            kinked("maximum", 2, (x, kinks) -> {
                if (kinks.on) {
                    distance(kinks, x.get(0).sub(x.get(1)));
                }
                return x.get(0).maximum(x.get(1));
            }),
            kinked("minimum", 2, (x, kinks) -> {
                if (kinks.on) {
                    distance(kinks, x.get(0).sub(x.get(1)));
                }
                return x.get(0).minimum(x.get(1));
            }),
            kinked("clamp", 1, (x, kinks) -> {
                if (kinks.on) {
                    distance(kinks, x.get(0).sub(-1));
                    distance(kinks, x.get(0).sub(1));
                }
                return x.get(0).clamp(-1, 1);
            }),
            new GraphOp<>("where", 2, 2, true, false, (x, c, k, kinks) -> {
                distance(kinks, x.get(1));
                return Tensor.where(x.get(1).gt(0), x.get(0), x.get(0).mul(c));
            }),
            new GraphOp<>("pow_real", 1, 1, true, false, (x, c, k, kinks) -> x.get(0).mul(x.get(0)).add(0.5).pow(c)),
            binary("pow", (a, b) -> a.mul(a).add(0.5).pow(b)),
            // steps along an axis: on a 0-d operand they scale it by the constant
            alongAxis("sum", (a, axis, k, c, kinks) -> k % 2 == 0 ? a.sum(axis, true) : a.sum(axis, false).unsqueeze(axis)),
            alongAxis("mean", (a, axis, k, c, kinks) -> k % 2 == 0 ? a.mean(axis, true) : a.mean(axis, false).unsqueeze(axis)),
            alongAxis("max", (a, axis, k, c, kinks) -> {
                if (kinks.on && a.shape(axis) > 1) {
                    // distance between the largest and the second largest along the axis
                    Tensor m = a.max(axis, true);
                    Tensor isMax = a.eq(m);
                    Tensor rest = Tensor.where(isMax, Tensor.scalar(Double.NEGATIVE_INFINITY), a);
                    double gap = m.sub(rest.max(axis, true)).min().item();
                    boolean tie = isMax.sum(axis, true).max().item() > 1;
                    kinks.at(tie ? 0 : gap);
                }
                return a.max(axis, true);
            }),
            alongAxis("softmax", (a, axis, k, c, kinks) -> a.softmax(axis)),
            alongAxis("log_softmax", (a, axis, k, c, kinks) -> a.logSoftmax(axis)),
            alongAxis("reshape", (a, axis, k, c, kinks) -> a.reshape(-1).mul(c).reshape(a.shape())),
            alongAxis("permute", (a, axis, k, c, kinks) -> {
                int[] order = new int[a.dim()];
                for (int i = 0; i < order.length; i++) {
                    order[i] = order.length - 1 - i;
                }
                return a.permute(order).mul(c).permute(order);
            }),
            alongAxis("broadcast_to", (a, axis, k, c, kinks) -> {
                int[] wider = new int[a.dim() + 1];
                wider[0] = 2;
                System.arraycopy(a.shape(), 0, wider, 1, a.dim());
                return a.broadcastTo(wider).mul(c).sum(0);
            }),
            alongAxis("index_select", (a, axis, k, c, kinks) -> {
                int[] reversed = new int[a.shape(axis)];
                for (int i = 0; i < reversed.length; i++) {
                    reversed[i] = reversed.length - 1 - i;
                }
                return a.indexSelect(axis, reversed);
            }),
            alongAxis("gather", (a, axis, k, c, kinks) -> {
                // index i along the axis reads element size - 1 - i: a reversal, by gather
                int size = a.shape(axis);
                int stride = 1;
                for (int d = axis + 1; d < a.dim(); d++) {
                    stride *= a.shape(d);
                }
                double[] index = new double[a.size()];
                for (int f = 0; f < index.length; f++) {
                    index[f] = size - 1 - f / stride % size;
                }
                return a.gather(axis, Tensor.of(index, a.shape()));
            }),
            alongAxis("slice_concat", (a, axis, k, c, kinks) -> {
                if (a.shape(axis) < 2) {
                    return a.sin();
                }
                int cut = 1 + k % (a.shape(axis) - 1);
                return Tensor.concat(axis, a.slice(axis, cut, a.shape(axis)).mul(c), a.slice(axis, 0, cut));
            }),
            // a product with a constant square matrix, on the right (..., n) @ (n, n) (plus a bias, as
            // Linear computes it, when k % 3 == 2) or the left (n, n) @ (..., n, m)
            alongAxis("matmul", (a, axis, k, c, kinks) -> {
                boolean left = k % 3 == 1 && a.dim() >= 2;
                int n = left ? a.shape(a.dim() - 2) : a.shape(a.dim() - 1);
                Tensor w = Tensor.uniform(new SplittableRandom(k), -1, 1, n, n);
                return left ? w.matmul(a)
                        : k % 3 == 2 ? a.matmulAdd(w, Tensor.uniform(new SplittableRandom(k + 1), -1, 1, n)) : a.matmul(w);
            }));

    private final List<GraphOp<Tensor>> ops;

    private TensorGraphs(List<GraphOp<Tensor>> ops) {
        this.ops = List.copyOf(ops);
    }

    /** Graphs over the built-in tensor ops. */
    public static TensorGraphs builtin() {
        return new TensorGraphs(BUILTIN);
    }

    /**
     * These graphs with user-defined tensor ops added (each drawn as often as each built-in one). A user
     * op's operands are mapped into its test domain {@link Op#low()}..{@link Op#high()} by
     * {@code low + (high - low) * sigmoid(u)} and broadcast to one shape; its result must broadcast to
     * that shape too (an element-wise op, or a reduction to a scalar).
     *
     * @throws IllegalArgumentException if an op has no tensor form
     */
    public TensorGraphs with(Op... userOps) {
        return with("with", true, userOps);
    }

    /**
     * {@link #with}, but each operand keeps its own shape (the inputs' shapes are mutually
     * broadcastable, as for the built-in element-wise ops): for ops that broadcast their operands
     * themselves, whose backward must then sum each gradient back to its input's shape, which
     * {@code with} never asks of them.
     *
     * @throws IllegalArgumentException if an op has no tensor form
     */
    public TensorGraphs withBroadcasting(Op... userOps) {
        return with("withBroadcasting", false, userOps);
    }

    private TensorGraphs with(String method, boolean broadcast, Op... userOps) {
        List<GraphOp<Tensor>> all = new ArrayList<>(ops);
        for (Op op : userOps) {
            Objects.requireNonNull(op, () -> "TensorGraphs." + method + ": an op is null");
            if (op.rules() == 0 || op.isBuiltin()) {
                throw new IllegalArgumentException("TensorGraphs." + method + ": " + op + " is not a user-defined"
                        + " tensor op (Op.define(...).tensor)");
            }
            int arity = op.rules();
            double low = op.low();
            double width = op.high() - op.low();
            all.add(new GraphOp<>(op.name(), arity, arity, false, false, (x, c, k, kinks) -> {
                int[] shape = Shapes.SCALAR;
                for (Tensor t : x) {
                    shape = Shapes.broadcast(op.name(), shape, t.shape());
                }
                Tensor[] in = new Tensor[x.size()];
                for (int i = 0; i < in.length; i++) {
                    Tensor mapped = x.get(i).sigmoid().mul(width).add(low);
                    in[i] = broadcast ? mapped.broadcastTo(shape) : mapped;
                }
                return op.apply(in);
            }));
        }
        return new TensorGraphs(all);
    }

    /** Base shapes: rank 0 to 3, every side 1 to 3. */
    public static int[] shape(SplittableRandom random) {
        int[] s = new int[random.nextInt(4)];
        for (int i = 0; i < s.length; i++) {
            s[i] = 1 + random.nextInt(3);
        }
        return s;
    }

    /** A shape that broadcasts to {@code base}: some leading dimensions dropped, some sides set to 1. */
    public static int[] broadcastableTo(SplittableRandom random, int[] base) {
        int[] s = Arrays.copyOfRange(base, random.nextInt(base.length + 1), base.length);
        int ones = random.nextInt(8);
        for (int i = 0; i < s.length; i++) {
            if ((ones >> i & 1) == 1) {
                s[i] = 1;
            }
        }
        return s;
    }

    /** A tensor of {@code shape} with the values of {@link ValueGraphs#point}. */
    public static Tensor tensor(SplittableRandom random, int[] shape) {
        double[] d = ValueGraphs.point(random, Shapes.size("TensorGraphs.tensor", shape));
        return shape.length == 0 ? Tensor.scalar(d[0]) : Tensor.of(d, shape);
    }

    /** A graph of 1 to {@code maxSteps} steps over {@code inputs} inputs. */
    public Graph<Tensor> graph(SplittableRandom random, int inputs, int maxSteps) {
        if (inputs < 1 || maxSteps < 1) {
            throw new IllegalArgumentException("TensorGraphs.graph: need inputs >= 1 and maxSteps >= 1, got "
                    + inputs + ", " + maxSteps);
        }
        return Graph.random(random, inputs, 1 + random.nextInt(maxSteps), ops, CONSTANTS, TensorGraphs::largest);
    }

    /** A graph over 1 to {@code maxInputs} mutually broadcastable inputs, and the inputs, with a shrinker. */
    public Generator<Case> cases(int maxInputs, int maxSteps) {
        if (maxInputs < 1) {
            throw new IllegalArgumentException("TensorGraphs.cases: need maxInputs >= 1, got " + maxInputs);
        }
        return Generator.of(r -> {
            int[] base = shape(r);
            int n = 1 + r.nextInt(maxInputs);
            List<Tensor> in = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                in.add(tensor(r, broadcastableTo(r, base)));
            }
            return new Case(graph(r, n, maxSteps), in);
        }, TensorGraphs::shrink);
    }

    static List<Case> shrink(Case c) {
        List<Case> out = new ArrayList<>();
        for (Graph<Tensor> g : c.graph.shrinks()) {
            out.add(new Case(g, c.inputs));
        }
        for (int i = 0; i < c.graph.inputs() && c.graph.inputs() > 1; i++) {
            if (!c.graph.reads(i)) {
                List<Tensor> in = new ArrayList<>(c.inputs);
                in.remove(i);
                out.add(new Case(c.graph.withoutInput(i), in));
            }
        }
        for (int i = 0; i < c.inputs.size(); i++) {
            Tensor t = c.inputs.get(i);
            double[] d = t.toArray();
            boolean changed = false;
            for (int k = 0; k < d.length; k++) {
                double r = Math.round(d[k] * 10) / 10.0;
                changed |= r != d[k];
                d[k] = r;
            }
            if (changed) {
                List<Tensor> in = new ArrayList<>(c.inputs);
                in.set(i, t.dim() == 0 ? Tensor.scalar(d[0]) : Tensor.of(d, t.shape()));
                out.add(new Case(c.graph, in));
            }
        }
        return out;
    }

    private static double largest(Tensor t) {
        double m = 0;
        for (double v : t.toArray()) {
            m = Double.isNaN(v) ? Double.POSITIVE_INFINITY : Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static void distance(Kinks kinks, Tensor d) {
        if (kinks.on && d.size() > 0) {
            kinks.at(d.abs().min().item());
        }
    }

    private static GraphOp<Tensor> unary(String name, UnaryOperator<Tensor> f) {
        return new GraphOp<>(name, 1, 1, false, false, (x, c, k, kinks) -> f.apply(x.get(0)));
    }

    private static GraphOp<Tensor> binary(String name, BinaryOperator<Tensor> f) {
        return new GraphOp<>(name, 2, 2, false, false, (x, c, k, kinks) -> f.apply(x.get(0), x.get(1)));
    }

    private interface Kinked {
        Tensor apply(List<Tensor> x, Kinks kinks);
    }

    private static GraphOp<Tensor> kinked(String name, int arity, Kinked f) {
        return new GraphOp<>(name, arity, arity, false, false, (x, c, k, kinks) -> f.apply(x, kinks));
    }

    private interface AlongAxis {
        Tensor apply(Tensor a, int axis, int choice, double constant, Kinks kinks);
    }

    private static GraphOp<Tensor> alongAxis(String name, AlongAxis f) {
        return new GraphOp<>(name, 1, 1, true, true, (x, c, k, kinks) -> {
            Tensor a = x.get(0);
            return a.dim() == 0 ? a.mul(c) : f.apply(a, k % a.dim(), k, c, kinks);
        });
    }

    /** A graph and the inputs to run it on. */
    public static final class Case {
        private final Graph<Tensor> graph;
        private final List<Tensor> inputs;

        Case(Graph<Tensor> graph, List<Tensor> inputs) {
            this.graph = graph;
            this.inputs = List.copyOf(inputs);
        }

        /** The graph. */
        public Graph<Tensor> graph() {
            return graph;
        }

        /**
         * The inputs, as an array for {@code GradCheck.check}: copies of their own at each call, so that a
         * property may mark them {@code requiresGrad} and differentiate without leaving gradients behind
         * for the next call (the shrinker's candidates share the inputs they do not change).
         */
        public Tensor[] inputs() {
            Tensor[] copies = new Tensor[inputs.size()];
            for (int i = 0; i < copies.length; i++) {
                copies[i] = inputs.get(i).detach().clone();
            }
            return copies;
        }

        /** Whether finite differences mean something here (no kink within the margin, no large value). */
        public boolean isSmooth() {
            return graph.isSmoothAt(inputs, KINK_MARGIN, MAX_MAGNITUDE);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(graph.toString());
            for (int i = 0; i < inputs.size(); i++) {
                Tensor t = inputs.get(i);
                sb.append("; x").append(i).append(" = ").append(Arrays.toString(t.toArray()))
                        .append(" shape ").append(Shapes.str(t.shape()));
            }
            return sb.toString();
        }
    }
}
