package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GradCheckTest {

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
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GradCheck.defaults().compare(new double[2], x -> 0, 1, 2, 3));
        assertTrue(e.getMessage().contains("2 gradients for 3 inputs"), e.getMessage());
    }
}
