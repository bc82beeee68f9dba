package io.github.jgrad.examples;

import io.github.jgrad.autodiff.GradMode;
import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.autodiff.Value;
import io.github.jgrad.nn.Activation;
import io.github.jgrad.nn.Linear;
import io.github.jgrad.nn.Loss;
import io.github.jgrad.nn.Module;
import io.github.jgrad.nn.Sequential;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * micrograd's demo, twice: 100 noisy two-moons points, an MLP 2-16-16-1 with ReLU, the max-margin
 * (hinge) loss plus 1e-4 L2 regularisation, 100 steps of full-batch gradient descent with the
 * learning rate falling from 1.0 to 0.1. Once with scalar {@link Value} neurons, as micrograd does,
 * once with tensors and {@code nn} layers, from the same initial weights: the two agree step by step.
 */
public final class Moons {
    static final int POINTS = 100;
    static final double NOISE = 0.1;
    static final long DATA_SEED = 1;
    static final long WEIGHT_SEED = 1337;
    static final int STEPS = 100;
    static final double ALPHA = 1e-4;
    static final int[] SIZES = {2, 16, 16, 1};

    private Moons() {
    }

    /** What a run produced: loss and accuracy before each step, and the trained classifier. */
    public record Run(List<Double> losses, List<Double> accuracies, Classifier model) {
        /** Accuracy after the last step. */
        public double finalAccuracy() {
            return accuracies.get(accuracies.size() - 1);
        }
    }

    /** Predicts a score per point; positive means label 1. */
    @FunctionalInterface
    public interface Classifier {
        double score(double x, double y);
    }

    /**
     * Initial weights drawn as micrograd draws them, U(-1, 1) neuron by neuron, but from Java's
     * {@code SplittableRandom(seed)} (not Python's {@code random}, so not micrograd's numbers):
     * [layer][neuron][input].
     */
    public static double[][][] initialWeights(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][][] w = new double[SIZES.length - 1][][];
        for (int l = 0; l + 1 < SIZES.length; l++) {
            w[l] = new double[SIZES[l + 1]][SIZES[l]];
            for (double[] neuron : w[l]) {
                for (int i = 0; i < neuron.length; i++) {
                    neuron[i] = r.nextDouble(-1, 1);
                }
            }
        }
        return w;
    }

    static double learningRate(int step) {
        return 1.0 - 0.9 * step / STEPS;
    }

    /** micrograd's loop on scalar Values. */
    public static Run scalar(Datasets.Labelled data) {
        MicrogradMlp model = new MicrogradMlp(initialWeights(WEIGHT_SEED));
        double[] x = data.inputs().toArray();
        double[] y = data.signs().toArray();
        List<Value> params = model.parameters();
        List<Double> losses = new ArrayList<>();
        List<Double> accuracies = new ArrayList<>();
        for (int k = 0; k <= STEPS; k++) {
            List<Value> hinge = new ArrayList<>(POINTS);
            int correct = 0;
            for (int i = 0; i < POINTS; i++) {
                Value score = model.forward(Value.of(x[2 * i], x[2 * i + 1]));
                hinge.add(score.mul(-y[i]).add(1).relu());
                correct += (y[i] > 0) == (score.data() > 0) ? 1 : 0;
            }
            List<Value> squares = new ArrayList<>(params.size());
            for (Value p : params) {
                squares.add(p.mul(p));
            }
            Value loss = Value.sum(hinge).div(POINTS).add(Value.sum(squares).mul(ALPHA));
            losses.add(loss.data());
            accuracies.add(correct / (double) POINTS);
            if (k == STEPS) {
                break;
            }
            for (Value p : params) {
                p.zeroGrad();
            }
            loss.backward();
            double lr = learningRate(k);
            for (Value p : params) {
                p.setData(p.data() - lr * p.grad());
            }
        }
        return new Run(losses, accuracies, (px, py) -> model.forward(Value.of(px, py)).data());
    }

    /** The same loop on tensors with nn layers and the same initial weights. */
    public static Run tensor(Datasets.Labelled data) {
        double[][][] w = initialWeights(WEIGHT_SEED);
        List<Module> layers = new ArrayList<>();
        for (int l = 0; l < w.length; l++) {
            double[] in2out = new double[SIZES[l] * SIZES[l + 1]];
            for (int j = 0; j < SIZES[l + 1]; j++) {
                for (int i = 0; i < SIZES[l]; i++) {
                    in2out[i * SIZES[l + 1] + j] = w[l][j][i];
                }
            }
            layers.add(Linear.of(Tensor.of(in2out, SIZES[l], SIZES[l + 1]), Tensor.zeros(SIZES[l + 1])));
            if (l + 1 < w.length) {
                layers.add(Activation.relu());
            }
        }
        Sequential model = Sequential.of(layers.toArray(new Module[0]));
        Tensor x = data.inputs();
        Tensor y = data.signs();
        List<Double> losses = new ArrayList<>();
        List<Double> accuracies = new ArrayList<>();
        for (int k = 0; k <= STEPS; k++) {
            Tensor scores = model.forward(x);
            Tensor reg = Tensor.scalar(0);
            for (Tensor p : model.parameters()) {
                reg = reg.add(p.mul(p).sum());
            }
            Tensor loss = Loss.hinge(scores, y).add(reg.mul(ALPHA));
            losses.add(loss.item());
            accuracies.add(scores.gt(0).eq(y.gt(0)).mean().item());
            if (k == STEPS) {
                break;
            }
            model.zeroGrad();
            loss.backward();
            double lr = learningRate(k);
            for (Tensor p : model.parameters()) {
                p.addInPlace(-lr, p.grad());
            }
        }
        return new Run(losses, accuracies, (px, py) -> {
            try (GradMode.Scope ignored = GradMode.disabled()) {
                return model.forward(Tensor.of(new double[] {px, py}, 1, 2)).item();
            }
        });
    }

    /** Runs both versions, prints their progress and agreement, and writes plots to {@code args[0]} (default target/plots). */
    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/plots");
        Datasets.Labelled data = Datasets.moons(POINTS, NOISE, DATA_SEED);
        System.out.println("micrograd's moons demo: " + POINTS + " points, MLP 2-16-16-1 (ReLU), hinge loss + "
                + ALPHA + " L2, " + STEPS + " steps of SGD, lr 1.0 -> 0.1");
        long t0 = System.nanoTime();
        Run scalar = scalar(data);
        long t1 = System.nanoTime();
        Run tensor = tensor(data);
        long t2 = System.nanoTime();
        System.out.println();
        System.out.println(" step   scalar Value: loss  accuracy    tensors: loss  accuracy");
        for (int k = 0; k <= STEPS; k += 10) {
            System.out.printf(Locale.ROOT, " %4d   %18.6f  %7.0f%%   %14.6f  %7.0f%%%n", k, scalar.losses().get(k),
                    100 * scalar.accuracies().get(k), tensor.losses().get(k), 100 * tensor.accuracies().get(k));
        }
        double maxDiff = 0;
        for (int k = 0; k <= STEPS; k++) {
            maxDiff = Math.max(maxDiff, Math.abs(scalar.losses().get(k) - tensor.losses().get(k)));
        }
        System.out.printf(Locale.ROOT, "%nscalar run %.2f s, tensor run %.2f s; largest loss difference between them %.1e%n",
                (t1 - t0) / 1e9, (t2 - t1) / 1e9, maxDiff);
        System.out.printf(Locale.ROOT, "final accuracy: scalar %.0f%%, tensors %.0f%%%n", 100 * scalar.finalAccuracy(),
                100 * tensor.finalAccuracy());
        Path loss = Plots.lossCurve(dir.resolve("moons-loss.png"), "moons: loss per step", tensor.losses());
        Path boundary = Plots.decisionBoundary(dir.resolve("moons-boundary.png"), "moons: decision boundary", data,
                grid -> {
                    double[] xy = grid.toArray();
                    double[] c = new double[xy.length / 2];
                    for (int i = 0; i < c.length; i++) {
                        c[i] = tensor.model().score(xy[2 * i], xy[2 * i + 1]) > 0 ? 1 : 0;
                    }
                    return Tensor.of(c);
                });
        System.out.println("plots: " + loss + ", " + boundary);
    }
}
