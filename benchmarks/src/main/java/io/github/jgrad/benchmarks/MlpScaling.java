package io.github.jgrad.benchmarks;

import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.autodiff.Workspace;
import io.github.jgrad.nn.Activation;
import io.github.jgrad.nn.Init;
import io.github.jgrad.nn.Linear;
import io.github.jgrad.nn.Loss;
import io.github.jgrad.nn.Module;
import io.github.jgrad.nn.SGD;
import io.github.jgrad.nn.Sequential;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@link MlpStep.Tape}'s training step (ReLU between layers, softmax cross-entropy, SGD, in a
 * workspace) at any batch and layer sizes, written {@code "batch x in-hidden-...-out"}, such as
 * {@code "1024x784-256-10"}. At {@code "128x784-256-10"} it is MlpStep's step, number for number:
 * the same inputs, labels and initial weights (layer i from seed 3 + i).
 */
final class MlpScaling {
    final Sequential model;
    final SGD sgd;
    final Tensor x;
    final int[] y;
    final Workspace workspace = Workspace.create();

    MlpScaling(String config) {
        String[] parts = config.split("x", 2);
        String[] sizes = parts[1].split("-");
        int batch = Integer.parseInt(parts[0]);
        int[] width = new int[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            width[i] = Integer.parseInt(sizes[i]);
        }
        List<Module> layers = new ArrayList<>();
        for (int i = 0; i + 1 < width.length; i++) {
            if (i > 0) {
                layers.add(Activation.relu());
            }
            Tensor w = Init.heUniform().create(3 + i, width[i], width[i + 1], width[i], width[i + 1]);
            layers.add(Linear.of(w, Tensor.zeros(width[i + 1])));
        }
        model = Sequential.of(layers.toArray(new Module[0]));
        sgd = SGD.of(model.parameters(), MlpStep.LR);
        x = Tensor.randn(new SplittableRandom(1), batch, width[0]);
        SplittableRandom r = new SplittableRandom(2);
        y = new int[batch];
        for (int i = 0; i < batch; i++) {
            y[i] = r.nextInt(width[width.length - 1]);
        }
    }

    /** One step: forward, loss, backward, update, in the workspace; returns the loss. */
    double step() {
        try (Workspace.Scope scope = workspace.open()) {
            sgd.zeroGrad();
            Tensor loss = Loss.crossEntropy(model.forward(x), y);
            loss.backward();
            sgd.step();
            return loss.item();
        }
    }
}
