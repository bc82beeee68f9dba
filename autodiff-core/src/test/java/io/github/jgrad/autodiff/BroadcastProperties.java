package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BinaryOperator;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Every broadcasting binary primitive of the op table ({@link OpTable}: each op that
 * {@link Op#broadcasts()} with one backward rule per operand), over random compatible shape pairs,
 * agrees with finite differences (GradCheck's defaults), and every gradient has its input's shape; a
 * new broadcasting op is covered by its table row alone. {@code where} has a property of its own, and
 * {@code minimum} is -maximum(-a, -b).
 *
 * <p>Shapes: a base of rank 0 to 4 with sides 1 to 3; each operand (and a condition for
 * {@code where}) drops a random number of leading axes and sets a random subset of the rest to 1,
 * independently, so either side may be the bigger one, both may expand, or neither. Values come from
 * the op's domain ({@link Op#low()} to {@link Op#high()}: bases of pow in [0.5, 2], operands of div
 * too), so no case is discarded; for maximum, whose derivative jumps at ties, the two operands lie on
 * interleaved grids (k/2 + [0, 0.1) and k/2 + [0.25, 0.35)), so any two differ by at least 0.15, five
 * orders of magnitude above GradCheck's step of 1e-6 relative. Case i is drawn from seed i, so a
 * failure names the seed that reproduces it; the random shapes reach rank 0, all-ones shapes and full
 * shapes often. (The graph properties in jgrad-testing shrink their failures; these cases are small
 * already.)
 */
final class BroadcastProperties {
    private static final GradCheck CHECK = GradCheck.defaults();

    /** The table's broadcasting binary primitives. */
    static List<OpTable.Row> ops() {
        List<OpTable.Row> ops = new ArrayList<>();
        for (OpTable.Row row : OpTable.rows()) {
            if (row.op().broadcasts() && row.op().rules() == 2 && row.tensor() != null) {
                ops.add(row);
            }
        }
        return ops;
    }

    /** A raw value in [-2, 2] moved into the op's domain, or onto operand {@code side}'s grid for maximum. */
    private static double guard(Op op, int side, double raw) {
        if (op == ArithmeticOps.MAXIMUM) {
            double k = Math.floor(2 * raw);
            return k / 2 + 0.25 * side + 0.1 * (2 * raw - k);
        }
        return op.low() + (raw + 2) / 4 * (op.high() - op.low());
    }

    /** Two operands and a condition, each broadcastable to one base shape, with raw values in [-2, 2]. */
    record Case(int[] base, Tensor a, Tensor b, Tensor condition) {
        @Override
        public String toString() {
            return "base " + Arrays.toString(base) + ", a " + describe(a) + ", b " + describe(b)
                    + ", condition " + describe(condition);
        }

        private static String describe(Tensor t) {
            return Arrays.toString(t.shape()) + " " + Arrays.toString(t.toArray());
        }
    }

    @Test
    void everyBinaryOpAgreesWithFiniteDifferences() {
        forCases(400, BroadcastProperties::everyBinaryOpAgreesWithFiniteDifferences);
    }

    private static void everyBinaryOpAgreesWithFiniteDifferences(Case c) {
        List<OpTable.Row> ops = ops();
        assertTrue(ops.size() >= 6, "add, sub, mul, div, pow and maximum at least: " + ops);
        for (OpTable.Row row : ops) {
            Op op = row.op();
            BinaryOperator<Tensor> f = (x, y) -> row.tensor().apply(List.of(x, y));
            for (boolean swap : new boolean[] {false, true}) { // the larger shape on either side
                Tensor a = map(swap ? c.b() : c.a(), raw -> guard(op, 0, raw));
                Tensor b = map(swap ? c.a() : c.b(), raw -> guard(op, 1, raw));
                if (op == ArithmeticOps.MAXIMUM) {
                    double gap = a.sub(b).abs().min().item();
                    assertTrue(gap >= 0.15 - 1e-12, "guard: operands only " + gap + " apart");
                }
                checkShapes(f, a, b);
                GradCheck.Report r = CHECK.check(x -> f.apply(x.get(0), x.get(1)), a, b);
                assertTrue(r.passed(), op + (swap ? " swapped " : " ") + c + ": " + r);
            }
        }
    }

    @Test
    void whereWithABroadcastConditionAgreesWithFiniteDifferences() {
        forCases(250, BroadcastProperties::whereWithABroadcastConditionAgreesWithFiniteDifferences);
    }

    private static void whereWithABroadcastConditionAgreesWithFiniteDifferences(Case c) {
        Tensor condition = c.condition().gt(0);
        // both branches nonlinear in both operands, so each operand's gradient depends on the other's values
        BinaryOperator<Tensor> f = (x, y) -> Tensor.where(condition, x.mul(y), y.sub(x.mul(x)));
        checkShapes(f, c.a(), c.b());
        GradCheck.Report r = CHECK.check(x -> f.apply(x.get(0), x.get(1)), c.a(), c.b());
        assertTrue(r.passed(), c + ": " + r);
        // the condition alone decides which operand a gradient reaches: with a linear branch each, the
        // gradient of a is the number of true condition entries that read it (and b the false ones)
        Tensor a = copy(c.a());
        Tensor b = copy(c.b());
        Tensor out = Tensor.where(condition, a, b);
        out.sum().backward();
        int[] so = out.shape();
        int[] cs = condition.shape();
        double[] cd = condition.toArray();
        double[] whereTrue = new double[out.size()];
        double[] whereFalse = new double[out.size()];
        for (int o = 0; o < whereTrue.length; o++) {
            boolean t = cd[BroadcastGradTest.source(BroadcastGradTest.unravel(o, so), cs)] != 0;
            whereTrue[o] = t ? 1 : 0;
            whereFalse[o] = t ? 0 : 1;
        }
        assertArrayEquals(countReads(whereTrue, so, a.shape()), a.grad().toArray(), 0, "a: true entries");
        assertArrayEquals(countReads(whereFalse, so, b.shape()), b.grad().toArray(), 0, "b: false entries");
    }

    /** For each element of an input of shape {@code in}: the sum of {@code mask} over the outputs that read it. */
    private static double[] countReads(double[] mask, int[] so, int[] in) {
        Tensor m = so.length == 0 ? Tensor.scalar(mask[0]) : Tensor.of(mask, so);
        return BroadcastGradTest.reduceToInput(m, in, BroadcastGradTest.Local.ONE, null);
    }

    /** Gradients of both operands exist and have the operands' shapes. */
    private static void checkShapes(BinaryOperator<Tensor> f, Tensor a, Tensor b) {
        Tensor x = copy(a);
        Tensor y = copy(b);
        List<Tensor> g = Tensor.grad(List.of(f.apply(x, y).sum()), List.of(x, y), false);
        assertArrayEquals(a.shape(), g.get(0).shape(), "gradient of the first operand");
        assertArrayEquals(b.shape(), g.get(1).shape(), "gradient of the second operand");
    }

    private static Tensor copy(Tensor t) {
        return (t.dim() == 0 ? Tensor.scalar(t.item()) : Tensor.of(t.toArray(), t.shape())).requiresGrad(true);
    }

    private static Tensor map(Tensor t, java.util.function.DoubleUnaryOperator g) {
        double[] d = t.toArray();
        for (int i = 0; i < d.length; i++) {
            d[i] = g.applyAsDouble(d[i]);
        }
        return t.dim() == 0 ? Tensor.scalar(d[0]) : Tensor.of(d, t.shape());
    }

    /** Runs {@code check} on the cases drawn from seeds 0 to n - 1; a failure names its seed and case. */
    private static void forCases(int n, Consumer<Case> check) {
        for (long seed = 0; seed < n; seed++) {
            Case c = draw(new SplittableRandom(seed));
            try {
                check.accept(c);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("case of seed " + seed + ": " + c + ": " + e.getMessage(), e);
            }
        }
    }

    /** A base of rank 0 to 4, sides 1 to 3, and two operands and a condition that broadcast to it. */
    static Case draw(SplittableRandom r) {
        int[] base = new int[r.nextInt(5)];
        for (int i = 0; i < base.length; i++) {
            base[i] = 1 + r.nextInt(3);
        }
        return new Case(base, operand(r, base), operand(r, base), operand(r, base));
    }

    /**
     * A tensor whose shape broadcasts to {@code base}: in half the cases no leading axis is dropped,
     * otherwise 1 to rank of them; each remaining side is set to 1 with probability 1/4. Values in
     * [-2, 2] with 4 decimals.
     */
    private static Tensor operand(SplittableRandom r, int[] base) {
        int rank = base.length;
        int drop = Math.max(0, r.nextInt(2 * rank + 1) - rank);
        int ones = r.nextInt(1 << rank) & r.nextInt(1 << rank);
        int[] s = Arrays.copyOfRange(base, drop, rank);
        int n = 1;
        for (int i = 0; i < s.length; i++) {
            if ((ones >> i & 1) == 1) {
                s[i] = 1;
            }
            n *= s[i];
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = Math.round(r.nextDouble(-2, 2) * 1e4) / 1e4;
        }
        return s.length == 0 ? Tensor.scalar(d[0]) : Tensor.of(d, s);
    }
}
