package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.Explanation.Step;
import io.github.jgrad.autodiff.Explanation.Step.Kind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExplainTest {

    /** f = tanh(x*y + x) at x = 0.5, y = -1.5: three operations, x used twice. */
    private static Explanation threeNodes() {
        Value x = Value.of(0.5, "x");
        Value y = Value.of(-1.5, "y");
        Value f = x.mul(y).add(x).tanh().label("f");
        return Explain.backward(f);
    }

    private static List<String> lines(List<Step> steps) {
        List<String> out = new ArrayList<>();
        for (Step s : steps) {
            out.add(s.toString());
        }
        return out;
    }

    @Test
    void threeNodeExpressionStepByStep() {
        Value x = Value.of(0.5, "x");
        Value y = Value.of(-1.5, "y");
        Value f = x.mul(y).add(x).tanh().label("f");
        List<Step> steps = Explain.backward(f).steps();
        assertEquals(List.of(
                "1. df/df = 1",
                "2. df/dadd1 = 1 - tanh(add1)^2 = 1 - f^2 = 1 - (-0.2449)^2 = 0.9400\n"
                        + "df/dadd1 = df/df * df/dadd1 = 1.0000 * 0.9400 = 0.9400",
                "3. dadd1/dmul1 = 1\n"
                        + "df/dmul1 = df/dadd1 * dadd1/dmul1 = 0.9400 * 1.0000 = 0.9400",
                "4. dadd1/dx = 1\n"
                        + "df/dx (part 1 of 2) = df/dadd1 * dadd1/dx = 0.9400 * 1.0000 = 0.9400",
                "5. dmul1/dx = y = -1.5000\n"
                        + "df/dx (part 2 of 2) = df/dmul1 * dmul1/dx = 0.9400 * (-1.5000) = -1.4100",
                "6. dmul1/dy = x = 0.5000\n"
                        + "df/dy = df/dmul1 * dmul1/dy = 0.9400 * 0.5000 = 0.4700",
                "7. df/dx = part 1 + part 2 = 0.9400 + (-1.4100) = -0.4700"), lines(steps));

        // the structure, and the exact numbers of the tape
        double dtanh = 1 - Math.tanh(-0.25) * Math.tanh(-0.25);
        assertEquals(List.of(Kind.OUTPUT, Kind.CHAIN, Kind.CHAIN, Kind.CHAIN, Kind.CHAIN, Kind.CHAIN, Kind.SUM),
                steps.stream().map(Step::kind).toList());
        assertEquals(List.of("f", "add1", "mul1", "x", "x", "y", "x"), steps.stream().map(Step::name).toList());
        assertEquals(List.of("", "f", "add1", "add1", "mul1", "mul1", ""), steps.stream().map(Step::via).toList());
        Step part2 = steps.get(4);
        assertEquals(2, part2.part());
        assertEquals(2, part2.parts());
        assertFalse(part2.isWholeGradient());
        assertEquals(-1.5, part2.localDerivative(), 0);
        assertEquals(dtanh * -1.5, part2.value(), 0);
        assertEquals(dtanh, steps.get(1).localDerivative(), 1e-16);
        assertTrue(Double.isNaN(steps.get(6).localDerivative()));
        // the whole-gradient steps are the gradients backward() left in the values
        assertEquals(x.grad(), steps.get(6).value(), 0);
        assertEquals(y.grad(), steps.get(5).value(), 0);
        assertEquals(dtanh + dtanh * -1.5, x.grad(), 0);
        assertEquals(dtanh * 0.5, y.grad(), 0);
    }

    @Test
    void plainText() {
        assertEquals("""
                Backward pass of f = -0.2449 (5 values, 7 steps)

                Values, in the order they were computed
                  x    = 0.5000
                  y    = -1.5000
                  mul1 = x*y = -0.7500
                  add1 = mul1 + x = -0.2500
                  f    = tanh(add1) = -0.2449

                Chain rule, in the order backward applies it
                  1. df/df = 1
                  2. df/dadd1 = 1 - tanh(add1)^2 = 1 - f^2 = 1 - (-0.2449)^2 = 0.9400
                     df/dadd1 = df/df * df/dadd1 = 1.0000 * 0.9400 = 0.9400
                  3. dadd1/dmul1 = 1
                     df/dmul1 = df/dadd1 * dadd1/dmul1 = 0.9400 * 1.0000 = 0.9400
                  4. dadd1/dx = 1
                     df/dx (part 1 of 2) = df/dadd1 * dadd1/dx = 0.9400 * 1.0000 = 0.9400
                  5. dmul1/dx = y = -1.5000
                     df/dx (part 2 of 2) = df/dmul1 * dmul1/dx = 0.9400 * (-1.5000) = -1.4100
                  6. dmul1/dy = x = 0.5000
                     df/dy = df/dmul1 * dmul1/dy = 0.9400 * 0.5000 = 0.4700
                  7. df/dx = part 1 + part 2 = 0.9400 + (-1.4100) = -0.4700

                Gradients of the leaves
                  df/dx = -0.4700
                  df/dy = 0.4700
                """, threeNodes().toText());
        assertEquals(threeNodes().toText(), threeNodes().toString());
    }

    @Test
    void markdownTable() {
        assertEquals("""
                **Backward pass of f = -0.2449** (5 values, 7 steps)

                | value | computed as | data | gradient |
                |---|---|---:|---:|
                | `x` |  | 0.5000 | -0.4700 |
                | `y` |  | -1.5000 | 0.4700 |
                | `mul1` | `x*y` | -0.7500 | 0.9400 |
                | `add1` | `mul1 + x` | -0.2500 | 0.9400 |
                | `f` | `tanh(add1)` | -0.2449 | 1.0000 |

                | step | local derivative | chain rule |
                |---:|---|---|
                | 1 |  | `df/df = 1` |
                | 2 | `df/dadd1 = 1 - tanh(add1)^2 = 1 - f^2 = 1 - (-0.2449)^2 = 0.9400` | `df/dadd1 = df/df * df/dadd1 = 1.0000 * 0.9400 = 0.9400` |
                | 3 | `dadd1/dmul1 = 1` | `df/dmul1 = df/dadd1 * dadd1/dmul1 = 0.9400 * 1.0000 = 0.9400` |
                | 4 | `dadd1/dx = 1` | `df/dx (part 1 of 2) = df/dadd1 * dadd1/dx = 0.9400 * 1.0000 = 0.9400` |
                | 5 | `dmul1/dx = y = -1.5000` | `df/dx (part 2 of 2) = df/dmul1 * dmul1/dx = 0.9400 * (-1.5000) = -1.4100` |
                | 6 | `dmul1/dy = x = 0.5000` | `df/dy = df/dmul1 * dmul1/dy = 0.9400 * 0.5000 = 0.4700` |
                | 7 |  | `df/dx = part 1 + part 2 = 0.9400 + (-1.4100) = -0.4700` |
                """, threeNodes().toMarkdown());
    }

    @Test
    void markdownEscapesPipes() {
        Value a = Value.of(2.0, "|a|");
        String md = Explain.backward(a.mul(a).label("sq")).toMarkdown();
        assertTrue(md.contains("| `\\|a\\|` |  | 2.0000 | 4.0000 |"), md);
        assertTrue(md.contains("`dsq/d\\|a\\| = part 1 + part 2 = 2.0000 + 2.0000 = 4.0000`"), md);
    }

    @Test
    void dotIsTheGraphVizDrawingWithNamesAndLocalDerivatives() {
        Value x = Value.of(0.5, "x");
        Value y = Value.of(-1.5, "y");
        Value f = x.mul(y).add(x).tanh().label("f");
        String dot = Explain.backward(f).toDot();
        assertEquals("""
                digraph jgrad {
                  rankdir=LR;
                  v0 [shape=record, label="{ x | data 0.5000 | grad -0.4700 }"];
                  v1 [shape=record, label="{ y | data -1.5000 | grad 0.4700 }"];
                  v2 [shape=record, label="{ mul1 | data -0.7500 | grad 0.9400 }"];
                  v2op [label="*"];
                  v2op -> v2;
                  v0 -> v2op [label="-1.5000"];
                  v1 -> v2op [label="0.5000"];
                  v3 [shape=record, label="{ add1 | data -0.2500 | grad 0.9400 }"];
                  v3op [label="+"];
                  v3op -> v3;
                  v2 -> v3op [label="1.0000"];
                  v0 -> v3op [label="1.0000"];
                  v4 [shape=record, label="{ f | data -0.2449 | grad 1.0000 }"];
                  v4op [label="tanh"];
                  v4op -> v4;
                  v3 -> v4op [label="0.9400"];
                }
                """, dot);
        // the same drawing as GraphViz.dot, line for line, apart from names and edge labels
        assertEquals(GraphViz.dot(f).lines().count(), dot.lines().count());
        // constants: named by their number, no edge label (no gradient flows into them)
        String withConstant = Explain.backward(x.mul(3).label("m")).toDot();
        assertTrue(withConstant.contains("{ 3 | data 3.0000 | grad "), withConstant);
        assertTrue(withConstant.contains(" -> v2op;"), withConstant);
    }

    @Test
    void generatedNames() {
        Value u = Value.of(1.0);                       // unlabelled leaf
        Value v = Value.of(2.0, " ");                  // a blank label counts as none
        Value x1 = Value.of(3.0, "x");
        Value x2 = Value.of(4.0, "x");                 // same label again
        Value taken = Value.of(5.0, "mul1");           // a label that looks generated
        Value out = u.mul(v).add(x1.mul(x2)).mul(taken).mul(2).label("out");
        List<Step> steps = Explain.backward(out).steps();
        String text = Explain.backward(out).toText();
        assertTrue(text.contains("""
                  leaf1 = 1.0000
                  leaf2 = 2.0000
                  mul1' = leaf1*leaf2 = 2.0000
                  x     = 3.0000
                  x#2   = 4.0000
                  mul2  = x*x#2 = 12.0000
                  add1  = mul1' + mul2 = 14.0000
                  mul1  = 5.0000
                  mul3  = add1*mul1 = 70.0000
                  out   = mul3*2 = 140.0000
                """), text);
        assertEquals("dout/dmul3 = 2", steps.get(1).local());  // the constant 2 appears as a number
        assertTrue(steps.stream().noneMatch(s -> s.name().equals("2")), "constants get no steps");
        assertTrue(text.contains("dmul2/dx#2 = x = 3.0000"), text);
    }

    @Test
    void everyOpWritesItsFormulaInNamesThenNumbers() {
        Value x = Value.of(0.5, "x");
        Value y = Value.of(-1.5, "y");
        assertLocal(x.add(y), "dadd1/dx = 1", "dadd1/dy = 1");
        assertLocal(x.sub(y), "dsub1/dx = 1", "dsub1/dy = -1");
        assertLocal(x.mul(y), "dmul1/dx = y = -1.5000", "dmul1/dy = x = 0.5000");
        assertLocal(x.div(y), "ddiv1/dx = 1/y = 1/(-1.5000) = -0.6667",
                "ddiv1/dy = -x/y^2 = -0.5000/(-1.5000)^2 = -0.2222");
        assertLocal(x.pow(y), "dpow1/dx = y*x^(y-1) = (-1.5000)*0.5000^((-1.5000)-1) = -8.4853",
                "dpow1/dy = x^y*ln(x) = pow1*ln(x) = 2.8284*ln(0.5000) = -1.9605");
        assertLocal(x.pow(2), "dpow1/dx = 2*x^(2-1) = 2*0.5000^(2-1) = 1.0000");
        assertLocal(x.max(y), "dmaximum1/dx = 1 if x > y, 0.5 if x = y, 0 if x < y, else 1"
                + " = 1 if 0.5000 > (-1.5000), 0.5 if 0.5000 = (-1.5000), 0 if 0.5000 < (-1.5000), else 1 = 1.0000",
                "dmaximum1/dy = 1 if y > x, 0.5 if x = y, 0 if y < x, else 1"
                + " = 1 if (-1.5000) > 0.5000, 0.5 if 0.5000 = (-1.5000), 0 if (-1.5000) < 0.5000, else 1 = 0.0000");
        assertLocal(x.min(0.5), "dminimum1/dx = 1 if x < 0.5, 0.5 if x = 0.5, 0 if x > 0.5, else 1"
                + " = 1 if 0.5000 < 0.5, 0.5 if 0.5000 = 0.5, 0 if 0.5000 > 0.5, else 1 = 0.5000");
        assertLocal(x.neg(), "dneg1/dx = -1");
        assertLocal(x.exp(), "dexp1/dx = exp(x) = exp1 = 1.6487");
        assertLocal(x.log(), "dlog1/dx = 1/x = 1/0.5000 = 2.0000");
        assertLocal(x.sqrt(), "dsqrt1/dx = 1/(2*sqrt(x)) = 1/(2*sqrt1) = 1/(2*0.7071) = 0.7071");
        assertLocal(y.tanh(), "dtanh1/dy = 1 - tanh(y)^2 = 1 - tanh1^2 = 1 - (-0.9051)^2 = 0.1807");
        assertLocal(x.sigmoid(), "dsigmoid1/dx = sigmoid(x)*(1 - sigmoid(x)) = sigmoid1*(1 - sigmoid1)"
                + " = 0.6225*(1 - 0.6225) = 0.2350");
        assertLocal(y.relu(), "drelu1/dy = 1 if y > 0, else 0 = 1 if (-1.5000) > 0, else 0 = 0.0000");
        assertLocal(x.sin(), "dsin1/dx = cos(x) = cos(0.5000) = 0.8776");
        assertLocal(x.cos(), "dcos1/dx = -sin(x) = -sin(0.5000) = -0.4794");
        assertLocal(y.abs(), "dabs1/dy = sign(y) = sign(-1.5000) = -1.0000");
        assertLocal(y.erf(), "derf1/dy = 2/sqrt(pi)*exp(-y^2) = 2/sqrt(pi)*exp(-(-1.5000)^2) = 0.1189");
        assertLocal(Value.sum(x, y), "dsum1/dx = 1", "dsum1/dy = 1");
        assertLocal(Value.dot(List.of(x, y), List.of(y, x)), "ddot1/dx (local) = y = -1.5000",
                "ddot1/dy (local) = x = 0.5000", "ddot1/dy (local) = x = 0.5000", "ddot1/dx (local) = y = -1.5000");
    }

    /** The local-derivative lines of the steps out of the output, in operand order. */
    private static void assertLocal(Value output, String... expected) {
        List<String> locals = new ArrayList<>();
        List<Step> steps = Explain.backward(output).steps();
        for (Step s : steps) {
            if (s.kind() == Kind.CHAIN && s.via().equals(steps.get(0).name())) {
                locals.add(s.local());
            }
        }
        assertEquals(List.of(expected), locals);
    }

    @Test
    void decimalsAreConfigurable() {
        Value x = Value.of(0.5, "x");
        Value f = x.mul(-1.5).tanh().label("f");
        Explanation two = Explain.options().decimals(2).backward(f);
        assertEquals("df/dmul1 = 1 - tanh(mul1)^2 = 1 - f^2 = 1 - (-0.64)^2 = 0.60", two.steps().get(1).local());
        assertTrue(two.toText().startsWith("Backward pass of f = -0.64 (3 values, 3 steps)"), two.toText());
        Explanation eight = Explain.options().decimals(8).backward(f);
        assertEquals("dmul1/dx = -1.5", eight.steps().get(2).local());    // a constant as written
        assertEquals("df/dx = df/dmul1 * dmul1/dx = 0.59658581 * (-1.50000000) = -0.89487871",
                eight.steps().get(2).chain());
        String none = Explain.options().decimals(0).backward(f).toText();
        assertTrue(none.contains("  mul1 = x*(-1.5) = -1\n"), none);
        assertThrows(IllegalArgumentException.class, () -> Explain.options().decimals(-1));
        assertThrows(IllegalArgumentException.class, () -> Explain.options().decimals(18));
        assertThrows(IllegalArgumentException.class, () -> Explain.options().maxNodes(0));
        assertThrows(NullPointerException.class, () -> Explain.backward((Value) null));
    }

    @Test
    void largeGraphsAreSummarised() {
        Value w = Value.of(0.5, "w");
        Value y = Value.of(1.0, "y");
        for (int i = 0; i < 300; i++) {
            y = y.mul(w).add(1.0);
        }
        y.label("y300");
        Explanation report = Explain.backward(y);    // 2 leaves, 600 ops, 300 constants
        assertTrue(report.isSummary());
        assertTrue(report.steps().isEmpty());
        assertEquals(902, report.nodes());
        assertEquals("Backward pass of y300 = 2.0000: summary\n"
                + "  the graph has 902 values (constants included), more than the limit of 500,"
                + " so here is a summary instead of the steps\n"
                + "  leaves 2, constants 300, operations 600\n"
                + "  operations by kind: add 300, mul 300\n"
                + "  largest gradients of leaves: dy300/dw = " + String.format(java.util.Locale.ROOT, "%.4f", w.grad())
                + ", dy300/dy = 0.0000\n"
                + "  non-finite gradients: 0\n"
                + "  to see every step, raise the limit: Explain.options().maxNodes(902).backward(output)\n",
                report.toText());
        assertTrue(report.toMarkdown().startsWith("**Backward pass of y300 = 2.0000**: summary\n\n- the graph has 902"),
                report.toMarkdown());
        assertEquals("digraph jgrad {\n  note [shape=note, label=\"902 values: more than the explain limit of 500,"
                + " not drawn\"];\n}\n", report.toDot());
        assertTrue(report.toText().length() < 1000);

        // the limit is configurable both ways
        Explanation full = Explain.options().maxNodes(902).backward(y);
        assertFalse(full.isSummary());
        // the output, one step per edge into a non-constant (2 per mul, 1 per add), one sum for w
        assertEquals(1 + 900 + 1, full.steps().size());
        assertTrue(Explain.options().maxNodes(2).backward(Value.of(1.0).mul(2)).isSummary());
        assertFalse(Explain.options().maxNodes(3).backward(Value.of(1.0).mul(2)).isSummary());
    }

    @Test
    void summaryListsTheFiveLargestLeafGradients() {
        List<Value> leaves = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            leaves.add(Value.of(1.0, "w" + i));
        }
        List<Value> coefficients = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            coefficients.add(Value.of(i % 7 == 3 ? 1000.0 + i : i));
        }
        Value s = Value.dot(leaves, coefficients).label("s");
        String text = Explain.backward(s).toText();
        // coefficients are leaves too: ds/dcoefficient = 1 for all of them, so the w's win
        assertTrue(text.contains("largest gradients of leaves: ds/dw598 = 1598.0000, ds/dw591 = 1591.0000,"
                + " ds/dw584 = 1584.0000, ds/dw577 = 1577.0000, ds/dw570 = 1570.0000\n"), text);
        assertTrue(text.contains("leaves 1200, constants 0, operations 1\n  operations by kind: dot 1\n"), text);
    }

    @Test
    void summaryCountsNonFiniteGradients() {
        Value x = Value.of(0.0, "x");
        Value y = x.sqrt().mul(2.0);       // sqrt'(0) = inf, times 2 = inf
        for (int i = 0; i < 300; i++) {
            y = y.add(1.0);
        }
        String text = Explain.backward(y).toText();
        assertTrue(text.contains("no finite leaf gradients\n  non-finite gradients: 1\n"), text);
    }

    @Test
    void aValueUsedTwiceByOneOpGetsTwoParts() {
        Value a = Value.of(3.0, "a");
        Value sq = a.mul(a).label("sq");
        List<Step> steps = Explain.backward(sq).steps();
        assertEquals(List.of(
                "1. dsq/dsq = 1",
                // the local derivative of the output by a is marked: dsq/da alone is a's whole gradient, 6
                "2. dsq/da (local) = a = 3.0000\ndsq/da (part 1 of 2) = dsq/dsq * dsq/da (local) = 1.0000 * 3.0000"
                        + " = 3.0000",
                "3. dsq/da (local) = a = 3.0000\ndsq/da (part 2 of 2) = dsq/dsq * dsq/da (local) = 1.0000 * 3.0000"
                        + " = 3.0000",
                "4. dsq/da = part 1 + part 2 = 3.0000 + 3.0000 = 6.0000"), lines(steps));
        assertEquals(6.0, a.grad(), 0);
    }

    @Test
    void explainAccumulatesLikeBackwardAndIsASnapshot() {
        Value w = Value.of(2.0, "w");
        Value loss = w.mul(w).label("loss");
        Explanation first = Explain.backward(loss);
        String text = first.toText();
        Explanation second = Explain.backward(loss);
        assertEquals(8.0, w.grad(), 0);                           // two passes, as two backward() calls
        assertEquals(text, second.toText());                      // each report shows its own pass
        w.setData(w.data() - 0.1 * w.grad());                     // an optimizer step
        assertEquals(text, first.toText());                       // the report does not change
        assertTrue(text.contains("  w    = 2.0000\n"), text);
    }

    @Test
    void outputThatIsALeaf() {
        Value x = Value.of(1.5, "x");
        Explanation r = Explain.backward(x);
        assertEquals(List.of("1. dx/dx = 1"), lines(r.steps()));
        assertEquals(1.0, x.grad(), 0);
        assertTrue(r.toText().endsWith("Gradients of the leaves\n  dx/dx = 1.0000\n"), r.toText());
    }

    @Test
    void deepChainNeedsNoStack() throws InterruptedException {
        int links = 20_000;
        Explanation r = SmallStack.call(() -> {
            Value x = Value.of(1.0, "x");
            Value y = x;
            for (int i = 0; i < links; i++) {
                y = y.sin();
            }
            return Explain.options().maxNodes(links + 1).backward(y);
        });
        assertEquals(links + 1, r.steps().size());
        assertEquals("dsin20000/dx", "d" + r.steps().get(0).name() + "/d" + r.steps().get(links).name());
    }
}
