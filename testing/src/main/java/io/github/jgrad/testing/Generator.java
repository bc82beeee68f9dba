package io.github.jgrad.testing;

import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Random cases for a {@link Property}: how to draw one, and how to make a failing one smaller.
 *
 * @param <T> the type of a case
 */
@FunctionalInterface
public interface Generator<T> {
    /** A new case drawn with {@code random} (and nothing else, so that a seed reproduces it). */
    T generate(SplittableRandom random);

    /**
     * Cases smaller than {@code value}, the most promising first; the shrinker keeps the first one
     * that still fails and asks again. The default has none (the failing case is reported as drawn).
     */
    default List<T> shrink(T value) {
        return List.of();
    }

    /** A generator from a drawing function and a shrinking function. */
    static <T> Generator<T> of(Function<SplittableRandom, T> generate, Function<T, List<T>> shrink) {
        Objects.requireNonNull(generate, "generate");
        Objects.requireNonNull(shrink, "shrink");
        return new Generator<>() {
            @Override
            public T generate(SplittableRandom random) {
                return generate.apply(random);
            }

            @Override
            public List<T> shrink(T value) {
                return shrink.apply(value);
            }
        };
    }
}
