package io.github.jgrad.nn;

import io.github.jgrad.autodiff.GradMode;
import io.github.jgrad.autodiff.Tensor;

/** A number to watch on validation data, computed from a batch (see {@link Trainer#validation}). */
@FunctionalInterface
public interface Metric {
    /** The metric's mean over one batch of {@code inputs} and their {@code targets}. */
    double of(Tensor inputs, Tensor targets);

    /**
     * The fraction of rows {@code model} classifies right ({@link Metrics#accuracy}: its outputs are
     * read as logits; for a model ending in a sigmoid, {@code (x, y) -> Metrics.accuracy(model.forward(x)
     * .sub(0.5), y)} with grad mode off), computed with
     * nothing recorded ({@link GradMode#disabled()}) in the model's current mode: {@link
     * Trainer#evaluate} puts it in evaluation mode first; called on its own, call {@link Module#eval()}
     * first, or dropout draws masks.
     */
    static Metric accuracy(Module model) {
        return (x, y) -> {
            try (GradMode.Scope off = GradMode.disabled()) {
                return Metrics.accuracy(model.forward(x), y);
            }
        };
    }
}
