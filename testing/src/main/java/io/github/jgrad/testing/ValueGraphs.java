package io.github.jgrad.testing;

import io.github.jgrad.autodiff.GradCheck;
import io.github.jgrad.autodiff.GradMode;
import io.github.jgrad.autodiff.Op;
import io.github.jgrad.autodiff.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Random expression graphs over {@link Value} for property tests: every built-in scalar op, plus any
 * user-defined ones ({@link #with}), and points to evaluate them at.
 *
 * <pre>{@code
 * Property.forAll(ValueGraphs.builtin().cases(4, 12)).tries(3000).check(c -> {
 *     Property.assume(c.isSmooth());
 *     GradCheck.defaults().check(c.graph()::apply, c.point()).orThrow();
 * });
 * }</pre>
 *
 * <p>Ops with a restricted domain get operands inside it by construction: log and sqrt see
 * {@code u*u + 0.25}, a divisor is {@code v*v + 0.5}, a real power's base {@code u*u + 0.5}, and a
 * user op's operands are mapped into its {@link Op#low()}..{@link Op#high()} interval by
 * {@code low + (high - low) * sigmoid(u)}. Ops with a kink (relu, abs, max, min) are applied as they
 * are; {@link Case#isSmooth()} tells whether a point is far enough from every kink, and from large
 * values, for finite differences to mean something there.
 */
public final class ValueGraphs {
    /** Inputs are drawn from [-RANGE, RANGE]. */
    public static final double RANGE = 2;
    /** Kink margin used by {@link Case#isSmooth()}: far above the finite-difference step. */
    public static final double KINK_MARGIN = 1e-3;
    /**
     * Largest |intermediate result| for which {@link Case#isSmooth()} holds. A central difference with
     * step h loses about ulp(|f|) / h to rounding, times the amplification of rounding inside f;
     * at |f| = 1e4 and h = 1e-6 that is already 1e-6 per ulp, the size of a strict absolute tolerance
     * (a property test met exp((x^4 + 0.5)^-3) = 2981 whose difference was off by 2e-6). At 100 it
     * is 1.4e-8 per ulp.
     */
    public static final double MAX_MAGNITUDE = 100;
    private static final double[] CONSTANTS = {-1.5, -1.0, -0.5, 0.5, 2.0, 3.0, 0.1, -3.0};
    private static final double[] EDGE_POINTS = {0, 1, -1, RANGE, -RANGE, 1e-3, -1e-3};
    private static final List<GraphOp<Value>> BUILTIN = List.of(
            binary("add", (a, b) -> a.add(b)),
            binary("sub", (a, b) -> a.sub(b)),
            binary("mul", (a, b) -> a.mul(b)),
            binary("div", (a, b) -> a.div(b.mul(b).add(0.5))),
            unary("neg", Value::neg),
            unary("exp", Value::exp),
            unary("log", a -> a.mul(a).add(0.25).log()),
            unary("sqrt", a -> a.mul(a).add(0.25).sqrt()),
            unary("tanh", Value::tanh),
            unary("sigmoid", Value::sigmoid),
            unary("softplus", Value::softplus),
            unary("sin", Value::sin),
            unary("cos", Value::cos),
            unary("erf", Value::erf),
            new GraphOp<>("relu", 1, 1, false, false, (x, c, k, kinks) -> {
                kinks.at(x.get(0).data());
                return x.get(0).relu();
            }),
            new GraphOp<>("abs", 1, 1, false, false, (x, c, k, kinks) -> {
                kinks.at(x.get(0).data());
                return x.get(0).abs();
            }),
            new GraphOp<>("maximum", 2, 2, false, false, (x, c, k, kinks) -> {
                kinks.at(x.get(0).data() - x.get(1).data());
                return x.get(0).max(x.get(1));
            }),
            new GraphOp<>("minimum", 2, 2, false, false, (x, c, k, kinks) -> {
                kinks.at(x.get(0).data() - x.get(1).data());
                return x.get(0).min(x.get(1));
            }),
            binary("pow", (a, b) -> a.mul(a).add(0.5).pow(b)),
            new GraphOp<>("pow_real", 1, 1, true, false, (x, c, k, kinks) -> x.get(0).mul(x.get(0)).add(0.5).pow(c)),
            new GraphOp<>("pow_int", 1, 1, true, false, (x, c, k, kinks) -> x.get(0).pow(c >= 0 ? 2 : 3)),
            new GraphOp<>("add_const", 1, 1, true, false, (x, c, k, kinks) -> x.get(0).add(c)),
            new GraphOp<>("mul_const", 1, 1, true, false, (x, c, k, kinks) -> x.get(0).mul(c)),
            new GraphOp<>("sum", 2, 6, false, false, (x, c, k, kinks) -> Value.sum(x)),
            new GraphOp<>("dot", 2, 6, false, false, (x, c, k, kinks) -> {
                int half = x.size() / 2;
                return Value.dot(x.subList(0, half), x.subList(half, 2 * half));
            }));

    private final List<GraphOp<Value>> ops;

    private ValueGraphs(List<GraphOp<Value>> ops) {
        this.ops = List.copyOf(ops);
    }

    /** Graphs over every built-in scalar op. */
    public static ValueGraphs builtin() {
        return new ValueGraphs(BUILTIN);
    }

    /**
     * These graphs with user-defined scalar ops added (each drawn as often as each built-in one), so
     * that property tests exercise them composed with everything else. Each operand of a user op is
     * mapped into the op's test domain {@link Op#low()}..{@link Op#high()} first. An op takes as
     * many operands as it has derivative formulas ({@link Op#formulas()}). {@link Case#isSmooth()}
     * knows the kinks of built-in ops only: for an op of your own with kinks (an abs), also discard
     * the cases {@link GradCheck} cannot judge ({@code Property.assume(report.untrusted().isEmpty())}
     * before {@code report.orThrow()}).
     *
     * @throws IllegalArgumentException if an op has no scalar form, or throws when applied to as
     *     many operands as it has derivative formulas
     */
    public ValueGraphs with(Op... userOps) {
        List<GraphOp<Value>> all = new ArrayList<>(ops);
        for (Op op : userOps) {
            Objects.requireNonNull(op, "ValueGraphs.with: an op is null");
            if (op.formulas() == 0 || op.isBuiltin()) {
                throw new IllegalArgumentException("ValueGraphs.with: " + op + " is not a user-defined scalar op"
                        + " (Op.define(...).scalar or .unary)");
            }
            int arity = op.formulas();
            double low = op.low();
            double width = op.high() - op.low();
            try (GradMode.Scope tryIt = GradMode.disabled()) { // once, at the middle of its domain, recording nothing
                Value[] mid = new Value[arity];
                Arrays.fill(mid, Value.of(low + width / 2));
                op.apply(mid);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("ValueGraphs.with: " + op + " applied to " + arity + " operand"
                        + (arity == 1 ? "" : "s") + " (one per derivative formula) threw " + e
                        + "; give it one derivative formula per operand", e);
            }
            all.add(new GraphOp<>(op.name(), arity, arity, false, false, (x, c, k, kinks) -> {
                Value[] in = new Value[x.size()];
                for (int i = 0; i < in.length; i++) {
                    in[i] = x.get(i).sigmoid().mul(width).add(low);
                }
                return op.apply(in);
            }));
        }
        return new ValueGraphs(all);
    }

    /** A graph over exactly {@code inputs} inputs with 1 to {@code maxSteps} steps. */
    public Graph<Value> graph(SplittableRandom random, int inputs, int maxSteps) {
        if (inputs < 1 || maxSteps < 1) {
            throw new IllegalArgumentException("ValueGraphs.graph: need inputs >= 1 and maxSteps >= 1, got "
                    + inputs + ", " + maxSteps);
        }
        return Graph.random(random, inputs, 1 + random.nextInt(maxSteps), ops, CONSTANTS, v -> v.data());
    }

    /**
     * A point of {@code n} coordinates in [-{@value #RANGE}, {@value #RANGE}], each 0 or at least 1e-3
     * in magnitude, one in eight an edge value (0, +-1, +-2, +-1e-3). Tinier coordinates make finite
     * differences, not gradients, wrong: the guarded base u*u + 0.5 keeps only about 4 digits of
     * u*u = 1e-12.
     */
    public static double[] point(SplittableRandom random, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            if (random.nextInt(8) == 0) {
                x[i] = EDGE_POINTS[random.nextInt(EDGE_POINTS.length)];
            } else {
                double v = Math.round(random.nextDouble(-RANGE, RANGE) * 1e6) / 1e6;
                x[i] = Math.abs(v) < 1e-3 ? 0 : v;
            }
        }
        return x;
    }

    /** Cases of 1 to {@code maxInputs} inputs and 1 to {@code maxSteps} steps, with their shrinker. */
    public Generator<Case> cases(int maxInputs, int maxSteps) {
        if (maxInputs < 1) {
            throw new IllegalArgumentException("ValueGraphs.cases: need maxInputs >= 1, got " + maxInputs);
        }
        return Generator.of(r -> {
            int n = 1 + r.nextInt(maxInputs);
            return new Case(graph(r, n, maxSteps), point(r, n));
        }, ValueGraphs::shrink);
    }

    /** Smaller cases: a smaller graph, an input fewer, simpler coordinates. */
    static List<Case> shrink(Case c) {
        List<Case> out = new ArrayList<>();
        for (Graph<Value> g : c.graph.shrinks()) {
            out.add(new Case(g, c.point));
        }
        for (int i = 0; i < c.graph.inputs() && c.graph.inputs() > 1; i++) {
            if (!c.graph.reads(i)) {
                double[] p = new double[c.point.length - 1];
                System.arraycopy(c.point, 0, p, 0, i);
                System.arraycopy(c.point, i + 1, p, i, p.length - i);
                out.add(new Case(c.graph.withoutInput(i), p));
            }
        }
        for (int i = 0; i < c.point.length; i++) {
            for (double simpler : new double[] {0, 1, Math.round(c.point[i] * 10) / 10.0}) {
                if (simpler != c.point[i] && Math.abs(simpler) <= Math.abs(c.point[i])) {
                    double[] p = c.point.clone();
                    p[i] = simpler;
                    out.add(new Case(c.graph, p));
                }
            }
        }
        return out;
    }

    private static GraphOp<Value> unary(String name, java.util.function.UnaryOperator<Value> f) {
        return new GraphOp<>(name, 1, 1, false, false, (x, c, k, kinks) -> f.apply(x.get(0)));
    }

    private static GraphOp<Value> binary(String name, java.util.function.BinaryOperator<Value> f) {
        return new GraphOp<>(name, 2, 2, false, false, (x, c, k, kinks) -> f.apply(x.get(0), x.get(1)));
    }

    /** A graph and a point to evaluate it at. */
    public static final class Case {
        private final Graph<Value> graph;
        private final double[] point;

        Case(Graph<Value> graph, double[] point) {
            this.graph = graph;
            this.point = point.clone();
        }

        /** The graph. */
        public Graph<Value> graph() {
            return graph;
        }

        /** The point (a copy). */
        public double[] point() {
            return point.clone();
        }

        /** Whether finite differences mean something here: see {@link Graph#isSmoothAt}. */
        public boolean isSmooth() {
            return graph.isSmoothAt(Value.of(point), KINK_MARGIN, MAX_MAGNITUDE);
        }

        @Override
        public String toString() {
            return graph + " at " + Arrays.toString(point);
        }
    }
}
