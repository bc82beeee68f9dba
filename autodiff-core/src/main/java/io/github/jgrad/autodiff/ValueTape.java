package io.github.jgrad.autodiff;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The scalar tape: every interior {@link Value} a thread computes is appended to that thread's tape,
 * so the tape lists values in the order they were computed, which is already a topological order
 * (operands before results). Backward sweeps it in reverse from the output: no graph search, no
 * sort, no recursion (as Stan Math's chainable stack and CppAD's tape).
 *
 * <p><b>Lifetime.</b> The tape holds references only; each value is one small object with its
 * operands and local derivatives inline. A backward pass empties its thread's tape when it ends (so
 * does a tape that fills its capacity, {@link #CAPACITY} slots or what the thread's longest graph
 * needed), so the same array serves every training step,
 * and a graph its user dropped stays reachable from the tape only until then. Values recorded
 * before are not lost:
 * a value is on the current tape while its slot still holds it, and a backward pass from a value that
 * is not, or whose graph reaches one that is not (an operand from an earlier step or from another
 * thread, or a second backward pass from the same output), orders its graph by an iterative
 * depth-first search instead, as the tape did before it was flat. So any graph can be differentiated
 * as long as its output is held, and a value is reclaimed by the collector once it is unreachable.
 *
 * <p>Dot products record their operands as {@link Run}s, which the tape keeps until it is emptied
 * so that products over the same list share one.
 *
 * <p>A pass marks the values it reaches with its number ({@link Value#stamp}); an interior value
 * not yet reached in the pass starts from gradient 0, so values of other graphs on the same tape
 * keep their gradients.
 */
final class ValueTape {
    /**
     * Slots a new tape fills before it empties itself without a backward pass: one per value, plus one
     * per operand of a sum or dot. It bounds what the tape itself lists for a thread that builds graphs
     * and never differentiates them (inference, or workers whose graphs another thread differentiates):
     * about 2^20 values (64 MB) or 2^20 operands of sums and dots, though the listed values keep alive
     * whatever they were computed from (all of a longer chain); and it lets a chain of a million values
     * be swept from the tape. A thread that differentiates a graph longer than its tape grows its tape
     * to hold that graph ({@link #fit}), so that the next step's graph of that size is swept too.
     */
    static final int CAPACITY = 1 << 20;
    /** The most slots a tape grows to (a graph of 2^30 values takes some 64 GB). */
    static final int MAX_CAPACITY = 1 << 30;
    private static final int RUNS = 256;
    private static final ThreadLocal<ValueTape> TAPES = ThreadLocal.withInitial(ValueTape::new);
    /**
     * Backward passes' numbers, shared by all threads; 0 is skipped (a new value's stamp). A sweep
     * compares stamps only of values on its own tape, all recorded since the tape was last emptied,
     * so a stale stamp could match only if the counter wrapped around (2^32 passes) while a value
     * waited on a tape whose thread made no backward pass. Backward's search ({@link #interiorOrder})
     * takes a stamp equal to its pass for "reached": a value last reached exactly 2^32 passes before
     * would be skipped, one chance in 2^32 per value the search meets after a wrap-around, as likely
     * as the sweep's. Other searches ({@link #order}) keep their own set and write no stamps.
     */
    private static final AtomicInteger PASSES = new AtomicInteger();

    /** This thread's grad mode: values computed while it is off are not recorded. */
    private final GradMode.State mode = GradMode.state();
    private Value[] nodes = new Value[256];
    /** Runs made since the tape was last emptied, by their list's identity hash (a miss makes a new run). */
    private final Run[] runs = new Run[RUNS];
    private int size;
    /** Slots filled (see {@link #CAPACITY}). */
    private int slots;
    /** Slots this tape fills before it empties itself: {@link #CAPACITY}, or more once {@link #fit} grew it. */
    private int capacity = CAPACITY;
    /** Whether this tape emptied itself for being full since its last backward pass. */
    private boolean overflowed;
    /** The first position whose value has an interior operand not on this tape, or MAX_VALUE. */
    private int firstForeign = Integer.MAX_VALUE;

    private ValueTape() {
    }

    static ValueTape current() {
        return TAPES.get();
    }

    /** Whether values computed on this thread now are recorded (grad mode is on). */
    boolean recording() {
        return mode.enabled;
    }

    /** Appends an interior value (its fields set) and returns its position. */
    int record(Value v) {
        if (slots >= capacity) {
            overflow();
        }
        int i = size;
        slots += slots(v);
        if (i == nodes.length) {
            nodes = Arrays.copyOf(nodes, Math.min(2 * i, capacity));
        }
        if (firstForeign == Integer.MAX_VALUE && readsOffTape(v)) {
            firstForeign = i;
        }
        nodes[i] = v;
        size = i + 1;
        return i;
    }

    /** The slots an interior value fills: one, plus one per operand of a sum or dot. */
    private static int slots(Value v) {
        return v.a == null && v.b != null ? 1 + v.operandCount() : 1;
    }

    /** Empties this full tape (its values are off it from now on, and backward orders them by search). */
    private void overflow() {
        clear();
        overflowed = true;
    }

    /**
     * Grows this tape, after it overflowed, to hold a graph of {@code order}'s interior values, to a
     * power of two at most twice their slots (at most {@link #MAX_CAPACITY}): a loop that builds and
     * differentiates graphs of that size sweeps them from the tape from its next step on, instead of
     * ordering each by a search. What a thread that stops differentiating keeps listed grows with it,
     * so by at most twice the largest graph it differentiated, which it held anyway (a graph of
     * another thread's values too, though those are searched however large the tape). Only the graph
     * is counted: a step that also records other values (a second graph, evaluation outside
     * {@link GradMode#disabled()}) beyond the tape is still searched, as before the tape could grow.
     */
    private void fit(Value[] order) {
        long need = 0;
        for (Value v : order) {
            if (v.interior()) {
                need += slots(v);
            }
        }
        while (capacity <= need && capacity < MAX_CAPACITY) {
            capacity *= 2;
        }
    }

    /** The slots this tape fills before it empties itself (for tests). */
    int capacity() {
        return capacity;
    }

    /** Whether {@code v} is an interior value this tape lists (for tests). */
    boolean lists(Value v) {
        return v.index >= 0 && !offTape(v);
    }

    private void clear() {
        Arrays.fill(nodes, 0, size, null);
        Arrays.fill(runs, null);
        size = 0;
        slots = 0;
        firstForeign = Integer.MAX_VALUE;
    }

    private boolean readsOffTape(Value v) {
        if (v.a != null) {
            return offTape(v.a) || v.b != null && offTape((Value) v.b);
        }
        if (v.b instanceof Value.DotOperands) {
            Value.DotOperands d = (Value.DotOperands) v.b;
            return d.a.offTape || d.b.offTape;
        }
        if (v.b != null) {
            for (Value p : ((Value.Operands) v.b).values) {
                if (offTape(p)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether {@code v} is interior and not on this tape (recorded before it was emptied, or elsewhere). */
    private boolean offTape(Value v) {
        int i = v.index;
        return i >= 0 && (i >= size || nodes[i] != v);
    }

    /**
     * The values of {@code list} as a run: the last run made from the same list object since this
     * tape was last emptied if the list still holds the same values, holding the same data, else a
     * new one. So a neuron's weights are copied once per step, and a layer's outputs once for all the
     * neurons that read them, not once per dot product. A dot product asks for its runs before it is
     * recorded, so this is where a full tape is emptied for it: a run's {@link Run#offTape} then
     * describes the tape its record goes on.
     */
    Run run(List<Value> list, String what) {
        if (slots >= capacity) {
            overflow();
        }
        int slot = System.identityHashCode(list) & (RUNS - 1);
        Run r = runs[slot];
        if (r != null && r.holds(list)) {
            return r;
        }
        int n = list.size();
        Value[] values = new Value[n];
        double[] data = new double[n];
        boolean interior = false;
        boolean leaves = false;
        boolean off = false;
        for (int i = 0; i < n; i++) {
            Value v = Objects.requireNonNull(list.get(i), what);
            values[i] = v;
            data[i] = v.data;
            interior |= v.interior();
            leaves |= !v.interior();
            off |= offTape(v);
        }
        r = new Run(values, data, interior, leaves, off);
        runs[slot] = r;
        return r;
    }

    /**
     * Operands of n-ary records, with their data as it was when the run was made; never changed, so
     * any number of records may share one. A record over it reads its operands off this tape if
     * {@link #offTape} is set.
     */
    static final class Run {
        final Value[] values;
        final double[] data;
        /** Whether any value is interior (else all are leaves and constants, as a neuron's weights). */
        final boolean interior;
        /** Whether any value is a leaf or a constant, whose data {@link Value#setData} may change. */
        final boolean leaves;
        /** Whether a value is interior and not on the tape that made this run (valid until it is emptied). */
        final boolean offTape;

        Run(Value[] values, double[] data, boolean interior, boolean leaves, boolean offTape) {
            this.values = values;
            this.data = data;
            this.interior = interior;
            this.leaves = leaves;
            this.offTape = offTape;
        }

        /**
         * Whether {@code list} holds exactly these values, in this order, and they hold this data (a
         * leaf's data may have been set since, on this thread or another; an interior value's never).
         */
        boolean holds(List<Value> list) {
            int n = values.length;
            if (list.size() != n) {
                return false;
            }
            for (int i = 0; i < n; i++) {
                Value v = list.get(i);
                if (v != values[i] || leaves && Double.doubleToRawLongBits(v.data) != Double.doubleToRawLongBits(data[i])) {
                    return false;
                }
            }
            return true;
        }

        /**
         * The chain rule into these values: each receives {@code g * partials[i]} as {@link
         * Value#propagate} gives it, with the loop for leaves alone (a neuron's weights) free of the
         * per-value test, and nothing to do for them when g is 0.
         */
        void give(double[] partials, double g, int pass) {
            if (interior) {
                for (int i = 0; i < values.length; i++) {
                    Value.give(values[i], partials[i], g, pass);
                }
            } else if (g != 0) {
                for (int i = 0; i < values.length; i++) {
                    values[i].grad += partials[i] * g;
                }
            }
        }
    }

    private static int nextPass() {
        int pass = PASSES.incrementAndGet();
        return pass != 0 ? pass : PASSES.incrementAndGet();
    }

    /** {@link Value#backward()}: seeds the output with 1 and runs the chain rule over its graph. */
    static void backward(Value out) {
        ValueTape tape = current();
        boolean check = Anomaly.isEnabled();
        int i = out.index;
        try {
            if (i < 0) {
                out.grad += 1; // a leaf's gradient with respect to itself
            } else if (i < tape.size && tape.nodes[i] == out && tape.firstForeign > i) {
                int pass = nextPass();
                out.stamp = pass;
                out.grad = 1;
                Value[] nodes = tape.nodes;
                for (; i >= 0; i--) {
                    Value v = nodes[i];
                    if (v.stamp == pass) {
                        v.propagate(pass, check);
                    }
                }
            } else {
                int pass = nextPass();
                Value[] order = interiorOrder(out, pass);
                if (tape.overflowed) {
                    tape.fit(order);
                }
                for (Value v : order) {
                    v.grad = 0;
                }
                out.grad += 1;
                for (int k = order.length - 1; k >= 0; k--) {
                    order[k].propagate(pass, check);
                }
            }
        } finally {
            tape.clear(); // also when anomaly mode throws: the tape never outlives a pass
            tape.overflowed = false;
        }
    }

    /**
     * Every value reachable from {@code root}, each after its operands: the computed values in the
     * order they were computed, which is the order a sweep of the tape visits them (so a backward
     * pass gives the same bits from the tape or from this order, and explain reports replay it
     * exactly), each leaf or constant just before the first of them that reads it. Values from
     * different tapes, or from before a tape was emptied, may carry positions out of that order;
     * then it is a depth-first search's postorder, operands in operand order. Iterative, so a chain
     * of millions of values needs no thread stack; it writes nothing into the values, so threads may
     * order graphs that share values at once.
     */
    static Value[] order(Value root) {
        Map<Value, Boolean> seen = new IdentityHashMap<>();
        seen.put(root, Boolean.FALSE);
        Value[] dfs = postorder(root, p -> seen.putIfAbsent(p, Boolean.FALSE) == null);
        return inCreationOrder(dfs, dfs.length, seen);
    }

    /**
     * The interior values reachable from {@code root}, in the order {@link #order} gives them, without
     * the leaves and constants (backward gives them gradients but needs no place for them), each
     * stamped with {@code pass}: the stamps mark what the search has reached, so it builds no set of
     * values (2.4 million values ordered in a tenth of the time). Backward alone uses it: it stamps
     * every value it reaches anyway, and two passes over one interior value at once are not supported.
     */
    private static Value[] interiorOrder(Value root, int pass) {
        root.stamp = pass;
        Value[] out = postorder(root, p -> {
            if (!p.interior() || p.stamp == pass) {
                return false;
            }
            p.stamp = pass;
            return true;
        });
        int size = out.length;
        long[] keys = positions(out, size);
        if (keys == null) {
            return Arrays.copyOf(out, size);
        }
        Value[] order = new Value[size];
        for (int j = 0; j < size; j++) {
            order[j] = out[(int) keys[j]];
        }
        return order;
    }

    /**
     * A depth-first postorder from {@code root} (operands in operand order), entering each operand
     * {@code enter} admits: it is asked at every edge, and says yes the first time a value is to be
     * visited. Iterative, so a chain of millions of values needs no thread stack.
     */
    private static Value[] postorder(Value root, java.util.function.Predicate<Value> enter) {
        Value[] out = new Value[64];
        int size = 0;
        Value[] stack = new Value[64];
        int[] next = new int[64];
        int depth = 0;
        stack[depth++] = root;
        while (depth > 0) {
            Value top = stack[depth - 1];
            int k = next[depth - 1];
            if (k < top.operandCount()) {
                next[depth - 1] = k + 1;
                Value p = top.operand(k);
                if (enter.test(p)) {
                    if (depth == stack.length) {
                        stack = Arrays.copyOf(stack, 2 * depth);
                        next = Arrays.copyOf(next, 2 * depth);
                    }
                    stack[depth] = p;
                    next[depth] = 0;
                    depth++;
                }
            } else {
                if (size == out.length) {
                    out = Arrays.copyOf(out, 2 * size);
                }
                out[size++] = top;
                depth--;
            }
        }
        return Arrays.copyOf(out, size);
    }

    /**
     * The computed values of {@code dfs} (a postorder of {@code n} values) as keys {@code position << 32 | k}
     * (k their place in it), sorted, so in the order they were computed; null if positions do not
     * follow the edges (values from different tapes, or from before a tape was emptied).
     */
    private static long[] positions(Value[] dfs, int n) {
        long[] keys = new long[n];
        int interior = 0;
        for (int k = 0; k < n; k++) {
            Value v = dfs[k];
            if (!v.interior()) {
                continue;
            }
            for (int i = 0, m = v.operandCount(); i < m; i++) {
                if (v.operand(i).index >= v.index) { // an operand placed after its result: no sweep order
                    return null;
                }
            }
            keys[interior++] = (long) v.index << 32 | k;
        }
        if (interior == 0) {
            return null;
        }
        Arrays.sort(keys, 0, interior);
        return interior == n ? keys : Arrays.copyOf(keys, interior);
    }

    /**
     * {@code dfs} (a postorder of {@code n} values) with the computed values sorted by position and
     * each leaf just before the first value computed from it; {@code dfs} itself if positions do not
     * follow the edges. {@code placed} holds every value of {@code dfs}, mapped to false.
     */
    private static Value[] inCreationOrder(Value[] dfs, int n, Map<Value, Boolean> placed) {
        long[] keys = positions(dfs, n);
        if (keys == null) {
            return Arrays.copyOf(dfs, n);
        }
        int interior = keys.length;
        Value[] order = new Value[n];
        int size = 0;
        for (int j = 0; j < interior; j++) {
            Value v = dfs[(int) keys[j]];
            for (int i = 0, m = v.operandCount(); i < m; i++) {
                Value p = v.operand(i);
                if (!p.interior() && placed.put(p, Boolean.TRUE) == Boolean.FALSE) {
                    order[size++] = p;
                }
            }
            order[size++] = v;
        }
        return order;
    }
}
