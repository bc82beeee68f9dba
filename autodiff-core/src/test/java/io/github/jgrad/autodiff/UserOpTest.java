package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** User-defined ops (Op.define) get what a built-in op gets. */
class UserOpTest {
    /** softplus(x) = log(1 + e^x), written stably; its derivative is sigmoid(x). The README's first example. */
    static final Op SOFTPLUS = Op.define("softplus")
            .tensor(in -> in[0].maximum(0).add(in[0].abs().neg().exp().log1p()),
                    (g, out, in) -> new Tensor[] {g.mul(in[0].sigmoid())})
            .rule("g * sigmoid(a)")
            .unary(x -> Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), (x, out) -> 1 / (1 + Math.exp(-x)))
            .derivative("sigmoid(a)")
            .build();

    /** Rounds forward, passes the gradient unchanged backward (a straight-through estimator). */
    static final Op ROUND_STE = Op.define("roundSTE")
            .tensor(in -> {
                double[] d = in[0].toArray();
                for (int i = 0; i < d.length; i++) {
                    d[i] = Math.rint(d[i]);
                }
                return Tensor.of(d, in[0].shape());
            }, (g, out, in) -> new Tensor[] {g})
            .rule("g")
            .build();

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    @Test
    void softplusValuesAndGradientsAreClosedForm() {
        double[] xs = {-800, -30, -1, 0, 0.5, 30, 800};
        Tensor x = Tensor.of(xs).requiresGrad(true);
        Tensor y = SOFTPLUS.apply(x);
        assertSame(SOFTPLUS, y.op());
        y.sum().backward();
        for (int i = 0; i < xs.length; i++) {
            assertEquals(Math.max(xs[i], 0) + Math.log1p(Math.exp(-Math.abs(xs[i]))), y.get(i), 0, "x = " + xs[i]);
            assertEquals(sigmoid(xs[i]), x.grad().get(i), 1e-16, "x = " + xs[i]);
        }
        assertEquals(800, y.get(6), 0, "no overflow at 800");
        assertEquals(Math.log(2), y.get(3), 1e-16);
    }

    @Test
    void softplusPassesGradCheckAndHasSecondDerivatives() {
        Tensor x = Tensor.of(new double[] {-1.5, -0.2, 0.3, 2}, 2, 2).requiresGrad(true);
        GradCheck.defaults().check(in -> SOFTPLUS.apply(in.get(0)).mul(in.get(0)).sum(), x).orThrow();
        // d2/dx2 softplus = sigmoid(x)(1 - sigmoid(x)), through the backward written with tensor ops
        Tensor t = Tensor.scalar(0.7).requiresGrad(true);
        Tensor d1 = Tensor.grad(SOFTPLUS.apply(t), t, true);
        Tensor d2 = Tensor.grad(d1, t, false);
        assertEquals(sigmoid(0.7), d1.item(), 1e-16);
        assertEquals(sigmoid(0.7) * (1 - sigmoid(0.7)), d2.item(), 1e-16);
    }

    @Test
    void straightThroughEstimatorRoundsForwardAndPassesTheGradient() {
        Tensor x = Tensor.of(new double[] {0.2, 1.7, -2.6}).requiresGrad(true);
        Tensor y = ROUND_STE.apply(x);
        assertArrayEquals(new double[] {0, 2, -3}, y.toArray());
        y.mul(Tensor.of(new double[] {1, 2, 3})).sum().backward();
        assertArrayEquals(new double[] {1, 2, 3}, x.grad().toArray());
    }

    @Test
    void explainAndGraphVizNameTheUserOpAndItsRule() {
        Tensor x = Tensor.of(new double[] {0.0, 1.0}).requiresGrad(true).label("x");
        Tensor loss = SOFTPLUS.apply(x).sum();
        String dot = GraphViz.dot(loss);
        assertTrue(dot.contains("softplus1 | softplus | (2)"), dot);
        TensorExplanation report = Explain.backward(loss);
        TensorExplanation.Step step = report.steps().get(report.steps().size() - 1);
        assertEquals("softplus1", step.via());
        assertEquals("g * sigmoid(x)", step.rule());
        assertArrayEquals(new double[] {0.5, sigmoid(1)}, step.values(), 1e-16);
    }

    @Test
    void aGradientOfTheWrongShapeIsReportedWithTheOpAndBothShapes() {
        Op bad = Op.define("badShape").tensor(in -> in[0].mul(2), (g, out, in) -> new Tensor[] {g.sum()})
                .rule("g").build();
        Tensor x = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bad.apply(x).sum().backward());
        assertEquals("backward of badShape: gradient of shape () for input 0 of shape (3)", e.getMessage());
        assertEquals(null, x.grad(), "nothing was accumulated");
    }

    @Test
    void anExceptionInsideABackwardNamesTheOpBesideItsOwnMessage() { // a new user's probe: a bare "boom"
        Op boom = Op.define("throwsInBackward").tensor(in -> in[0].mul(2), (g, out, in) -> {
            throw new UnsupportedOperationException("boom");
        }).rule("g").build();
        Op inner = Op.define("innerShapeErr").tensor(in -> in[0].mul(2),
                (g, out, in) -> new Tensor[] {g.matmul(Tensor.zeros(5, 5))}).rule("g").build();
        Tensor x = Tensor.of(new double[] {1, 2, 3}).requiresGrad(true);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> boom.apply(x).sum().backward());
        assertEquals("boom", e.getMessage(), "the thrower's type and message");
        assertEquals(1, e.getSuppressed().length);
        assertEquals("thrown in the backward of throwsInBackward, whose result has shape (3)",
                e.getSuppressed()[0].getMessage());
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> inner.apply(x).sum().backward());
        assertTrue(f.getMessage().startsWith("matmul: shapes (3) and (5, 5) are not aligned"), f.getMessage());
        assertEquals("thrown in the backward of innerShapeErr, whose result has shape (3)",
                f.getSuppressed()[0].getMessage());
        assertEquals(null, x.grad(), "nothing was accumulated");
        // one exception thrown by every retry: noted once (a review); a checked one sneaked through too
        IllegalStateException shared = new IllegalStateException("shared");
        Op again = Op.define("sharedThrow").tensor(in -> in[0].mul(2), (g, out, in) -> {
            throw shared;
        }).rule("g").build();
        Tensor y = again.apply(x).sum();
        for (int k = 0; k < 3; k++) {
            assertThrows(IllegalStateException.class, () -> y.backward(true));
        }
        assertEquals(1, shared.getSuppressed().length);
        Op sneaky = Op.define("sneaky").tensor(in -> in[0].mul(2), (g, out, in) -> UserOpTest.<RuntimeException>sneak(
                new java.io.IOException("disk"))).rule("g").build();
        Exception io = assertThrows(Exception.class, () -> sneaky.apply(x).sum().backward());
        assertTrue(io instanceof java.io.IOException, io.toString());
        assertEquals("thrown in the backward of sneaky, whose result has shape (3)", io.getSuppressed()[0].getMessage());
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> Tensor[] sneak(Throwable e) throws E {
        throw (E) e; // as Kotlin or Lombok's @SneakyThrows throw a checked exception unchecked
    }

    @Test
    void aBackwardReturningTheWrongNumberOfGradientsIsReported() {
        Op bad = Op.define("twoGrads").tensor(in -> in[0].mul(2), (g, out, in) -> new Tensor[] {g, g})
                .rule("g").build();
        Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bad.apply(x).sum().backward());
        assertTrue(e.getMessage().startsWith("backward of twoGrads: returned 2 gradients for 1 inputs"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> Explain.backward(bad.apply(x).sum())); // was out of bounds
        assertTrue(e.getMessage().startsWith("backward of twoGrads: returned 2 gradients for 1 inputs"), e.getMessage());
    }

    @Test
    void anomalyModeChecksUserOpsResultsAndGradients() {
        Op logOp = Op.define("myLog").tensor(in -> {
            double[] d = in[0].toArray();   // computed outside jgrad's ops, so only the op's own check can see it
            for (int i = 0; i < d.length; i++) {
                d[i] = Math.log(d[i]);
            }
            return Tensor.of(d, in[0].shape());
        }, (g, out, in) -> new Tensor[] {g.div(in[0].sub(1))}).rule("g / (a - 1)").build();   // wrong on purpose
        try (Anomaly.Scope s = Anomaly.detect()) {
            ArithmeticException forward = assertThrows(ArithmeticException.class,
                    () -> logOp.apply(Tensor.of(new double[] {-1.0}).requiresGrad(true)));
            assertTrue(forward.getMessage().startsWith("myLog produced NaN at flat index 0"), forward.getMessage());
            Tensor x = Tensor.of(new double[] {2.0, 1.0}).requiresGrad(true);
            Tensor y = logOp.apply(x).sum();
            ArithmeticException backward = assertThrows(ArithmeticException.class, y::backward);
            assertTrue(backward.getMessage().startsWith("backward of myLog: div produced Infinity at flat index 1"),
                    backward.getMessage());
            assertTrue(backward.getCause().getMessage().startsWith("myLog created here"));
        }
    }

    @Test
    void backwardRefusesAUserOpWhoseInputChangedInPlace() {
        Tensor w = Tensor.of(new double[] {1, 2}).requiresGrad(true);
        Tensor y = SOFTPLUS.apply(w).sum();
        w.addInPlace(-0.1, Tensor.of(new double[] {1, 1}));
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().startsWith("backward of softplus: input 0 (shape (2)) was changed in place"),
                e.getMessage());
    }

    @Test
    void backwardRefusesAUserOpWhoseResultChangedInPlace() { // found by a probe: its backward is given out
        Op uexp = Op.define("uexp").tensor(in -> in[0].exp(), (g, out, in) -> new Tensor[] {g.mul(out)}).rule("g out").build();
        assertTrue(uexp.readsOutput());
        Tensor x = Tensor.of(new double[] {0, 1}).requiresGrad(true);
        Tensor y = uexp.apply(x);
        y.detach().copyFrom(Tensor.of(new double[] {100, 100}));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
        assertTrue(e.getMessage().startsWith("backward of uexp: its result (shape (2)) was changed in place"), e.getMessage());
    }

    @Test
    void gradCheckCatchesAWrongUserDerivative() {
        Op wrong = Op.define("wrongSquare").tensor(in -> in[0].mul(in[0]), (g, out, in) -> new Tensor[] {g.mul(in[0])})
                .rule("g * a").build();   // should be g * 2a
        GradCheck.Report r = GradCheck.defaults().check(in -> wrong.apply(in.get(0)).sum(), Tensor.of(new double[] {0.5, -1.25}));
        assertFalse(r.passed(), r.toString());
    }

    @Test
    void gradModeOffRecordsNothing() {
        Tensor x = Tensor.of(new double[] {1.0}).requiresGrad(true);
        try (GradMode.Scope s = GradMode.disabled()) {
            Tensor y = SOFTPLUS.apply(x);
            assertFalse(y.requiresGrad());
            assertTrue(y.isLeaf());
        }
    }

    @Test
    void misuseIsRefusedWithTheOpsName() {
        assertEquals("softplus: 2 inputs given, but the op has 1 backward rules (one per input)",
                assertThrows(IllegalArgumentException.class, () -> SOFTPLUS.apply(Tensor.of(new double[] {1.0}), Tensor.of(new double[] {2.0})))
                        .getMessage());
        assertTrue(assertThrows(IllegalStateException.class,
                () -> Op.define("noRule").tensor(in -> in[0], (g, out, in) -> new Tensor[] {g}).build())
                .getMessage().startsWith("noRule: a tensor op needs a backward rule per input"));
        assertThrows(IllegalArgumentException.class, () -> Op.define(" "));
        assertTrue(assertThrows(IllegalStateException.class, () -> ROUND_STE.apply(Value.of(1)))
                .getMessage().startsWith("roundSTE: this op defines no scalar forward"));
        Op nullForward = Op.define("nullForward").tensor(in -> null, (g, out, in) -> new Tensor[] {g}).rule("g").build();
        assertEquals("nullForward: the forward returned null",
                assertThrows(IllegalArgumentException.class, () -> nullForward.apply(Tensor.of(new double[] {1.0}))).getMessage());
        assertFalse(SOFTPLUS.isBuiltin());
        assertFalse(Op.builtins().contains(SOFTPLUS));
    }

    @Test
    void scalarUserOpsRecordTheirLocalDerivatives() {
        Value x = Value.of(1.5, "x");
        Value y = SOFTPLUS.apply(x).mul(3);
        y.backward();
        assertEquals(3 * sigmoid(1.5), x.grad(), 1e-15);
        assertSame(SOFTPLUS, y.parents().get(0).op());
        GradCheck.defaults().check(v -> SOFTPLUS.apply(v.get(0)).mul(v.get(0)), -0.7).orThrow();
        Explanation report = Explain.backward(SOFTPLUS.apply(Value.of(0.0, "x")).label("f"));
        assertTrue(report.toText().contains("df/dx = sigmoid(x)"), report.toText());
    }

    @Test
    void scalarUserOpsOfSeveralOperandsCheckTheirDerivatives() {
        Op hypot = Op.define("hypot").scalar(x -> Math.hypot(x[0], x[1]), (x, out) -> new double[] {x[0] / out, x[1] / out})
                .derivative("a/out", "b/out").build();
        Value a = Value.of(3);
        Value b = Value.of(4);
        Value h = hypot.apply(a, b);
        h.backward();
        assertEquals(5, h.data(), 0);
        assertEquals(0.6, a.grad(), 1e-16);
        assertEquals(0.8, b.grad(), 1e-16);
        Op broken = Op.define("broken").scalar(x -> x[0], (x, out) -> new double[] {1, 2}).derivative("1").build();
        assertEquals("broken: the derivatives function returned 2 derivatives for 1 operands",
                assertThrows(IllegalArgumentException.class, () -> broken.apply(Value.of(1))).getMessage());
        assertEquals(0, hypot.rules(), "a scalar-only op has no tensor rules");
        // one operand for two formulas ran the user's forward on a short array (AIOOBE from inside it)
        assertEquals("hypot: 1 operands given, but the op has 2 derivative formulas (one per operand)",
                assertThrows(IllegalArgumentException.class, () -> hypot.apply(Value.of(3))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> hypot.apply(a, b, Value.of(1)));
    }

    @Test
    void explainReportsTheWholeGradientAsBackwardComputesIt() { // -0.0 was shown where backward gave 0.0
        Value x = Value.of(2, "x");
        Value y = x.mul(-0.0).label("y");
        Explanation e = Explain.backward(y);
        Explanation.Step step = e.steps().get(e.steps().size() - 1);
        assertEquals(0, Double.compare(0.0, step.value()), step.toString());
        assertEquals(0, Double.compare(0.0, x.grad()));
    }

    /** sin, whose backward recomputes the forward and differentiates it (a checkpoint, re-entrant as PyTorch's). */
    static final Op CHECKPOINTED_SIN = Op.define("checkpointedSin").tensor(in -> in[0].sin(), (g, out, in) -> {
        try (GradMode.Scope on = GradMode.enabled()) {
            return new Tensor[] {Tensor.grad(in[0].sin().mul(g).sum(), in[0], false)};
        }
    }).rule("g * cos(a)").build();

    @Test
    void aBackwardMayRunAPassOfItsOwn() { // the inner pass erased the 3 the outer one had given x, in one order
        for (boolean opFirst : new boolean[] {true, false}) {
            Tensor x = Tensor.of(new double[] {0.5, 1.0}).requiresGrad(true);
            Tensor viaOp = CHECKPOINTED_SIN.apply(x).sum();
            Tensor direct = x.mul(3).sum();
            (opFirst ? viaOp.add(direct) : direct.add(viaOp)).backward();
            assertArrayEquals(new double[] {3 + Math.cos(0.5), 3 + Math.cos(1.0)}, x.grad().toArray(), 1e-15,
                    "op first: " + opFirst);
        }
        Tensor x = Tensor.of(new double[] {0.5, 1.0}).requiresGrad(true); // an input the outer graph computed
        Tensor y = x.mul(x);
        CHECKPOINTED_SIN.apply(y).sum().add(y.sum()).backward();
        for (int i = 0; i < 2; i++) {
            double v = x.toArray()[i];
            assertEquals(2 * v * Math.cos(v * v) + 2 * v, x.grad().toArray()[i], 1e-15);
        }
    }

    @Test
    void anInnerPassLeavesTheOuterGraphToTheOuterPass() { // it freed it: the outer pass skipped the node, gradient 0
        Op peeking = Op.define("peeking").tensor(in -> in[0].mul(1), (g, out, in) -> {
            try (GradMode.Scope on = GradMode.enabled()) {
                Tensor.grad(in[0].sum(), (Tensor) in[0].parents[0], false); // in[0] is x.sin(): the outer graph
            }
            return new Tensor[] {g};
        }).rule("g").build();
        Tensor x = Tensor.scalar(0.5).requiresGrad(true);
        Tensor loss = peeking.apply(x.sin()).sum();
        loss.backward();
        assertEquals(Math.cos(0.5), x.grad().item(), 1e-16);
        assertThrows(IllegalStateException.class, loss::backward, "the outer pass freed its graph when it ended");
    }

    @Test
    void passesNestedThreeDeepKeepEachOthersGradients() { // the middle pass cleared the outermost's gradient of p
        Tensor w = Tensor.scalar(2).requiresGrad(true);
        Tensor p = w.mul(3);
        Tensor hold = p.mul(5).sum();
        Op inner = Op.define("inner").tensor(in -> in[0].mul(1), (g, out, in) -> {
            try (GradMode.Scope on = GradMode.enabled()) {
                assertEquals(5, Tensor.grad(java.util.List.of(hold), java.util.List.of(p), false).get(0).item(), 0);
            }
            return new Tensor[] {g};
        }).rule("g").build();
        Op outer = Op.define("outer").tensor(in -> in[0].mul(1), (g, out, in) -> {
            try (GradMode.Scope on = GradMode.enabled()) {
                Tensor z = Tensor.scalar(1).requiresGrad(true);
                Tensor.grad(inner.apply(z.mul(2)).sum(), z, false); // a middle pass, running the inner one
            }
            return new Tensor[] {g};
        }).rule("g").build();
        outer.apply(p.mul(7)).sum().add(hold).backward();
        assertEquals(7 * 3 + 5 * 3, w.grad().item(), 0);
    }

    @Test
    void anInnerPassThatFreesNodesTheOuterRanLeavesNoGradientBehind() {
        // the outer pass cleared its gradients through its nodes' inputs, which the inner pass had freed: W
        // kept 5.0 for good, and every later pass set it aside and put it back
        Tensor w = Tensor.scalar(2).requiresGrad(true);
        Tensor hold = w.mul(5).sum(); // after the op in the graph: its backward runs first
        Op peek = Op.define("peek").tensor(in -> in[0].mul(1), (g, out, in) -> {
            try (GradMode.Scope on = GradMode.enabled()) {
                assertEquals(5, Tensor.grad(hold, w, false).item(), 0);
            }
            return new Tensor[] {g};
        }).rule("g").build();
        Tensor x = Tensor.scalar(1).requiresGrad(true);
        Tensor loss = peek.apply(x.mul(3)).add(hold);
        java.util.List<Tensor> grads = Tensor.grad(java.util.List.of(loss), java.util.List.of(x, w), false);
        assertEquals(3, grads.get(0).item(), 0);
        assertEquals(5, grads.get(1).item(), 0);
        assertEquals(null, w.passGrad, "no pass gradient left behind");
        w.mul(7).sum().backward();
        assertEquals(7, w.grad().item(), 0);
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> void sneaky(Throwable e) throws E {
        throw (E) e;
    }

    @Test
    void aCheckedExceptionFromABackwardLeavesNothingBehind() { // Kotlin throws them freely: the pass kept its counts
        boolean[] fail = {true};
        Op flaky = Op.define("flaky").tensor(in -> in[0].mul(1), (g, out, in) -> {
            if (fail[0]) {
                fail[0] = false;
                sneaky(new java.io.IOException("disk gone"));
            }
            return new Tensor[] {g};
        }).rule("g").build();
        Tensor x = Tensor.scalar(1).requiresGrad(true);
        Tensor doubled = x.mul(2);
        Tensor loss = flaky.apply(doubled).sum();
        Exception e = assertThrows(Exception.class, loss::backward);
        assertTrue(e instanceof java.io.IOException, e.toString());
        assertEquals(0, doubled.inPasses, "no running pass holds it");
        assertEquals(null, doubled.passGrad);
        loss.backward();
        assertEquals(2, x.grad().item(), 0);
        assertThrows(IllegalStateException.class, loss::backward, "the graph was freed");
    }

    @Test
    void aForwardThatChangesItsInputInPlaceIsRefused() { // a probe's: the gradient was e, where 1 is right
        Op bumping = Op.define("bumping").tensor(in -> {
            Tensor y = in[0].exp();
            in[0].addInPlace(1.0, Tensor.of(new double[] {1}));
            return y;
        }, (g, out, in) -> new Tensor[] {g.mul(in[0].exp())}).rule("g * exp(a)").build();
        Tensor x = Tensor.of(new double[] {0}).requiresGrad(true);
        assertEquals("bumping: the forward changed input 0 (shape (1)) in place, so the backward would read the changed"
                + " values; compute into a new tensor instead",
                assertThrows(IllegalStateException.class, () -> bumping.apply(x)).getMessage());
        try (GradMode.Scope s = GradMode.disabled()) { // nothing recorded, no gradient to get wrong: the user's business
            assertEquals(Math.E, bumping.apply(x).item(), 1e-15);
        }
    }

    @Test
    void formulasAndDomainsAreCheckedWhenTheOpIsDefined() { // a probe's: a null formula failed in explain, later
        Op.Builder b = Op.define("d");
        assertEquals("d: rule formula 0 is null",
                assertThrows(NullPointerException.class, () -> b.rule(new String[] {null})).getMessage());
        assertEquals("d: derivative formula 1 is null",
                assertThrows(NullPointerException.class, () -> b.derivative("1", null)).getMessage());
        assertEquals("d: rule formulas are null",
                assertThrows(NullPointerException.class, () -> b.rule((String[]) null)).getMessage());
        // tests map into [low, high] by low + (high - low) s: an infinite width gave every operand Infinity
        for (double[] bad : new double[][] {{-1e308, 1e308}, {Double.NEGATIVE_INFINITY, 0}, {0, Double.NaN}, {1, 1}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.domain(bad[0], bad[1]));
            assertTrue(e.getMessage().startsWith("d: domain needs finite low < high"), e.getMessage());
        }
        assertEquals(-1e307, Op.define("wide").domain(-1e307, 1e307).unary(x -> x, (x, o) -> 1).derivative("1").build().low());
    }

    @Test
    void aForwardMayFillAFreshResultInPlace() { // a review's: its result's version 1 read as "changed in place"
        Op doubled = Op.define("doubled").tensor(in -> {
            Tensor y = Tensor.zeros(in[0].shape());
            y.copyFrom(in[0].mul(2));
            return y;
        }, (g, out, in) -> new Tensor[] {g.mul(out).div(in[0])}).rule("g * out / a").build();
        assertTrue(doubled.readsOutput());
        Tensor x = Tensor.of(new double[] {1, 3}).requiresGrad(true);
        doubled.apply(x).sum().backward();
        assertArrayEquals(new double[] {2, 2}, x.grad().toArray(), 0);
    }
}
