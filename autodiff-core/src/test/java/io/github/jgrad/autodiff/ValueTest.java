package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ValueTest {

    private static final double EXACT = 1e-15;

    // ------------------------------------------------------------ micrograd's published checks

    /** micrograd test_engine.py test_sanity_check: y = -20, dy/dx = 46 (PyTorch agrees). */
    @Test
    void microgradSanityCheck() {
        Value x = Value.of(-4.0);
        Value z = x.mul(2).add(2).add(x);
        Value q = z.relu().add(z.mul(x));
        Value h = z.mul(z).relu();
        Value y = h.add(q).add(q.mul(x));
        y.backward();
        assertEquals(-20.0, y.data(), 0);
        assertEquals(46.0, x.grad(), 0);
    }

    /** micrograd test_more_ops: g = 24.7041, dg/da = 138.8338, dg/db = 645.5773. */
    @Test
    void microgradMoreOps() {
        Value a = Value.of(-4.0);
        Value b = Value.of(2.0);
        Value c = a.add(b);
        Value d = a.mul(b).add(b.pow(3));
        c = c.add(c.add(1));
        c = c.add(c.add(1).add(a.neg()));
        d = d.add(d.mul(2).add(b.add(a).relu()));
        d = d.add(d.mul(3).add(b.sub(a).relu()));
        Value e = c.sub(d);
        Value f = e.pow(2);
        Value g = f.div(2.0);
        g = g.add(Value.of(10.0).div(f));
        g.backward();
        // the README's rounded numbers ...
        assertEquals(24.7041, g.data(), 5e-5);
        assertEquals(138.8338, a.grad(), 5e-5);
        assertEquals(645.5773, b.grad(), 5e-5);
        // ... and the exact doubles (forward-mode dual numbers in Python give the same digits)
        assertEquals(24.70408163265306, g.data(), 1e-13);
        assertEquals(138.8338192419825, a.grad(), 1e-12);
        assertEquals(645.5772594752186, b.grad(), 1e-12);
    }

    // ------------------------------------------------------------ each op against its closed form

    @ParameterizedTest(name = "{0} at {1}")
    @CsvSource({
        "neg, 0.7", "exp, 0.7", "exp, -2.5", "log, 0.7", "log, 3.5", "sqrt, 0.7", "sqrt, 9",
        "tanh, 0.7", "tanh, -1.3", "sigmoid, 0.7", "sigmoid, -40", "relu, 0.7", "relu, -0.7",
        "sin, 0.7", "cos, 0.7", "abs, 0.7", "abs, -0.7", "square, -1.5", "cube, -1.5", "sqrtpow, 2.25",
        "recip, -0.4"
    })
    void unaryOpsMatchClosedForms(String op, double x) {
        double t = Math.tanh(x);
        double s = 1 / (1 + Math.exp(-x));
        Object[][] table = {
            {"neg", (UnaryOperator<Value>) Value::neg, -x, -1.0},
            {"exp", (UnaryOperator<Value>) Value::exp, Math.exp(x), Math.exp(x)},
            {"log", (UnaryOperator<Value>) Value::log, Math.log(x), 1 / x},
            {"sqrt", (UnaryOperator<Value>) Value::sqrt, Math.sqrt(x), 1 / (2 * Math.sqrt(x))},
            {"tanh", (UnaryOperator<Value>) Value::tanh, t, 1 - t * t},
            {"sigmoid", (UnaryOperator<Value>) Value::sigmoid, s, s * (1 - s)},
            {"relu", (UnaryOperator<Value>) Value::relu, Math.max(0, x), x > 0 ? 1.0 : 0.0},
            {"sin", (UnaryOperator<Value>) Value::sin, Math.sin(x), Math.cos(x)},
            {"cos", (UnaryOperator<Value>) Value::cos, Math.cos(x), -Math.sin(x)},
            {"abs", (UnaryOperator<Value>) Value::abs, Math.abs(x), Math.signum(x)},
            {"square", (UnaryOperator<Value>) v -> v.pow(2), x * x, 2 * x},
            {"cube", (UnaryOperator<Value>) v -> v.pow(3), x * x * x, 3 * x * x},
            {"sqrtpow", (UnaryOperator<Value>) v -> v.pow(0.5), Math.sqrt(x), 0.5 / Math.sqrt(x)},
            {"recip", (UnaryOperator<Value>) v -> v.pow(-1), 1 / x, -1 / (x * x)},
        };
        for (Object[] row : table) {
            if (row[0].equals(op)) {
                @SuppressWarnings("unchecked")
                UnaryOperator<Value> f = (UnaryOperator<Value>) row[1];
                Value in = Value.of(x);
                Value out = f.apply(in);
                out.backward();
                assertEquals((double) row[2], out.data(), 1e-15 * Math.max(1, Math.abs((double) row[2])), op);
                assertEquals((double) row[3], in.grad(), 1e-14 * Math.max(1, Math.abs((double) row[3])), op);
                return;
            }
        }
        throw new AssertionError("no such op in the table: " + op);
    }

    /** x, erf(x) and 2/sqrt(pi) e^(-x^2) from Python's math.erf and math.exp (the C library's). */
    private static final double[][] ERF = {
        {-3.5, -0.9999992569016276, 5.399426777384782e-06},
        {-1.3, -0.9340079449406524, 0.20820798679606964},
        {-0.5, -0.5204998778130465, 0.8787825789354448},
        {-1e-10, -1.1283791670955126e-10, 1.1283791670955126},
        {0.1, 0.1124629160182849, 1.1171516067889369},
        {0.7, 0.6778011938374184, 0.6912748604105386},
        {1.0, 0.8427007929497149, 0.4151074974205947},
        {2.0, 0.9953222650189527, 0.020666985354092053},
        {3.7, 0.9999998328489421, 1.2792740845340064e-06},
        {5.9, 0.9999999999999999, 8.603281717596785e-16},
    };

    @Test
    void erfAndItsDerivativeAgreeWithTheCLibraryToOneUlp() {
        for (double[] r : ERF) {
            Value x = Value.of(r[0]);
            Value y = x.erf();
            y.backward();
            assertEquals(r[1], y.data(), Math.ulp(r[1]), "erf(" + r[0] + "), Value");
            assertEquals(r[2], x.grad(), 2 * Math.ulp(r[2]), "erf'(" + r[0] + "), Value");
            Tensor t = Tensor.scalar(r[0]).requiresGrad(true);
            Tensor u = t.erf();
            u.backward();
            assertEquals(y.data(), u.item(), 0, "erf(" + r[0] + "), Tensor as Value");
            assertEquals(x.grad(), t.grad().item(), 0, "erf'(" + r[0] + "), Tensor as Value");
        }
    }

    @Test
    void binaryOpsMatchClosedForms() {
        double a = 1.7;
        double b = -0.6;
        assertBinary(Value::add, a, b, a + b, 1, 1);
        assertBinary(Value::sub, a, b, a - b, 1, -1);
        assertBinary(Value::mul, a, b, a * b, b, a);
        assertBinary(Value::div, a, b, a / b, 1 / b, -a / (b * b));
        assertBinary(Value::pow, a, b, Math.pow(a, b), b * Math.pow(a, b - 1), Math.pow(a, b) * Math.log(a));
        assertBinary(Value::max, a, b, a, 1, 0);
        assertBinary(Value::min, a, b, b, 0, 1);
    }

    private static void assertBinary(java.util.function.BinaryOperator<Value> f, double a, double b,
                                     double out, double da, double db) {
        Value va = Value.of(a);
        Value vb = Value.of(b);
        Value y = f.apply(va, vb);
        y.backward();
        assertEquals(out, y.data(), EXACT);
        assertEquals(da, va.grad(), 1e-14);
        assertEquals(db, vb.grad(), 1e-14);
    }

    @Test
    void sigmoidStaysFiniteForLargeInputs() {
        Value big = Value.of(800).sigmoid();
        Value small = Value.of(-800).sigmoid();
        assertEquals(1.0, big.data(), 0);
        assertEquals(0.0, small.data(), 0);
        assertEquals(0.0, big.localDerivative(0), 0);
    }

    @Test
    void sumAndDotAreSingleNodes() {
        List<Value> w = Value.of(0.5, -1.0, 2.0);
        List<Value> x = Value.of(3.0, 4.0, -0.25);
        Value dot = Value.dot(w, x);
        assertEquals(ReduceOps.DOT, dot.op());
        assertEquals(6, dot.parents().size());
        assertEquals(1.5 - 4.0 - 0.5, dot.data(), EXACT);
        dot.backward();
        for (int i = 0; i < 3; i++) {
            assertEquals(x.get(i).data(), w.get(i).grad(), 0);
            assertEquals(w.get(i).data(), x.get(i).grad(), 0);
        }
        Value s = Value.sum(w);
        assertEquals(ReduceOps.SUM, s.op());
        assertEquals(1.5, s.data(), EXACT);
        assertEquals(0.0, Value.sum(List.of()).data(), 0);
    }

    @Test
    void dotOfDifferentLengthsNamesBoth() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Value.dot(Value.of(1, 2, 3), Value.of(1, 2)));
        assertTrue(e.getMessage().contains("dot") && e.getMessage().contains("3")
                && e.getMessage().contains("2"), e.getMessage());
    }

    // ------------------------------------------------------------ non-differentiable points

    @Test
    void kinksFollowPyTorch() {
        Value x = Value.of(0.0);
        x.relu().backward();
        assertEquals(0.0, x.grad(), 0, "relu'(0) = 0");
        x.zeroGrad();
        x.abs().backward();
        assertEquals(0.0, x.grad(), 0, "abs'(0) = 0");

        Value a = Value.of(1.5);
        Value b = Value.of(1.5);
        a.max(b).backward();
        assertEquals(0.5, a.grad(), 0, "max at a tie splits");
        assertEquals(0.5, b.grad(), 0);
        a.zeroGrad();
        b.zeroGrad();
        a.min(b).backward();
        assertEquals(0.5, a.grad(), 0, "min at a tie splits");
        assertEquals(0.5, b.grad(), 0);
    }

    @Test
    void powerEdgeCases() {
        Value zero = Value.of(0.0);
        zero.pow(0).backward();
        assertEquals(0.0, zero.grad(), 0, "d(x^0)/dx = 0 even at x = 0");

        Value base = Value.of(0.0);
        Value exponent = Value.of(2.0);
        base.pow(exponent).backward();
        assertEquals(0.0, exponent.grad(), 0, "d(0^b)/db = 0 for b >= 0");

        Value negative = Value.of(-2.0);
        Value three = Value.of(3.0);
        Value cube = negative.pow(three);
        cube.backward();
        assertEquals(-8.0, cube.data(), 0);
        assertEquals(12.0, negative.grad(), 0);
        assertTrue(Double.isNaN(three.grad()), "d(a^b)/db is NaN for a < 0, as in PyTorch");

        Value c = Value.of(-2.0);
        c.pow(3.0).backward(); // constant exponent: no log of a negative number anywhere
        assertEquals(12.0, c.grad(), 0);
    }

    // ------------------------------------------------------------ the tape

    @Test
    void sharedNodesAccumulate() {
        Value a = Value.of(3.0);
        Value b = a.add(a); // micrograd's famous bug: b = a + a must give 2, not 1
        b.backward();
        assertEquals(2.0, a.grad(), 0);

        Value x = Value.of(-2.0);
        Value y = Value.of(3.0);
        Value d = x.mul(y);
        Value e = x.add(y);
        Value f = d.mul(e);
        f.backward();
        assertEquals(y.data() * e.data() + d.data(), x.grad(), EXACT); // -3
        assertEquals(x.data() * e.data() + d.data(), y.grad(), EXACT); // -8
    }

    @Test
    void repeatedBackwardAccumulatesIntoLeavesOnly() {
        Value x = Value.of(2.0);
        Value h = x.mul(x);          // interior
        Value y = h.mul(3);
        y.backward();
        assertEquals(12.0, x.grad(), 0);
        assertEquals(3.0, h.grad(), 0);
        y.backward();
        assertEquals(24.0, x.grad(), 0, "leaves accumulate, as in PyTorch");
        assertEquals(3.0, h.grad(), 0, "interior gradients are recomputed, not doubled");
        x.zeroGrad();
        assertEquals(0.0, x.grad(), 0);
        y.backward();
        assertEquals(12.0, x.grad(), 0);
    }

    @Test
    void backwardOfTwoOutputsSumsGradients() {
        Value x = Value.of(0.3);
        x.sin().backward();
        x.exp().backward();
        assertEquals(Math.cos(0.3) + Math.exp(0.3), x.grad(), EXACT);
    }

    @Test
    void millionNodeChainNeedsNoStack() throws InterruptedException {
        // run on a thread with a deliberately small stack: recursion would overflow at once
        double[] result = SmallStack.call(() -> {
            Value x = Value.of(1.0);
            Value y = x;
            for (int i = 0; i < 1_000_000; i++) {
                y = y.mul(1.0000001);
            }
            y.backward();
            return new double[] {y.data(), x.grad()};
        });
        double expected = Math.pow(1.0000001, 1_000_000);
        assertEquals(expected, result[0], 1e-9 * expected);
        assertEquals(expected, result[1], 1e-9 * expected);
    }

    @Test
    void setDataOnlyOnLeaves() {
        Value p = Value.of(1.0, "p");
        p.setData(0.5);
        assertEquals(0.5, p.data(), 0);
        Value q = p.exp();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> q.setData(1));
        assertTrue(e.getMessage().contains("computed by exp"), e.getMessage());
    }

    // ------------------------------------------------------------ NaN and domain errors

    @Test
    void domainErrorsFollowIeee() {
        assertTrue(Double.isNaN(Value.of(-1).log().data()));
        assertEquals(Double.NEGATIVE_INFINITY, Value.of(0).log().data(), 0);
        assertTrue(Double.isNaN(Value.of(-1).sqrt().data()));
        assertEquals(Double.POSITIVE_INFINITY, Value.of(0).pow(-1).data(), 0);
    }

    @Test
    void firstNonFiniteNamesTheOpThatProducedIt() {
        Value a = Value.of(2.0, "a");
        Value b = Value.of(-3.0, "b");
        Value bad = a.add(b).log();                // log(-1) = NaN: the culprit
        Value y = bad.mul(a).add(b.exp()).tanh();  // NaN flows on from there
        assertTrue(Double.isNaN(y.data()));
        Value first = y.firstNonFinite().orElseThrow();
        assertSame(bad, first);
        assertEquals(UnaryOps.LOG, first.op());
        assertEquals(-1.0, first.parents().get(0).data(), 0);
        assertFalse(a.mul(b).firstNonFinite().isPresent());
    }

    @Test
    void anomalyModeThrowsAtTheOffendingOp() {
        Value x = Value.of(-1.0, "x");
        try (Anomaly.Scope ignored = Anomaly.detect()) {
            assertTrue(Anomaly.isEnabled());
            ArithmeticException e = assertThrows(ArithmeticException.class, () -> x.log());
            assertTrue(e.getMessage().contains("log produced") && e.getMessage().contains("x=-1.0"), e.getMessage());
        }
        assertFalse(Anomaly.isEnabled());
        assertTrue(Double.isNaN(x.log().data()), "off again after the scope");
    }

    @Test
    void anomalyModeChecksOpsNotInputsAndNamesTheOpWithGradModeOff() { // a probe's cases
        try (Anomaly.Scope on = Anomaly.detect()) {
            // with grad mode off a result was built as a leaf and blamed on "leaf ... as a leaf"
            try (GradMode.Scope off = GradMode.disabled()) {
                ArithmeticException e = assertThrows(ArithmeticException.class, () -> Value.of(-1.0, "x").sqrt());
                assertEquals("sqrt produced NaN from operand x=-1.0", e.getMessage());
                e = assertThrows(ArithmeticException.class,
                        () -> Value.dot(List.of(Value.of(1e200), Value.of(1)), List.of(Value.of(1e200), Value.of(2))));
                assertTrue(e.getMessage().startsWith("dot produced Infinity from operands "), e.getMessage());
            }
            // an input that is infinite or NaN is no op's result: a clamp against an infinite bound is fine
            assertEquals(1.5, Value.of(1.5, "x").min(Double.POSITIVE_INFINITY).data(), 0);
            assertTrue(Double.isNaN(Value.of(Double.NaN).data()));
            GradCheck.Report r = GradCheck.defaults().check(x -> x.get(0).max(Double.NEGATIVE_INFINITY).mul(x.get(0)), 1.5);
            assertTrue(r.passed(), r.toString());
        }
        // an infinite gradient left by an earlier pass is not blamed on this pass's finite contribution alone
        Value x = Value.of(1, "x");
        x.mul(Double.MAX_VALUE).mul(10).backward();                  // x.grad() is infinite now
        try (Anomaly.Scope on = Anomaly.detect()) {
            ArithmeticException e = assertThrows(ArithmeticException.class, () -> x.mul(2).backward());
            assertTrue(e.getMessage().contains("or the gradient was not finite before this pass"), e.getMessage());
        }
    }

    @Test
    void anomalyModeChecksBackward() {
        Value x = Value.of(0.0, "x");
        Value y = x.sqrt().mul(3); // forward finite; sqrt'(0) = inf, times 3 = inf in backward
        try (Anomaly.Scope ignored = Anomaly.detect()) {
            ArithmeticException e = assertThrows(ArithmeticException.class, y::backward);
            assertTrue(e.getMessage().contains("backward of sqrt"), e.getMessage());
        }
    }

    @Test
    void toStringAndParentsDescribeTheGraph() {
        Value a = Value.of(2.0, "a");
        Value b = a.mul(3);
        assertEquals("Value(a, data=2.0, grad=0.0)", a.toString());
        List<Value> ps = new ArrayList<>(b.parents());
        assertSame(a, ps.get(0));
        assertTrue(ps.get(1).isConstant());
        assertEquals(3.0, b.localDerivative(0), 0);
        assertEquals("b", ArithmeticOps.MUL.derivative(0));
    }
}
