package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;
import java.util.Arrays;
import java.util.function.DoublePredicate;

/**
 * Loss functions, each a composition of tensor ops (their gradients come from the tape). Every loss
 * takes a {@link Reduction}; the forms without a {@code Reduction} average ({@link Reduction#MEAN}).
 *
 * <p>Seed 003's costs are {@link #mse}, {@link #mae} and {@link #binaryCrossEntropy}; seed 002 uses
 * binary cross-entropy; micrograd's moons demo uses {@link #hinge}.
 */
public final class Loss {
    private Loss() {
    }

    /** Checks that every element of {@code t} is {@code ok}, naming the first that is not. */
    private static void each(String loss, String what, Tensor t, DoublePredicate ok, String must, String hint) {
        double[] d = t.toArray();
        for (int i = 0; i < d.length; i++) {
            if (!ok.test(d[i])) {
                throw new IllegalArgumentException(loss + ": " + what + " must be " + must + ", got " + d[i]
                        + " at flat index " + i + " of shape " + Text.shape(t.shape()) + hint);
            }
        }
    }

    /** Checks that every element of {@code t} is in [0, 1] (NaN is not). */
    private static void inUnitInterval(String loss, String what, Tensor t, String hint) {
        each(loss, what, t, v -> v >= 0 && v <= 1, "in [0, 1]", hint);
    }

    private static void sameShape(String loss, Tensor prediction, Tensor target) {
        if (!Arrays.equals(prediction.shape(), target.shape())) {
            throw new IllegalArgumentException(loss + ": prediction shape " + Text.shape(prediction.shape())
                    + " differs from target shape " + Text.shape(target.shape()));
        }
    }

    /** Mean squared error (prediction - target)^2. */
    public static Tensor mse(Tensor prediction, Tensor target) {
        return mse(prediction, target, Reduction.MEAN);
    }

    /** Squared error (prediction - target)^2, reduced. */
    public static Tensor mse(Tensor prediction, Tensor target, Reduction reduction) {
        sameShape("mse", prediction, target);
        return reduction.apply(prediction.sub(target).pow(2));
    }

    /** Mean absolute error |prediction - target|. */
    public static Tensor mae(Tensor prediction, Tensor target) {
        return mae(prediction, target, Reduction.MEAN);
    }

    /** Absolute error |prediction - target|, reduced (the derivative at 0 is 0). */
    public static Tensor mae(Tensor prediction, Tensor target, Reduction reduction) {
        sameShape("mae", prediction, target);
        return reduction.apply(prediction.sub(target).abs());
    }

    /** Binary cross-entropy of probabilities; see {@link #binaryCrossEntropy(Tensor, Tensor, Reduction)}. */
    public static Tensor binaryCrossEntropy(Tensor probability, Tensor target) {
        return binaryCrossEntropy(probability, target, Reduction.MEAN);
    }

    /**
     * -(y log p + (1 - y) log(1 - p)) for probabilities p in [0, 1] and targets y in [0, 1]. As in
     * PyTorch each log is clamped below at -100, so p = 0 or 1 gives a large finite loss, not infinity.
     * log(1 - p) is computed as log1p(-p), as PyTorch does, so a small p keeps its digits (the loss of
     * p = 1e-20 with target 0 is 1e-20). log p is taken of p clamped below at e^-101 (so p = 0 gives a
     * finite log, which the clamp at -100 then meets exactly, in float32 too, where e^-100 rounds to a
     * number whose log is -99.98); where p is below e^-100 the y log p term therefore sends no gradient
     * (only the other term's (1 - y) / (1 - p) remains, pushing p the wrong way if y is above it),
     * where PyTorch's gradient is about (p - y) / 1e-12 (likewise for 1 - p). Above e^-100 the
     * gradient is y / p, which overflows in float32 where p is below about 3e-39. A model that is that
     * confidently wrong is not pulled back by this loss: prefer {@link #binaryCrossEntropyWithLogits},
     * exact for any logit.
     *
     * @throws IllegalArgumentException if a probability (as PyTorch) or a target is outside [0, 1] or
     *     NaN, or the shapes differ
     */
    public static Tensor binaryCrossEntropy(Tensor probability, Tensor target, Reduction reduction) {
        sameShape("binaryCrossEntropy", probability, target);
        inUnitInterval("binaryCrossEntropy", "probabilities", probability,
                " (for scores that are not probabilities use binaryCrossEntropyWithLogits)");
        inUnitInterval("binaryCrossEntropy", "targets", target, "");
        Tensor logP = probability.clamp(Math.exp(-101), Double.MAX_VALUE).log().clamp(-100, 0);
        // log1p(-p), not log(1 - p): 1 - p rounds away every digit of a small p (p = 1e-20 gave 0)
        Tensor log1mP = probability.neg().log1p().clamp(-100, 0);
        return reduction.apply(target.mul(logP).add(target.neg().add(1).mul(log1mP)).neg());
    }

    /** Binary cross-entropy of logits; see {@link #binaryCrossEntropyWithLogits(Tensor, Tensor, Reduction)}. */
    public static Tensor binaryCrossEntropyWithLogits(Tensor logit, Tensor target) {
        return binaryCrossEntropyWithLogits(logit, target, Reduction.MEAN);
    }

    /**
     * Binary cross-entropy of sigmoid(z): log(1 + e^z) - z y, computed as z (1 - y) + log1p(e^-z) for
     * z &gt; 0 and log1p(e^z) - z y otherwise. No sigmoid that rounds to 0 or 1, no cancellation for
     * confident predictions (z = 30, y = 1 gives 9.36e-14 to the last digits), and the gradient is
     * sigmoid(z) - y everywhere, z = 0 included. Infinite logits give the limits: z = +inf with y = 1
     * (and z = -inf with y = 0) costs 0 with gradient 0, the wrong certainty costs +inf with gradient
     * 1 - y (or -y); a target of exactly 0 or 1 contributes no z * y term, so no 0 * inf appears.
     *
     * @throws IllegalArgumentException if a target is outside [0, 1] or NaN, or the shapes differ
     */
    public static Tensor binaryCrossEntropyWithLogits(Tensor logit, Tensor target, Reduction reduction) {
        sameShape("binaryCrossEntropyWithLogits", logit, target);
        inUnitInterval("binaryCrossEntropyWithLogits", "targets", target, "");
        Tensor positive = logit.gt(0);
        Tensor zero = Tensor.zeros(logit.dtype()); // in the logits' type: a 0-d float32 pair stays float32
        Tensor a = Tensor.where(positive, logit, zero);   // z where z > 0, else 0: each branch stays finite
        Tensor b = Tensor.where(positive, zero, logit);   // z where z <= 0, else 0
        Tensor whenPositive = times(a, target.neg().add(1)).add(a.neg().exp().log1p());
        Tensor otherwise = b.exp().log1p().sub(times(b, target));
        return reduction.apply(Tensor.where(positive, whenPositive, otherwise));
    }

    /**
     * z * w, but 0 where w is 0 even if z is infinite or NaN: a term whose weight is exactly zero costs
     * nothing. Only such a z is zeroed there before the product, so no NaN is computed (anomaly mode
     * stays quiet), and a finite z keeps its place in the gradient towards w: d/dw is z also where w
     * is 0 (targets that require grad, as a trainable teacher's), as in PyTorch; 0 where z is not finite.
     */
    private static Tensor times(Tensor z, Tensor w) {
        Tensor notFinite = z.abs().lt(Double.POSITIVE_INFINITY).neg().add(1);
        return Tensor.where(w.eq(0).mul(notFinite), Tensor.zeros(z.dtype()), z).mul(w);
    }

    /** Cross-entropy of logits against class indices; see {@link #crossEntropy(Tensor, int[], Reduction)}. */
    public static Tensor crossEntropy(Tensor logits, int[] classes) {
        return crossEntropy(logits, classes, Reduction.MEAN);
    }

    /**
     * -log softmax(logits)[i, classes[i]] for logits of shape (n, classes) and n class indices: the
     * loss of a softmax classifier, computed through log-softmax (finite for any logits).
     *
     * @throws IllegalArgumentException if the shapes do not fit, the logits hold one class, or an
     *     index is out of range
     */
    public static Tensor crossEntropy(Tensor logits, int[] classes, Reduction reduction) {
        requireLogits("crossEntropy", logits);
        if (logits.shape(0) != classes.length) {
            throw countMismatch("crossEntropy", classes.length, logits, null);
        }
        for (int i = 0; i < classes.length; i++) {
            if (classes[i] < 0 || classes[i] >= logits.shape(1)) {
                throw new IllegalArgumentException("crossEntropy: class index " + classes[i] + " at row " + i
                        + " is not in [0, " + logits.shape(1) + ")");
            }
        }
        return picked(logits, classes, reduction);
    }

    /** -log softmax(logits)[i, classes[i]] for checked classes, reduced. */
    private static Tensor picked(Tensor logits, int[] classes, Reduction reduction) {
        double[] idx = new double[classes.length];
        for (int i = 0; i < classes.length; i++) {
            idx[i] = classes[i];
        }
        Tensor picked = logits.logSoftmax(1).gather(1, Tensor.of(idx, classes.length, 1)).reshape(classes.length);
        return reduction.apply(picked.neg());
    }

    private static void requireLogits(String op, Tensor logits) {
        if (logits.dim() != 2) {
            throw new IllegalArgumentException(op + ": logits of shape " + Text.shape(logits.shape())
                    + " need to be (n, classes)");
        }
        if (logits.shape(1) == 1) { // softmax over one class is 1: loss 0, gradient 0, a model that never learns
            throw new IllegalArgumentException(op + ": logits of shape " + Text.shape(logits.shape()) + " hold one"
                    + " class, whose softmax is always 1 (loss 0, gradient 0); for a binary classifier's single"
                    + " logit use binaryCrossEntropyWithLogits");
        }
    }

    private static IllegalArgumentException countMismatch(String op, int count, Tensor logits, Tensor targets) {
        int n = logits.shape(0);
        return new IllegalArgumentException(op + ": " + count + " targets for " + n + " rows of logits "
                + Text.shape(logits.shape()) + (targets == null ? "" : " (targets of shape " + Text.shape(targets.shape())
                + ")") + "; give one class index per row" + (targets == null ? "" : ": shape (" + n + ") or (" + n + ", 1)"));
    }

    /**
     * Targets as {@link #crossEntropy(Tensor, Tensor, Reduction)} and {@link Metrics#accuracy} take
     * them, for logits (n, classes): null where they are probabilities of the logits' shape, else the
     * class index of each row, read from n integers of shape (n) or (n, 1).
     *
     * @throws IllegalArgumentException naming {@code op} if the logits are not (n, classes) or the
     *     targets fit neither form
     */
    static int[] classIndices(String op, Tensor logits, Tensor targets) {
        requireLogits(op, logits);
        if (Arrays.equals(targets.shape(), logits.shape())) {
            return null;
        }
        int n = logits.shape(0);
        if (targets.dim() != 1 && (targets.dim() != 2 || targets.shape(1) != 1)) {
            throw new IllegalArgumentException(op + ": targets of shape " + Text.shape(targets.shape())
                    + " fit logits " + Text.shape(logits.shape()) + " in neither form: class indices of shape (" + n
                    + ") or (" + n + ", 1), or probabilities of shape " + Text.shape(logits.shape())
                    + (targets.numel() == n ? " (targets.reshape(-1) makes them indices)" : ""));
        }
        double[] d = targets.toArray();
        if (d.length != n) {
            throw countMismatch(op, d.length, logits, targets);
        }
        int[] classes = new int[n];
        for (int i = 0; i < n; i++) {
            if (d[i] != Math.rint(d[i]) || d[i] < 0 || d[i] >= logits.shape(1)) {
                throw new IllegalArgumentException(op + ": class index " + d[i] + " at row " + i
                        + " is not an integer in [0, " + logits.shape(1) + ")");
            }
            classes[i] = (int) d[i];
        }
        return classes;
    }

    /** Cross-entropy of logits against a tensor of targets, averaged; see {@link #crossEntropy(Tensor, Tensor, Reduction)}. */
    public static Tensor crossEntropy(Tensor logits, Tensor targets) {
        return crossEntropy(logits, targets, Reduction.MEAN);
    }

    /**
     * Cross-entropy of logits (n, classes) against a tensor of targets, as PyTorch's
     * {@code cross_entropy}: n class indices, of shape (n) or (n, 1) (a column of labels), or
     * class probabilities of the logits' shape (one-hot or soft labels), for which the loss of row i
     * is -sum_j y_ij log softmax(logits)_ij (a zero target contributes 0, even against a logit of
     * -infinity). Where each row of y sums to 1 the gradient of a row's loss is softmax(logits) - y.
     *
     * @throws IllegalArgumentException if the targets fit neither form, or the logits hold one class
     *     (shape (n, 1), where PyTorch returns 0: use {@link #binaryCrossEntropyWithLogits})
     */
    public static Tensor crossEntropy(Tensor logits, Tensor targets, Reduction reduction) {
        int[] classes = classIndices("crossEntropy", logits, targets);
        if (classes == null) {
            return reduction.apply(times(logits.logSoftmax(1), targets).sum(1, false).neg());
        }
        return picked(logits, classes, reduction);
    }

    /** Max-margin loss; see {@link #hinge(Tensor, Tensor, Reduction)}. */
    public static Tensor hinge(Tensor score, Tensor label) {
        return hinge(score, label, Reduction.MEAN);
    }

    /**
     * relu(1 - label * score) for labels -1 or +1: micrograd's "max-margin" (SVM) loss.
     *
     * @throws IllegalArgumentException if a label is not -1 or +1 (0/1 labels would leave class 0
     *     with a constant loss and no gradient), or the shapes differ
     */
    public static Tensor hinge(Tensor score, Tensor label, Reduction reduction) {
        sameShape("hinge", score, label);
        each("hinge", "labels", label, v -> v == 1 || v == -1, "-1 or +1", " (map 0/1 labels with 2y - 1)");
        return reduction.apply(label.mul(score).neg().add(1).relu());
    }
}
