package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * In training mode, zeroes each element with probability p and scales the rest by 1/(1-p) (inverted
 * dropout); in evaluation mode, the identity. Masks come from a generator seeded at construction, so
 * a run is reproducible.
 */
public final class Dropout extends Module {
    private final double p;
    /** The golden ratio's 64-bit odd multiple: spreads draw numbers over the seed space. */
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    /** Another odd constant (SplitMix64's first multiplier): spreads stream numbers apart from draws. */
    private static final long STREAM = 0xBF58476D1CE4E5B9L;
    private final long seed;
    /** Masks drawn so far: with the seed, the whole state (saved in checkpoints); mask k's seed is a function of both. */
    private long draws;
    /** Mixed into every mask's seed when not 0 (see {@link Module#randomStream}); not saved. */
    private long stream;

    /**
     * Dropout with probability {@code p} in [0, 1); each mask is drawn with a seed from a generator
     * seeded with {@code seed}, so layers built with seeds 10 and 11 draw unrelated masks.
     *
     * @throws IllegalArgumentException if {@code p} is not in [0, 1)
     */
    public static Dropout of(double p, long seed) {
        return new Dropout(p, seed);
    }

    private Dropout(double p, long seed) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        }
        this.p = p;
        this.seed = seed;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (!isTraining() || p == 0) {
            return x;
        }
        long base = stream == 0 ? seed : new SplittableRandom(seed ^ stream * STREAM).nextLong();
        long maskSeed = new SplittableRandom(base + draws * GOLDEN).nextLong();
        Tensor keep = Tensor.rand(new SplittableRandom(maskSeed), x.shape()).ge(p);
        draws++;
        return x.mul(keep.to(x.dtype())).mul(1 / (1 - p)); // the mask in x's dtype, so float32 stays float32
    }

    @Override
    void setOwnStream(long stream) {
        this.stream = stream;
    }

    @Override
    Map<String, Double> ownState() {
        return Map.of("draws", (double) draws);
    }

    @Override
    Map<String, Double> ownSettings() {
        return Map.of("p", p);
    }

    @Override
    void loadOwnState(String name, double value) {
        draws = (long) value; // checked to be a count when the checkpoint was read
    }

    /** {@code Dropout(p=0.5)}. */
    @Override
    public String toString() {
        return "Dropout(p=" + p + ")";
    }
}
