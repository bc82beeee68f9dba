package io.github.jgrad.autodiff;

import io.github.jgrad.autodiff.internal.ChainRule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.WeakHashMap;
import org.apache.commons.numbers.gamma.Erf;

/**
 * A scalar on the tape: a double, its gradient, and how it was computed.
 *
 * <pre>{@code
 * Value a = Value.of(-4.0).label("a");
 * Value b = Value.of(2.0).label("b");
 * Value c = a.mul(b).add(b.pow(3));   // c = a*b + b^3
 * c.backward();
 * a.grad();                            // dc/da = b = 2
 * b.grad();                            // dc/db = a + 3b^2 = 8
 * }</pre>
 *
 * <p>Every operation returns a new {@code Value} that records its parents and the local derivative
 * with respect to each of them, computed right beside the forward result (the formulas are listed in
 * {@link Op}). {@link #backward()} then applies the chain rule once per node.
 *
 * <p><b>The tape.</b> Each computed value is one object of 64 bytes on a default JVM (its operands
 * and local derivatives inline) and is appended to its thread's tape, which lists values in the
 * order they were computed: backward sweeps that list in reverse from the output, with no graph
 * search and no recursion, and then empties it for the next graph, so a build-backward-update loop
 * reuses one tape without any call from the user. A graph can be differentiated as long as its
 * output is held: a graph the tape no longer lists (differentiated a second time, built in an
 * earlier step or on another thread, longer than the tape) is ordered by an iterative depth-first
 * search instead. Nothing is freed while reachable, so no value ever becomes unusable; a graph
 * dropped without a backward pass is released by the thread's next backward pass, or once the tape
 * is full (2^20 values and operands of sums and dots, about 64 MB, and their labels if they have
 * some, about as much again; a thread that differentiated a longer graph grows its tape to hold
 * it, so that its next graph of that size is swept, not searched). A thread that never
 * differentiates keeps the values its tape lists alive, and with them everything they were computed
 * from: one graph longer than the tape (a chain of millions of values) stays reachable through its
 * last values, however long. Evaluate inside
 * {@link GradMode#disabled()} to keep nothing.
 *
 * <p><b>Gradients.</b> A backward pass recomputes the gradients of interior nodes and adds to the
 * gradients of leaves, so calling {@code backward()} on several outputs sums their gradients into the
 * leaves, as in PyTorch; {@link #zeroGrad()} resets a leaf. Operands that are plain doubles become
 * constant leaves.
 *
 * <p><b>Domain errors and NaN.</b> Results follow IEEE 754 and NumPy/PyTorch: {@code log} of a
 * negative number and {@code sqrt} of a negative number are NaN, {@code log(0)} is -Infinity,
 * {@code 0^-1} is +Infinity; nothing throws by default. To find the operation that produced the first
 * NaN, call {@link #firstNonFinite()} on a result, or open an {@link Anomaly#detect()} scope, under
 * which the offending operation throws at once, naming itself and its operands. In backward, a
 * zero gradient sends back zero even through an infinite or NaN local derivative (see {@link Op}).
 *
 * <p><b>Grad mode.</b> Inside a {@link GradMode#disabled()} scope nothing is recorded: results are
 * leaves holding their numbers, kept on no tape, as PyTorch's under {@code no_grad} (for evaluating a
 * model without keeping its graph).
 *
 * <p><b>Threads.</b> Values are not thread-safe. Each thread records on a tape of its own, so graphs
 * that share no value may be built and differentiated on different threads at once. Several threads
 * may build graphs from shared values (only their data is read), but {@link #backward()} writes the
 * gradient of every value it reaches, leaves and inputs included (there is no "requires grad" to
 * exempt a read-only input), so graphs that share any value must be differentiated by one thread at
 * a time, and no thread may call {@link #setData} on a value that another thread is reading.
 */
public final class Value {
    /** {@link #index} of a leaf made by {@link #of}. */
    static final int LEAF = -1;
    /** {@link #index} of a constant operand (the 2 in {@code x.mul(2)}). */
    static final int CONSTANT = -2;
    private static final Value[] NO_OPERANDS = {};
    /** Labels live beside the values (few values have one), keeping a value at 64 bytes. */
    private static final Map<Value, String> LABELS = Collections.synchronizedMap(new WeakHashMap<>());

    double data;
    double grad;
    /** d this / d a and d this / d b, written by the op that computed this value. */
    final double da;
    final double db;
    /** The first operand; null for leaves and for ops of more than two operands. */
    final Value a;
    /**
     * The second operand (a {@code Value}), the operands of a dot product ({@link DotOperands}) or of
     * another n-ary op ({@link Operands}), or null.
     */
    final Object b;
    final Op op;
    /** Where this value is on the tape of the thread that computed it; {@link #LEAF} or {@link #CONSTANT}. */
    final int index;
    /** The last pass of {@link ValueTape} that reached this value. */
    int stamp;

    /** A leaf or constant: an input, not an op's result, so anomaly mode does not check it (as tensors). */
    private Value(double data, Op op, int kind) {
        this.data = data;
        this.op = op;
        this.a = null;
        this.b = null;
        this.da = 0;
        this.db = 0;
        this.index = kind;
    }

    private Value(Op op, double data, Value a, Object b, double da, double db, ValueTape tape) {
        this.data = data;
        this.op = op;
        this.a = a;
        this.b = b;
        this.da = da;
        this.db = db;
        this.index = tape.record(this);
        if (!Double.isFinite(data) && Anomaly.isEnabled()) {
            throw new NonFiniteException(describeNonFinite(data, op, operands()));
        }
    }

    /** A new leaf holding {@code data}, with gradient 0. */
    public static Value of(double data) {
        return new Value(data, Op.LEAF, LEAF);
    }

    /** A new labelled leaf; the label appears in graph drawings and gradient-check reports. */
    public static Value of(double data, String label) {
        return of(data).label(label);
    }

    /** New leaves, one per number. */
    public static List<Value> of(double... data) {
        List<Value> values = new ArrayList<>(data.length);
        for (double d : data) {
            values.add(of(d));
        }
        return values;
    }

    static Value constant(double c) {
        return new Value(c, Op.LEAF, CONSTANT);
    }

    /**
     * The one way a result enters the scalar tape, for built-in and user-defined ops alike: a value
     * computed by {@code op} from {@code parents}, with d out / d parents[i] = {@code partials[i]}
     * (all 1, a sum's, where {@code partials} is null).
     */
    static Value record(Op op, double out, Value[] parents, double[] partials) {
        ValueTape tape = ValueTape.current();
        if (!tape.recording() || parents.length == 0) { // an op of no operands: a number, as a leaf
            return unrecorded(parents.length == 0 ? op : Op.LEAF, op, out, () -> parents);
        }
        switch (parents.length) {
            case 1: return new Value(op, out, parents[0], null, partials == null ? 1 : partials[0], 0, tape);
            case 2: return new Value(op, out, parents[0], parents[1], partials == null ? 1 : partials[0],
                    partials == null ? 1 : partials[1], tape);
            default: return new Value(op, out, null, new Operands(parents, partials), 0, 0, tape);
        }
    }

    /** The dot product {@code out} of runs {@code a} and {@code b}, recorded on {@code tape}. */
    static Value recordDot(Op op, double out, ValueTape.Run a, ValueTape.Run b, ValueTape tape) {
        return new Value(op, out, null, new DotOperands(a, b), 0, 0, tape);
    }

    /** op(a), recorded unless grad mode is off on this thread (then a leaf holding {@code out}). */
    static Value unary(Op op, Value a, double out, double da) {
        ValueTape tape = ValueTape.current();
        return tape.recording() ? new Value(op, out, a, null, da, 0, tape)
                : unrecorded(Op.LEAF, op, out, () -> new Value[] {a});
    }

    /** op(a, b), recorded unless grad mode is off on this thread (then a leaf holding {@code out}). */
    static Value binary(Op op, Value a, Value b, double out, double da, double db) {
        ValueTape tape = ValueTape.current();
        return tape.recording() ? new Value(op, out, a, b, da, db, tape)
                : unrecorded(Op.LEAF, op, out, () -> new Value[] {a, b});
    }

    /**
     * The result {@code out} of {@code computedBy} as a leaf of op {@code kind}, not recorded (grad mode
     * off, or an op of no operands); in anomaly mode checked as a recorded result is, naming the op
     * and its operands.
     */
    static Value unrecorded(Op kind, Op computedBy, double out, java.util.function.Supplier<Value[]> operands) {
        if (!Double.isFinite(out) && Anomaly.isEnabled()) {
            throw new NonFiniteException(describeNonFinite(out, computedBy, operands.get()));
        }
        return new Value(out, kind, LEAF);
    }

    /**
     * A dot product's operands: two runs of equal length, shared with other dot products over the same
     * values (a neuron's weights in every step, a layer's inputs in every neuron of the next layer);
     * d result / d a_i is b's recorded data_i and d result / d b_i is a's.
     */
    static final class DotOperands {
        final ValueTape.Run a;
        final ValueTape.Run b;

        DotOperands(ValueTape.Run a, ValueTape.Run b) {
            this.a = a;
            this.b = b;
        }
    }

    /** The operands and local derivatives of an op of more than two operands. */
    static final class Operands {
        final Value[] values;
        /** The local derivatives; null where they are all 1 (a sum). */
        final double[] partials;

        Operands(Value[] values, double[] partials) {
            this.values = values;
            this.partials = partials;
        }
    }

    // ---------------------------------------------------------------- binary ops

    private static Value operand(String op, Value b) {
        return Objects.requireNonNull(b, () -> op + ": b is null");
    }

    /** this + b. */
    public Value add(Value b) {
        return ArithmeticOps.add(this, operand("add", b));
    }

    /** this - b. */
    public Value sub(Value b) {
        return ArithmeticOps.sub(this, operand("sub", b));
    }

    /** this * b. */
    public Value mul(Value b) {
        return ArithmeticOps.mul(this, operand("mul", b));
    }

    /**
     * this / b. Division by zero follows IEEE 754: 1/0 = +inf, -1/0 = -inf, 0/0 = NaN; the derivatives
     * 1/b and -(this/b)/b are then +inf and -inf (NaN where this is 0 too).
     */
    public Value div(Value b) {
        return ArithmeticOps.div(this, operand("div", b));
    }

    /**
     * this ^ b, as C99's {@code pow} and NumPy: 0^0 = 1, 1^y = 1 even for NaN y, (-1)^(+-inf) = 1, a
     * negative base with a fractional exponent is NaN. The
     * derivative with respect to the base is b * this^(b-1), and 0 where b = 0 (so 0^0 has derivative
     * 0; 0^0.5 has +inf). With respect to the exponent it is this^b * ln(this): 0 where this = 0 and
     * b &gt;= 0, NaN where this &lt; 0 even for integer b (as in PyTorch). It is not computed for
     * constant exponents, so {@code x.pow(3)} at x = -2 has derivative 12 and nothing NaN.
     */
    public Value pow(Value b) {
        return ArithmeticOps.pow(this, operand("pow", b));
    }

    /**
     * The larger of this and b; at a tie each receives half the gradient. NaN if either is NaN, and
     * then each receives the whole gradient (as PyTorch), whichever operand is NaN.
     */
    public Value max(Value b) {
        return ArithmeticOps.max(this, operand("max", b));
    }

    /** The smaller of this and b; ties and NaN as {@link #max(Value)}. */
    public Value min(Value b) {
        return ArithmeticOps.min(this, operand("min", b));
    }

    /** this + c. */
    public Value add(double c) {
        return add(constant(c));
    }

    /** this - c. */
    public Value sub(double c) {
        return sub(constant(c));
    }

    /** this * c. */
    public Value mul(double c) {
        return mul(constant(c));
    }

    /** this / c. */
    public Value div(double c) {
        return div(constant(c));
    }

    /** this ^ c. At c = 0 the derivative is 0 everywhere, including at this = 0. */
    public Value pow(double c) {
        return pow(constant(c));
    }

    /** max(this, c); see {@link #max(Value)}. (On a tensor, {@code max(int)} reduces an axis: use {@code maximum}.) */
    public Value max(double c) {
        return max(constant(c));
    }

    /** min(this, c); see {@link #min(Value)}. */
    public Value min(double c) {
        return min(constant(c));
    }

    // ---------------------------------------------------------------- unary ops

    /** -this. */
    public Value neg() {
        return UnaryOps.neg(this);
    }

    /** e^this. */
    public Value exp() {
        return UnaryOps.exp(this);
    }

    /**
     * Natural logarithm: NaN for negative numbers, -Infinity at 0. The derivative 1/this is applied as
     * is: +inf at 0, and -1 at -1 although log(-1) is NaN (as PyTorch).
     */
    public Value log() {
        return UnaryOps.log(this);
    }

    /** Square root: NaN for negative numbers; the derivative at 0 is +Infinity. */
    public Value sqrt() {
        return UnaryOps.sqrt(this);
    }

    /** Hyperbolic tangent. */
    public Value tanh() {
        return UnaryOps.tanh(this);
    }

    /** Logistic sigmoid 1 / (1 + e^-this), computed without overflow for large |this|. */
    public Value sigmoid() {
        return UnaryOps.sigmoid(this);
    }

    /** log(1 + e^this), stable for any value; its derivative is sigmoid(this). */
    public Value softplus() {
        return UnaryOps.softplus(this);
    }

    /** max(0, this); the derivative at 0 is 0. */
    public Value relu() {
        return UnaryOps.relu(this);
    }

    /** Sine. */
    public Value sin() {
        return UnaryOps.sin(this);
    }

    /** Cosine. */
    public Value cos() {
        return UnaryOps.cos(this);
    }

    /** Absolute value; the derivative at 0 is 0. */
    public Value abs() {
        return UnaryOps.abs(this);
    }

    /**
     * The error function erf(this) = 2/sqrt(pi) * integral from 0 to this of e^(-t^2) dt, accurate to
     * about 1 ulp (Apache Commons Numbers' {@code Erf}); its derivative is 2/sqrt(pi) * e^(-this^2).
     */
    public Value erf() {
        return UnaryOps.erf(this);
    }

    // ---------------------------------------------------------------- n-ary ops

    /** The sum of {@code values} as one node (no chain of additions); 0 for an empty list. */
    public static Value sum(List<Value> values) {
        return ReduceOps.sum(Objects.requireNonNull(values, "sum: values is null"));
    }

    /** The sum of {@code values} as one node. */
    public static Value sum(Value... values) {
        return sum(Arrays.asList(Objects.requireNonNull(values, "sum: values is null")));
    }

    /**
     * The dot product a_0*b_0 + ... + a_(n-1)*b_(n-1) as one node, as a neuron's weighted sum needs.
     * Each list's values and their data are recorded as they are now; products over the same list
     * object share one such record while it holds the same values with the same data (so a neuron's
     * weights are copied once per step, not once per input point).
     *
     * @throws IllegalArgumentException if the lists differ in length
     */
    public static Value dot(List<Value> a, List<Value> b) {
        return ReduceOps.dot(Objects.requireNonNull(a, "dot: a is null"), Objects.requireNonNull(b, "dot: b is null"));
    }

    // ---------------------------------------------------------------- the tape

    /**
     * Computes d this / d node for every node this value depends on: interior gradients are set,
     * leaf gradients are added to (see the class comment). Works on graphs of any depth.
     */
    public void backward() {
        ValueTape.backward(this);
    }

    /** Whether this value was computed by an op from operands (not a leaf or a constant). */
    boolean interior() {
        return index >= 0;
    }

    /** How many operands this value was computed from. */
    int operandCount() {
        if (a != null) {
            return b != null ? 2 : 1;
        }
        if (b instanceof DotOperands) {
            return 2 * ((DotOperands) b).a.values.length;
        }
        return b != null ? ((Operands) b).values.length : 0;
    }

    /** Operand {@code i}. */
    Value operand(int i) {
        if (a != null) {
            return i == 0 ? a : (Value) b;
        }
        if (b instanceof DotOperands) {
            DotOperands d = (DotOperands) b;
            int n = d.a.values.length;
            return i < n ? d.a.values[i] : d.b.values[i - n];
        }
        return ((Operands) b).values[i];
    }

    /** d this / d operand(i), as recorded. */
    double partial(int i) {
        if (a != null) {
            return i == 0 ? da : db;
        }
        if (b instanceof DotOperands) {
            DotOperands d = (DotOperands) b;
            int n = d.a.values.length;
            return i < n ? d.b.data[i] : d.a.data[i - n];
        }
        double[] ps = ((Operands) b).partials;
        return ps == null ? 1 : ps[i];
    }

    /** The operands, in operand order (a new array). */
    Value[] operands() {
        int n = operandCount();
        if (n == 0) {
            return NO_OPERANDS;
        }
        Value[] out = new Value[n];
        for (int i = 0; i < n; i++) {
            out[i] = operand(i);
        }
        return out;
    }

    /**
     * The chain rule for this value in backward pass {@code pass}: adds its gradient times each
     * local derivative to its operands' gradients. An interior operand first reached in this pass
     * starts from 0; leaves and constants add to what they hold. A zero gradient sends nothing back,
     * not 0 * an infinite derivative (see {@link #chain}), but still marks its operands as reached.
     * With {@code check} set (anomaly detection), throws if a contribution is not finite.
     */
    void propagate(int pass, boolean check) {
        double g = grad;
        if (a != null) {
            give(a, da, g, pass);
            if (b != null) {
                give((Value) b, db, g, pass);
            }
        } else if (b instanceof DotOperands) {
            DotOperands d = (DotOperands) b;
            d.a.give(d.b.data, g, pass);
            d.b.give(d.a.data, g, pass);
        } else if (b != null) {
            Operands o = (Operands) b;
            double[] ps = o.partials;
            for (int i = 0; i < o.values.length; i++) {
                give(o.values[i], ps == null ? 1 : ps[i], g, pass);
            }
        }
        if (check && g != 0) {
            checkPropagated();
        }
    }

    static void give(Value p, double partial, double g, int pass) {
        if (p.index < 0 || p.stamp == pass) { // a leaf or constant, or reached already in this pass
            if (g != 0) {
                p.grad += partial * g;
            }
        } else {
            p.stamp = pass;
            p.grad = g == 0 ? 0 : 0.0 + partial * g; // as 0 += contribution: -0.0 becomes +0.0
        }
    }

    /**
     * One term of the chain rule, g * local, except that a zero gradient g gives 0 even where the
     * local derivative is infinite or NaN (the convention 0 * inf = 0, explained in {@link Op}): the
     * same function {@link Tensor}'s backward kernels use.
     */
    static double chain(double g, double local) {
        return ChainRule.chain(g, local);
    }

    private void checkPropagated() {
        int n = operandCount();
        for (int i = 0; i < n; i++) {
            Value p = operand(i);
            double contribution = chain(grad, partial(i));
            boolean constant = p.index == CONSTANT;
            if (!constant && !Double.isFinite(contribution)) {
                throw new NonFiniteException("backward of " + op + " produced a non-finite gradient "
                        + contribution + " for operand " + i + " (" + p.describe() + "): local derivative "
                        + formula(i) + " = " + partial(i)
                        + ", incoming gradient " + grad);
            }
            if (!constant && !Double.isFinite(p.grad)) { // finite contributions that overflowed together
                throw new NonFiniteException("backward of " + op + " made the gradient of operand " + i + " ("
                        + p.describe() + ") " + p.grad + ": its contribution " + contribution + " added to the gradient"
                        + " from its other uses overflowed, or the gradient was not finite before this pass (a leaf's"
                        + " grad() accumulates across passes)");
            }
        }
    }

    /**
     * The first value, in the order the graph was computed, whose data is NaN or infinite while all
     * of its parents are finite: the operation where things went wrong. Its {@link #op()} and
     * {@link #parents()} say which operation on which numbers. Empty if this graph is all finite. For
     * a graph built across backward passes or threads (whose tape positions are not one order), the
     * first in a depth-first order that computes operands before results: still a value whose
     * parents are finite.
     */
    public Optional<Value> firstNonFinite() {
        for (Value v : ValueTape.order(this)) {
            if (!Double.isFinite(v.data)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /** Sets this value's gradient to 0. */
    public void zeroGrad() {
        grad = 0;
    }

    /** Puts back a gradient saved before a pass that was not meant to change it (GradCheck). */
    void restoreGrad(double saved) {
        grad = saved;
    }

    // ---------------------------------------------------------------- accessors

    /** The number this value holds. */
    public double data() {
        return data;
    }

    /**
     * Replaces the number a leaf holds, as an optimizer step does ({@code p.setData(p.data() - lr *
     * p.grad())}). Values already computed from it keep their old results, and a backward pass through
     * them uses the local derivatives recorded then: the gradient of the computation as it was done
     * (recompute after an update to differentiate at the new value).
     *
     * @throws IllegalStateException if this value is not a leaf
     */
    public void setData(double data) {
        if (interior()) {
            throw new IllegalStateException("setData: " + describe() + " is computed by " + op
                    + ", not a leaf; only leaves (parameters, inputs) can be assigned");
        }
        this.data = data;
    }

    /** d(output)/d(this) from the last backward pass (accumulated over passes for leaves). */
    public double grad() {
        return grad;
    }

    /** The operation that computed this value, {@link Op#LEAF} for leaves and constants. */
    public Op op() {
        return op;
    }

    /** The values this one was computed from, in operand order. */
    public List<Value> parents() {
        return Collections.unmodifiableList(Arrays.asList(operands()));
    }

    /** The local derivative d this / d parents().get(i), recorded when this value was computed. */
    public double localDerivative(int i) {
        Objects.checkIndex(i, operandCount());
        return partial(i);
    }

    /** Whether this value is a leaf (made by {@link #of}, or a constant), not computed by an operation. */
    public boolean isLeaf() {
        return !interior();
    }

    /** Whether this is a constant created from a plain double operand (such as the 2 in x.mul(2)). */
    public boolean isConstant() {
        return index == CONSTANT;
    }

    /** This value's label, or null. */
    public String label() {
        return LABELS.get(this);
    }

    /** Sets the label used in drawings and reports; returns this value for chaining. */
    public Value label(String label) {
        if (label == null) {
            LABELS.remove(this);
        } else {
            LABELS.put(this, label);
        }
        return this;
    }

    /** The formula of d this / d parents[i] from the {@link Op} table. */
    String formula(int i) {
        if (op == ReduceOps.DOT) {
            return op.derivative(i < operandCount() / 2 ? 0 : 1);
        }
        return op.derivative(Math.min(i, op.formulas() - 1));
    }

    private String describe() {
        String label = label();
        return (label == null ? "" : label + " = ") + op.symbol() + "(" + data + ")";
    }

    private static String describeNonFinite(double data, Op op, Value[] parents) {
        StringBuilder sb = new StringBuilder();
        sb.append(op).append(" produced ").append(data);
        if (parents.length == 0) {
            sb.append(" from no operands");
        } else {
            sb.append(" from operand").append(parents.length > 1 ? "s " : " ");
            for (int i = 0; i < parents.length && i < 8; i++) {
                String label = parents[i].label();
                sb.append(i == 0 ? "" : ", ").append(label == null ? "" : label + "=")
                        .append(parents[i].data);
            }
            if (parents.length > 8) {
                sb.append(", ... (").append(parents.length).append(" operands)");
            }
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        String label = label();
        return "Value(" + (label == null ? "" : label + ", ") + "data=" + data + ", grad=" + grad + ")";
    }
}
