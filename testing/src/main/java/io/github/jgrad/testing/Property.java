package io.github.jgrad.testing;

import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A property checked over many random cases, from plain JUnit 5 (or any framework): a failure throws
 * an {@link AssertionError} that names the seed that reproduces it and the smallest failing case the
 * generator's shrinker found.
 *
 * <pre>{@code
 * Property.forAll(ValueGraphs.builtin().cases(3, 8)).tries(500).check(c -> {
 *     Property.assume(c.isSmooth());
 *     GradCheck.defaults().check(c.graph()::apply, c.point()).orThrow();
 * });
 * }</pre>
 * (inside a JUnit {@code @Test} method: TestingReadmeTest runs this very code).
 *
 * <p><b>Seeds.</b> Unless {@link #seed(long)} sets one, the seed comes from the system property
 * {@value #SEED_PROPERTY}: a number runs every property with that seed (for example to reproduce a
 * failure: {@code mvn verify -Djgrad.seed=42}), {@code random} draws a fresh seed per property (to
 * explore; the failure message prints it). Without it, each property has a fixed seed derived from
 * the name of the method that calls {@link #check} (for a call inside a lambda, the method the
 * lambda is written in), so a build checks the same cases every time and stays reproducible.
 *
 * <p><b>Shrinking.</b> When a case fails, the runner asks the generator for smaller cases
 * ({@link Generator#shrink}), keeps the first one that still fails (a case the property discards
 * with {@link #assume} does not count), and repeats until none fails, for at most
 * {@value #SHRINK_EVALUATIONS} evaluations or {@value #SHRINK_SECONDS} seconds.
 *
 * @param <T> the type of a case
 */
public final class Property<T> {
    /** The system property that sets the seed: a number, or {@code random}. */
    public static final String SEED_PROPERTY = "jgrad.seed";
    /** At most this many cases are tried while shrinking. */
    public static final int SHRINK_EVALUATIONS = 5000;
    /** Shrinking stops after this many seconds. */
    public static final int SHRINK_SECONDS = 20;
    /** A property gives up when {@link #assume} discards more than this many cases per checked one. */
    public static final int MAX_DISCARD_RATIO = 5;

    private final Generator<T> generator;
    private final int tries;
    private final Long seed;

    private Property(Generator<T> generator, int tries, Long seed) {
        this.generator = generator;
        this.tries = tries;
        this.seed = seed;
    }

    /** A property over the cases of {@code generator}: 100 tries unless {@link #tries} says otherwise. */
    public static <T> Property<T> forAll(Generator<T> generator) {
        return new Property<>(Objects.requireNonNull(generator, "Property.forAll: generator is null"), 100, null);
    }

    /**
     * This property checked on {@code tries} cases that {@link #assume} does not discard.
     *
     * @throws IllegalArgumentException if {@code tries < 1}
     */
    public Property<T> tries(int tries) {
        if (tries < 1) {
            throw new IllegalArgumentException("Property.tries: need at least 1, got " + tries);
        }
        return new Property<>(generator, tries, seed);
    }

    /** This property with a fixed seed (over the system property {@value #SEED_PROPERTY}). */
    public Property<T> seed(long seed) {
        return new Property<>(generator, tries, seed);
    }

    /**
     * Discards the current case unless {@code condition} holds: it counts neither as passed nor as
     * failed (for example a point too near a kink for finite differences).
     */
    public static void assume(boolean condition) {
        if (!condition) {
            throw Discard.INSTANCE;
        }
    }

    /** The body of a property: returns normally when the case passes, throws when it fails. */
    @FunctionalInterface
    public interface Check<T> {
        /**
         * Checks one case; any exception or error but a discard ({@link #assume}) is a failure, except the
         * JVM's own failures other than a stack overflow ({@link OutOfMemoryError}, {@link InternalError}),
         * which end the check as thrown.
         */
        void accept(T value) throws Exception;
    }

    /**
     * Checks the property on {@link #tries} cases.
     *
     * @throws AssertionError on the first failing case: its message names the property, the seed,
     *     the smallest failing case found by shrinking and the original one; its cause is the
     *     smallest case's failure. Also when too many cases are discarded, and when the generator
     *     throws (naming the seed and the case it was drawing); the JVM's own failures but a stack
     *     overflow ({@link OutOfMemoryError}, {@link InternalError}) propagate as thrown
     */
    public void check(Check<T> property) {
        Objects.requireNonNull(property, "Property.check: property is null");
        String name = callerName();
        long s = seed != null ? seed : seedFor(name);
        SplittableRandom random = new SplittableRandom(s);
        int passed = 0;
        int discarded = 0;
        for (int drawn = 1; passed < tries; drawn++) {
            T value;
            try {
                value = generator.generate(random.split());
            } catch (RuntimeException | Error e) {
                rethrowJvmFailure(e);
                throw new AssertionError(name + ": the generator threw drawing case " + drawn + " (seed " + s
                        + "; rerun with -D" + SEED_PROPERTY + "=" + s + "): " + e, e);
            }
            Throwable failure = run(property, value);
            if (failure == null) {
                passed++;
            } else if (failure instanceof Discard) {
                if (++discarded > MAX_DISCARD_RATIO * (long) tries) {
                    throw new AssertionError(name + ": gave up after " + discarded + " cases discarded by assume()"
                            + " for " + passed + " checked (seed " + s + "): the generator rarely meets the assumption");
                }
            } else {
                throw shrunk(property, name, s, drawn, value, failure);
            }
        }
    }

    private AssertionError shrunk(Check<T> property, String name, long s, int drawn, T original, Throwable failure) {
        T smallest = original;
        Throwable smallestFailure = failure;
        int steps = 0;
        int evaluations = 0;
        long deadline = System.nanoTime() + SHRINK_SECONDS * 1_000_000_000L;
        boolean improved = true;
        String stopped = "";
        while (improved && evaluations < SHRINK_EVALUATIONS && System.nanoTime() < deadline) {
            improved = false;
            List<T> candidates;
            try {
                candidates = generator.shrink(smallest);
            } catch (RuntimeException | Error e) {
                rethrowJvmFailure(e);
                stopped = "\n(shrinking stopped: the generator's shrink threw " + e + ")";
                break;
            }
            for (T candidate : candidates) {
                if (evaluations++ >= SHRINK_EVALUATIONS || System.nanoTime() >= deadline) {
                    break;
                }
                Throwable f = run(property, candidate);
                if (f != null && !(f instanceof Discard)) {
                    smallest = candidate;
                    smallestFailure = f;
                    steps++;
                    improved = true;
                    break;
                }
            }
        }
        String message = name + " failed on case " + drawn + " (seed " + s + "; rerun with -D" + SEED_PROPERTY + "=" + s
                + ")\nsmallest failing case (" + steps + " shrinking steps, " + evaluations + " cases tried):\n  "
                + smallest + "\n  " + smallestFailure
                + (steps == 0 ? "" : "\noriginal case:\n  " + original + "\n  " + failure) + stopped;
        return new AssertionError(message, smallestFailure);
    }

    private static <T> Throwable run(Check<T> property, T value) {
        try {
            property.accept(value);
            return null;
        } catch (Exception | Error e) {
            rethrowJvmFailure(e);
            return e;
        }
    }

    /**
     * Throws {@code e} if it is one of the JVM's own failures but a stack overflow (out of memory, an
     * internal error): no case of a property fails so.
     */
    private static void rethrowJvmFailure(Throwable e) {
        if (e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) {
            throw (VirtualMachineError) e;
        }
    }

    private static long seedFor(String name) {
        String configured = System.getProperty(SEED_PROPERTY);
        if (configured == null || configured.isBlank()) {
            return name.hashCode() * 0x9E3779B97F4A7C15L;
        }
        if (configured.equals("random")) {
            return new SplittableRandom().nextLong();
        }
        try {
            return Long.parseLong(configured.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + SEED_PROPERTY + " must be a number or 'random', got '"
                    + configured + "'", e);
        }
    }

    /** Class.method of the code that called check(). */
    private static String callerName() {
        return StackWalker.getInstance().walk(frames -> frames
                .filter(f -> !f.getClassName().equals(Property.class.getName()))
                .findFirst()
                .map(f -> f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "." + sourceName(f.getMethodName()))
                .orElse("property"));
    }

    /**
     * The method a call is written in: javac compiles a lambda to {@code lambda$METHOD$N}, where N
     * counts the class's lambdas and changes as code is edited; the seed must not.
     */
    static String sourceName(String method) {
        int last = method.lastIndexOf('$');
        return method.startsWith("lambda$") && last > "lambda$".length() ? method.substring("lambda$".length(), last) : method;
    }

    /** Thrown by {@link #assume}; never a failure. */
    private static final class Discard extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final Discard INSTANCE = new Discard();

        private Discard() {
            super("case discarded by Property.assume", null, false, false);
        }
    }
}
