package io.github.jgrad.autodiff;

/**
 * Every primitive operation of the scalar engine and its local derivatives, written as a reviewer
 * checks them: one row per op, one formula per operand, in the operands {@code a}, {@code b} and the
 * op's result {@code out}. Where the code computes a derivative from the result (tanh, sigmoid, exp,
 * sqrt, and pow's exponent) the formula is written in {@code out} too, exactly as computed; explain
 * mode ({@link Explain}) also writes such a formula in the operands, for example 1 - tanh(a)^2 for
 * 1 - out^2. The code that computes each formula sits beside the forward computation in
 * {@link Value}.
 *
 * <p>At points where an op is not differentiable jgrad follows PyTorch: relu'(0) = 0, abs'(0) = 0,
 * and at a tie max and min split the gradient evenly (0.5 to each operand).
 *
 * <p>The chain rule multiplies each formula by the gradient arriving at the op, with one convention
 * PyTorch does not have: a zero gradient sends back exactly zero, even where the formula is infinite
 * or NaN (sqrt at 0, log at 0, 1/b at b = 0), that is 0 * inf = 0 * NaN = 0. It is what makes masks
 * work: a branch that {@code Tensor.where} does not select, or a value multiplied by 0, gets gradient
 * 0 and cannot turn its inputs' gradients into NaN (d/dx of 0 * sqrt(x) at 0 is 0; PyTorch: NaN).
 * The rule is applied to the gradient, not to the local derivative: a zero local derivative times an
 * infinite gradient is still NaN, which second derivatives can meet (the mixed derivative of
 * 0 * y * sqrt(x) at x = 0 is NaN; through {@code where} it is 0).
 * The price: 0 * inf is an indeterminate form, and where the true derivative is the limit of such a
 * product the convention gives 0 instead of NaN. sqrt(x)^2 at x = 0 meets 2 sqrt(0) = 0 times
 * sqrt'(0) = inf and gets 0, not its true derivative 1. Only exact zeros times non-finite local
 * derivatives are affected; every finite product is computed as IEEE 754 says.
 */
public enum Op {
    /** A value created by the user or a constant operand; it has no parents. */
    LEAF("leaf"),
    ADD("+", "1", "1"),
    SUB("-", "1", "-1"),
    MUL("*", "b", "a"),
    DIV("/", "1/b", "-a/b^2"),
    /** a^b. The exponent's derivative is 0 where a = 0 and b &gt;= 0; NaN for a &lt; 0. */
    POW("^", "b*a^(b-1)", "out*ln(a)"),
    /** The larger operand; at a tie each gets half the gradient; if either is NaN ("else") each gets all of it. */
    MAX("max", "1 if a > b, 0.5 if a = b, 0 if a < b, else 1", "1 if b > a, 0.5 if a = b, 0 if b < a, else 1"),
    /** The smaller operand; ties and NaN as MAX. */
    MIN("min", "1 if a < b, 0.5 if a = b, 0 if a > b, else 1", "1 if b < a, 0.5 if a = b, 0 if b > a, else 1"),
    NEG("neg", "-1"),
    EXP("exp", "out"),
    LOG("log", "1/a"),
    SQRT("sqrt", "1/(2*out)"),
    TANH("tanh", "1 - out^2"),
    SIGMOID("sigmoid", "out*(1 - out)"),
    RELU("relu", "1 if a > 0, else 0"),
    SIN("sin", "cos(a)"),
    COS("cos", "-sin(a)"),
    ABS("abs", "sign(a)"),
    /** The error function. */
    ERF("erf", "2/sqrt(pi)*exp(-a^2)"),
    /** a_0 + a_1 + ... + a_(n-1) as one node. */
    SUM("sum", "1"),
    /** a_0*b_0 + ... + a_(n-1)*b_(n-1) as one node. */
    DOT("dot", "b_i", "a_i");

    private final String symbol;
    private final String[] derivatives;

    Op(String symbol, String... derivatives) {
        this.symbol = symbol;
        this.derivatives = derivatives;
    }

    /** The short name used in graph drawings, for example {@code "+"} or {@code "tanh"}. */
    public String symbol() {
        return symbol;
    }

    /**
     * Formula {@code i} of the op's local derivatives, as a formula in the operand names {@code a},
     * {@code b} (n-ary ops: {@code a_i}, {@code b_i}) and the result {@code out}: formula i is the
     * derivative with respect to operand i, except for n-ary ops, whose operands share one formula
     * ({@code SUM}) or two ({@code DOT}: 0 for the a_i, 1 for the b_i).
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= i < formulas()}
     */
    public String derivative(int i) {
        return derivatives[i];
    }

    /** Number of distinct operand formulas: 0 for leaves, 1 for unary ops and SUM, 2 otherwise. */
    public int formulas() {
        return derivatives.length;
    }
}
