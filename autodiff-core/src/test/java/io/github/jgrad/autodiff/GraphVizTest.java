package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GraphVizTest {

    @Test
    void drawsValuesOpsAndEdges() {
        Value a = Value.of(2.0, "a");
        Value b = Value.of(-3.0, "b");
        Value c = a.mul(b).label("c");
        Value d = c.tanh().label("d");
        d.backward();
        String dot = GraphViz.dot(d);
        assertTrue(dot.startsWith("digraph jgrad {"), dot);
        assertTrue(dot.contains("{ a | data 2.0000 | grad " + String.format(java.util.Locale.ROOT, "%.4f", a.grad())), dot);
        assertTrue(dot.contains("{ c | data -6.0000 | grad "), dot);
        assertTrue(dot.contains("[label=\"*\"]") && dot.contains("[label=\"tanh\"]"), dot);
        assertEquals(4, count(dot, "shape=record"));
        assertEquals(2 + 1 + 2, count(dot, "->")); // a,b -> *; * -> c; c -> tanh; tanh -> d
    }

    @Test
    void escapesLabelsAndChecksDecimals() {
        Value x = Value.of(1, "x{\"|}");
        assertTrue(GraphViz.dot(x).contains("x\\{\\\"\\|\\}"), GraphViz.dot(x));
        assertTrue(GraphViz.dot(x, 1).contains("data 1.0 |"));
        assertFalse(GraphViz.dot(Value.of(1, "nul\0here")).contains("\0"), "dot stops reading at a NUL");
        assertThrows(IllegalArgumentException.class, () -> GraphViz.dot(x, -1));
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void tensorGraphsAreDrawnWithoutRunningThem() {
        Tensor x = Tensor.of(new double[] {1, 2}).label("x");
        Tensor w = Tensor.of(new double[] {3, 4}).requiresGrad(true).label("w");
        Tensor y = x.mul(w).sum();
        String dot = GraphViz.dot(y);
        assertTrue(dot.startsWith("digraph jgrad {"), dot);
        assertTrue(dot.contains("{ x | input | (2) }") && dot.contains("{ w | parameter | (2) }")
                && dot.contains("{ mul1 | mul | (2) }") && dot.contains("{ sum1 | sum | () }"), dot);
        assertTrue(dot.contains("t0 -> t2;") && dot.contains("t1 -> t2;") && dot.contains("t2 -> t3;"), dot);
        y.backward();                                            // the graph was not run or freed by drawing it
        assertEquals(2.0, w.grad().toArray()[1], 0);                // d/dw sum(x w) = x
    }

    @Test
    void aResultWhoseGraphWasFreedIsDrawnWithItsOpNotAsAParameter() { // found by a hostile probe
        Tensor x = Tensor.of(new double[] {1, 2}).requiresGrad(true).label("x");
        Tensor h = x.mul(2).label("h");
        h.sum().backward();                                       // frees h's graph (a backward through h now says so)
        Tensor y = h.mul(3).sum();
        assertTrue(GraphViz.dot(y).contains("{ h | mul (graph freed) | (2) }"), GraphViz.dot(y));
    }

    @Test
    void ampersandsAndControlCharactersInLabels() { // a probe's: Graphviz reads HTML entities in every label
        String dot = GraphViz.dot(Value.of(1, "a&lt;b\tc\rd"));
        assertTrue(dot.contains("a&amp;lt;b c d"), dot);
        Tensor t = Tensor.of(new double[] {1}).requiresGrad(true).label("x&y\nz");
        assertTrue(GraphViz.dot(t.sum()).contains("{ x&amp;y z | parameter"), GraphViz.dot(t.sum()));
    }
}
