package io.github.jgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class WorkedBackpropTest {
    private final WorkedBackprop.Step step = WorkedBackprop.run();

    private static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    @Test
    void forwardPassMatchesTheSeed() {
        assertEquals(2.87, step.get("z0").data(), 1e-15);
        assertEquals(8.7, step.get("z1").data(), 1e-15);
        assertEquals(0.15, step.get("z2").data(), 1e-15);
        assertEquals(0.6445, step.get("O3").data(), 5e-5);   // the seed's prediction
        assertEquals(0.0759, step.get("cost").data(), 5e-5); // the seed's cost
        assertEquals(0.6444626770534061, step.get("O3").data(), 1e-15); // exact (numpy agrees)
        assertEquals(0.0759208163365756, step.get("cost").data(), 1e-15);
    }

    /** The chain rule written out by hand, in plain doubles, for cost = (y - O3)^2. */
    @Test
    void everyGradientAndUpdateEqualsTheHandEquations() {
        double[] w = WorkedBackprop.WEIGHTS;
        double[] b = WorkedBackprop.BIASES;
        double x0 = 2;
        double x1 = 9;
        double o0 = sigmoid(x0 * w[0] + x1 * w[1] + b[0]);
        double o1 = sigmoid(x0 * w[2] + x1 * w[3] + b[1]);
        double o2 = sigmoid(x0 * w[4] + x1 * w[5] + b[2]);
        double o3 = sigmoid(o0 * w[6] + o1 * w[7] + o2 * w[8] + b[3]);
        double dz3 = 2 * (o3 - 0.92) * o3 * (1 - o3);
        double dz0 = dz3 * w[6] * o0 * (1 - o0);
        double dz1 = dz3 * w[7] * o1 * (1 - o1);
        double dz2 = dz3 * w[8] * o2 * (1 - o2);
        Map<String, Double> expected = new TreeMap<>(Map.ofEntries(
                Map.entry("w0", dz0 * x0), Map.entry("w1", dz0 * x1), Map.entry("b0", dz0),
                Map.entry("w2", dz1 * x0), Map.entry("w3", dz1 * x1), Map.entry("b1", dz1),
                Map.entry("w4", dz2 * x0), Map.entry("w5", dz2 * x1), Map.entry("b2", dz2),
                Map.entry("w6", dz3 * o0), Map.entry("w7", dz3 * o1), Map.entry("w8", dz3 * o2),
                Map.entry("b3", dz3)));
        assertEquals(13, step.after.size());
        for (Map.Entry<String, Double> e : expected.entrySet()) {
            String p = e.getKey();
            double grad = e.getValue();
            assertEquals(grad, step.get(p).grad(), 1e-15 + 1e-13 * Math.abs(grad), "dCost/d" + p);
            assertEquals(step.before.get(p) - 0.5 * grad, step.after.get(p), 1e-15, "new " + p);
        }
        // a few of them as plain numbers, so a reader can check them with a calculator
        assertEquals(-0.5510746458931879, step.get("O3").grad(), 1e-15);
        assertEquals(-0.11949290874484893, step.get("w6").grad(), 1e-15);
        assertEquals(0.9597464543724245, step.after.get("w6"), 1e-15);
        assertEquals(0.5012556042574605, step.after.get("b2"), 1e-15);
    }

    @Test
    void handCalculationIsHalfTheTrueGradient() {
        // the seed's dCost/dO3 = O3 - y = -0.2755 is the derivative of (y - O3)^2 / 2
        assertEquals(-0.2755, step.get("O3").grad() / 2, 5e-5);
        assertEquals(-0.0631, step.get("z3").grad() / 2, 5e-5);
    }

    @Test
    void theFlaggedHandNumbersAreExactlyTheExplainedMistakes() {
        assertEquals(new HashSet<>(WorkedBackprop.WHY.keySet()), new HashSet<>(WorkedBackprop.flagged(step)));
        // the two bias updates the seed gets wrong, by how much
        assertEquals(0.4999973715680527, step.handConvention("new b1"), 1e-15); // seed: 0.4842
        assertEquals(0.5006278021287303, step.handConvention("new b2"), 1e-15); // seed: 0.5025
        assertTrue(step.handConvention("dz1") > 0, "dCost/dz1 is positive; the seed wrote -0.0000");
    }

    @Test
    void printsForwardBackwardUpdatesAndTheMistakes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        WorkedBackprop.print(step, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("O3    = 0.6445"), out);
        assertTrue(out.contains("cost  = 0.0759"), out);
        assertTrue(out.contains("dCost/dw6  = -0.11949291"), out);
        assertTrue(out.contains("b1    0.5000 ->  0.49999474"), out);
        assertTrue(out.contains("2(O3 - y) = -0.5511"), out);
        assertTrue(out.contains("new b1  wrote 0.4842   exact  0.49999737  used dCost/dO1"), out);
        assertTrue(out.contains("(29 of 39)"), out);
    }
}
