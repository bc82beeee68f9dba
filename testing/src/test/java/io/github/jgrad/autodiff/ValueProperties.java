package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.jgrad.testing.Generator;
import io.github.jgrad.testing.Graph;
import io.github.jgrad.testing.Property;
import io.github.jgrad.testing.ValueGraphs;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Properties of backward() over thousands of random expression graphs. */
class ValueProperties {
    private static final ValueGraphs GRAPHS = ValueGraphs.builtin();

    @Test
    void backwardAgreesWithFiniteDifferences() {
        Property.forAll(GRAPHS.cases(4, 12)).tries(3000).check(c -> {
            Property.assume(c.isSmooth());
            GradCheck.of(1e-6, 1e-6, 1e-5).check(c.graph()::apply, c.point()).orThrow();
        });
    }

    /** Two graphs over the same three inputs and a point. */
    private record Pair(Graph<Value> f, Graph<Value> g, double[] x) {
        @Override
        public String toString() {
            return "f: " + f + "; g: " + g + " at " + java.util.Arrays.toString(x);
        }
    }

    @Test
    void gradientOfASumIsTheSumOfGradients() {
        Generator<Pair> pairs = r -> new Pair(GRAPHS.graph(r, 3, 10), GRAPHS.graph(r, 3, 10), ValueGraphs.point(r, 3));
        Property.forAll(pairs).tries(1000).check(p -> {
            double[] x = p.x();
            List<Value> sumLeaves = Value.of(x);
            p.f().apply(sumLeaves).add(p.g().apply(sumLeaves)).backward();

            List<Value> fLeaves = Value.of(x);
            p.f().apply(fLeaves).backward();
            List<Value> gLeaves = Value.of(x);
            p.g().apply(gLeaves).backward();

            // and: two backward calls into the same leaves accumulate to the same sum
            List<Value> accLeaves = Value.of(x);
            p.f().apply(accLeaves).backward();
            p.g().apply(accLeaves).backward();

            for (int i = 0; i < x.length; i++) {
                double expected = fLeaves.get(i).grad() + gLeaves.get(i).grad();
                Property.assume(Double.isFinite(expected));
                double tol = 1e-12 * Math.max(1, Math.abs(expected));
                assertEquals(expected, sumLeaves.get(i).grad(), tol, "d(f+g)/dx" + i);
                assertEquals(expected, accLeaves.get(i).grad(), tol, "accumulated gradient of x" + i);
            }
        });
    }

    @Test
    void sharedSubExpressionsAccumulate() {
        Generator<ValueGraphs.Case> cases = GRAPHS.cases(4, 12);
        Property.forAll(cases).tries(1000).check(c -> {
            double[] x = c.point();
            List<Value> once = Value.of(x);
            c.graph().apply(once).backward();

            List<Value> leaves = Value.of(x);
            Value e = c.graph().apply(leaves);
            // e feeds one sum node `uses` times, and a product with itself
            int uses = 2 + (int) Math.floorMod(Double.doubleToLongBits(x[0]), 5L);
            Value y = Value.sum(Collections.nCopies(uses, e)).add(e.mul(e));
            y.backward();
            double factor = uses + 2 * e.data();
            for (int i = 0; i < x.length; i++) {
                double expected = factor * once.get(i).grad();
                Property.assume(Double.isFinite(expected));
                assertEquals(expected, leaves.get(i).grad(), 1e-10 * Math.max(1, Math.abs(expected)), "x" + i);
            }
        });
    }
}
