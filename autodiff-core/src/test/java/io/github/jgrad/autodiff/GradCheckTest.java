package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

class GradCheckTest {

    @Test
    void aScalarCheckRecordsWithGradModeOffAndRefusesInsideAnomalyScopes() { // a probe's cases
        try (GradMode.Scope off = GradMode.disabled()) {
            GradCheck.Report r = GradCheck.defaults().check(x -> x.get(0).mul(x.get(0)), 3.0);
            assertTrue(r.passed(), r.toString());
        }
        try (Anomaly.Scope on = Anomaly.detect()) {
            GradCheck.Report nan = GradCheck.defaults().check(x -> x.get(0).mul(2), Double.NaN);
            assertFalse(nan.passed());
            assertEquals("it is NaN", nan.untrusted().get(0).reason());
            GradCheck.Report root = GradCheck.defaults().check(x -> x.get(0).sqrt(), 0.0); // sqrt'(0) is infinite
            assertFalse(root.passed());
            assertFalse(root.untrusted().isEmpty(), root.toString());
            GradCheck.Report tensor = GradCheck.defaults().check(x -> x.get(0).mul(2).sum(),
                    Tensor.of(new double[] {1, Double.NaN}));
            assertFalse(tensor.passed());
            assertFalse(tensor.untrusted().isEmpty(), tensor.toString());
        }
    }

    @Test
    void anArithmeticExceptionOfTheUsersOwnPropagatesInsideAnomalyScopes() {
        // inside an anomaly scope any ArithmeticException of f was taken as "f is not finite": a check
        // whose f divided an int by zero reported "f(x) is NaN" instead of the user's error
        int[] zero = {0};
        try (Anomaly.Scope on = Anomaly.detect()) {
            ArithmeticException scalar = assertThrows(ArithmeticException.class,
                    () -> GradCheck.defaults().check(x -> x.get(0).mul(1 / zero[0]), 2.0));
            assertEquals("/ by zero", scalar.getMessage());
            ArithmeticException tensor = assertThrows(ArithmeticException.class,
                    () -> GradCheck.defaults().check(x -> x.get(0).mul(1 / zero[0]).sum(), Tensor.of(new double[] {1})));
            assertEquals("/ by zero", tensor.getMessage());
            int[] calls = {0};   // f throws only at the perturbed points
            ArithmeticException perturbed = assertThrows(ArithmeticException.class,
                    () -> GradCheck.defaults().check(x -> x.get(0).mul(calls[0]++ == 0 ? 1 : 1 / zero[0]), 2.0));
            assertEquals("/ by zero", perturbed.getMessage());
        }
    }

    @Test
    void aScalarCheckCountsOnlyTheGradientOfTheValueFReturns() { // a probe's cases
        // f differentiating into its inputs itself left their gradients in place: a check of a plain leaf
        // (no graph, derivative 0 by backward) "passed" against the finite difference 12
        GradCheck.Report own = GradCheck.defaults().check(xs -> {
            Value y = xs.get(0).pow(3);
            y.backward();
            return Value.of(xs.get(0).grad());
        }, 2.0);
        assertFalse(own.passed(), own.toString());
        assertEquals(0, own.analytic()[0], 0);
        assertEquals(12, own.numeric()[0], 1e-6);
        // the perturbed points are evaluated with grad mode on, as x is, whatever the caller's mode
        java.util.function.Function<List<Value>, Value> derivative = xs -> {
            Value y = xs.get(0).pow(3);
            y.backward();
            return Value.of(xs.get(0).grad());
        };
        double numeric = GradCheck.defaults().check(derivative, 1.0).numeric()[0];
        try (GradMode.Scope off = GradMode.disabled()) {
            assertEquals(numeric, GradCheck.defaults().check(derivative, 1.0).numeric()[0], 0); // was 0 with it off
        }
        assertEquals(6, numeric, 1e-6);
    }

    @Test
    void passesOnACorrectGraphAndReportsBothNumbers() {
        GradCheck.Report r = GradCheck.defaults()
                .check(x -> x.get(0).mul(x.get(1)).tanh().add(x.get(1).exp()), 0.3, -1.2);
        assertTrue(r.passed(), r.toString());
        double t = Math.tanh(0.3 * -1.2);
        assertArrayEquals(new double[] {-1.2 * (1 - t * t), 0.3 * (1 - t * t) + Math.exp(-1.2)},
                r.analytic(), 1e-15);
        assertArrayEquals(r.analytic(), r.numeric(), 1e-8);
        assertTrue(r.toString().startsWith("gradient check passed"), r.toString());
    }

    @Test
    void failsAndNamesTheWorstInput() {
        // d/dx (x0^2 + x1^3 + x2) at (1, 2, 3) is (2, 12, 1); claim a wrong one for x1
        GradCheck.Report r = GradCheck.defaults().compare(new double[] {2, 12.5, 1},
                x -> x[0] * x[0] + x[1] * x[1] * x[1] + x[2], 1, 2, 3);
        assertFalse(r.passed());
        assertEquals(1, r.worstIndex());
        assertEquals("x1", r.worstName());
        assertEquals(12.5, r.worstAnalytic(), 0);
        assertEquals(12.0, r.worstNumeric(), 1e-6);
        AssertionError e = assertThrows(AssertionError.class, r::orThrow);
        assertTrue(e.getMessage().contains("FAILED") && e.getMessage().contains("x1")
                && e.getMessage().contains("12.5"), e.getMessage());
    }

    @Test
    void toleranceIsAbsolutePlusRelative() {
        // |analytic - numeric| = 0.01 against numeric 12: rtol 1e-3 allows 0.012 + atol
        assertTrue(GradCheck.of(1e-6, 0, 1e-3).compare(new double[] {12.01}, x -> 12 * x[0], 0).passed());
        assertFalse(GradCheck.of(1e-6, 0, 1e-4).compare(new double[] {12.01}, x -> 12 * x[0], 0).passed());
        assertTrue(GradCheck.of(1e-6, 0.02, 0).compare(new double[] {12.01}, x -> 12 * x[0], 0).passed());
    }

    @Test
    void checkingLeavesTheGradientsOfCapturedParametersAlone() {
        Value weight = Value.of(3.0, "weight");
        weight.mul(2).backward();                                   // weight.grad() = 2
        GradCheck.defaults().check(x -> x.get(0).mul(weight).tanh(), 0.1).orThrow();
        assertEquals(2.0, weight.grad(), 0);

        Tensor w = Tensor.of(new double[] {1, -1}).requiresGrad(true);
        w.sum().backward();                                         // w.grad() = [1, 1]
        GradCheck.defaults().check(x -> x.get(0).mul(w).sum(), Tensor.of(new double[] {0.5, 2})).orThrow();
        assertArrayEquals(new double[] {1, 1}, w.grad().toArray(), 0);
    }

    @Test
    void exactAgreementPassesEvenWithZeroTolerance() {
        GradCheck.Report r = GradCheck.of(1e-6, 0, 1e-3).check(x -> x.get(0).mul(0.0), 1.0);
        assertTrue(r.passed(), r.toString());
    }

    @Test
    void anInfiniteFiniteDifferenceFailsAndIsNamed() {
        // d/dx log(x) at 1e-6 is 1e6; the central difference at h = 1e-6 reaches log(0) = -infinity
        GradCheck.Report r = GradCheck.defaults().compare(new double[] {2, 1e6}, p -> 2 * p[0] + Math.log(p[1]), 0, 1e-6);
        assertFalse(r.passed(), r.toString());
        assertEquals(1, r.worstIndex(), r.toString());
        assertTrue(Double.isInfinite(r.worstNumeric()) || Double.isNaN(r.worstNumeric()), r.toString());
    }

    @Test
    void nonFiniteNeverPasses() {
        GradCheck.Report r = GradCheck.defaults().check(x -> x.get(0).log(), -1.0);
        assertFalse(r.passed(), r.toString());
        assertEquals("x0", r.worstName());
    }

    @Test
    void rejectsBadSettingsAndLengths() {
        assertThrows(IllegalArgumentException.class, () -> GradCheck.of(0, 1e-5, 1e-3));
        assertThrows(IllegalArgumentException.class, () -> GradCheck.of(1e-6, -1, 1e-3));
        // the smallest step's half underflowed to 0: the report said "finite difference NaN" and no why (a probe)
        IllegalArgumentException tiny = assertThrows(IllegalArgumentException.class,
                () -> GradCheck.of(Double.MIN_VALUE, 1e-5, 1e-3));
        assertTrue(tiny.getMessage().contains("eps >= 2^-1022"), tiny.getMessage());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GradCheck.defaults().compare(new double[2], x -> 0, 1, 2, 3));
        assertTrue(e.getMessage().contains("2 gradients for 3 inputs"), e.getMessage());
    }

    // ------------------------------------------------------------------ modes

    @Test
    void modesAreImmutableCopies() {
        GradCheck full = GradCheck.defaults();
        GradCheck fast = full.fast();
        assertFalse(full.isFast());
        assertTrue(fast.isFast());
        assertFalse(GradCheck.defaults().isFast(), "fast() must not change the defaults");
        assertFalse(fast.full().isFast());
        assertTrue(fast.fast() == fast && full.full() == full, "already in that mode: the same instance");
        assertFalse(GradCheck.of(1e-6, 1e-5, 1e-3).isFast());
        // same step and tolerances in both modes: a 1e-2 relative error passes rtol 0.1 in either
        GradCheck loose = GradCheck.of(1e-6, 0, 0.1);
        assertTrue(loose.fast().compare(new double[] {12.12}, x -> 12 * x[0], 1).passed());
        assertFalse(GradCheck.of(1e-6, 0, 1e-3).fast().compare(new double[] {12.12}, x -> 12 * x[0], 1).passed());
    }

    @Test
    void fastModeComparesTheGradientDottedWithAUnitDirection() {
        // d/dx (x0^2 + x1^3 + x2) at (1, 2, 3) is (2, 12, 1)
        ToDoubleFunction<double[]> f = x -> x[0] * x[0] + x[1] * x[1] * x[1] + x[2];
        GradCheck.Report r = GradCheck.defaults().fast().compare(new double[] {2, 12, 1}, f, 1, 2, 3);
        assertTrue(r.passed(), r.toString());
        assertTrue(r.isFast());
        double[] u = r.direction();
        assertEquals(3, u.length);
        assertEquals(1, u[0] * u[0] + u[1] * u[1] + u[2] * u[2], 1e-15, "unit L2 norm");
        double dot = 2 * u[0] + 12 * u[1] + u[2];
        assertEquals(dot, r.worstAnalytic(), 1e-12);
        assertArrayEquals(new double[] {dot}, r.analytic(), 1e-12);
        assertEquals(dot, r.worstNumeric(), 1e-8, "directional finite difference");
        assertEquals(-1, r.worstIndex(), "fast mode cannot name an input");
        assertEquals(null, r.worstName());
        assertTrue(r.trusted() && r.untrusted().isEmpty(), r.toString());
        assertTrue(r.toString().startsWith("gradient check passed: along a random direction u")
                && r.toString().contains("fast mode (one random direction over all 3 inputs)"), r.toString());
        // the direction is seeded: the same for every check over 3 inputs
        assertArrayEquals(u, GradCheck.defaults().fast().compare(new double[3], x -> 0, 5, 6, 7).direction(), 0);
        // full mode has no direction and names the mode too
        GradCheck.Report full = GradCheck.defaults().compare(new double[] {2, 12, 1}, f, 1, 2, 3);
        assertEquals(0, full.direction().length);
        assertFalse(full.isFast());
        assertTrue(full.toString().endsWith("; full mode (every input perturbed)"), full.toString());
    }

    @Test
    void fastModeEvaluatesFFiveTimesWhateverTheInputCount() {
        int n = 50;
        double[] x = new double[n];
        double[] grad = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = 0.1 * i - 2;
            grad[i] = 2 * x[i];
        }
        int[] calls = new int[1];
        ToDoubleFunction<double[]> sumOfSquares = p -> {
            calls[0]++;
            double s = 0;
            for (double v : p) {
                s += v * v;
            }
            return s;
        };
        assertTrue(GradCheck.defaults().fast().compare(grad, sumOfSquares, x).passed());
        assertEquals(5, calls[0], "f(x) and f(x +- h u), f(x +- h/2 u)");
        calls[0] = 0;
        assertTrue(GradCheck.defaults().compare(grad, sumOfSquares, x).passed());
        assertEquals(4 * n + 1, calls[0], "full mode: f(x) and four per input");
    }

    @Test
    void fastModeFailsOnAWrongGradientAndSaysItCannotNameTheInput() {
        GradCheck.Report r = GradCheck.defaults().fast().compare(new double[] {2, 12.5, 1},
                x -> x[0] * x[0] + x[1] * x[1] * x[1] + x[2], 1, 2, 3);
        double[] u = r.direction();
        // the error 0.5 along x1 shows as 0.5 * u1: large enough here to fail
        assertTrue(Math.abs(u[1]) > 0.1, "direction " + java.util.Arrays.toString(u));
        assertEquals(0.5 * u[1], r.worstAnalytic() - r.worstNumeric(), 1e-7);
        assertFalse(r.passed());
        assertTrue(r.trusted(), "a wrong gradient is a failure, not a refusal");
        assertTrue(r.toString().startsWith("gradient check FAILED: along a random direction u")
                && r.toString().contains("fast mode cannot name the input: check with full() to find it")
                && r.toString().contains("fast mode"), r.toString());
    }

    @Test
    void scalarCheckInFastMode() {
        GradCheck.Report r = GradCheck.defaults().fast()
                .check(x -> x.get(0).mul(x.get(1)).tanh().add(x.get(1).exp()), 0.3, -1.2);
        assertTrue(r.passed(), r.toString());
        double t = Math.tanh(0.3 * -1.2);
        double[] u = r.direction();
        double dot = -1.2 * (1 - t * t) * u[0] + (0.3 * (1 - t * t) + Math.exp(-1.2)) * u[1];
        assertEquals(dot, r.worstAnalytic(), 1e-12);
        assertEquals(dot, r.worstNumeric(), 1e-9);
    }

    @Test
    void tensorCheckInFastModeUsesOneDirectionOverAllElements() {
        Tensor a = Tensor.of(new double[] {0.5, -1, 2}, 3);
        Tensor b = Tensor.of(new double[] {1.5, 0.25}, 2, 1);
        // f = sum(a * a) + sum(b^3): gradients 2a and 3b^2
        GradCheck.Report r = GradCheck.defaults().fast()
                .check(x -> x.get(0).mul(x.get(0)).sum().add(x.get(1).pow(3).sum()), a, b);
        assertTrue(r.passed(), r.toString());
        double[] u = r.direction();
        assertEquals(5, u.length);
        double dot = 2 * 0.5 * u[0] + 2 * -1 * u[1] + 2 * 2 * u[2] + 3 * 1.5 * 1.5 * u[3] + 3 * 0.25 * 0.25 * u[4];
        assertEquals(dot, r.worstAnalytic(), 1e-12);
        assertEquals(dot, r.worstNumeric(), 1e-8);
    }

    // ------------------------------------------------------------------ a planted wrong derivative

    /** x^2 element-wise, with backward g * factor * x: factor 2 everywhere is right. */
    private static Tensor square(Tensor x, double... factor) {
        Tensor f = Tensor.of(factor, x.shape());
        return Op.define("square").rule("g * factor * x")
                .tensor(in -> in[0].mul(in[0]), (g, out, in) -> new Tensor[] {g.mul(in[0]).mul(f)}).build().apply(x);
    }

    private static final Tensor X = Tensor.of(new double[] {0.5, -1.25, 2, 3}, 2, 2);

    @Test
    void aCorrectCustomOpPassesBothModes() {
        GradCheck strict = GradCheck.of(1e-6, 1e-7, 1e-5);
        for (GradCheck check : new GradCheck[] {GradCheck.defaults(), GradCheck.defaults().fast(), strict, strict.fast()}) {
            GradCheck.Report r = check.check(in -> square(in.get(0), 2, 2, 2, 2), X);
            assertTrue(r.passed() && r.trusted(), r.toString());
        }
        // and the planted op is really x^2: its value and a correct backward through it
        Tensor x = X.detach().requiresGrad(true);   // a fresh leaf: X is shared by the other tests
        Tensor y = square(x, 2, 2, 2, 2);
        assertArrayEquals(new double[] {0.25, 1.5625, 4, 9}, y.toArray(), 0);
        y.sum().backward();
        assertArrayEquals(new double[] {1, -2.5, 4, 6}, x.grad().toArray(), 0);
    }

    @Test
    void aPlantedWrongDerivativeFailsInFullModeNamingTheInput() {
        // backward 3x instead of 2x, for element [1, 0] only
        GradCheck.Report r = GradCheck.defaults().check(in -> square(in.get(0), 2, 2, 3, 2), X);
        assertFalse(r.passed());
        assertTrue(r.trusted(), r.toString());
        assertEquals(2, r.worstIndex(), r.toString());
        assertEquals("input0[1, 0]", r.worstName());
        assertEquals(1.5, r.worstAnalytic() / r.worstNumeric(), 1e-9, "3x against 2x");
        double[] a = r.analytic();
        double[] n = r.numeric();
        for (int i : new int[] {0, 1, 3}) {
            assertEquals(n[i], a[i], 1e-8 * Math.abs(a[i]), "the correct elements agree: " + i);
        }
        assertTrue(r.toString().startsWith("gradient check FAILED: worst input input0[1, 0] (index 2)")
                && r.toString().endsWith("full mode (every input perturbed)"), r.toString());
    }

    @Test
    void aPlantedWrongDerivativeFailsInFastMode() {
        GradCheck.Report r = GradCheck.defaults().fast().check(in -> square(in.get(0), 2, 2, 3, 2), X);
        assertFalse(r.passed(), r.toString());
        assertTrue(r.trusted(), r.toString());
        // the analytic side is sum_i v_i factor_i x_i u_i, the numeric one the same with factor 2: they
        // differ by exactly the planted v_2 x_2 u_2, whatever v is
        double[] u = r.direction();
        double[] right = GradCheck.defaults().fast().check(in -> square(in.get(0), 2, 2, 2, 2), X).analytic();
        double[] wrong = r.analytic();
        double plantedPart = (wrong[0] - right[0]);   // v_2 * 1 * x_2 * u_2 with x_2 = 2
        assertTrue(Math.abs(plantedPart) > 0.1 && Math.abs(u[2]) > 0.1, "u " + java.util.Arrays.toString(u));
        assertEquals(right[0], r.worstNumeric(), 1e-8, "the finite difference does not see the plant");
        assertTrue(r.toString().contains("fast mode cannot name the input: check with full() to find it"),
                r.toString());
    }

    @Test
    void aSmallPlantedErrorFailsAStrictCheckInBothModes() {
        // backward off by 1e-3 relative everywhere: the default rtol 1e-3 lets it through, rtol 1e-5 does not
        GradCheck strict = GradCheck.of(1e-6, 1e-7, 1e-5);
        assertTrue(GradCheck.defaults().check(in -> square(in.get(0), 2.002, 2.002, 2.002, 2.002), X).passed());
        GradCheck.Report full = strict.check(in -> square(in.get(0), 2.002, 2.002, 2.002, 2.002), X);
        assertFalse(full.passed(), full.toString());
        GradCheck.Report fast = strict.fast().check(in -> square(in.get(0), 2.002, 2.002, 2.002, 2.002), X);
        assertFalse(fast.passed(), fast.toString());
        assertEquals(1.001, fast.worstAnalytic() / fast.worstNumeric(), 1e-8);
    }

    // ------------------------------------------------------------------ refusing untrustworthy points

    private static GradCheck.Untrusted onlyUntrusted(GradCheck.Report r) {
        assertFalse(r.passed(), r.toString());
        assertFalse(r.trusted(), r.toString());
        assertEquals(1, r.untrusted().size(), r.toString());
        return r.untrusted().get(0);
    }

    @Test
    void reluAtZeroIsRefusedAsAKink() {
        GradCheck.Report r = GradCheck.defaults().check(x -> x.get(0).relu(), 0.0);
        GradCheck.Untrusted u = onlyUntrusted(r);
        assertEquals(0, u.index());
        assertEquals("x0", u.name());
        assertTrue(u.reason().startsWith("finite differences are unreliable there: slopes left 0 and right 1 (a kink"),
                u.reason());
        assertTrue(r.toString().startsWith("gradient check FAILED: cannot check input x0: finite differences are"
                + " unreliable there: slopes left 0 and right 1"), r.toString());
        assertEquals(0, r.worstIndex());
        // the same point in fast mode: refused along the direction, with the full mode suggested
        GradCheck.Report fast = GradCheck.defaults().fast().check(x -> x.get(0).relu(), 0.0);
        GradCheck.Untrusted along = onlyUntrusted(fast);
        assertEquals(-1, along.index());
        assertTrue(along.reason().contains("a kink"), along.reason());
        assertTrue(fast.toString().contains("cannot check along the random direction u")
                && fast.toString().contains("full()"), fast.toString());
    }

    @Test
    void absAtZeroIsRefusedAndOtherInputsAreStillChecked() {
        GradCheck.Report r = GradCheck.defaults().check(x -> x.get(0).abs().add(x.get(1).mul(x.get(1))), 0.0, 1.5);
        GradCheck.Untrusted u = onlyUntrusted(r);
        assertEquals("x0", u.name());
        assertTrue(u.reason().contains("slopes left -1 and right 1"), u.reason());
        assertEquals(3.0, r.numeric()[1], 1e-8, "x1 is checked as usual");
        assertTrue(r.toString().contains("worst checked input x1 (index 1)"), r.toString());
    }

    @Test
    void onlyKinksThatCanMoveTheOutcomeAreRefused() {
        // f = x + s relu(x) at 0: the difference is the average slope 1 + s/2, within s/2 of either
        // one-sided slope; with the tolerance ~1e-3 a slope change s = 1.5e-3 cannot decide the outcome
        GradCheck.Report small = GradCheck.defaults().compare(new double[] {1}, p -> p[0] + 1.5e-3 * Math.max(0, p[0]), 0);
        assertTrue(small.trusted() && small.passed(), small.toString());
        assertEquals(1.00075, small.worstNumeric(), 1e-9);
        GradCheck.Report large = GradCheck.defaults().compare(new double[] {1}, p -> p[0] + 3e-3 * Math.max(0, p[0]), 0);
        assertTrue(onlyUntrusted(large).reason().contains("slopes left 1 and right 1.003"), large.toString());
    }

    @Test
    void aStepIsRefusedAsAJump() {
        // f jumps from 0 to 1 at 0; a backward that says 0 would "pass" a naive check nowhere, but the
        // point is that no number is meaningful there
        GradCheck.Untrusted u = onlyUntrusted(GradCheck.defaults().compare(new double[] {0},
                x -> x[0] >= 0 ? 1 : 0, 0));
        assertTrue(u.reason().contains("slopes left 2e+06 and right 0 (a kink or jump"), u.reason());
        // a jump half a step away is refused too: the differences do not converge
        GradCheck.Untrusted near = onlyUntrusted(GradCheck.defaults().compare(new double[] {0},
                x -> x[0] >= 0.7e-6 ? 1 : 0, 0));
        assertTrue(near.reason().contains("do not converge"), near.reason());
    }

    @Test
    void theRulesHoldForFunctionsOfAnyMagnitude() { // a new user's probe
        // exp(x) at 380 was refused as "not converging": the difference of D(h) and D(h/2) was squared
        // and overflowed; and a kink scaled by 1e-200 passed: the product of the two jumps underflowed
        for (double x : new double[] {380, 500, 700, 709}) { // at 709, 4 D(h/2) overflowed in the extrapolation
            GradCheck.Report r = GradCheck.defaults().check(v -> v.get(0).exp(), x);
            assertTrue(r.passed() && r.trusted(), x + ": " + r);
        }
        for (double scale : new double[] {1, 1e-200, 1e-300}) {
            GradCheck.Untrusted u = onlyUntrusted(GradCheck.of(1e-6, 0, 1e-3).check(v -> v.get(0).abs().mul(scale), 0.0));
            assertTrue(u.reason().contains("a kink or jump"), scale + ": " + u.reason());
        }
    }

    @Test
    void withoutInputsBothModesReportNoNumbers() { // a new user's probe: fast mode reported [0.0] against [NaN]
        for (GradCheck g : new GradCheck[] {GradCheck.defaults(), GradCheck.defaults().fast()}) {
            GradCheck.Report r = g.check((List<Value> x) -> Value.of(3.0).mul(2.0), new double[0]);
            assertTrue(r.passed() && r.trusted(), r.toString());
            assertEquals(0, r.analytic().length, r.toString());
            assertEquals(0, r.numeric().length, r.toString());
            assertEquals(0, r.worstAnalytic(), 0);
            assertEquals(0, r.worstNumeric(), 0);
        }
    }

    @Test
    void pointsWithinAStepOfAKinkAreRefused() {
        double h = 1e-6;
        for (double x : new double[] {0.1 * h, 0.3 * h, 0.7 * h, -0.3 * h, -0.7 * h}) {
            GradCheck.Report r = GradCheck.defaults().check(v -> v.get(0).relu(), x);
            GradCheck.Untrusted u = onlyUntrusted(r);
            assertTrue(u.reason().contains("kink") || u.reason().contains("do not converge"), x + ": " + u);
        }
        // two steps away the one-sided slopes agree and relu checks normally
        assertTrue(GradCheck.defaults().check(v -> v.get(0).relu(), 2.5 * h).passed());
        assertTrue(GradCheck.defaults().check(v -> v.get(0).relu(), -2.5 * h).passed());
    }

    @Test
    void aLargeConstantIsRefusedForRoundingNoise() {
        // f = 1e12 + x: ulp(1e12) = 1.2e-4, so f(x + h) - f(x - h) with h = 1e-6 cannot resolve 2e-6;
        // the difference comes out as 0 or a multiple of 1.2e-4 / 2e-6 = 61, whatever the gradient
        GradCheck.Untrusted u = onlyUntrusted(GradCheck.defaults().compare(new double[] {1},
                x -> 1e12 + x[0], 1));
        assertTrue(u.reason().contains("rounding noise ulp(|f| = 1.00e+12) / 2h = 61.0 exceeds the tolerance"),
                u.reason());
        // a larger step resolves it: ulp(1e12) / 2e-2 = 0.006 against the tolerance 1e-5 + 1e-3 * 1
        // is still too noisy, a step of 1 is not
        assertFalse(GradCheck.of(1e-2, 1e-5, 1e-3).compare(new double[] {1}, x -> 1e12 + x[0], 1).trusted());
        assertTrue(GradCheck.of(1, 1e-5, 1e-3).compare(new double[] {1}, x -> 1e12 + x[0], 1).passed());
        // the same in fast mode
        GradCheck.Untrusted along = onlyUntrusted(GradCheck.defaults().fast().compare(new double[] {1, 1},
                x -> 1e12 + x[0] + x[1], 1, 1));
        assertTrue(along.reason().contains("rounding noise"), along.reason());
    }

    @Test
    void nonFiniteInputsAndValuesAreRefused() {
        GradCheck.Report nan = GradCheck.defaults().compare(new double[] {1, 1}, x -> x[0] + x[1], 1, Double.NaN);
        assertFalse(nan.passed());
        assertEquals(2, nan.untrusted().size(), nan.toString());
        assertEquals("cannot check input x0: f(x) is NaN, so there is nothing to take differences of",
                nan.untrusted().get(0).toString());
        assertEquals("cannot check input x1: it is NaN", nan.untrusted().get(1).toString());
        GradCheck.Report fast = GradCheck.defaults().fast().compare(new double[] {1, 1}, x -> x[0] + x[1],
                Double.POSITIVE_INFINITY, 1);
        assertEquals("cannot check input x0: it is Infinity", onlyUntrusted(fast).toString());
        assertFalse(fast.toString().contains("cannot name"), "fast mode named this one: " + fast);

        GradCheck.Report log = GradCheck.defaults().check(x -> x.get(0).log(), -1.0);
        assertEquals("f(x) is NaN, so there is nothing to take differences of", onlyUntrusted(log).reason());

        // log at 1e-6 is finite, but the step reaches log(0)
        GradCheck.Report edge = GradCheck.defaults().compare(new double[] {1e6}, p -> Math.log(p[0]), 1e-6);
        GradCheck.Untrusted u = onlyUntrusted(edge);
        assertTrue(u.reason().startsWith("f(x) is finite but f at x - h e_0 is -Infinity (h = 1.00e-06): the step"
                + " leaves f's domain"), u.reason());
    }

    @Test
    void steepButSmoothFunctionsAreNotRefused() {
        // log at 1e-5 with h = 1e-6: D(h) and D(h/2) differ by 252 against a tolerance of 100, yet the
        // Richardson extrapolation is right to 4e-6 relative; refusing on |D(h) - D(h/2)| alone would
        // lose it
        GradCheck.Report r = GradCheck.defaults().compare(new double[] {1e5}, p -> Math.log(p[0]), 1e-5);
        assertTrue(r.passed(), r.toString());
        assertEquals(1e5, r.worstNumeric(), 1);
        // x^2 at its minimum: f' = 0, f'' = 2, so J = 2h is tiny and halves
        assertTrue(GradCheck.defaults().compare(new double[] {0}, p -> p[0] * p[0], 0).passed());
        // with a zero tolerance there (atol 0, derivative 0) only exact agreement counts, as before
        assertTrue(GradCheck.of(1e-6, 0, 1e-3).compare(new double[] {0}, p -> p[0] * p[0], 0).passed());
        assertFalse(GradCheck.of(1e-6, 0, 1e-3).compare(new double[] {1e-300}, p -> p[0] * p[0], 0).passed());
        // a wiggle 30 steps wide: sin(x / 3e-5) checks fine
        assertTrue(GradCheck.defaults().compare(new double[] {Math.cos(0.1 / 3e-5) / 3e-5},
                p -> Math.sin(p[0] / 3e-5), 0.1).passed());
    }

    @Test
    void anInputFIgnoresIsNotRefusedForNoise() {
        // f = 9000 + x0: ulp(9000) / 2h = 9.1e-7 is under atol 1e-6, but 1.8e-6 at f = 20000 is not;
        // x1 is ignored, so f does not move along it and its zero gradient is as good as exact
        GradCheck strict = GradCheck.of(1e-6, 1e-6, 1e-5);
        assertTrue(strict.compare(new double[] {1, 0}, x -> 9000 + x[0], 1, 1).passed());
        GradCheck.Report r = strict.compare(new double[] {1, 0}, x -> 20000 + x[0], 1, 1);
        assertTrue(r.passed(), r.toString());
        assertEquals(0, r.numeric()[1], 0);
        // but a nonzero gradient for it cannot be confirmed at this resolution: refused, not failed
        GradCheck.Untrusted u = onlyUntrusted(strict.compare(new double[] {0, 1.5e-6}, x -> 20000 + x[0] * 0, 1, 1));
        assertEquals("x1", u.name());
        assertTrue(u.reason().contains("rounding noise"), u.reason());
    }

    @Test
    void aRoundingStaircaseIsNotMistakenForAJump() {
        // found by a property test: at x = 0.00978 the change of (x - tanh x)^2 ~ 1e-13 over the step
        // drowns in + 0.5, so f moves in steps of ~33 ulps, which five points cannot tell from a jump;
        // such evidence is too close to rounding to refuse on, and the comparison decides as before
        java.util.function.Function<List<Value>, Value> f = x -> {
            Value t = x.get(0).sub(x.get(0).tanh());
            return t.mul(t).add(0.5).pow(-3).exp();
        };
        GradCheck.Report r = GradCheck.defaults().check(f, 0.00978);
        assertTrue(r.trusted(), r.toString());
        assertTrue(r.passed(), r.toString());
        // the staircase shows: the finite difference is twice the gradient, which only atol 1e-5 hides
        assertEquals(-8.534e-6, r.worstAnalytic(), 1e-9);
        assertEquals(-1.804e-5, r.worstNumeric(), 1e-8);
        GradCheck.Report strict = GradCheck.of(1e-6, 1e-6, 1e-5).check(f, 0.00978);
        assertTrue(strict.trusted(), strict.toString());
        assertFalse(strict.passed(), strict.toString());
    }

    @Test
    void untrustedListsAreUnmodifiable() {
        GradCheck.Report r = GradCheck.defaults().check(x -> x.get(0).relu(), 0.0);
        List<GradCheck.Untrusted> list = r.untrusted();
        assertThrows(UnsupportedOperationException.class, list::clear);
    }

    @Test
    void manyRefusedInputsAreCountedInTheMessage() {
        Tensor x = Tensor.zeros(8);
        GradCheck.Report r = GradCheck.defaults().check(in -> in.get(0).relu().sum(), x);
        assertEquals(8, r.untrusted().size(), r.toString());
        assertTrue(r.toString().contains("cannot check input input0[0]: ")
                && r.toString().contains("; 7 more cannot be checked: input0[1], input0[2], input0[3],"
                + " input0[4], input0[5], ..."), r.toString());
    }

    @Test
    void manyLargeOutputsDoNotDrownTheChangeOfOne() {
        // 100 outputs of about 1e4: their sum is 1e6, whose rounding (ulp / 2h = 5.8e-5) would exceed the
        // tolerance of a gradient 2x of about 0.01; each output differenced alone has noise 9e-7
        Tensor x = Tensor.uniform(new SplittableRandom(3), -1e-2, 1e-2, 100);
        for (GradCheck check : new GradCheck[] {GradCheck.defaults(), GradCheck.defaults().fast()}) {
            GradCheck.Report r = check.check(in -> in.get(0).pow(2).add(1e4), x);
            assertTrue(r.passed() && r.trusted(), r.toString());
        }
        // and a derivative off by 1e-3 in one element among them is still caught: y + (y - detach(y))
        // has the value of y but backward sends twice y's gradient, here for element 7 only
        Tensor e7 = oneHot(100, 7).mul(1e-3);
        GradCheck.Report wrong = GradCheck.defaults().check(in -> {
            Tensor extra = in.get(0).mul(e7);
            return in.get(0).pow(2).add(1e4).add(extra.sub(extra.detach()));
        }, x);
        assertFalse(wrong.passed(), wrong.toString());
        assertTrue(wrong.trusted(), wrong.toString());
        assertEquals("input0[7]", wrong.worstName(), wrong.toString());
    }

    @Test
    void largeOutputsStillRefuseWhereRoundingHidesTheChange() {
        // x + 1e12 changes by 1e-6 over the step, far below ulp(1e12) = 1.2e-4: refused, not failed
        Tensor x = Tensor.of(new double[] {0.5, 0.25});
        GradCheck[] modes = {GradCheck.defaults(), GradCheck.defaults().fast()};
        for (GradCheck check : modes) {
            GradCheck.Report r = check.check(in -> in.get(0).add(1e12), x);
            assertFalse(r.passed() || r.trusted(), r.toString());
            assertTrue(r.toString().contains("rounding noise"), r.toString());
            GradCheck.Report s = check.check(in -> in.get(0).pow(2).add(1e12).sum(), x);
            assertFalse(s.passed() || s.trusted(), s.toString());
        }
    }

    @Test
    void aNonFiniteOutputIsNamedAsItIs() {
        Tensor x = Tensor.of(new double[] {0.5});
        GradCheck.Report r = GradCheck.defaults().check(
                in -> Tensor.concat(0, in.get(0), Tensor.of(new double[] {Double.NEGATIVE_INFINITY})), x);
        assertFalse(r.passed(), r.toString());
        assertTrue(r.toString().contains("f(x) is -Infinity"), r.toString());
    }

    private static Tensor oneHot(int n, int i) {
        double[] d = new double[n];
        d[i] = 1;
        return Tensor.of(d);
    }
}
