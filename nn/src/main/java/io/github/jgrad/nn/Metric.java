package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;

/** A number to watch on validation data, computed from a batch (see {@link Trainer#validation}). */
@FunctionalInterface
public interface Metric {
    /** The metric's mean over one batch of {@code inputs} and their {@code targets}. */
    double of(Tensor inputs, Tensor targets);

    /** The fraction of rows {@code model} classifies right ({@link Metrics#accuracy}). */
    static Metric accuracy(Module model) {
        return (x, y) -> Metrics.accuracy(model.forward(x), y);
    }
}
