package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Explain mode on tensor graphs: one step per edge, with the rule and the numbers. */
class TensorExplainTest {

    @Test
    void explainsALayerStepByStep() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2).label("x");
        Tensor w = Tensor.of(new double[] {0.5, -1}, 2, 1).requiresGrad(true).label("w");
        Tensor b = Tensor.of(new double[] {0.25}).requiresGrad(true).label("b");
        Tensor loss = x.matmulAdd(w, b).tanh().sum().label("loss");
        TensorExplanation report = Explain.backward(loss);

        List<TensorExplanation.Step> steps = report.steps();
        assertEquals(4, steps.size(), report.toText()); // loss -> tanh -> matmulAdd -> w, b
        assertEquals("dloss/dtanh1", steps.get(0).gradient());
        assertEquals("g broadcast back to tanh1's shape", steps.get(0).rule());
        assertEquals("g * (1 - tanh1^2)", steps.get(1).rule());
        assertEquals("dloss/dw", steps.get(2).gradient());
        assertEquals("x^T @ g", steps.get(2).rule());
        assertEquals("g summed to the bias's shape", steps.get(3).rule());
        // the explained numbers are the gradients backward() stored
        assertArrayEquals(w.grad().toArray(), steps.get(2).values(), 0);
        assertArrayEquals(b.grad().toArray(), steps.get(3).values(), 0);
        double z0 = 1 * 0.5 + 2 * -1 + 0.25;
        double z1 = 3 * 0.5 + 4 * -1 + 0.25;
        double d0 = 1 - Math.tanh(z0) * Math.tanh(z0);
        double d1 = 1 - Math.tanh(z1) * Math.tanh(z1);
        assertArrayEquals(new double[] {1 * d0 + 3 * d1, 2 * d0 + 4 * d1}, w.grad().toArray(), 1e-15);

        String markdown = report.toMarkdown();
        assertTrue(markdown.contains("| 3 | `dloss/dw` | `x^T @ g` | `matmulAdd1` | (2, 1) | [0.4108, 0.7347] |"), markdown);
        String dot = report.toDot();
        assertTrue(dot.startsWith("digraph jgrad {") && dot.contains("{ w | parameter | (2, 1) }")
                && dot.contains("{ matmulAdd1 | matmulAdd | (2, 1) }"), dot);
        assertEquals(5, dot.split("->", -1).length - 1, dot); // x, w, b -> matmulAdd -> tanh -> sum
        String text = report.toText();
        assertTrue(text.startsWith("Backward pass of loss = "), text);
        assertTrue(text.contains("matmulAdd1 = matmulAdd(x, w, b)  (2, 1) ["), text);
        assertTrue(text.contains("3. dloss/dw = x^T @ g   (backward of matmulAdd1, (2, 1)) = ["), text);
    }

    @Test
    void sharedTensorsShowTheirAccumulation() {
        Tensor a = Tensor.of(new double[] {1, 2}).requiresGrad(true).label("a");
        Tensor y = a.mul(a).sum();
        TensorExplanation r = Explain.backward(y);
        assertEquals(3, r.steps().size());
        assertFalse(r.steps().get(1).accumulates());
        assertTrue(r.steps().get(2).accumulates(), r.toText());
        assertTrue(r.toText().contains("dsum1/da += g * a"), r.toText());
        assertArrayEquals(new double[] {2, 4}, a.grad().toArray());
    }

    @Test
    void namesNeverCollideAndTransposedProductsSayWhatTheyCompute() {
        Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad(true).label("add1");
        Tensor y = Tensor.of(new double[] {3, 4}).requiresGrad(true).label("x");
        Tensor z = Tensor.of(new double[] {5, 6}).requiresGrad(true).label("x");
        TensorExplanation r = Explain.backward(x.add(y).add(z).sum());
        String text = r.toText();
        assertTrue(text.contains("add1 = parameter") && text.contains("x = parameter") && text.contains("x#2 = parameter"),
                text);
        assertTrue(text.contains("add2 = add(add1, x)") && text.contains("add3 = add(add2, x#2)"), text);

        // a gradient penalty's graph holds a product with a transposed operand (g @ w^T inside backward)
        Tensor in = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true).label("in");
        Tensor w = Tensor.of(new double[] {1, 0, -1, 2, 0.5, 0}, 3, 2).requiresGrad(true).label("w");
        Tensor g = Tensor.grad(in.matmul(w).tanh().sum(), in, true);
        TensorExplanation penalty = Explain.backward(g.pow(2).sum());
        assertTrue(penalty.toText().contains("matmulNT1 = matmulNT("), penalty.toText());
        assertTrue(penalty.toText().contains("@ w   (backward of matmulNT1") || penalty.toText().contains("^T @ "),
                penalty.toText());

        // a broadcast operand's gradient says it was summed; big gradients keep no numbers
        Tensor bias = Tensor.zeros(3).requiresGrad(true).label("bias");
        TensorExplanation broadcast = Explain.backward(Tensor.ones(5, 3).add(bias).sum());
        TensorExplanation.Step toBias = broadcast.steps().get(broadcast.steps().size() - 1);
        assertTrue(toBias.rule().contains("summed over the axes bias was broadcast along"), toBias.rule());
        Tensor big = Tensor.ones(20).requiresGrad(true);
        TensorExplanation.Step last = Explain.backward(big.mul(2).sum()).steps().get(1);
        assertEquals(0, last.values().length);
        assertTrue(last.describe().contains("(20 numbers from 2.0000 to 2.0000)"), last.describe());
        assertTrue(Explain.options().decimals(2).backward(Tensor.ones(1).requiresGrad(true).mul(3).sum())
                .toText().contains("= 3.00"));
    }

    @Test
    void largeGraphsAreSummarisedAndBadOutputsRejected() {
        Tensor p = Tensor.ones(3).requiresGrad(true);
        Tensor t = p;
        for (int i = 0; i < 600; i++) {
            t = t.mul(1.0);
        }
        TensorExplanation r = Explain.backward(t.sum());
        assertTrue(r.isSummary());
        assertTrue(r.toText().contains("summary"), r.toText());
        assertTrue(r.steps().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> Explain.backward(p.mul(2)));
        assertThrows(IllegalArgumentException.class, () -> Explain.backward(Tensor.ones(1).sum()));
        // a summary still draws a graph dot reads (it was an empty string); a null output is named
        assertTrue(r.toDot().startsWith("digraph jgrad {") && r.toDot().contains("not drawn"), r.toDot());
        assertEquals("output", assertThrows(NullPointerException.class, () -> Explain.backward((Tensor) null))
                .getMessage());
    }

    @Test
    void aUserGradientOfTheWrongShapeIsNamedAsBackwardNamesIt() { // the replay threw an AIOOBE further on
        Op wrong = Op.define("wrongShape").tensor(in -> in[0].mul(2), (g, out, in) -> new Tensor[] {g.sum(0, true)})
                .rule("g * 2").build();
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Explain.backward(wrong.apply(x.tanh()).sum()));
        assertEquals("backward of wrongShape: gradient of shape (1, 3) for input 0 of shape (2, 3)", e.getMessage());
    }

    @Test
    void headingsCountInTheSingular() { // "(1 tensors, 1 steps)"
        Tensor p = Tensor.scalar(2).requiresGrad(true).label("p");
        assertTrue(Explain.backward(p.mul(3)).toText().startsWith("Backward pass of mul1 = 6.0000 (3 tensors, 1 step)"),
                Explain.backward(p.mul(3)).toText());
        String leaf = Explain.backward(Value.of(2, "v")).toMarkdown(); // its markdown said "(1 values, 1 steps)"
        assertTrue(leaf.contains("(1 value, 1 step)"), leaf);
    }

    @Test
    void theReportShowsTheRealPassAndRunsEachBackwardOnce() { // each user backward ran twice: a replay, then the pass
        int[] runs = {0};
        java.util.Random noise = new java.util.Random(5);
        Op noisy = Op.define("noisy").tensor(in -> in[0].mul(1), (g, out, in) -> {
            runs[0]++;
            return new Tensor[] {g.mul(Tensor.of(new double[] {noise.nextDouble(), noise.nextDouble()}))};
        }).rule("g * noise").build();
        Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad(true).label("x");
        TensorExplanation report = Explain.backward(noisy.apply(x).sum());
        assertEquals(1, runs[0]);
        TensorExplanation.Step last = report.steps().get(report.steps().size() - 1);
        assertEquals("dsum1/dx", last.gradient());
        assertArrayEquals(x.grad().toArray(), last.values(), 0, "the numbers the pass gave x");
    }

    @Test
    void namesStayOnOneLineAndRepeatedLabelsAreNumberedInTurn() { // a probe's: text reports split at a newline
        Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad(true).label("nl\nline");
        Tensor y = x.tanh().label("h#3").tanh().label("h").tanh().label("h").tanh().label("h").tanh().label("h");
        String text = Explain.backward(y.sum()).toText();
        assertTrue(text.contains("  nl line = parameter"), text);
        assertFalse(text.contains("nl\nline"), text);
        // the later uses of h take #2, then skip #3 (a label already), then #4 and #5: each tried once
        assertTrue(text.contains("  h#3 = tanh(nl line)") && text.contains("  h = tanh(h#3)")
                && text.contains("  h#2 = tanh(h)") && text.contains("  h#4 = tanh(h#2)") && text.contains("  h#5 = tanh(h#4)"),
                text);
        Value v = Value.of(0.5, "two\nlines");
        String scalar = Explain.backward(v.mul(v)).toText();
        assertTrue(scalar.contains("  two lines = 0.5"), scalar);
        assertFalse(scalar.contains("two\n"), scalar);
    }
}
