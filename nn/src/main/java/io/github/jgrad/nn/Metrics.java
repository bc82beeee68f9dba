package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;

/** Numbers to watch while training, computed without recording a graph. */
public final class Metrics {
    private Metrics() {
    }

    /**
     * The fraction of rows of {@code logits} (n, classes) whose largest entry is at the target class:
     * targets as {@link Loss#crossEntropy(Tensor, Tensor)} takes them, class indices of shape (n) or
     * (n, 1), or probabilities of the logits' shape (one-hot; the target class is the row's largest).
     * Shapes are matched row by row, so (n, 1) labels do not broadcast against (n) predictions.
     *
     * @throws IllegalArgumentException if the shapes fit neither form
     */
    public static double accuracy(Tensor logits, Tensor targets) {
        if (logits.dim() != 2) {
            throw new IllegalArgumentException("accuracy: logits of shape " + Text.shape(logits.shape())
                    + " need to be (n, classes)");
        }
        int n = logits.shape(0);
        Tensor truth;
        if (targets.dim() == 2 && targets.shape(0) == n && targets.shape(1) == logits.shape(1) && logits.shape(1) > 1) {
            truth = targets.argmax(1);
        } else if (targets.numel() == n && (targets.dim() == 1 || (targets.dim() == 2 && targets.shape(1) == 1))) {
            truth = targets.reshape(n);
        } else {
            throw new IllegalArgumentException("accuracy: targets of shape " + Text.shape(targets.shape())
                    + " fit logits " + Text.shape(logits.shape()) + " in neither form: class indices of shape (" + n
                    + ") or (" + n + ", 1), or probabilities of shape " + Text.shape(logits.shape()));
        }
        if (n == 0) {
            return Double.NaN;
        }
        double[] predicted = logits.argmax(1).toArray();
        double[] actual = truth.toArray();
        int right = 0;
        for (int i = 0; i < n; i++) {
            right += predicted[i] == actual[i] ? 1 : 0;
        }
        return (double) right / n;
    }
}
