package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        assertThrows(IllegalArgumentException.class, () -> GraphViz.dot(x, -1));
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
