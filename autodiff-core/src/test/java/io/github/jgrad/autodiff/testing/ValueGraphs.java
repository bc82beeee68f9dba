package io.github.jgrad.autodiff.testing;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * jqwik arbitraries for property-testing code built on {@link io.github.jgrad.autodiff.Value}:
 * random expression graphs over the whole scalar op set, and points to evaluate them at.
 *
 * <pre>{@code
 * @Property
 * void backwardMatchesFiniteDifferences(@ForAll("cases") ValueGraphs.Case c) {
 *     Assume.that(c.isSmooth());
 *     GradCheck.defaults().check(c.expression()::apply, c.point()).orThrow();
 * }
 *
 * @Provide
 * Arbitrary<ValueGraphs.Case> cases() {
 *     return ValueGraphs.cases(4, 12);
 * }
 * }</pre>
 *
 * <p>Published in autodiff-core's test-jar ({@code <type>test-jar</type>}); needs jqwik on the
 * test class path.
 */
public final class ValueGraphs {
    /** Inputs are drawn from [-RANGE, RANGE]. */
    public static final double RANGE = 2;
    /** Kink margin used by {@link Case#isSmooth()}: far above the finite-difference step. */
    public static final double KINK_MARGIN = 1e-3;

    private ValueGraphs() {
    }

    /** Expressions over exactly {@code inputs} inputs with 1 to {@code maxOps} instructions. */
    public static Arbitrary<Expression> expressions(int inputs, int maxOps) {
        if (inputs < 1 || maxOps < 1) {
            throw new IllegalArgumentException("expressions: need inputs >= 1 and maxOps >= 1, got "
                    + inputs + ", " + maxOps);
        }
        Arbitrary<Expression.Instruction> instruction = Combinators.combine(
                Arbitraries.of(Expression.Kind.class),
                Arbitraries.integers().between(0, 1 << 16).list().ofMinSize(2).ofMaxSize(6),
                Arbitraries.of(-1.5, -1.0, -0.5, 0.5, 2.0, 3.0, 0.1, -3.0))
                .as(Expression.Instruction::new);
        return instruction.list().ofMinSize(1).ofMaxSize(maxOps)
                .map(program -> new Expression(inputs, program));
    }

    /**
     * Points with {@code inputs} coordinates in [-{@value #RANGE}, {@value #RANGE}], each 0 or at
     * least 1e-3 in magnitude. Tinier coordinates (jqwik's edge case 1e-6 among them) make finite
     * differences, not gradients, wrong: the guarded base u*u + 0.5 keeps only about 4 digits of
     * u*u = 1e-12, so a strict check of exp((u*u + 0.5)^-3) at u = 1e-6 fails by 3e-5 relative.
     */
    public static Arbitrary<double[]> points(int inputs) {
        return Arbitraries.doubles().between(-RANGE, RANGE).ofScale(6)
                .filter(v -> v == 0 || Math.abs(v) >= 1e-3).list().ofSize(inputs)
                .map(ValueGraphs::toArray);
    }

    /** An expression with 1 to {@code maxInputs} inputs and a point to evaluate it at. */
    public static Arbitrary<Case> cases(int maxInputs, int maxOps) {
        return Arbitraries.integers().between(1, maxInputs).flatMap(n ->
                Combinators.combine(expressions(n, maxOps), points(n)).as(Case::new));
    }

    private static double[] toArray(List<Double> list) {
        double[] a = new double[list.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = list.get(i);
        }
        return a;
    }

    /** An expression and a point. */
    public record Case(Expression expression, double[] point) {
        /** Whether finite differences are meaningful at this point; see {@link Expression#isSmoothAt}. */
        public boolean isSmooth() {
            return expression.isSmoothAt(point, KINK_MARGIN);
        }

        @Override
        public double[] point() {
            return point.clone();
        }

        @Override
        public String toString() {
            return expression + " at " + java.util.Arrays.toString(point);
        }
    }
}
