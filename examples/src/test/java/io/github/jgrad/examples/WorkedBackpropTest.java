package io.github.jgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.Explain;
import io.github.jgrad.autodiff.Explanation;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class WorkedBackpropTest {
    private final WorkedPass step = WorkedBackprop.run();

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
        assertEquals(0.4999973715680527, WorkedBackprop.handConvention(step, "new b1"), 1e-15); // seed: 0.4842
        assertEquals(0.5006278021287303, WorkedBackprop.handConvention(step, "new b2"), 1e-15); // seed: 0.5025
        assertTrue(WorkedBackprop.handConvention(step, "dz1") > 0, "dCost/dz1 is positive; the seed wrote -0.0000");
    }

    @Test
    void explainWritesOutTheWholeBackwardPass() {
        List<Explanation.Step> steps = step.explained().steps();
        // the output, one step per edge into a non-constant (the exponent 2 is one), sums for x0 and x1
        assertEquals(1 + 33 + 2, steps.size());
        int checked = 0;
        for (Explanation.Step e : steps) {
            if (e.isWholeGradient() && step.values.containsKey(e.name())) {
                assertEquals(step.get(e.name()).grad(), e.value(), 0, e.name());
                checked++;
            }
        }
        assertEquals(step.values.size(), checked); // every value the example names
        // the seed's steps 2 and 3, written out by jgrad (true gradients: twice the seed's)
        Explanation.Step s5 = steps.get(4);
        assertEquals("dO3/dz3 = sigmoid(z3)*(1 - sigmoid(z3)) = O3*(1 - O3) = 0.6445*(1 - 0.6445) = 0.2291",
                s5.local());
        assertEquals("dcost/dz3 = dcost/dO3 * dO3/dz3 = -0.5511 * 0.2291 = -0.1263", s5.chain());
        assertEquals("dcost/dsub1 = 2*sub1^(2-1) = 2*0.2755^(2-1) = 0.5511", steps.get(1).local());
        assertEquals("dcost/dx0 = part 1 + part 2 + part 3 = -0.0001 + 0.0000 + (-0.0009) = -0.0010",
                steps.get(35).chain());
    }

    @Test
    void theSeedsTwentyOneStepsAgainstExplain() {
        List<WorkedBackprop.HandStep> hand = WorkedBackprop.handSteps(step);
        assertEquals(21, hand.size());
        List<Integer> off = new ArrayList<>();
        for (WorkedBackprop.HandStep h : hand) {
            if (!h.right()) {
                off.add(h.number());
                assertTrue(WorkedBackprop.WHY.containsKey(h.whyKey()), "unexplained: " + h.quantity());
            }
        }
        // rounding before multiplying (11, 20, 21) and the sign slip of step 14 with what inherits it
        assertEquals(List.of(11, 14, 15, 16, 20, 21), off);

        // where the seed is right it matches jgrad under its own convention: seed gradient = true / 2
        double o3 = step.get("O3").data();
        WorkedBackprop.HandStep s1 = hand.get(0);
        assertEquals("dCost/dO3", s1.quantity());
        assertEquals(2 * (o3 - 0.92), s1.jgrad().value(), 1e-16);     // the true gradient ...
        assertEquals(-0.2755, s1.exact(), 5e-5);                      // ... is twice the seed's
        WorkedBackprop.HandStep s2 = hand.get(1);
        assertEquals(o3 * (1 - o3), s2.jgrad().localDerivative(), 1e-16);   // a local derivative: no halving
        assertEquals(0.2291, s2.exact(), 5e-5);
        for (WorkedBackprop.HandStep h : hand) {
            if (h.quantity().startsWith("dCost/")) {
                String name = h.quantity().substring("dCost/d".length());
                assertEquals(step.get(name).grad() / 2, h.exact(), 0, h.quantity());
            }
            if (h.right()) {
                assertEquals(Double.parseDouble(h.wrote()), h.exact(), 1e-4, h.quantity());
            }
        }
        WorkedBackprop.HandStep s14 = hand.get(13);
        assertTrue(s14.wrote().startsWith("-") && s14.exact() > 0, "step 14: the seed's sign slip");
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
        assertTrue(out.contains("\nBackward pass of cost = 0.0759 (30 values, 36 steps)\n"), out);
        assertTrue(out.contains("\n   5. dO3/dz3 = sigmoid(z3)*(1 - sigmoid(z3)) = O3*(1 - O3) = 0.6445*(1 - 0.6445) = 0.2291\n"
                + "      dcost/dz3 = dcost/dO3 * dO3/dz3 = -0.5511 * 0.2291 = -0.1263\n"), out);
        assertTrue(out.contains("\n   2. dO3/dz3   wrote 0.2291   jgrad  0.22913053 (step 5)  agrees\n"), out);
        assertTrue(out.contains("\n  14. dCost/dz1 wrote -0.0000  jgrad  0.00000526 (step 21, halved)  OFF: step 14"), out);
    }
}
