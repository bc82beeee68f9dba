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
     * @throws IllegalArgumentException if the shapes fit neither form, or an index is not a class
     */
    public static double accuracy(Tensor logits, Tensor targets) {
        int[] classes = Loss.classIndices("accuracy", logits, targets);
        int n = logits.shape(0);
        if (n == 0) {
            return Double.NaN;
        }
        double[] predicted = logits.argmax(1).toArray();
        double[] likeliest = classes == null ? targets.argmax(1).toArray() : null;
        int right = 0;
        for (int i = 0; i < n; i++) {
            right += predicted[i] == (classes == null ? likeliest[i] : classes[i]) ? 1 : 0;
        }
        return (double) right / n;
    }

    /**
     * The confusion matrix of a classifier: entry [t][p] counts the rows of {@code logits} (n,
     * classes) whose target class is t and whose largest logit is at p, so the diagonal counts the
     * right answers. Targets take the forms {@link #accuracy} takes.
     *
     * @throws IllegalArgumentException as {@link #accuracy}
     */
    public static int[][] confusionMatrix(Tensor logits, Tensor targets) {
        int[] classes = Loss.classIndices("confusionMatrix", logits, targets);
        int k = logits.shape(1);
        int[][] counts = new int[k][k];
        double[] predicted = logits.argmax(1).toArray();
        double[] likeliest = classes == null ? targets.argmax(1).toArray() : null;
        for (int i = 0; i < predicted.length; i++) {
            int t = classes == null ? (int) likeliest[i] : classes[i];
            counts[t][(int) predicted[i]]++;
        }
        return counts;
    }
}
