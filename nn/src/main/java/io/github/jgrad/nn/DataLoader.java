package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * Mini-batches of a dataset (inputs and targets whose first dimension counts the examples). Each
 * pass over it ({@link #iterator()}) is one epoch; with shuffling, epoch e uses the order drawn from
 * {@code seed + e}, so a run is reproducible (as PyTorch's {@code DistributedSampler}; so seed 6's
 * first epoch is seed 5's second: give runs meant to differ seeds far apart). The last batch may be
 * smaller.
 *
 * <pre>{@code
 * DataLoader loader = DataLoader.of(x, y, 32, true, 7);
 * for (DataLoader.Batch b : loader) { ... b.inputs() ... b.targets() ... }
 * }</pre>
 */
public final class DataLoader implements Iterable<DataLoader.Batch> {
    private final Tensor inputs;
    private final Tensor targets;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private int epoch;

    private DataLoader(Tensor inputs, Tensor targets, int batchSize, boolean shuffle, long seed) {
        if (inputs.dim() == 0 || targets.dim() == 0 || inputs.shape(0) != targets.shape(0)) {
            throw new IllegalArgumentException("DataLoader: inputs " + Text.shape(inputs.shape()) + " and targets "
                    + Text.shape(targets.shape()) + " must have the same first dimension (the examples)");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("DataLoader: batch size must be >= 1, got " + batchSize);
        }
        this.inputs = inputs;
        this.targets = targets;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
    }

    /** Batches of {@code batchSize} examples, shuffled per epoch from {@code seed} if {@code shuffle}. */
    public static DataLoader of(Tensor inputs, Tensor targets, int batchSize, boolean shuffle, long seed) {
        return new DataLoader(inputs, targets, batchSize, shuffle, seed);
    }

    /** The number of examples. */
    public int size() {
        return inputs.shape(0);
    }

    /**
     * The epoch whose order the next {@link #iterator()} uses (0 at first, one more after each
     * iterator): with the seed, the data order's whole state.
     */
    public int epoch() {
        return epoch;
    }

    /**
     * Makes the next {@link #iterator()} use epoch {@code epoch}'s order, as PyTorch's
     * {@code DistributedSampler.set_epoch}: {@link Trainer} sets it, so that the order is a function of
     * the epoch and a resumed run sees the data in the same order as an uninterrupted one.
     *
     * @throws IllegalArgumentException if {@code epoch} is negative or {@code Integer.MAX_VALUE} (an epoch
     *     after which no next one could be counted)
     */
    public void setEpoch(int epoch) {
        if (epoch < 0 || epoch == Integer.MAX_VALUE) {
            throw new IllegalArgumentException("DataLoader.setEpoch: epoch must be in [0, " + (Integer.MAX_VALUE - 1)
                    + "], got " + epoch);
        }
        this.epoch = epoch;
    }

    /** The number of batches per epoch. */
    public int batches() {
        return (int) ((size() + (long) batchSize - 1) / batchSize);
    }

    /** One mini-batch. */
    public record Batch(Tensor inputs, Tensor targets) {
    }

    /**
     * The next epoch's batches.
     *
     * @throws IllegalStateException if the epoch counter has reached {@code Integer.MAX_VALUE}
     */
    @Override
    public Iterator<Batch> iterator() {
        if (epoch == Integer.MAX_VALUE) {
            throw new IllegalStateException("DataLoader: the epoch counter reached Integer.MAX_VALUE; setEpoch to go on");
        }
        int n = size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (shuffle) {
            SplittableRandom r = new SplittableRandom(seed + epoch);
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
        }
        epoch++;
        return new Iterator<>() {
            private int at;

            @Override
            public boolean hasNext() {
                return at < n;
            }

            @Override
            public Batch next() {
                if (at >= n) {
                    throw new NoSuchElementException();
                }
                int[] idx = Arrays.copyOfRange(order, at, at + Math.min(batchSize, n - at));
                at += idx.length;
                return new Batch(inputs.indexSelect(0, idx), targets.indexSelect(0, idx));
            }
        };
    }
}
