package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.Explanation.Step;
import io.github.jgrad.testing.Property;
import io.github.jgrad.testing.ValueGraphs;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Explain mode over random graphs: its steps are exactly the pass backward() makes. */
class ExplainProperties {

    @Test
    void stepsAreTheBackwardPass() {
        Property.forAll(ValueGraphs.builtin().cases(4, 16)).tries(500).check(ExplainProperties::stepsAreTheBackwardPass);
    }

    private static void stepsAreTheBackwardPass(ValueGraphs.Case c) {
        List<Value> x = Value.of(c.point());
        Value y = c.graph().apply(x);
        Explanation report = Explain.backward(y);
        List<Step> steps = report.steps();

        // one CHAIN step per edge into a non-constant operand, one SUM per value used more than once
        Value[] order = ValueTape.order(y);
        int edges = 0;
        Map<Value, Integer> uses = new IdentityHashMap<>();
        for (Value node : order) {
            for (Value p : node.operands()) {
                if (!p.isConstant()) {
                    edges++;
                    uses.merge(p, 1, Integer::sum);
                }
            }
        }
        int shared = 0;
        for (int u : uses.values()) {
            shared += u > 1 ? 1 : 0;
        }
        assertEquals(1 + edges + shared, steps.size());

        // numbered 1..n; each value's whole gradient appears exactly once and equals grad() bit for bit
        Map<String, Double> whole = new HashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            assertEquals(i + 1, s.number());
            if (s.isWholeGradient()) {
                assertTrue(whole.put(s.name(), s.value()) == null, "two whole gradients for " + s.name());
            }
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < order.length; i++) {
            Value v = order[i];
            if (v.isConstant()) {
                continue;
            }
            String name = new Names(order, 4).name(i);
            assertTrue(names.add(name), "names are unique: " + name);
            assertEquals(v.grad(), whole.get(name), 0.0, name);
        }
        assertEquals(names.size(), whole.size());
    }
}
