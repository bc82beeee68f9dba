package io.github.jgrad.examples;

import io.github.jgrad.autodiff.GradMode;
import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.nn.Init;
import io.github.jgrad.nn.Linear;
import io.github.jgrad.nn.Loss;
import io.github.jgrad.nn.SGD;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Seed 002's network: logistic regression with one hidden layer. Z1 = X W1 + b1, A1 = tanh(Z1),
 * Z2 = A1 W2 + b2, A2 = sigmoid(Z2) = P(y = 1 | x); loss = binary cross-entropy; full-batch gradient
 * descent on two Gaussian blobs. The seed's backward equations start from dL/dZ2 = A2 - Y, which the
 * test checks against the tape.
 */
public final class LogisticRegression {
    static final int POINTS = 200;
    static final int HIDDEN = 4;
    static final int STEPS = 300;
    static final double LEARNING_RATE = 0.5;

    private LogisticRegression() {
    }

    /** The two layers, the loss per step and the training accuracy. */
    public record Result(Linear hidden, Linear output, List<Double> losses, double accuracy) {
        /** P(y = 1 | x) for each row of x. */
        public Tensor probability(Tensor x) {
            try (GradMode.Scope ignored = GradMode.disabled()) {
                return output.forward(hidden.forward(x).tanh()).sigmoid();
            }
        }
    }

    /** Trains on the blobs (seed 3). */
    public static Result train() {
        Datasets.Labelled data = Datasets.blobs(POINTS, 3);
        Linear hidden = Linear.of(2, HIDDEN, Init.xavierUniform(), 21);
        Linear output = Linear.of(HIDDEN, 1, Init.xavierUniform(), 22);
        List<Tensor> params = new ArrayList<>(hidden.parameters());
        params.addAll(output.parameters());
        SGD sgd = SGD.of(params, LEARNING_RATE);
        Tensor y = data.zeroOne();
        List<Double> losses = new ArrayList<>();
        for (int step = 0; step < STEPS; step++) {
            sgd.zeroGrad();
            Tensor a2 = output.forward(hidden.forward(data.inputs()).tanh()).sigmoid();
            Tensor loss = Loss.binaryCrossEntropy(a2, y);
            loss.backward();
            sgd.step();
            losses.add(loss.item());
        }
        Result r = new Result(hidden, output, losses, 0);
        double accuracy = r.probability(data.inputs()).gt(0.5).eq(y).mean().item();
        return new Result(hidden, output, losses, accuracy);
    }

    /** Trains, prints the loss and accuracy, writes plots to {@code args[0]} (default target/plots). */
    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/plots");
        System.out.println("Seed 002: logistic regression with one hidden layer (2-" + HIDDEN + "-1, tanh, sigmoid),"
                + " binary cross-entropy, gradient descent lr " + LEARNING_RATE + ", " + POINTS + " points");
        Result r = train();
        for (int s = 0; s < STEPS; s += 50) {
            System.out.printf(Locale.ROOT, "  step %3d  loss %.4f%n", s, r.losses().get(s));
        }
        System.out.printf(Locale.ROOT, "  step %3d  loss %.4f%ntraining accuracy %.1f%%%n", STEPS,
                r.losses().get(STEPS - 1), 100 * r.accuracy());
        Datasets.Labelled data = Datasets.blobs(POINTS, 3);
        Path loss = Plots.lossCurve(dir.resolve("logistic-loss.png"), "logistic regression: loss per step", r.losses());
        Path boundary = Plots.decisionBoundary(dir.resolve("logistic-boundary.png"), "logistic regression", data,
                grid -> r.probability(grid).gt(0.5));
        System.out.println("plots: " + loss + ", " + boundary);
    }
}
