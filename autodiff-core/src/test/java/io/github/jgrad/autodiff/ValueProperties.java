package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.jgrad.autodiff.testing.Expression;
import io.github.jgrad.autodiff.testing.ValueGraphs;
import java.util.Collections;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Properties of backward() over thousands of random expression graphs. */
class ValueProperties {

    @Property(tries = 3000)
    void backwardAgreesWithFiniteDifferences(@ForAll("cases") ValueGraphs.Case c) {
        Assume.that(c.isSmooth());
        GradCheck.of(1e-6, 1e-6, 1e-5).check(c.expression()::apply, c.point()).orThrow();
    }

    @Property(tries = 1000)
    void gradientOfASumIsTheSumOfGradients(@ForAll("pairs") List<Expression> fg,
                                          @ForAll("points3") double[] x) {
        Expression f = fg.get(0);
        Expression g = fg.get(1);
        List<Value> sumLeaves = Value.of(x);
        f.apply(sumLeaves).add(g.apply(sumLeaves)).backward();

        List<Value> fLeaves = Value.of(x);
        f.apply(fLeaves).backward();
        List<Value> gLeaves = Value.of(x);
        g.apply(gLeaves).backward();

        // and: two backward calls into the same leaves accumulate to the same sum
        List<Value> accLeaves = Value.of(x);
        f.apply(accLeaves).backward();
        g.apply(accLeaves).backward();

        for (int i = 0; i < x.length; i++) {
            double expected = fLeaves.get(i).grad() + gLeaves.get(i).grad();
            Assume.that(Double.isFinite(expected));
            double tol = 1e-12 * Math.max(1, Math.abs(expected));
            assertEquals(expected, sumLeaves.get(i).grad(), tol, "d(f+g)/dx" + i);
            assertEquals(expected, accLeaves.get(i).grad(), tol, "accumulated gradient of x" + i);
        }
    }

    @Property(tries = 1000)
    void sharedSubExpressionsAccumulate(@ForAll("cases") ValueGraphs.Case c,
                                        @ForAll @IntRange(min = 2, max = 6) int uses) {
        double[] x = c.point();
        List<Value> once = Value.of(x);
        c.expression().apply(once).backward();

        List<Value> leaves = Value.of(x);
        Value e = c.expression().apply(leaves);
        // e feeds one sum node `uses` times, and a product with itself
        Value y = Value.sum(Collections.nCopies(uses, e)).add(e.mul(e));
        y.backward();
        double factor = uses + 2 * e.data();
        for (int i = 0; i < x.length; i++) {
            double expected = factor * once.get(i).grad();
            Assume.that(Double.isFinite(expected));
            assertEquals(expected, leaves.get(i).grad(), 1e-10 * Math.max(1, Math.abs(expected)), "x" + i);
        }
    }

    @Provide
    Arbitrary<ValueGraphs.Case> cases() {
        return ValueGraphs.cases(4, 12);
    }

    @Provide
    Arbitrary<List<Expression>> pairs() {
        return ValueGraphs.expressions(3, 10).list().ofSize(2);
    }

    @Provide
    Arbitrary<double[]> points3() {
        return ValueGraphs.points(3);
    }
}
