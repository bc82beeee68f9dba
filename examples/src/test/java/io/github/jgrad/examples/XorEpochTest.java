package io.github.jgrad.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.Explain;
import io.github.jgrad.autodiff.Explanation;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class XorEpochTest {
    private static final List<String> WEIGHTS = List.of("w11", "w21", "wb1", "w12", "w22", "wb2", "v1", "v2", "vb");

    private static double sigmoid(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    @Test
    void forwardPassWithOurWeights() {
        WorkedPass e = XorEpoch.run();
        double h1 = sigmoid(0.2 * 1 + 0.4 * 0 - 0.1 * 1);
        double h2 = sigmoid(-0.3 * 1 + 0.1 * 0 + 0.2 * 1);
        double o = sigmoid(0.5 * h1 - 0.4 * h2 + 0.3 * 1);
        assertEquals(h1, e.get("h1").data(), 1e-15);
        assertEquals(h2, e.get("h2").data(), 1e-15);
        assertEquals(o, e.get("O").data(), 1e-15);
        assertEquals((1 - o) * (1 - o) / 2, e.get("E").data(), 1e-15);
        assertEquals(0.5921, o, 5e-5); // not the post's 0.7539: its weights are lost, these are ours
    }

    /** The post's delta rule, in plain doubles, equals the explain step computing each weight's gradient. */
    @Test
    void deltaRuleMatchesTheExplainSteps() {
        WorkedPass e = XorEpoch.run();
        assertEquals(WEIGHTS, List.copyOf(e.before.keySet()));
        for (String w : WEIGHTS) {
            Explanation.Step s = XorEpoch.gradientStep(e, w);
            double delta = XorEpoch.deltaRule(e, w);
            assertEquals(delta, s.value(), 1e-17 + 1e-14 * Math.abs(delta), "dE/d" + w);
            assertEquals(e.get(w).grad(), s.value(), 0, "the step is the gradient backward computed: " + w);
            assertEquals(e.before.get(w) - 0.3 * s.value(), e.after.get(w), 1e-16, "update of " + w);
        }
        // the output delta (O - y) O (1 - O) is dE/dzo, one step of its own
        double o = e.get("O").data();
        assertEquals((o - 1) * o * (1 - o), XorEpoch.gradientStep(e, "zo").value(), 1e-17);
        // x2 = 0: the weights from x2 get no gradient and do not move
        assertEquals(0.0, XorEpoch.gradientStep(e, "w21").value(), 0);
        assertEquals(0.4, e.after.get("w21"), 0);
        assertEquals(0.1, e.after.get("w22"), 0);
    }

    @Test
    void deltaRuleHoldsForAnyWeights() {
        Random random = new Random(1);
        for (int trial = 0; trial < 200; trial++) {
            double[][] w = new double[3][2];
            for (double[] row : w) {
                row[0] = random.nextGaussian();
                row[1] = random.nextGaussian();
            }
            double[] v = {random.nextGaussian(), random.nextGaussian(), random.nextGaussian()};
            WorkedPass e = XorEpoch.run(w, v);
            for (String name : WEIGHTS) {
                double delta = XorEpoch.deltaRule(e, name);
                assertEquals(delta, XorEpoch.gradientStep(e, name).value(), 1e-17 + 1e-13 * Math.abs(delta),
                        "trial " + trial + ", dE/d" + name);
            }
        }
    }

    @Test
    void explainWritesTheEpochOut() {
        List<Explanation.Step> steps = XorEpoch.run().explained().steps();
        assertEquals(28, steps.size());
        assertEquals("dE/dpow1 = 0.5", steps.get(1).local());     // the 1/2 of E: a constant
        assertEquals("dO/dzo = sigmoid(zo)*(1 - sigmoid(zo)) = O*(1 - O) = 0.5921*(1 - 0.5921) = 0.2415",
                steps.get(4).local());
        assertEquals("dE/dzo = dE/dO * dO/dzo = -0.4079 * 0.2415 = -0.0985", steps.get(4).chain());
        assertEquals("dzo/dv1 = h1 = 0.5250", steps.get(5).local());
        assertEquals("dE/dv1 = dE/dzo * dzo/dv1 = -0.0985 * 0.5250 = -0.0517", steps.get(5).chain());
        assertEquals("dE/dbias = part 1 + part 2 + part 3 = -0.0296 + 0.0020 + 0.0012 = -0.0264",
                steps.get(25).chain());
    }

    @Test
    void printsTheEpochAndSaysWhatTheSeedLost() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        XorEpoch.print(XorEpoch.run(), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("so the output is 0.5921, not the post's 0.7539."), out);
        assertTrue(out.contains("Backward pass of E = 0.0832 (21 values, 28 steps)"), out);
        assertTrue(out.contains("  dE/dv1   step  6: -0.05172525   delta rule: -0.05172525   update  0.5000 ->  0.51551758"),
                out);
    }
}
