package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.jgrad.testing.Generator;
import io.github.jgrad.testing.Property;
import io.github.jgrad.testing.TensorGraphs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Properties of tensor backward over random shapes, broadcasting and op graphs. */
class TensorProperties {
    private static final GradCheck CHECK = GradCheck.of(1e-6, 1e-6, 1e-5);
    private static final Generator<TensorGraphs.Case> CASES = TensorGraphs.builtin().cases(3, 8);

    @Test
    void backwardAgreesWithFiniteDifferences() {
        Property.forAll(CASES).tries(600).check(c -> {
            Property.assume(c.isSmooth());
            CHECK.check(c.graph()::apply, c.inputs()).orThrow();
        });
    }

    /** Operands for NumPy matmul: 1-D or stacks of matrices with broadcast batch dimensions. */
    private record Operands(Tensor a, Tensor b) {
        @Override
        public String toString() {
            return Arrays.toString(a.shape()) + " @ " + Arrays.toString(b.shape()) + ": a = "
                    + Arrays.toString(a.toArray()) + ", b = " + Arrays.toString(b.toArray());
        }
    }

    private static Operands matmulOperands(SplittableRandom r) {
        int n = 1 + r.nextInt(4);
        int k = 1 + r.nextInt(4);
        int m = 1 + r.nextInt(4);
        int[] batch = TensorGraphs.shape(r);
        int form = r.nextInt(4);
        int[] aShape = form == 1 || form == 3 ? new int[] {k} : concat(batch, n, k);
        int[] bShape = form >= 2 ? new int[] {k} : concat(TensorGraphs.broadcastableTo(r, batch), k, m);
        return new Operands(TensorGraphs.tensor(r, aShape), TensorGraphs.tensor(r, bShape));
    }

    @Test
    void matmulOfRandomShapesAgreesWithFiniteDifferences() {
        Property.forAll(TensorProperties::matmulOperands).tries(300).check(ab ->
                CHECK.check(x -> x.get(0).matmul(x.get(1)).tanh(), ab.a(), ab.b()).orThrow());
    }

    @Test
    void gradientOfASumIsTheSumOfGradients() {
        Property.forAll(CASES).tries(300).check(c -> {
            Tensor[] in = c.inputs();
            List<Tensor> together = leaves(in);
            Tensor f = c.graph().apply(together);
            f.sum().add(f.exp().sum()).backward();
            List<Tensor> apart = leaves(in);
            c.graph().apply(apart).sum().backward();
            c.graph().apply(apart).exp().sum().backward();
            for (int i = 0; i < in.length; i++) {
                Tensor g1 = together.get(i).grad();
                Tensor g2 = apart.get(i).grad();
                assertEquals(g1 == null, g2 == null, "input " + i + " reached in one graph only");
                if (g1 == null) {
                    continue;
                }
                Property.assume(allFinite(g1));
                double[] expected = g2.toArray();
                double[] actual = g1.toArray();
                for (int k = 0; k < expected.length; k++) {
                    assertEquals(expected[k], actual[k], 1e-10 * Math.max(1, Math.abs(expected[k])), "input " + i);
                }
            }
        });
    }

    /** Second derivatives: the gradient of (gradient . r) is the Hessian times r, checked by finite differences. */
    @Test
    void doubleBackwardAgreesWithFiniteDifferences() {
        Property.forAll(CASES).tries(150).check(c -> {
            Property.assume(c.isSmooth());
            CHECK.check(x -> {
                Tensor out = c.graph().apply(x);
                List<Tensor> g = Tensor.grad(List.of(out.mul(Tensor.uniform(new SplittableRandom(9), 0.5, 1.5, out.shape())).sum()), x, true);
                Tensor total = Tensor.scalar(0);
                for (int i = 0; i < g.size(); i++) {
                    total = total.add(g.get(i).mul(Tensor.uniform(new SplittableRandom(10 + i), -1, 1, g.get(i).shape())).sum());
                }
                return total;
            }, c.inputs()).orThrow();
        });
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

    private static int[] concat(int[] batch, int rows, int cols) {
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = rows;
        s[batch.length + 1] = cols;
        return s;
    }
}
