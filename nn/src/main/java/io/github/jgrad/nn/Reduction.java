package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;

/** How a loss combines per-element losses: their mean, their sum, or none (the per-element tensor). */
public enum Reduction {
    /** The mean of the per-element losses, one number (PyTorch's default, and jgrad's). */
    MEAN,
    /** The sum of the per-element losses, one number. */
    SUM,
    /** The per-element losses themselves, a tensor of the input's shape (or one per row). */
    NONE;

    Tensor apply(Tensor perElement) {
        switch (this) {
            case MEAN: return perElement.mean();
            case SUM: return perElement.sum();
            default: return perElement;
        }
    }
}
