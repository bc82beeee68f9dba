package io.github.jgrad.benchmarks;

import java.util.Arrays;
import java.util.List;

/**
 * A floor for jgrad's scalar tape (issue 16): the least a tape with one object per value does on
 * micrograd's moons step. It keeps what the step needs (a node per computed value, appended in
 * creation order and swept in reverse; dot products over runs of their operand lists, shared by
 * every product over the same unchanged list) and leaves out what jgrad's {@code Value} also
 * guarantees: a tape per thread (here one tape, passed explicitly), grad mode, anomaly checks,
 * graphs from earlier steps or other threads, a bounded tape, and gradients of nodes no backward
 * pass reached. Its dot products add their gradients into a buffer per run, a loop over contiguous
 * doubles, and hand each run's sums to its values once, where jgrad gives every operand its share
 * at once. Only the ops the step uses exist. Not thread-safe; not for use outside the benchmarks.
 */
final class MinimalTape {
    private Node[] nodes = new Node[1 << 14];
    private int size;
    /** Runs made since the last backward pass, and the last run made from each list (by identity hash). */
    private Run[] runs = new Run[256];
    private int runCount;
    private final Run[] byList = new Run[256];
    private int pass;

    /** A leaf, or a computed value: its operands and local derivatives inline, as jgrad's {@code Value}. */
    static final class Node {
        double data;
        double grad;
        final Node a;
        /** The second operand (a Node), a dot product's runs ({@link Run}[2]), or a sum's terms (Node[]). */
        final Object b;
        final double da;
        final double db;
        final int index;
        int pass;

        Node(double data) {
            this(data, null, null, 0, 0, -1);
        }

        private Node(double data, Node a, Object b, double da, double db, int index) {
            this.data = data;
            this.a = a;
            this.b = b;
            this.da = da;
            this.db = db;
            this.index = index;
        }
    }

    /** A dot product's operand list as read: its nodes, their data, and the gradients products gave them. */
    static final class Run {
        final Node[] nodes;
        final double[] data;
        final double[] grads;
        /** The highest tape position among the nodes, -1 if all are leaves. */
        final int last;
        boolean given;

        Run(Node[] nodes, double[] data, int last) {
            this.nodes = nodes;
            this.data = data;
            this.grads = new double[nodes.length];
            this.last = last;
        }

        boolean holds(List<Node> list) {
            if (list.size() != nodes.length) {
                return false;
            }
            for (int i = 0; i < nodes.length; i++) {
                Node v = list.get(i);
                if (v != nodes[i] || Double.doubleToRawLongBits(v.data) != Double.doubleToRawLongBits(data[i])) {
                    return false;
                }
            }
            return true;
        }

        void giveAll(int pass) {
            if (given) {
                given = false;
                for (int i = 0; i < nodes.length; i++) {
                    give(nodes[i], 1, grads[i], pass);
                    grads[i] = 0;
                }
            }
        }
    }

    private Node record(double data, Node a, Object b, double da, double db) {
        if (size == nodes.length) {
            nodes = Arrays.copyOf(nodes, 2 * size);
        }
        Node v = new Node(data, a, b, da, db, size);
        nodes[size++] = v;
        return v;
    }

    Node add(Node a, Node b) {
        return record(a.data + b.data, a, b, 1, 1);
    }

    Node mul(Node a, Node b) {
        return record(a.data * b.data, a, b, b.data, a.data);
    }

    Node div(Node a, Node b) {
        double q = a.data / b.data;
        return record(q, a, b, 1 / b.data, -q / b.data);
    }

    Node relu(Node a) {
        double x = a.data;
        return record(x > 0 ? x : 0, a, null, x > 0 ? 1 : 0, 0);
    }

    Node sum(List<Node> terms) {
        Node[] t = terms.toArray(new Node[0]);
        double s = 0;
        for (Node v : t) {
            s += v.data;
        }
        return record(s, null, t, 0, 0);
    }

    Node dot(List<Node> a, List<Node> b) {
        Run x = run(a);
        Run y = run(b);
        double s = 0;
        for (int i = 0; i < x.data.length; i++) {
            s += x.data[i] * y.data[i];
        }
        return record(s, null, new Run[] {x, y}, 0, 0);
    }

    private Run run(List<Node> list) {
        int slot = System.identityHashCode(list) & (byList.length - 1);
        Run r = byList[slot];
        if (r != null && r.holds(list)) {
            return r;
        }
        int n = list.size();
        Node[] vs = new Node[n];
        double[] data = new double[n];
        int last = -1;
        for (int i = 0; i < n; i++) {
            Node v = list.get(i);
            vs[i] = v;
            data[i] = v.data;
            last = Math.max(last, v.index);
        }
        r = new Run(vs, data, last);
        byList[slot] = r;
        if (runCount == runs.length) {
            runs = Arrays.copyOf(runs, 2 * runCount);
        }
        runs[runCount++] = r;
        return r;
    }

    /** Sweeps the tape back from {@code out}, then empties it. */
    void backward(Node out) {
        int p = ++pass;
        // a run hands its sums to its nodes just before the sweep reaches the last of them
        long[] due = new long[runCount];
        int dueCount = 0;
        for (int k = 0; k < runCount; k++) {
            if (runs[k].last >= 0) {
                due[dueCount++] = (long) runs[k].last << 32 | k;
            }
        }
        Arrays.sort(due, 0, dueCount);
        int next = dueCount - 1;
        out.pass = p;
        out.grad = 1;
        for (int i = out.index; i >= 0; i--) {
            for (; next >= 0 && (int) (due[next] >>> 32) == i; next--) {
                runs[(int) due[next]].giveAll(p);
            }
            Node v = nodes[i];
            if (v.pass != p) {
                continue;
            }
            double g = v.grad;
            if (v.a != null) {
                give(v.a, v.da, g, p);
                if (v.b != null) {
                    give((Node) v.b, v.db, g, p);
                }
            } else if (v.b instanceof Run[]) {
                Run x = ((Run[]) v.b)[0];
                Run y = ((Run[]) v.b)[1];
                for (int k = 0; k < x.grads.length; k++) {
                    x.grads[k] += g * y.data[k];
                    y.grads[k] += g * x.data[k];
                }
                x.given = true;
                y.given = true;
            } else {
                for (Node t : (Node[]) v.b) {
                    give(t, 1, g, p);
                }
            }
        }
        for (int k = 0; k < runCount; k++) {
            runs[k].giveAll(p); // runs of leaves alone
        }
        Arrays.fill(nodes, 0, size, null);
        Arrays.fill(runs, 0, runCount, null);
        Arrays.fill(byList, null);
        size = 0;
        runCount = 0;
    }

    private static void give(Node v, double local, double g, int pass) {
        if (v.index < 0 || v.pass == pass) {
            v.grad += local * g;
        } else {
            v.pass = pass;
            v.grad = local * g;
        }
    }
}
