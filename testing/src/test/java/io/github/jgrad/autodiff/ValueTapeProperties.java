package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.jgrad.testing.Property;
import io.github.jgrad.testing.ValueGraphs;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The scalar tape's two orders over random graphs: a backward pass from the tape (the first, which
 * sweeps it) and from the fallback order (the second: the first emptied the tape) add the same
 * products in the same order, so they give the same gradients bit for bit.
 */
class ValueTapeProperties {

    @Test
    void theSweepAndTheFallbackGiveTheSameBits() {
        Property.forAll(ValueGraphs.builtin().cases(4, 16)).tries(500).check(ValueTapeProperties::sameBits);
    }

    private static void sameBits(ValueGraphs.Case c) {
        List<Value> x = Value.of(c.point());
        Value y = c.graph().apply(x);
        y.backward();
        double[] swept = new double[x.size()];
        for (int i = 0; i < swept.length; i++) {
            swept[i] = x.get(i).grad();
            x.get(i).zeroGrad();
        }
        y.backward();
        for (int i = 0; i < swept.length; i++) {
            assertEquals(swept[i], x.get(i).grad(), 0.0, "x" + i);
        }
    }
}
