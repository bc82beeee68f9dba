package io.github.jgrad.examples;

import io.github.jgrad.autodiff.DType;
import io.github.jgrad.autodiff.GradMode;
import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.nn.Activation;
import io.github.jgrad.nn.Adam;
import io.github.jgrad.nn.DataLoader;
import io.github.jgrad.nn.Loss;
import io.github.jgrad.nn.Sequential;
import io.github.jgrad.nn.Trainer;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A 3-class spiral classifier (CS231n's spiral data, 100 points per class): an MLP 2-64-64-3 with
 * ReLU, softmax cross-entropy, Adam (lr 0.01) on shuffled mini-batches of 30 for 200 epochs.
 */
public final class Spiral {
    static final int PER_CLASS = 100;
    static final int CLASSES = 3;
    static final int EPOCHS = 200;

    private Spiral() {
    }

    /** The trained model, its loss per epoch and its accuracy on the training points. */
    public record Result(Sequential model, List<Double> losses, double accuracy) {
    }

    /** Trains on the spiral data (seed 7), quietly or with a progress bar on standard error. */
    public static Result train(boolean progress) {
        return train(progress, DType.FLOAT64);
    }

    /**
     * Trains in {@code dtype}: the model is converted before the optimizer is made (its state takes the
     * parameters' dtype) and the points are converted too; the class labels stay as they are (indices).
     */
    public static Result train(boolean progress, DType dtype) {
        Datasets.Labelled data = Datasets.spirals(PER_CLASS, CLASSES, 7);
        Sequential model = Sequential.mlp(11, Activation.relu(), 2, 64, 64, CLASSES);
        model.to(dtype);
        Adam adam = Adam.of(model.parameters(), 0.01);
        Trainer trainer = Trainer.of(model, adam, (x, y) -> Loss.crossEntropy(model.forward(x), y))
                .progress(progress ? System.err : null);
        Tensor points = data.inputs().to(dtype);
        List<Double> losses = trainer.fit(DataLoader.of(points, data.classes(), 30, true, 3), EPOCHS);
        return new Result(model, losses, predict(model, points).eq(data.classes()).mean().item());
    }

    /** The most likely class of each row of {@code x}. */
    static Tensor predict(Sequential model, Tensor x) {
        try (GradMode.Scope ignored = GradMode.disabled()) {
            return model.eval().forward(x).argmax(1);
        }
    }

    static double accuracy(Sequential model, Datasets.Labelled data) {
        return predict(model, data.inputs()).eq(data.classes()).mean().item();
    }

    /** Trains, prints the loss and accuracy, writes plots to {@code args[0]} (default target/plots). */
    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/plots");
        System.out.println("3-class spiral: " + PER_CLASS * CLASSES + " points, MLP 2-64-64-3 (ReLU), softmax"
                + " cross-entropy, Adam lr 0.01, batches of 30, " + EPOCHS + " epochs");
        long t0 = System.nanoTime();
        Result r = train(true);
        for (int e = 0; e < EPOCHS; e += 20) {
            System.out.printf(Locale.ROOT, "  epoch %3d  loss %.4f%n", e, r.losses().get(e));
        }
        System.out.printf(Locale.ROOT, "  epoch %3d  loss %.4f%ntraining accuracy %.1f%% (%.1f s)%n", EPOCHS,
                r.losses().get(EPOCHS - 1), 100 * r.accuracy(), (System.nanoTime() - t0) / 1e9);
        Datasets.Labelled data = Datasets.spirals(PER_CLASS, CLASSES, 7);
        Path loss = Plots.lossCurve(dir.resolve("spiral-loss.png"), "spiral: loss per epoch", r.losses());
        Path boundary = Plots.decisionBoundary(dir.resolve("spiral-boundary.png"), "spiral: decision regions", data,
                grid -> predict(r.model(), grid));
        System.out.println("plots: " + loss + ", " + boundary);
    }
}
