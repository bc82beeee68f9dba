package io.github.jgrad.autodiff;

import io.github.jgrad.autodiff.internal.Shapes;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * An operation on the tape, identified by this object (never by its name): every {@link Value} and
 * {@link Tensor} records the op that computed it ({@link Value#op()}, {@link Tensor#op()}).
 *
 * <p>An op carries what explain reports, drawings, documentation and the tests need to know about it:
 * its {@link #name()} ({@code "mul"}: generated names such as {@code mul1} use it), a {@link #symbol()}
 * for drawings ({@code "*"}), the formula of its local derivative with respect to each operand for
 * scalars ({@link #derivative(int)}, in the operands {@code a}, {@code b} and the result {@code out})
 * and its backward rule for tensors ({@link #rule(int)}, in the incoming gradient {@code g} too), what
 * it does at its edge points ({@link #edges()}), and the interval the tests draw its inputs from
 * ({@link #low()}, {@link #high()}).
 *
 * <p><b>Built-in ops</b> ({@link #builtins()}) are defined one per place, forward and backward side by
 * side with their key, in the package's op files (for example {@code UnaryOps}); the reference's
 * derivatives table is generated from them and a test keeps the two equal.
 *
 * <p><b>User-defined ops</b> go through the same mechanism (as {@code torch.autograd.Function} and
 * {@code jax.custom_vjp}): a forward and a backward written with tensor operations, so gradients of
 * gradients work, and one backward rule per input for explain reports.
 *
 * <pre>{@code
 * // softplus(x) = log(1 + e^x), stable for large |x|; d/dx = sigmoid(x)
 * Op softplus = Op.define("softplus")
 *         .tensor(in -> in[0].maximum(0).add(in[0].abs().neg().exp().log1p()),
 *                 (g, out, in) -> new Tensor[] {g.mul(in[0].sigmoid())})
 *         .rule("g * sigmoid(a)")
 *         .unary(x -> Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
 *                (x, out) -> 1 / (1 + Math.exp(-x)))
 *         .derivative("sigmoid(a)")
 *         .build();
 * Tensor y = softplus.apply(Tensor.of(new double[] {-1, 0, 30}).requiresGrad(true));
 * Value v = softplus.apply(Value.of(2.0));
 * }</pre>
 *
 * <p>A user op's result gets what a built-in's gets: its backward's gradients are checked against the
 * inputs' shapes (an error names the op, the input and both shapes), anomaly mode checks its results
 * and gradients, explain reports and GraphViz name it and its rules, {@link GradCheck} checks it, and
 * backward refuses a graph whose inputs were changed in place after the op read them.
 *
 * <p><b>Derivatives at a zero gradient.</b> The chain rule multiplies each formula by the gradient
 * arriving at the op, with one convention PyTorch does not have: a zero gradient sends back exactly
 * zero, even where the formula is infinite or NaN (sqrt at 0, log at 0, 1/b at b = 0), that is
 * 0 * inf = 0 * NaN = 0. It is what makes masks work: a branch that {@code Tensor.where} does not
 * select, or a value multiplied by 0, gets gradient 0 and cannot turn its inputs' gradients into NaN
 * (d/dx of 0 * sqrt(x) at 0 is 0; PyTorch: NaN). The rule is applied to the gradient, not to the
 * local derivative: a zero local derivative times an infinite gradient is still NaN, which second
 * derivatives can meet (the mixed derivative of 0 * y * sqrt(x) at x = 0 is NaN; through
 * {@code where} it is 0). The price: 0 * inf is an indeterminate form, and where the true derivative
 * is the limit of such a product the convention gives 0 instead of NaN. sqrt(x)^2 at x = 0 meets
 * 2 sqrt(0) = 0 times sqrt'(0) = inf and gets 0, not its true derivative 1. Only exact zeros times
 * non-finite local derivatives are affected; every finite product is computed as IEEE 754 says.
 * A user op's backward that multiplies with {@code g.mul} does not keep this rule (0 * inf is NaN
 * there): write its masks with {@link Tensor#where}.
 */
public final class Op {
    private static final List<Op> BUILTINS = Collections.synchronizedList(new ArrayList<>());
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    /** The files that define the built-in ops, in the order {@link #builtins()} lists them. */
    private static final List<Class<?>> OP_FILES = List.of(ArithmeticOps.class, UnaryOps.class,
            ReduceOps.class, ProductOps.class, LayoutOps.class, ChainOps.class);

    /** A value or tensor made by the user (or a constant operand): it has no parents. */
    public static final Op LEAF = new Builder("leaf", false).symbol("leaf").build();


    private final String name;
    private final String symbol;
    private final String[] derivatives;
    private final String[] rules;
    private final String edges;
    private final boolean readsOutput;
    private final boolean chainRule;
    private final boolean broadcasts;
    private final double low;
    private final double high;
    private final boolean builtin;
    private final int sequence;
    /** The file that defines a built-in op; null for user ops and leaves. */
    private final Class<?> file;
    private final TensorForward tensorForward;
    private final TensorBackward tensorBackward;
    private final ScalarForward scalarForward;
    private final ScalarDerivatives scalarDerivatives;

    private Op(Builder b) {
        this.name = b.name;
        this.symbol = b.symbol == null ? b.name : b.symbol;
        this.derivatives = b.derivatives;
        this.rules = b.rules;
        this.edges = b.edges;
        this.readsOutput = b.readsOutput || !b.builtin && b.tensorBackward != null; // a user backward is given out
        this.chainRule = b.chainRule;
        this.broadcasts = b.broadcasts;
        this.low = b.low;
        this.high = b.high;
        this.builtin = b.builtin;
        this.sequence = SEQUENCE.getAndIncrement();
        this.file = b.file;
        this.tensorForward = b.tensorForward;
        this.tensorBackward = b.tensorBackward;
        this.scalarForward = b.scalarForward;
        this.scalarDerivatives = b.scalarDerivatives;
    }

    /**
     * Starts the definition of a user op named {@code name} (used in explain reports and drawings;
     * the op object, not its name, identifies it, so names may repeat).
     *
     * @throws IllegalArgumentException if the name is blank
     */
    public static Builder define(String name) {
        Objects.requireNonNull(name, "Op.define: name is null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("Op.define: the name is blank; it appears in explain reports");
        }
        return new Builder(name, false);
    }

    /** A built-in op's builder; {@link Builder#build()} registers it in {@link #builtins()}. */
    static Builder builtin(String name) {
        Builder b = new Builder(name, true);
        b.file = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).getCallerClass();
        return b;
    }

    /**
     * Every built-in primitive of the scalar and tensor engines, in the order the reference's
     * derivatives table lists them (compositions such as mean are not primitives).
     */
    public static List<Op> builtins() {
        List<Op> all;
        try {
            for (Class<?> file : OP_FILES) {
                MethodHandles.lookup().ensureInitialized(file);
            }
        } catch (IllegalAccessException e) {
            throw new AssertionError(e);
        }
        synchronized (BUILTINS) {
            all = new ArrayList<>(BUILTINS);
        }
        all.sort(Comparator.<Op>comparingInt(op -> OP_FILES.indexOf(op.file)).thenComparingInt(op -> op.sequence));
        return Collections.unmodifiableList(all);
    }

    /** The op's name, such as {@code "mul"}; generated names in explain reports add a counter ({@code mul1}). */
    public String name() {
        return name;
    }

    /** The short name used in drawings of scalar graphs, such as {@code "*"} or {@code "tanh"}. */
    public String symbol() {
        return symbol;
    }

    /**
     * Formula {@code i} of the op's local derivatives for scalars, in the operand names {@code a},
     * {@code b} (n-ary ops: {@code a_i}, {@code b_i}) and the result {@code out}: formula i is the
     * derivative with respect to operand i, except for n-ary ops, whose operands share one formula
     * ({@code sum}) or two ({@code dot}: 0 for the a_i, 1 for the b_i).
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= i < formulas()}
     */
    public String derivative(int i) {
        return derivatives[i];
    }

    /** Number of distinct scalar derivative formulas: 0 for leaves and tensor-only ops. */
    public int formulas() {
        return derivatives.length;
    }

    /**
     * The tensor backward rule for input {@code i}, in {@code g} (the incoming gradient), {@code a},
     * {@code b} (the inputs) and {@code out}; ops of any number of inputs (concat) share their last rule.
     *
     * @throws IndexOutOfBoundsException if {@code i < 0} or the op has no tensor rule
     */
    public String rule(int i) {
        if (rules.length == 0) {
            throw new IndexOutOfBoundsException(name + " has no tensor backward rule");
        }
        return rules[Math.min(Objects.checkIndex(i, Integer.MAX_VALUE), rules.length - 1)];
    }

    /** Number of tensor backward rules: one per input (the last shared by any further inputs); 0 for scalar-only ops. */
    public int rules() {
        return rules.length;
    }

    /** What the op does at its edge points (kinks, ties, zeros, infinities), as documented; may be empty. */
    public String edges() {
        return edges;
    }

    /**
     * Whether the tensor backward reads the op's own result (exp, tanh, sqrt, div, ...); true for every
     * user-defined tensor op, whose backward is given it: a result changed in place before backward
     * (through a detach() sharing its data) is then refused, never differentiated with the new numbers.
     */
    public boolean readsOutput() {
        return readsOutput;
    }

    /**
     * Whether the op is a product the chain rule forms in backward passes (chain, chainDiv, the fused
     * backwards): anomaly mode reports its non-finite values as the incoming gradient times the local
     * derivative, not as the op's own.
     */
    boolean chainRule() {
        return chainRule;
    }

    /** Whether the tensor op broadcasts its inputs (its gradients are summed back to each input's shape). */
    public boolean broadcasts() {
        return broadcasts;
    }

    /** Lower end of the interval the tests draw this op's inputs from. */
    public double low() {
        return low;
    }

    /** Upper end of the interval the tests draw this op's inputs from. */
    public double high() {
        return high;
    }

    /** Whether this is one of jgrad's own ops ({@link #builtins()}), not a user-defined one. */
    public boolean isBuiltin() {
        return builtin;
    }

    /**
     * Applies a user-defined tensor op: runs its forward (recording nothing), then records the result
     * with its backward if grad mode is on and an input requires a gradient.
     *
     * @throws IllegalStateException if the op defines no tensor forward (built-in ops are applied
     *     through their {@link Tensor} methods), or if the forward changed an input in place while
     *     the result is recorded (its backward would read the changed values)
     * @throws IllegalArgumentException if the number of inputs is not the number of rules, or the
     *     forward returns null
     */
    public Tensor apply(Tensor... inputs) {
        if (tensorForward == null) {
            throw new IllegalStateException(name + ": this op defines no tensor forward"
                    + (builtin ? " (a built-in op: call it through Tensor's methods)" : " (Op.Builder.tensor)"));
        }
        Tensor[] in = inputs.clone();
        if (in.length != rules.length) {
            throw new IllegalArgumentException(name + ": " + in.length + " inputs given, but the op has "
                    + rules.length + " backward rules (one per input)");
        }
        int[] versions = new int[in.length];
        boolean tracked = false;
        for (int i = 0; i < in.length; i++) {
            versions[i] = Objects.requireNonNull(in[i], name + ": input " + i + " is null").version();
            tracked |= in[i].requiresGrad;
        }
        tracked &= GradMode.isEnabled();
        Tensor out;
        try (GradMode.Scope ignored = GradMode.disabled()) {
            out = tensorForward.apply(in.clone());
        }
        if (out == null) {
            throw new IllegalArgumentException(name + ": the forward returned null");
        }
        for (int i = 0; tracked && i < in.length; i++) { // versions are recorded after the forward: check it here
            if (in[i].version() != versions[i]) {
                throw new IllegalStateException(name + ": the forward changed input " + i + " (shape "
                        + Shapes.str(in[i].shape) + ") in place, so the backward would read the changed values;"
                        + " compute into a new tensor instead");
            }
        }
        Tensor.Backward backward = (g, r) -> tensorBackward.apply(g, r, in.clone());
        Tensor result = out.dtype() == DType.FLOAT32 ? Autograd.record(this, out.floats(), out.shape, backward, in)
                : Autograd.record(DType.FLOAT64, this, out.data(), out.shape, backward, in);
        result.storage = out.storage(); // one storage per array: versions and Workspace reclaiming reach both
        result.versionAtCreation = result.version(); // a fresh result filled by copyFrom has version 1
        return result;
    }

    /**
     * Applies a user-defined scalar op: computes its value and local derivatives and records them.
     *
     * @throws IllegalStateException if the op defines no scalar forward
     * @throws IllegalArgumentException if the operands are not one per derivative formula, or the
     *     derivatives function returns other than one per operand
     */
    public Value apply(Value... operands) {
        if (scalarForward == null) {
            throw new IllegalStateException(name + ": this op defines no scalar forward"
                    + (builtin ? " (a built-in op: call it through Value's methods)" : " (Op.Builder.scalar)"));
        }
        Value[] in = operands.clone();
        if (in.length != derivatives.length) { // before the forward runs on an array of another length
            throw new IllegalArgumentException(name + ": " + in.length + " operands given, but the op has "
                    + derivatives.length + " derivative formulas (one per operand)");
        }
        double[] x = new double[in.length];
        for (int i = 0; i < in.length; i++) {
            x[i] = Objects.requireNonNull(in[i], name + ": operand " + i + " is null").data();
        }
        double out = scalarForward.apply(x.clone());
        double[] d = scalarDerivatives.apply(x, out);
        if (d == null || d.length != in.length) {
            throw new IllegalArgumentException(name + ": the derivatives function returned "
                    + (d == null ? "null" : d.length + " derivatives") + " for " + in.length + " operands");
        }
        return Value.record(this, out, in, d.clone());
    }

    @Override
    public String toString() {
        return name;
    }

    /** A user op's forward on tensors: the result's values, computed from the inputs' values. */
    @FunctionalInterface
    public interface TensorForward {
        /** The result; runs with grad mode off, so nothing it computes is recorded. */
        Tensor apply(Tensor[] inputs);
    }

    /** A user op's backward on tensors, written with tensor operations so that it can be differentiated again. */
    @FunctionalInterface
    public interface TensorBackward {
        /**
         * The gradient for each input (null where none is needed), each of its input's shape, from
         * {@code g}, the gradient arriving at the result {@code out}.
         */
        Tensor[] apply(Tensor g, Tensor out, Tensor[] inputs);
    }

    /** A user op's forward on scalars. */
    @FunctionalInterface
    public interface ScalarForward {
        /** The result from the operands' values. */
        double apply(double[] x);
    }

    /** A user op's local derivatives on scalars. */
    @FunctionalInterface
    public interface ScalarDerivatives {
        /** d out / d x[i] for each operand, from the operands' values and the result. */
        double[] apply(double[] x, double out);
    }

    /** Defines an op; see {@link Op}. */
    public static final class Builder {
        private final String name;
        private final boolean builtin;
        private Class<?> file;
        private String symbol;
        private String[] derivatives = {};
        private String[] rules = {};
        private String edges = "";
        private boolean readsOutput;
        private boolean chainRule;
        private boolean broadcasts;
        private double low = -2;
        private double high = 2;
        private TensorForward tensorForward;
        private TensorBackward tensorBackward;
        private ScalarForward scalarForward;
        private ScalarDerivatives scalarDerivatives;

        private Builder(String name, boolean builtin) {
            this.name = name;
            this.builtin = builtin;
        }

        /** The short name for drawings of scalar graphs (default: the name). */
        public Builder symbol(String symbol) {
            this.symbol = Objects.requireNonNull(symbol, () -> name + ": symbol is null");
            return this;
        }

        /** The formulas of the scalar local derivatives, one per operand, in {@code a}, {@code b} and {@code out}. */
        public Builder derivative(String... formulas) {
            this.derivatives = formulas("derivative", formulas);
            return this;
        }

        /** A copy of {@code formulas}, none of them null. */
        private String[] formulas(String method, String[] formulas) {
            String[] copy = Objects.requireNonNull(formulas, () -> name + ": " + method + " formulas are null").clone();
            for (int i = 0; i < copy.length; i++) {
                Objects.requireNonNull(copy[i], name + ": " + method + " formula " + i + " is null");
            }
            return copy;
        }

        /** The tensor backward rules, one per input, in {@code g}, {@code a}, {@code b} and {@code out}. */
        public Builder rule(String... perInput) {
            this.rules = formulas("rule", perInput);
            return this;
        }

        /** What the op does at its edge points, for the documentation. */
        public Builder edges(String text) {
            this.edges = Objects.requireNonNull(text, () -> name + ": edges is null");
            return this;
        }

        /**
         * The interval tests draw the op's inputs from (default [-2, 2]): finite, and narrower than the
         * largest double, as tests map numbers into it by {@code low + (high - low) * s}.
         */
        public Builder domain(double low, double high) {
            if (!(low < high) || !Double.isFinite(high - low)) {
                throw new IllegalArgumentException(name + ": domain needs finite low < high, high - low finite too, got "
                        + low + ", " + high);
            }
            this.low = low;
            this.high = high;
            return this;
        }

        /** The tensor forward and backward of a user op; see {@link Op#apply(Tensor...)}. */
        public Builder tensor(TensorForward forward, TensorBackward backward) {
            this.tensorForward = Objects.requireNonNull(forward, () -> name + ": forward is null");
            this.tensorBackward = Objects.requireNonNull(backward, () -> name + ": backward is null");
            return this;
        }

        /** The scalar forward and local derivatives of a user op; see {@link Op#apply(Value...)}. */
        public Builder scalar(ScalarForward forward, ScalarDerivatives derivatives) {
            this.scalarForward = Objects.requireNonNull(forward, () -> name + ": forward is null");
            this.scalarDerivatives = Objects.requireNonNull(derivatives, () -> name + ": derivatives is null");
            return this;
        }

        /** A unary scalar op: its value f(a) and its derivative f'(a) from a and out. */
        public Builder unary(DoubleUnaryOperator forward, DoubleBinaryOperator derivative) {
            Objects.requireNonNull(forward, () -> name + ": forward is null");
            Objects.requireNonNull(derivative, () -> name + ": derivative is null");
            return scalar(x -> {
                if (x.length != 1) {
                    throw new IllegalArgumentException(name + ": a unary op applied to " + x.length + " operands");
                }
                return forward.applyAsDouble(x[0]);
            }, (x, out) -> new double[] {derivative.applyAsDouble(x[0], out)});
        }

        Builder readsOutput() {
            this.readsOutput = true;
            return this;
        }

        Builder chainRule() {
            this.chainRule = true;
            return this;
        }

        Builder broadcasts() {
            this.broadcasts = true;
            return this;
        }

        /**
         * The op.
         *
         * @throws IllegalStateException if a forward is defined without what explain reports need:
         *     a tensor forward without rules, or a scalar forward without derivative formulas
         */
        public Op build() {
            if (tensorForward != null && rules.length == 0) {
                throw new IllegalStateException(name + ": a tensor op needs a backward rule per input (rule(...)),"
                        + " which explain reports show");
            }
            if (scalarForward != null && derivatives.length == 0) {
                throw new IllegalStateException(name + ": a scalar op needs a derivative formula per operand"
                        + " (derivative(...)), which explain reports show");
            }
            Op op = new Op(this);
            if (builtin) {
                BUILTINS.add(op);
            }
            return op;
        }
    }

}
