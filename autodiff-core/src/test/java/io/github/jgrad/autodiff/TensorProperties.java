package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.jgrad.autodiff.testing.TensorGraphs;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Properties of tensor backward over random shapes, broadcasting and op graphs. */
class TensorProperties {
    private static final GradCheck CHECK = GradCheck.of(1e-6, 1e-6, 1e-5);

    @Property(tries = 600)
    void backwardAgreesWithFiniteDifferences(@ForAll("cases") TensorGraphs.Case c) {
        Assume.that(c.isSmooth());
        CHECK.check(c.program()::apply, c.inputs()).orThrow();
    }

    @Property(tries = 300)
    void matmulOfRandomShapesAgreesWithFiniteDifferences(@ForAll("matmulOperands") List<Tensor> ab) {
        CHECK.check(x -> x.get(0).matmul(x.get(1)).tanh(), ab.get(0), ab.get(1)).orThrow();
    }

    @Property(tries = 300)
    void gradientOfASumIsTheSumOfGradients(@ForAll("cases") TensorGraphs.Case c) {
        Tensor[] in = c.inputs();
        List<Tensor> together = leaves(in);
        Tensor f = c.program().apply(together);
        f.sum().add(f.exp().sum()).backward();
        List<Tensor> apart = leaves(in);
        c.program().apply(apart).sum().backward();
        c.program().apply(apart).exp().sum().backward();
        for (int i = 0; i < in.length; i++) {
            Tensor g1 = together.get(i).grad();
            Tensor g2 = apart.get(i).grad();
            assertEquals(g1 == null, g2 == null, "input " + i + " reached in one graph only");
            if (g1 == null) {
                continue;
            }
            Assume.that(allFinite(g1));
            double[] expected = g2.toArray();
            double[] actual = g1.toArray();
            for (int k = 0; k < expected.length; k++) {
                double tol = 1e-10 * Math.max(1, Math.abs(expected[k]));
                assertArrayEquals(new double[] {expected[k]}, new double[] {actual[k]}, tol, "input " + i);
            }
        }
    }

    /** Second derivatives: the gradient of (gradient . r) is the Hessian times r, checked by finite differences. */
    @Property(tries = 150)
    void doubleBackwardAgreesWithFiniteDifferences(@ForAll("cases") TensorGraphs.Case c) {
        Assume.that(c.isSmooth());
        Tensor[] in = c.inputs();
        CHECK.check(x -> {
            Tensor out = c.program().apply(x);
            List<Tensor> g = Tensor.grad(List.of(out.mul(Tensor.uniform(9, 0.5, 1.5, out.shape())).sum()), x, true);
            Tensor total = Tensor.scalar(0);
            for (int i = 0; i < g.size(); i++) {
                total = total.add(g.get(i).mul(Tensor.uniform(10 + i, -1, 1, g.get(i).shape())).sum());
            }
            return total;
        }, in).orThrow();
    }

    private static boolean allFinite(Tensor t) {
        for (double v : t.toArray()) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    private static List<Tensor> leaves(Tensor[] in) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : in) {
            out.add((t.dim() == 0 ? Tensor.scalar(t.item()) : Tensor.of(t.toArray(), t.shape())).requiresGrad(true));
        }
        return out;
    }

    @Provide
    Arbitrary<TensorGraphs.Case> cases() {
        return TensorGraphs.cases(3, 8);
    }

    /** Operands for NumPy matmul: 1-D or stacks of matrices with broadcast batch dimensions. */
    @Provide
    Arbitrary<List<Tensor>> matmulOperands() {
        Arbitrary<Integer> side = Arbitraries.integers().between(1, 4);
        return Combinators.combine(side, side, side, TensorGraphs.shapes(), Arbitraries.integers().between(0, 3))
                .flatAs((n, k, m, batch, form) -> {
                    int[] aShape = form == 1 || form == 3 ? new int[] {k} : concat(batch, n, k);
                    Arbitrary<int[]> bBatch = TensorGraphs.broadcastableTo(batch);
                    return bBatch.flatMap(bb -> {
                        int[] bShape = form >= 2 ? new int[] {k} : concat(bb, k, m);
                        return Combinators.combine(TensorGraphs.tensors(aShape), TensorGraphs.tensors(bShape))
                                .as(List::of);
                    });
                });
    }

    private static int[] concat(int[] batch, int rows, int cols) {
        int[] s = java.util.Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = rows;
        s[batch.length + 1] = cols;
        return s;
    }
}
