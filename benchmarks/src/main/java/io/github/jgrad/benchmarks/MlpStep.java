package io.github.jgrad.benchmarks;

import io.github.jgrad.autodiff.Blas;
import io.github.jgrad.autodiff.DType;
import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.autodiff.Workspace;
import io.github.jgrad.nn.Activation;
import io.github.jgrad.nn.Init;
import io.github.jgrad.nn.Linear;
import io.github.jgrad.nn.Loss;
import io.github.jgrad.nn.SGD;
import io.github.jgrad.nn.Sequential;
import java.util.SplittableRandom;

/**
 * One training step of an MLP 784-256-10 (ReLU, softmax cross-entropy, SGD) at batch 128, two ways:
 * with jgrad's tensors, nn layers and tape ({@link Tape}), and by hand on preallocated arrays with the
 * gradient equations coded directly and the same matrix kernel, {@link Blas#gemm} ({@link HandWritten}).
 * Same data, same initial weights, same numbers (checked by the benchmarks' tests).
 */
final class MlpStep {
    static final int BATCH = 128;
    static final int IN = 784;
    static final int HIDDEN = 256;
    static final int OUT = 10;
    static final double LR = 0.01;

    private MlpStep() {
    }

    static Tensor inputs() {
        return Tensor.randn(new SplittableRandom(1), BATCH, IN);
    }

    static int[] labels() {
        SplittableRandom r = new SplittableRandom(2);
        int[] y = new int[BATCH];
        for (int i = 0; i < BATCH; i++) {
            y[i] = r.nextInt(OUT);
        }
        return y;
    }

    static Tensor initialW1() {
        return Init.heUniform().create(3, IN, HIDDEN, IN, HIDDEN);
    }

    static Tensor initialW2() {
        return Init.heUniform().create(4, HIDDEN, OUT, HIDDEN, OUT);
    }

    /** The step as a jgrad user writes it, in float64 or float32. */
    static final class Tape {
        final Linear l1 = Linear.of(initialW1(), Tensor.zeros(HIDDEN));
        final Linear l2 = Linear.of(initialW2(), Tensor.zeros(OUT));
        final Sequential model = Sequential.of(l1, Activation.relu(), l2);
        final SGD sgd;
        final Tensor x;
        final int[] y = labels();

        final Workspace workspace = Workspace.create();

        Tape() {
            this(DType.FLOAT64);
        }

        Tape(DType dtype) {
            model.to(dtype);
            sgd = SGD.of(model.parameters(), LR);
            x = inputs().to(dtype);
        }

        double step() {
            sgd.zeroGrad();
            Tensor loss = Loss.crossEntropy(model.forward(x), y);
            loss.backward();
            sgd.step();
            return loss.item();
        }

        /** The forward pass and the loss alone, in a workspace scope: the step without backward and update. */
        double forwardInWorkspace() {
            try (Workspace.Scope scope = workspace.open()) {
                return Loss.crossEntropy(model.forward(x), y).item();
            }
        }

        /** The same step in a workspace scope, as Trainer runs it: memory reused from step to step. */
        double stepInWorkspace() {
            try (Workspace.Scope scope = workspace.open()) {
                return step();
            }
        }
    }

    /** The step written out on arrays, every buffer allocated once. */
    static final class HandWritten {
        final double[] x = inputs().toArray();
        final int[] y = labels();
        final double[] w1 = initialW1().toArray();
        final double[] b1 = new double[HIDDEN];
        final double[] w2 = initialW2().toArray();
        final double[] b2 = new double[OUT];
        final double[] z1 = new double[BATCH * HIDDEN];
        final double[] h = new double[BATCH * HIDDEN];
        final double[] z2 = new double[BATCH * OUT];
        final double[] dz2 = new double[BATCH * OUT];
        final double[] dh = new double[BATCH * HIDDEN];
        final double[] gw1 = new double[IN * HIDDEN];
        final double[] gw2 = new double[HIDDEN * OUT];
        final double[] gb1 = new double[HIDDEN];
        final double[] gb2 = new double[OUT];

        double step() {
            // forward: Z1 = X W1 + b1, H = relu(Z1), Z2 = H W2 + b2
            Blas.gemm(false, false, BATCH, HIDDEN, IN, x, w1, z1);
            for (int i = 0; i < BATCH; i++) {
                int row = i * HIDDEN;
                for (int j = 0; j < HIDDEN; j++) {
                    z1[row + j] += b1[j];
                }
                for (int j = 0; j < HIDDEN; j++) {
                    h[row + j] = Math.max(z1[row + j], 0.0);
                }
            }
            Blas.gemm(false, false, BATCH, OUT, HIDDEN, h, w2, z2);
            // softmax cross-entropy and dL/dZ2 = (softmax - onehot) / batch
            double loss = 0;
            for (int i = 0; i < BATCH; i++) {
                int row = i * OUT;
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < OUT; c++) {
                    z2[row + c] += b2[c];
                    max = Math.max(max, z2[row + c]);
                }
                double sum = 0;
                for (int c = 0; c < OUT; c++) {
                    sum += Math.exp(z2[row + c] - max);
                }
                double logSum = Math.log(sum);
                loss -= z2[row + y[i]] - max - logSum;
                for (int c = 0; c < OUT; c++) {
                    dz2[row + c] = (Math.exp(z2[row + c] - max - logSum) - (c == y[i] ? 1 : 0)) / BATCH;
                }
            }
            loss /= BATCH;
            // backward: dW2 = H^T dZ2, db2 = sum dZ2, dH = dZ2 W2^T, dZ1 = dH * (Z1 > 0), dW1 = X^T dZ1
            Blas.gemm(true, false, HIDDEN, OUT, BATCH, h, dz2, gw2);
            Blas.gemm(false, true, BATCH, HIDDEN, OUT, dz2, w2, dh);
            java.util.Arrays.fill(gb1, 0);
            java.util.Arrays.fill(gb2, 0);
            for (int i = 0; i < BATCH; i++) {
                int row = i * HIDDEN;
                for (int c = 0; c < OUT; c++) {
                    gb2[c] += dz2[i * OUT + c];
                }
                for (int j = 0; j < HIDDEN; j++) {
                    dh[row + j] = z1[row + j] > 0 ? dh[row + j] : 0;
                }
                for (int j = 0; j < HIDDEN; j++) {
                    gb1[j] += dh[row + j];
                }
            }
            Blas.gemm(true, false, IN, HIDDEN, BATCH, x, dh, gw1);
            // SGD
            for (int i = 0; i < w1.length; i++) {
                w1[i] -= LR * gw1[i];
            }
            for (int i = 0; i < w2.length; i++) {
                w2[i] -= LR * gw2[i];
            }
            for (int j = 0; j < HIDDEN; j++) {
                b1[j] -= LR * gb1[j];
            }
            for (int c = 0; c < OUT; c++) {
                b2[c] -= LR * gb2[c];
            }
            return loss;
        }
    }
}
