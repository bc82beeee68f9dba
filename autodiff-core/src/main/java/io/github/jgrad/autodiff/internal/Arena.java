package io.github.jgrad.autodiff.internal;

import java.util.Arrays;

/**
 * Where the tensor engine's result arrays come from. Outside a workspace: new arrays. While a
 * workspace scope is open on the thread: arrays from that workspace's {@link Pool}, which takes them
 * back when the scope closes, so that a steady training loop allocates (almost) nothing.
 *
 * <p>This class only hands arrays out and takes them back. Which arrays may be reused, and how no
 * tensor can see reused memory, is decided by {@code io.github.jgrad.autodiff.Workspace}.
 */
public final class Arena {
    private static final ThreadLocal<Pool> ACTIVE = new ThreadLocal<>();
    /** Whether a pool was ever activated: code that never uses workspaces skips the thread-local lookup. */
    private static volatile boolean used;

    private Arena() {
    }

    /** An array of {@code n} doubles whose contents are unspecified: the caller overwrites every element. */
    public static double[] allocate(int n) {
        Pool p = active();
        return p == null ? new double[n] : p.take(n);
    }

    /** An array of {@code n} zeros. */
    public static double[] zeros(int n) {
        Pool p = active();
        if (p == null) {
            return new double[n];
        }
        double[] a = p.take(n);
        Arrays.fill(a, 0.0);
        return a;
    }

    /** An array of {@code n} floats whose contents are unspecified: the caller overwrites every element. */
    public static float[] allocateFloats(int n) {
        Pool p = active();
        return p == null ? new float[n] : p.takeFloats(n);
    }

    /** An array of {@code n} float zeros. */
    public static float[] zerosFloats(int n) {
        Pool p = active();
        if (p == null) {
            return new float[n];
        }
        float[] a = p.takeFloats(n);
        Arrays.fill(a, 0f);
        return a;
    }

    /** The pool arrays come from on this thread, or null. */
    public static Pool active() {
        return used ? ACTIVE.get() : null;
    }

    /** Makes {@code pool} (null: none) the source of this thread's arrays; returns the one it replaces. */
    public static Pool activate(Pool pool) {
        used = true;
        Pool previous = ACTIVE.get();
        if (pool == null) {
            ACTIVE.remove();
        } else {
            ACTIVE.set(pool);
        }
        return previous;
    }

    /**
     * Free arrays (of doubles or floats) by type and exact length, and the arrays handed out since the
     * pool's frames opened (the "taken" stack: a frame is a mark on it). Used by one thread at a time.
     */
    public static final class Pool {
        /** How many steps a kind of array may go unasked before its free arrays are dropped. */
        public static final int IDLE_STEPS = 4;
        private final Object owner;
        /**
         * Open addressing on kinds: keys[i] is a length times 2, plus 1 for floats (-1 for an empty
         * slot), free[i] its arrays.
         */
        private long[] keys = emptyKeys(16);
        private Object[][] free = new Object[16][];
        private int[] freeCount = new int[16];
        /** The step ({@link #endStep}) in which each kind was last taken or given back. */
        private long[] lastUsed = new long[16];
        private long step;
        private int lengths;
        private Object[] taken = new Object[64];
        private int takenCount;
        /** Arrays {@link #untake untaken}, by identity, with how often: release skips them. */
        private final java.util.IdentityHashMap<Object, Integer> untaken = new java.util.IdentityHashMap<>();
        private long retainedBytes;

        /** A pool for {@code owner}, which {@link #owner()} returns (the workspace using it). */
        public Pool(Object owner) {
            this.owner = owner;
        }

        /** The workspace this pool serves. */
        public Object owner() {
            return owner;
        }

        /** How many arrays were handed out and not yet given back: a frame's mark. */
        public int mark() {
            return takenCount;
        }

        /** Slots of the table of kinds: twice to four times the kinds in use (at least 16), whatever came before. */
        public int slots() {
            return keys.length;
        }

        /** Bytes held in free arrays, ready for reuse. */
        public long retainedBytes() {
            return retainedBytes;
        }

        double[] take(int n) {
            Object a = reuse(key(n, false));
            return (double[]) record(a != null ? a : new double[n]);
        }

        float[] takeFloats(int n) {
            Object a = reuse(key(n, true));
            return (float[]) record(a != null ? a : new float[n]);
        }

        /** The kind of an array of {@code n} doubles or floats: see {@link #keys}. */
        private static long key(int n, boolean floats) {
            return 2L * n + (floats ? 1 : 0);
        }

        private static long key(Object a) {
            return a instanceof float[] f ? key(f.length, true) : key(((double[]) a).length, false);
        }

        /** The bytes an array of kind {@code key} holds. */
        private static long bytes(long key) {
            return (key >> 1) * ((key & 1) == 1 ? 4 : 8);
        }

        /**
         * Ends a step (the close of a workspace's outermost scope): drops the free arrays of every kind
         * no step asked for in the last {@value #IDLE_STEPS} steps, so that steps of changing shapes (batches
         * of many sizes) do not keep an array of every length they ever used.
         */
        public void endStep() {
            step++;
            int idle = 0;
            for (int i = 0; i < keys.length; i++) {
                if (keys[i] != -1 && step - lastUsed[i] > IDLE_STEPS) {
                    retainedBytes -= freeCount[i] * bytes(keys[i]);
                    if (freeCount[i] > 0) {
                        Arrays.fill(free[i], 0, freeCount[i], null);
                    }
                    freeCount[i] = 0;
                    keys[i] = -2; // idle: dropped from the table below, which stays the size of the kinds in use
                    idle++;
                }
            }
            if (idle > 0) {
                rehash(Math.max(16, Integer.highestOneBit(Math.max(1, lengths - idle) * 4 - 1)));
            }
        }

        /** A free array of kind {@code key}, or null. */
        private Object reuse(long key) {
            int slot = slot(key, false);
            if (slot >= 0) {
                lastUsed[slot] = step;
            }
            if (slot < 0 || freeCount[slot] == 0) {
                return null;
            }
            Object a = free[slot][--freeCount[slot]];
            free[slot][freeCount[slot]] = null;
            retainedBytes -= bytes(key);
            return a;
        }

        private Object record(Object a) {
            if (takenCount == taken.length) {
                taken = Arrays.copyOf(taken, takenCount * 2);
            }
            taken[takenCount++] = a;
            return a;
        }

        /** Gives back every array handed out since {@code mark}, except those {@link #untake untaken}. */
        public void release(int mark) {
            for (int i = takenCount - 1; i >= mark; i--) {
                Object a = taken[i];
                taken[i] = null;
                if (untaken.isEmpty() || !skip(a)) {
                    give(a);
                }
            }
            takenCount = mark;
            if (mark == 0) {
                untaken.clear(); // nothing is taken: any count left is of an array never taken here
            }
        }

        /** Whether {@code a} was untaken (counted down once: it may have been taken again since). */
        private boolean skip(Object a) {
            Integer n = untaken.get(a);
            if (n == null) {
                return false;
            }
            if (n == 1) {
                untaken.remove(a);
            } else {
                untaken.put(a, n - 1);
            }
            return true;
        }

        /**
         * Takes {@code a} out of the arrays to give back at the close of its frame (its tensor lives on).
         * Counted, not searched for, so that a step untaking a gradient per parameter costs no scan of
         * every array the step took (a model of 8,000 layers spent most of its step there).
         */
        public void untake(Object a) {
            untaken.merge(a, 1, Integer::sum);
        }

        /** Adds {@code a} (a double[] or float[]), which no live tensor holds any longer, to the free arrays. */
        public void give(Object a) {
            assert poison(a);
            long key = key(a);
            int slot = slot(key, true);
            lastUsed[slot] = step;
            if (free[slot] == null) {
                free[slot] = new Object[4];
            } else if (freeCount[slot] == free[slot].length) {
                free[slot] = Arrays.copyOf(free[slot], Math.max(4, freeCount[slot] * 2));
            }
            free[slot][freeCount[slot]++] = a;
            retainedBytes += bytes(key);
        }

        /**
         * With assertions on (as in the tests), a reused array holds NaN, never the zeros of a new one,
         * so that a kernel wrongly counting on zeros fails its test.
         */
        private static boolean poison(Object a) {
            if (a instanceof float[] f) {
                Arrays.fill(f, Float.NaN);
            } else {
                Arrays.fill((double[]) a, Double.NaN);
            }
            return true;
        }

        /** The slot for kind {@code n} (see {@link #keys}), added if {@code create}; -1 if absent. */
        private int slot(long n, boolean create) {
            int mask = keys.length - 1;
            for (int i = mix(n) & mask; ; i = (i + 1) & mask) {
                if (keys[i] == n) {
                    return i;
                }
                if (keys[i] == -1) {
                    if (!create) {
                        return -1;
                    }
                    if (lengths * 2 >= keys.length) {
                        grow();
                        return slot(n, true);
                    }
                    keys[i] = n;
                    lengths++;
                    return i; // its free list is made by the first give (a rehash moves the old one in)
                }
            }
        }

        private void grow() {
            rehash(keys.length * 2);
        }

        /** The table at {@code size} slots (a power of two), without the kinds marked -2 (idle). */
        private void rehash(int size) {
            long[] oldKeys = keys;
            Object[][] oldFree = free;
            int[] oldCount = freeCount;
            long[] oldUsed = lastUsed;
            keys = emptyKeys(size);
            free = new Object[keys.length][];
            freeCount = new int[keys.length];
            lastUsed = new long[keys.length];
            lengths = 0;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] >= 0) {
                    int s = slot(oldKeys[i], true);
                    free[s] = oldFree[i];
                    freeCount[s] = oldCount[i];
                    lastUsed[s] = oldUsed[i];
                }
            }
        }

        private static int mix(long n) {
            int h = Long.hashCode(n) * 0x9E3779B9;
            return h ^ (h >>> 16);
        }

        private static long[] emptyKeys(int size) {
            long[] k = new long[size];
            Arrays.fill(k, -1);
            return k;
        }
    }
}
