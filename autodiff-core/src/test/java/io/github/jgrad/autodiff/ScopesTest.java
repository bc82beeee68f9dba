package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** GradMode and Anomaly scopes, and GradCheck run inside them. */
class ScopesTest {
    @Test
    void gradModeScopesClosedOutOfOrderLeaveTheThreadAsInOrder() {
        GradMode.Scope s1 = GradMode.disabled();
        GradMode.Scope s2 = GradMode.disabled();
        s1.close();
        assertFalse(GradMode.isEnabled());        // s2 is still open
        s2.close();
        assertTrue(GradMode.isEnabled());         // was false for good: s2 restored what s1 had set
        GradMode.Scope off = GradMode.disabled();
        GradMode.Scope on = GradMode.enabled();
        off.close();
        assertTrue(GradMode.isEnabled());         // the enabled scope is innermost and open
        on.close();
        on.close();                               // twice: no effect
        assertTrue(GradMode.isEnabled());
    }

    @Test
    void gradCheckRecordsTheGraphEvenWhenTheCallerTurnedGradModeOff() {
        // was: "backward 0.000000000, finite difference 0.9151369619", a correct gradient failed
        try (GradMode.Scope s = GradMode.disabled()) {
            GradCheck.Report r = GradCheck.defaults().check(in -> in.get(0).tanh().sum(),
                    Tensor.of(new double[] {0.3, -0.7}, 2));
            assertTrue(r.passed(), r.toString());
            assertFalse(GradMode.isEnabled());
        }
    }

    @Test
    void gradCheckInsideAnAnomalyScopeRefusesAsItDoesOutside() {
        GradCheck.Report outside = GradCheck.defaults().check(x -> x.get(0).sqrt(), 1e-7);
        try (Anomaly.Scope s = Anomaly.detect()) {
            // was an ArithmeticException from f at x - h, thrown out of the check
            GradCheck.Report inside = GradCheck.defaults().check(x -> x.get(0).sqrt(), 1e-7);
            assertFalse(inside.passed());
            assertEquals(outside.untrusted().size(), inside.untrusted().size());
            assertTrue(inside.toString().contains("NaN"), inside.toString());
        }
    }

    @Test
    void anomalyModeCatchesAGradientThatOverflowsWhenItsFiniteUsesAreAdded() {
        // each use sends back 1e308 * cos(0) = 1e308: finite; their sum is +inf
        try (Anomaly.Scope s = Anomaly.detect()) {
            Value w = Value.of(0, "w");
            Value y = w.mul(1e308).sin().add(w.mul(1e308).sin());
            ArithmeticException e = assertThrows(ArithmeticException.class, y::backward);
            assertTrue(e.getMessage().contains("Infinity") && e.getMessage().contains("overflowed"), e.getMessage());
        }
    }
}
