package io.github.jgrad.examples;

import io.github.jgrad.autodiff.GradMode;
import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.nn.Activation;
import io.github.jgrad.nn.Init;
import io.github.jgrad.nn.Linear;
import io.github.jgrad.nn.Loss;
import io.github.jgrad.nn.Reduction;
import io.github.jgrad.nn.SGD;
import io.github.jgrad.nn.Sequential;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * XOR as seed 001 trains it: a 2-2-1 network, sigmoid in both layers, error E = (y - O)^2 / 2, and the
 * delta rule (an update after every example, learning rate 0.3), repeated until every output is
 * within 0.2 of its target.
 */
public final class Xor {
    static final double[][] INPUTS = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    static final double[] TARGETS = {0, 1, 1, 0};
    static final double LEARNING_RATE = 0.3;
    static final long SEED = 5;
    static final int MAX_EPOCHS = 50_000;
    static final double TOLERANCE = 0.2;

    private Xor() {
    }

    /** The trained network, its summed error per epoch, and how many epochs it took. */
    public record Result(Sequential model, List<Double> errors, int epochs, double[] outputs) {
        /** Whether every output is on the right side of 0.5. */
        public boolean allCorrect() {
            for (int i = 0; i < outputs.length; i++) {
                if ((outputs[i] > 0.5) != (TARGETS[i] > 0.5)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Trains until every output is within {@link #TOLERANCE} of its target (or {@link #MAX_EPOCHS}). */
    public static Result train() {
        Sequential model = Sequential.of(Linear.of(2, 2, Init.xavierUniform(), SEED), Activation.sigmoid(),
                Linear.of(2, 1, Init.xavierUniform(), SEED + 1), Activation.sigmoid());
        SGD sgd = SGD.of(model.parameters(), LEARNING_RATE);
        SplittableRandom order = new SplittableRandom(SEED);
        List<Double> errors = new ArrayList<>();
        int epoch = 0;
        double[] outputs = outputs(model);
        while (!converged(outputs) && epoch < MAX_EPOCHS) {
            int[] idx = {0, 1, 2, 3};
            for (int i = 3; i > 0; i--) {
                int j = order.nextInt(i + 1);
                int t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
            double sum = 0;
            for (int i : idx) {
                sgd.zeroGrad();
                Tensor o = model.forward(Tensor.of(INPUTS[i], 1, 2));
                Tensor e = Loss.mse(o, Tensor.of(new double[] {TARGETS[i]}, 1, 1), Reduction.SUM).mul(0.5);
                e.backward();
                sgd.step();
                sum += e.item();
            }
            errors.add(sum);
            epoch++;
            outputs = outputs(model);
        }
        return new Result(model, errors, epoch, outputs);
    }

    private static boolean converged(double[] outputs) {
        for (int i = 0; i < outputs.length; i++) {
            if (Math.abs(outputs[i] - TARGETS[i]) >= TOLERANCE) {
                return false;
            }
        }
        return true;
    }

    static double[] outputs(Sequential model) {
        try (GradMode.Scope ignored = GradMode.disabled()) {
            return model.forward(Tensor.of(INPUTS)).toArray();
        }
    }

    /** Trains, prints the outputs, writes the error curve to {@code args[0]} (default target/plots). */
    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/plots");
        System.out.println("XOR (seed 001): 2-2-1 sigmoid network, E = (y - O)^2 / 2, delta rule, lr 0.3");
        Result r = train();
        System.out.printf(Locale.ROOT, "every output within %.1f of its target after %d epochs (%d updates): %s%n",
                TOLERANCE, r.epochs(), 4 * r.epochs(), r.allCorrect() ? "100% accuracy" : "NOT all correct");
        for (int i = 0; i < 4; i++) {
            System.out.printf(Locale.ROOT, "  %s xor %s -> %.4f (target %s)%n", (int) INPUTS[i][0], (int) INPUTS[i][1],
                    r.outputs()[i], (int) TARGETS[i]);
        }
        System.out.println("plot: " + Plots.lossCurve(dir.resolve("xor-error.png"), "XOR: summed error per epoch",
                r.errors()));
    }
}
