package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seed 003's vectorized backprop equations, in its column convention (A is features x m examples):
 * Z = W A_prev + b, A = g(Z); delta = dA * g'(Z), dW = (1/m) delta A_prev^T, db = (1/m) sum_j delta,
 * dA_prev = W^T delta, where dA^[L] is the derivative of one example's loss. The tape's gradients of
 * the cost (the mean loss over the batch) must equal these equations coded directly.
 */
class Seed003VectorizedBackpropTest {
    private static final int M = 7;           // examples in the batch
    private static final int[] SIZES = {4, 5, 3, 2};

    @ParameterizedTest
    @ValueSource(strings = {"mse", "mae", "cross-entropy"})
    void tapeGradientsEqualTheHandEquations(String cost) {
        Tensor x = Tensor.randn(new SplittableRandom(10), SIZES[0], M);
        Tensor y = cost.equals("cross-entropy") ? Tensor.rand(new SplittableRandom(11), SIZES[3], M).gt(0.5) : Tensor.randn(new SplittableRandom(11), SIZES[3], M);
        Tensor[] w = new Tensor[4];
        Tensor[] b = new Tensor[4];
        for (int l = 1; l <= 3; l++) {
            w[l] = Tensor.randn(new SplittableRandom(20 + l), SIZES[l], SIZES[l - 1]).mul(0.7).requiresGrad(true);
            b[l] = Tensor.randn(new SplittableRandom(30 + l), SIZES[l], 1).mul(0.1).requiresGrad(true);
        }

        // forward on the tape: tanh, relu, then sigmoid (cross-entropy) or identity (mse, mae)
        Tensor a1 = w[1].matmul(x).add(b[1]).tanh();
        Tensor a2 = w[2].matmul(a1).add(b[2]).relu();
        Tensor z3 = w[3].matmul(a2).add(b[3]);
        Tensor yHat = cost.equals("cross-entropy") ? z3.sigmoid() : z3;
        Tensor perExample;
        switch (cost) {
            case "mse": perExample = y.sub(yHat).pow(2).sum(0, false); break;
            case "mae": perExample = y.sub(yHat).abs().sum(0, false); break;
            default: perExample = y.mul(yHat.log()).add(y.neg().add(1).mul(yHat.neg().add(1).log())).neg().sum(0, false);
        }
        perExample.mean().backward();

        // the hand equations, without the tape
        try (GradMode.Scope ignored = GradMode.disabled()) {
            Tensor[] wd = new Tensor[4];
            for (int l = 1; l <= 3; l++) {
                wd[l] = w[l].detach();
            }
            Tensor z1 = wd[1].matmul(x).add(b[1].detach());
            Tensor h1 = z1.tanh();
            Tensor z2 = wd[2].matmul(h1).add(b[2].detach());
            Tensor h2 = z2.relu();
            Tensor zz3 = wd[3].matmul(h2).add(b[3].detach());
            Tensor out = cost.equals("cross-entropy") ? zz3.sigmoid() : zz3;

            Tensor dA3;
            Tensor gPrime3;
            switch (cost) {
                case "mse": dA3 = out.sub(y).mul(2); gPrime3 = Tensor.ones(out.shape()); break;
                case "mae": dA3 = out.sub(y).gt(0).mul(2).sub(1); gPrime3 = Tensor.ones(out.shape()); break;
                default:
                    dA3 = y.div(out).neg().add(y.neg().add(1).div(out.neg().add(1)));
                    gPrime3 = out.mul(out.neg().add(1));
            }
            BiFunction<Tensor, Tensor, Tensor> dW = (delta, aPrev) -> delta.matmul(aPrev.mT()).div(M);
            BiFunction<Tensor, Tensor, Tensor> db = (delta, unused) -> delta.sum(1, true).div(M);

            Tensor delta3 = dA3.mul(gPrime3);
            Tensor dA2 = wd[3].mT().matmul(delta3);
            Tensor delta2 = dA2.mul(z2.gt(0));
            Tensor dA1 = wd[2].mT().matmul(delta2);
            Tensor delta1 = dA1.mul(h1.mul(h1).neg().add(1));

            assertClose(dW.apply(delta3, h2), w[3].grad(), "dW3");
            assertClose(db.apply(delta3, null), b[3].grad(), "db3");
            assertClose(dW.apply(delta2, h1), w[2].grad(), "dW2");
            assertClose(db.apply(delta2, null), b[2].grad(), "db2");
            assertClose(dW.apply(delta1, x), w[1].grad(), "dW1");
            assertClose(db.apply(delta1, null), b[1].grad(), "db1");
        }
    }

    private static void assertClose(Tensor expected, Tensor actual, String name) {
        assertArrayEquals(expected.shape(), actual.shape(), name + " shape");
        assertArrayEquals(expected.toArray(), actual.toArray(), 1e-14, name);
    }
}
