package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;

/** How a loss combines per-element losses: their mean, their sum, or none (the per-element tensor). */
public enum Reduction {
    MEAN, SUM, NONE;

    Tensor apply(Tensor perElement) {
        switch (this) {
            case MEAN: return perElement.mean();
            case SUM: return perElement.sum();
            default: return perElement;
        }
    }
}
