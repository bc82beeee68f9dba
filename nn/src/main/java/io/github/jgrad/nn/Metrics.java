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
     * Shapes are matched row by row, so (n, 1) labels do not broadcast against (n) predictions. Logits
     * of shape (n, 1) are a binary classifier's ({@link Loss#binaryCrossEntropyWithLogits}): it
     * predicts class 1 where the logit is above 0 (so a NaN logit predicts class 0), against labels 0
     * or 1 of shape (n) or (n, 1). Probabilities (a model ending in a sigmoid) are not logits: every
     * one is above 0; pass {@code p.sub(0.5)} to compare them with 0.5, with the same shape rules.
     *
     * @throws IllegalArgumentException if the shapes fit neither form, or an index is not a class
     */
    public static double accuracy(Tensor logits, Tensor targets) {
        int[] predicted = new int[logits.dim() == 2 ? logits.shape(0) : 0];
        int[] actual = classes("accuracy", logits, targets, predicted);
        int n = predicted.length;
        if (n == 0) {
            return Double.NaN;
        }
        int right = 0;
        for (int i = 0; i < n; i++) {
            right += predicted[i] == actual[i] ? 1 : 0;
        }
        return (double) right / n;
    }

    /**
     * The target class of each row, with the predicted one written into {@code predicted} (the largest
     * logit's, or for one logit per row whether it is above 0), for the forms {@link #accuracy} takes.
     */
    private static int[] classes(String op, Tensor logits, Tensor targets, int[] predicted) {
        if (logits.dim() == 2 && logits.shape(1) == 1) { // a binary classifier's single logit
            double[] z = logits.toArray();
            double[] t = targets.toArray();
            if (targets.numel() != z.length || targets.dim() > 2 || targets.dim() == 2 && targets.shape(1) != 1) {
                throw new IllegalArgumentException(op + ": a single logit per row " + Text.shape(logits.shape())
                        + " is a binary classifier's; its labels are 0 or 1 of shape (" + z.length + ") or ("
                        + z.length + ", 1), not " + Text.shape(targets.shape()));
            }
            int[] actual = new int[z.length];
            for (int i = 0; i < z.length; i++) {
                if (t[i] != 0 && t[i] != 1) {
                    throw new IllegalArgumentException(op + ": a single logit per row is a binary classifier's, whose"
                            + " labels are 0 or 1; row " + i + " has " + t[i]);
                }
                actual[i] = (int) t[i];
                predicted[i] = z[i] > 0 ? 1 : 0;
            }
            return actual;
        }
        int[] classes = Loss.classIndices(op, logits, targets);
        double[] best = logits.argmax(1).toArray();
        double[] likeliest = classes == null ? targets.argmax(1).toArray() : null;
        int[] actual = classes == null ? new int[best.length] : classes;
        for (int i = 0; i < best.length; i++) {
            predicted[i] = (int) best[i];
            if (classes == null) {
                actual[i] = (int) likeliest[i];
            }
        }
        return actual;
    }

    /**
     * The confusion matrix of a classifier: entry [t][p] counts the rows of {@code logits} (n,
     * classes) whose target class is t and whose largest logit is at p, so the diagonal counts the
     * right answers (2 x 2 for a binary classifier's single logit). Targets take the forms {@link
     * #accuracy} takes.
     *
     * @throws IllegalArgumentException as {@link #accuracy}
     */
    public static int[][] confusionMatrix(Tensor logits, Tensor targets) {
        int[] predicted = new int[logits.dim() == 2 ? logits.shape(0) : 0];
        int[] actual = classes("confusionMatrix", logits, targets, predicted);
        int k = Math.max(logits.shape(1), 2); // a single logit: classes 0 and 1
        int[][] counts = new int[k][k];
        for (int i = 0; i < predicted.length; i++) {
            counts[actual[i]][predicted[i]]++;
        }
        return counts;
    }
}
