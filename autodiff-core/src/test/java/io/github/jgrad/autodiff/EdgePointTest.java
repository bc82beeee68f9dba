package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Values and derivatives at the edges of each op's domain, the same for Value and Tensor, following
 * PyTorch's derivatives.yaml. Each row: operands, result, d/da, d/db. NaN means "not defined here"
 * and is asserted as NaN; an infinite derivative is the true one-sided limit.
 */
class EdgePointTest {
    private static final double INF = Double.POSITIVE_INFINITY;
    private static final double NAN = Double.NaN;

    /** a, b, a^b, d/da, d/db. */
    private static final double[][] POW = {
        {-2, 3, -8, 12, NAN},            // integer exponent of a negative base: d/db needs ln(a)
        {-2, 2, 4, -4, NAN},
        {-2, 0.5, NAN, NAN, NAN},        // fractional exponent of a negative base
        {-8, 1.0 / 3, NAN, NAN, NAN},
        {0, 0, 1, 0, 0},                 // 0^0 = 1; both derivatives 0, as PyTorch
        {0, 1, 0, 1, 0},
        {0, 2, 0, 0, 0},
        {0, 0.5, 0, INF, 0},             // sqrt-like at 0: infinite slope
        {0, -1, INF, -INF, -INF},        // 1/x at 0; d/db = inf * ln(0)
        {2, 0, 1, 0, Math.log(2)},
        {-2, 0, 1, 0, NAN},              // x^0 = 1 everywhere, but d/db = ln(-2)
        // C99's special values, where Java's Math.pow differs (NaN); derivatives by the same formulas
        {1, NAN, 1, NAN, 0},             // 1^y = 1 for every y; d/db = 1 * ln(1) = 0
        {1, INF, 1, INF, 0},
        {1, -INF, 1, -INF, 0},
        {-1, INF, 1, INF, NAN},          // (-1)^(+-inf) = 1; d/db needs ln(-1)
        {-1, -INF, 1, -INF, NAN},
        {NAN, 0, 1, 0, NAN},             // x^0 = 1 even for NaN
        {NAN, 1, NAN, 1, NAN},
        {2, NAN, NAN, NAN, NAN},
        {INF, 2, INF, INF, INF},
        {INF, -1, 0, 0, NAN},            // d/db = 0 * ln(inf)
        {-INF, 3, -INF, INF, NAN},
        {0.5, INF, 0, NAN, 0},           // d/da = inf * 0
        {0, INF, 0, NAN, 0},
        {0, -INF, INF, -INF, -INF},
        {-0.0, -1, -INF, -INF, INF},     // signed zero: (-0)^-1 = -inf
    };

    /** a, b, a/b, d/da, d/db. */
    private static final double[][] DIV = {
        {1, 0, INF, INF, -INF},
        {-1, 0, -INF, INF, INF},
        {0, 0, NAN, INF, NAN},
        {6, 3, 2, 1.0 / 3, -2.0 / 3},
    };

    /** a, b, max(a, b), d/da, d/db: ties split the gradient evenly. */
    private static final double[][] MAX = {{2, 2, 2, 0.5, 0.5}, {3, 2, 3, 1, 0}, {2, 3, 3, 0, 1}, {0, -0.0, 0, 0.5, 0.5},
        {NAN, 1, NAN, 1, 1}, {1, NAN, NAN, 1, 1}};                        // NaN: all of it to each, as PyTorch
    private static final double[][] MIN = {{2, 2, 2, 0.5, 0.5}, {3, 2, 2, 0, 1}, {2, 3, 2, 1, 0},
        {NAN, 1, NAN, 1, 1}, {1, NAN, NAN, 1, 1}};

    /** x, f(x), f'(x) for unary ops. */
    private static final double[][] SQRT = {{0, 0, INF}, {-1, NAN, NAN}, {4, 2, 0.25}};
    private static final double[][] LOG = {{0, -INF, INF}, {-1, NAN, -1}, {1, 0, 1}};   // 1/x applied as is
    private static final double[][] ABS = {{0, 0, 0}, {-0.0, 0, 0}, {-3, 3, -1}, {3, 3, 1}};
    private static final double[][] RELU = {{0, 0, 0}, {-0.0, 0, 0}, {-3, 0, 0}, {3, 3, 1}};
    private static final double[][] EXP = {{-INF, 0, 0}, {INF, INF, INF}, {0, 1, 1}};
    private static final double[][] TANH = {{INF, 1, 0}, {-INF, -1, 0}, {0, 0, 1}};
    /** erf: odd, saturating at +-1 with a vanishing slope; the slope at 0 is 2/sqrt(pi). */
    private static final double[][] ERF = {{0, 0, 1.1283791670955126}, {-0.0, -0.0, 1.1283791670955126},
        {INF, 1, 0}, {-INF, -1, 0}, {6, 1, 2.617301239249265e-16}, {30, 1, 0}, {NAN, NAN, NAN}};
    private static final double[][] SIGMOID = {{INF, 1, 0}, {-INF, 0, 0}, {0, 0.5, 0.25}, {-800, 0, 0}};

    private static void binary(String name, double[][] rows, BinaryOperator<Value> fv, BinaryOperator<Tensor> ft) {
        for (double[] r : rows) {
            String at = name + "(" + r[0] + ", " + r[1] + ")";
            Value a = Value.of(r[0]);
            Value b = Value.of(r[1]);
            Value y = fv.apply(a, b);
            y.backward();
            assertEquals(r[2], y.data(), 1e-15, at + " value, Value");
            assertEquals(r[3], a.grad(), 1e-15, at + " d/da, Value");
            assertEquals(r[4], b.grad(), 1e-15, at + " d/db, Value");

            Tensor ta = Tensor.scalar(r[0]).requiresGrad(true);
            Tensor tb = Tensor.scalar(r[1]).requiresGrad(true);
            Tensor ty = ft.apply(ta, tb);
            ty.backward();
            assertEquals(r[2], ty.item(), 1e-15, at + " value, Tensor");
            assertEquals(r[3], ta.grad().item(), 1e-15, at + " d/da, Tensor");
            assertEquals(r[4], tb.grad().item(), 1e-15, at + " d/db, Tensor");
        }
    }

    private static void unary(String name, double[][] rows, UnaryOperator<Value> fv, UnaryOperator<Tensor> ft) {
        for (double[] r : rows) {
            String at = name + "(" + r[0] + ")";
            Value x = Value.of(r[0]);
            Value y = fv.apply(x);
            y.backward();
            assertEquals(r[1], y.data(), 1e-15, at + " value, Value");
            assertEquals(r[2], x.grad(), 1e-15, at + " derivative, Value");
            Tensor tx = Tensor.scalar(r[0]).requiresGrad(true);
            Tensor ty = ft.apply(tx);
            ty.backward();
            assertEquals(r[1], ty.item(), 1e-15, at + " value, Tensor");
            assertEquals(r[2], tx.grad().item(), 1e-15, at + " derivative, Tensor");
        }
    }

    @Test
    void powWithZeroAndNegativeBases() {
        binary("pow", POW, Value::pow, Tensor::pow);
    }

    @Test
    void constantExponentsHaveNoExponentDerivativeToBeNaN() {
        // x^3 at x = -2 with a plain-double exponent: d/dx = 12, and no ln(-2) is ever needed
        Value x = Value.of(-2.0);
        x.pow(3).backward();
        assertEquals(12, x.grad(), 0);
        Tensor t = Tensor.of(new double[] {-2, 0, 3}).requiresGrad(true);
        t.pow(3).sum().backward();
        assertArrayEquals(new double[] {12, 0, 27}, t.grad().toArray(), 0);
        Tensor u = Tensor.of(new double[] {0, 5}).requiresGrad(true);
        u.pow(0).sum().backward();                                       // 0^0 = 1, derivative 0
        assertArrayEquals(new double[] {0, 0}, u.grad().toArray(), 0);
    }

    @Test
    void divisionByZero() {
        binary("div", DIV, Value::div, Tensor::div);
    }

    @Test
    void maxAndMinSplitTiesEvenly() {
        binary("max", MAX, Value::max, Tensor::maximum);
        binary("min", MIN, Value::min, Tensor::minimum);
    }

    @Test
    void reductionsShareTiesAmongAllMaxima() {
        // as torch.amax / amin: the gradient is shared evenly among the tied entries
        Tensor x = Tensor.of(new double[] {1, 3, 3, 2, 2, 2}, 2, 3).requiresGrad(true);
        x.max(1, false).sum().backward();
        assertArrayEquals(new double[] {0, 0.5, 0.5, 1.0 / 3, 1.0 / 3, 1.0 / 3}, x.grad().toArray(), 0);
        Tensor y = Tensor.of(new double[] {1, 1, 5}).requiresGrad(true);
        y.min().backward();
        assertArrayEquals(new double[] {0.5, 0.5, 0}, y.grad().toArray(), 0);
    }

    @Test
    void unaryOpsAtTheEdgesOfTheirDomains() {
        unary("sqrt", SQRT, Value::sqrt, Tensor::sqrt);
        unary("log", LOG, Value::log, Tensor::log);
        unary("abs", ABS, Value::abs, Tensor::abs);
        unary("relu", RELU, Value::relu, Tensor::relu);
        unary("exp", EXP, Value::exp, Tensor::exp);
        unary("tanh", TANH, Value::tanh, Tensor::tanh);
        unary("sigmoid", SIGMOID, Value::sigmoid, Tensor::sigmoid);
        unary("erf", ERF, Value::erf, Tensor::erf);
    }

    @Test
    void clampPassesTheGradientOnItsBoundsAsPyTorch() {
        Tensor x = Tensor.of(new double[] {-2, -1, 0, 1, 2}).requiresGrad(true);
        x.clamp(-1, 1).sum().backward();
        assertArrayEquals(new double[] {0, 1, 1, 1, 0}, x.grad().toArray(), 0);
    }
}
