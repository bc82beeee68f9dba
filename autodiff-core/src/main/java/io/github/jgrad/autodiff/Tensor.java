package io.github.jgrad.autodiff;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * An n-dimensional array of doubles on the tape: row-major, contiguous, with an immutable shape.
 *
 * <pre>{@code
 * Tensor w = Tensor.randn(42, 3, 2).requiresGrad(true);
 * Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
 * Tensor loss = x.matmul(w).tanh().pow(2).mean();
 * loss.backward();
 * w.grad();                                  // d loss / d w, shape (3, 2)
 * }</pre>
 *
 * <p><b>Operations</b> follow NumPy: element-wise ops broadcast, {@link #matmul} has NumPy's
 * {@code matmul} semantics, reductions take any axes with {@code keepDims}. Every shape error names
 * the operation and the shapes. Each primitive computes its result and, right beside it, its
 * backward, written with tensor operations, so gradients are themselves differentiable
 * ({@link #grad(List, List, boolean)} with {@code createGraph}). Softmax, log-softmax, log-sum-exp,
 * mean, min, minimum, transpose, squeeze/unsqueeze and stack are compositions of primitives; the
 * README lists every primitive's backward formula in one table.
 *
 * <p><b>Autodiff</b> is PyTorch's: leaves created by factories do not require gradients until
 * {@link #requiresGrad(boolean)}; a result requires a gradient if any input does and
 * {@link GradMode} is enabled. {@link #backward()} adds into the {@link #grad()} of leaves that
 * require it, then frees the graph (pass {@code retainGraph} to keep it). Inside
 * {@link Anomaly#detect()} every result and gradient is checked for NaN and infinities.
 *
 * <p>Only leaves change in place: {@link #addInPlace} (parameters, by optimizers) and
 * {@link #copyFrom} (any leaf). {@link #reshape} and {@link #detach()} share data with their input,
 * as views do in NumPy and PyTorch, so a result changes when a leaf viewing its data is changed. A
 * graph computed from data that has since been changed in place cannot be differentiated: backward
 * throws rather than mixing old and new values (PyTorch's version counter check).
 *
 * <p><b>Threads.</b> Not thread-safe, except as follows. Independent graphs may be built and
 * differentiated on several threads at once, and may share tensors that require no gradient (input
 * data, labels): no pass changes their data or gradient (a pass only writes bookkeeping fields of
 * such a tensor, harmlessly). A tensor that requires a gradient (a model's parameter), and
 * every graph it is in, must be used by one thread at a time while grad mode is on: backward adds into
 * its {@link #grad()}. Inference under {@link GradMode#disabled()} records nothing and may run on
 * several threads at once, on shared parameters too, as long as no thread updates them meanwhile
 * ({@link #addInPlace}, {@link #copyFrom}). Grad mode is per thread; {@link Anomaly} detection is global.
 */
public final class Tensor extends Node {
    @FunctionalInterface
    private interface Backward {
        /** Gradients for each input (null where none is needed) from the gradient of the output. */
        Tensor[] apply(Tensor g);
    }

    final double[] data;
    private final int[] shape;
    private final String op;
    private Backward backward;
    private boolean requiresGrad;
    private boolean freed;
    private Tensor grad;
    /** Gradient accumulated during the current backward pass. */
    private Tensor passGrad;
    /**
     * How often {@link #data} was changed in place, shared by every tensor viewing the same array
     * (reshape, detach): null until the array is shared or changed, which is version 0. A separate
     * object, so that a view (a detached copy kept for later) holds no reference to its source's graph.
     */
    private Storage storage;
    /**
     * The inputs' storage versions when this result was computed, to detect inputs changed since;
     * null where all were 0 (nothing changed in place yet: no array to allocate).
     */
    private int[] inputVersions;
    /** This result's own storage version when computed; kept and checked only where {@link #readsOwnData}. */
    private int versionAtCreation;
    /** Whether this result's backward reads its own data (exp, tanh, sigmoid, sqrt, div, max, chainDiv). */
    private boolean readsOwnData;
    /** Where this tensor was created, recorded only in anomaly mode. */
    private final Throwable createdAt;
    private String label;

    private Tensor(double[] data, int[] shape, String op, Node[] parents, Backward backward) {
        super(parents);
        this.data = data;
        this.shape = shape;
        this.op = op;
        this.backward = backward;
        this.createdAt = Anomaly.isEnabled() ? new Throwable(op + " created here") : null;
    }

    /** The version counter of an array of data; see {@link #storage}. */
    private static final class Storage {
        int version;
    }

    private Storage storage() {
        if (storage == null) {
            storage = new Storage();
        }
        return storage;
    }

    private int version() {
        return storage == null ? 0 : storage.version;
    }

    /** Marks a result whose backward reads its own data, so that backward checks it was not changed. */
    private Tensor readingOwnData() {
        readsOwnData = true;
        versionAtCreation = version();
        return this;
    }

    private static Tensor leaf(double[] data, int[] shape) {
        return new Tensor(data, shape, "leaf", NO_PARENTS, null);
    }

    /** A result of {@code op}; it records its inputs only if grad mode is on and an input requires grad. */
    private static Tensor result(String op, double[] data, int[] shape, Backward backward, Tensor... inputs) {
        boolean track = false;
        if (GradMode.isEnabled()) {
            for (Tensor t : inputs) {
                track |= t.requiresGrad;
            }
        }
        Tensor out = new Tensor(data, shape, op, track ? inputs : NO_PARENTS, track ? backward : null);
        out.requiresGrad = track;
        for (Tensor t : inputs) {
            if (t.data == data) { // a view: in-place changes to either are changes to both
                out.storage = t.storage();
            }
        }
        if (track) {
            int[] versions = null;
            for (int i = 0; i < inputs.length; i++) {
                int v = inputs[i].version();
                if (v != 0) {
                    if (versions == null) {
                        versions = new int[inputs.length];
                    }
                    versions[i] = v;
                }
            }
            out.inputVersions = versions;
        }
        if (out.createdAt != null) {
            // chain and chainDiv are the chain rule's private products: say what they compute
            checkFinite(op.startsWith("chain") ? "the incoming gradient times the local derivative gave" : op + " produced",
                    data, shape, inputs);
        }
        return out;
    }

    /**
     * For tests only: a result of {@code op} with the given data and backward, so that GradCheck's
     * tests can plant a wrong derivative. Not public API; ops are added to this class, not through it.
     */
    static Tensor custom(String op, double[] data, int[] shape, java.util.function.Function<Tensor, Tensor[]> backward,
                         Tensor... inputs) {
        int[] s = Shapes.checked(op, shape);
        if (data.length != Shapes.size(op, s)) {
            throw new IllegalArgumentException(op + ": " + data.length + " values for shape " + Shapes.str(s));
        }
        return result(op, data, s, backward::apply, inputs);
    }

    private static void checkFinite(String what, double[] data, int[] shape, Tensor[] inputs) {
        for (int i = 0; i < data.length; i++) {
            if (!Double.isFinite(data[i])) {
                StringBuilder sb = new StringBuilder(what).append(' ').append(data[i]).append(" at flat index ")
                        .append(i).append(" of shape ").append(Shapes.str(shape));
                for (int k = 0; k < inputs.length; k++) {
                    sb.append(k == 0 ? " from inputs of shape " : ", ").append(Shapes.str(inputs[k].shape));
                }
                throw new ArithmeticException(sb.toString());
            }
        }
    }

    // =================================================================== factories

    /** A tensor of zeros. */
    public static Tensor zeros(int... shape) {
        int[] s = Shapes.checked("zeros", shape);
        return leaf(new double[Shapes.size("zeros", s)], s);
    }

    /** A tensor of ones. */
    public static Tensor ones(int... shape) {
        return full(1, shape);
    }

    /** A tensor filled with {@code value}. */
    public static Tensor full(double value, int... shape) {
        int[] s = Shapes.checked("full", shape);
        double[] d = new double[Shapes.size("full", s)];
        Arrays.fill(d, value);
        return leaf(d, s);
    }

    /** A 0-dimensional tensor holding {@code value}. */
    public static Tensor scalar(double value) {
        return leaf(new double[] {value}, Shapes.SCALAR);
    }

    /**
     * A tensor holding a copy of {@code data} in row-major order; with no shape given, a vector
     * (use {@link #scalar} for a 0-dimensional tensor).
     *
     * @throws IllegalArgumentException if the shape does not hold exactly {@code data.length} elements
     */
    public static Tensor of(double[] data, int... shape) {
        int[] s = shape.length == 0 ? new int[] {data.length} : Shapes.checked("of", shape);
        if (Shapes.size("of", s) != data.length) {
            throw new IllegalArgumentException("of: " + data.length + " values do not fill shape " + Shapes.str(s)
                    + " (" + Shapes.size("of", s) + " elements)");
        }
        return leaf(data.clone(), s);
    }

    /** A matrix from rows of equal length. */
    public static Tensor of(double[][] rows) {
        int n = rows.length;
        int m = n == 0 ? 0 : rows[0].length;
        double[] d = new double[Shapes.size("of", new int[] {n, m})];
        for (int i = 0; i < n; i++) {
            if (rows[i].length != m) {
                throw new IllegalArgumentException("of: row " + i + " has " + rows[i].length + " values, row 0 has " + m);
            }
            System.arraycopy(rows[i], 0, d, i * m, m);
        }
        return leaf(d, new int[] {n, m});
    }

    /** 0, 1, ..., n-1. */
    public static Tensor arange(int n) {
        return arange(0, n, 1);
    }

    /** start, start + step, ... while below {@code end} (above it for a negative step), as NumPy's arange. */
    public static Tensor arange(double start, double end, double step) {
        if (step == 0 || !Double.isFinite(start) || !Double.isFinite(end) || !Double.isFinite(step)) {
            throw new IllegalArgumentException("arange: need finite start, end and a non-zero step, got "
                    + start + ", " + end + ", " + step);
        }
        double count = Math.max(0, Math.ceil((end - start) / step));
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("arange: " + count + " elements from " + start + " to " + end
                    + " by " + step + " exceed the largest tensor");
        }
        int n = (int) count;
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = start + i * step;
        }
        return leaf(d, new int[] {n});
    }

    /** The n x n identity matrix. */
    public static Tensor eye(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("eye: n must be >= 0, got " + n);
        }
        Tensor t = zeros(n, n);
        for (int i = 0; i < n; i++) {
            t.data[i * n + i] = 1;
        }
        return t;
    }

    /** Standard normal samples from a generator seeded with {@code seed} (same seed, same tensor). */
    public static Tensor randn(long seed, int... shape) {
        int[] s = Shapes.checked("randn", shape);
        SplittableRandom r = new SplittableRandom(seed);
        double[] d = new double[Shapes.size("randn", s)];
        for (int i = 0; i < d.length; i++) {
            d[i] = r.nextGaussian();
        }
        return leaf(d, s);
    }

    /**
     * Uniform samples in [low, high) from a generator seeded with {@code seed}: low + (high - low) u,
     * u uniform in [0, 1), and never {@code high} (a sample that rounds up to it becomes the double
     * just below).
     *
     * @throws IllegalArgumentException unless low &lt; high and high - low is finite
     */
    public static Tensor uniform(long seed, double low, double high, int... shape) {
        if (!(low < high) || !Double.isFinite(high - low)) {
            throw new IllegalArgumentException("uniform: need low < high with a finite high - low, got " + low
                    + ", " + high);
        }
        double below = Math.nextDown(high);
        int[] s = Shapes.checked("uniform", shape);
        SplittableRandom r = new SplittableRandom(seed);
        double[] d = new double[Shapes.size("uniform", s)];
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.min(low + (high - low) * r.nextDouble(), below);
        }
        return leaf(d, s);
    }

    /** Uniform samples in [0, 1). */
    public static Tensor rand(long seed, int... shape) {
        return uniform(seed, 0, 1, shape);
    }

    // =================================================================== element-wise binary ops

    private Tensor binary(String name, int code, Tensor b, Backward backward) {
        int[] so = Shapes.broadcast(name, shape, b.shape);
        return result(name, Kernels.binary(code, data, shape, b.data, b.shape, so), so, backward, this, b);
    }

    /** this + b, broadcasting. */
    public Tensor add(Tensor b) {
        Tensor a = this;
        return binary("add", Kernels.ADD, b, g -> new Tensor[] {g.sumTo(a.shape), g.sumTo(b.shape)});
    }

    /** this - b, broadcasting. */
    public Tensor sub(Tensor b) {
        Tensor a = this;
        return binary("sub", Kernels.SUB, b, g -> new Tensor[] {g.sumTo(a.shape), g.neg().sumTo(b.shape)});
    }

    /** this * b, broadcasting. */
    public Tensor mul(Tensor b) {
        Tensor a = this;
        return binary("mul", Kernels.MUL, b, g -> new Tensor[] {
            a.requiresGrad ? g.chain(b).sumTo(a.shape) : null,
            b.requiresGrad ? g.chain(a).sumTo(b.shape) : null});
    }

    /**
     * this / b, broadcasting. Division by zero follows IEEE 754 (1/0 = +inf, 0/0 = NaN); the
     * derivatives 1/b and -(a/b)/b are then infinite (NaN where a is 0 too).
     */
    public Tensor div(Tensor b) {
        Tensor a = this;
        Tensor[] out = new Tensor[1];
        // d/db = -(a/b)/b, not -a/b^2: b^2 would overflow or underflow long before the quotient does
        out[0] = binary("div", Kernels.DIV, b, g -> new Tensor[] {
            a.requiresGrad ? g.chainDiv(b).sumTo(a.shape) : null,
            b.requiresGrad ? g.chain(out[0]).chainDiv(b).neg().sumTo(b.shape) : null});
        return out[0].readingOwnData();
    }

    /**
     * this ^ b, broadcasting, as {@code Math.pow} (0^0 = 1; a negative base with a fractional exponent
     * is NaN). d/da = b*a^(b-1), 0 where b = 0 (0^0.5 has +inf); d/db = a^b*ln(a), 0 where a = 0 and
     * b &gt;= 0, NaN where a &lt; 0 even for integer b, as in PyTorch. {@link #pow(double)} does not
     * differentiate the exponent, so x^3 at x = -2 has derivative 12.
     */
    public Tensor pow(Tensor b) {
        Tensor a = this;
        return binary("pow", Kernels.POW, b, g -> {
            Tensor ga = null;
            Tensor gb = null;
            // masked entries get harmless operands first (exponent 1, log argument 1), so no infinity
            // or NaN is computed where the derivative is defined (anomaly mode checks intermediates)
            Tensor one = scalar(1);
            if (a.requiresGrad) {
                Tensor zeroExp = b.eq(0);
                Tensor d;
                if (b.requiresGrad && GradMode.isEnabled()) {
                    // a gradient of this gradient may flow to b: b a^(b-1) is made 0 at b = 0 by chain's
                    // zero rule, not by a mask, so its derivative in b there, a^-1, survives; at a = 0
                    // as well it is 0, as in PyTorch (and 0^-1 is not computed)
                    Tensor zeroBoth = zeroExp.mul(a.eq(0));
                    Tensor power = where(zeroBoth, scalar(0), a.pow(where(zeroBoth, one, b).sub(1)));
                    d = b.chain(power);
                } else {
                    Tensor safeB = where(zeroExp, one, b);
                    d = where(zeroExp, scalar(0), safeB.mul(a.pow(safeB.sub(1))));
                }
                ga = g.chain(d).sumTo(a.shape);
            }
            if (b.requiresGrad) {
                Tensor zeroBase = a.eq(0).mul(b.ge(0));
                Tensor d = a.pow(b).mul(where(zeroBase, one, a).log());
                gb = g.chain(where(zeroBase, scalar(0), d)).sumTo(b.shape);
            }
            return new Tensor[] {ga, gb};
        });
    }

    /**
     * Element-wise maximum, broadcasting; at a tie each input receives half the gradient. NaN if either
     * input is NaN, and then both receive the whole gradient (as PyTorch), whichever side the NaN is on.
     */
    public Tensor maximum(Tensor b) {
        Tensor a = this;
        return binary("maximum", Kernels.MAX, b, g -> {
            Tensor half = a.eq(b).mul(0.5);   // shares: 1 - (loses) - (ties)/2, so unordered pairs get 1 each
            return new Tensor[] {g.chain(a.lt(b).add(half).neg().add(1)).sumTo(a.shape),
                g.chain(a.gt(b).add(half).neg().add(1)).sumTo(b.shape)};
        });
    }

    /** Element-wise minimum, broadcasting; ties and NaN as {@link #maximum}. */
    public Tensor minimum(Tensor b) {
        Shapes.broadcast("minimum", shape, b.shape);
        return neg().maximum(b.neg()).neg();
    }

    /** max(this, c), element-wise; see {@link #maximum(Tensor)}. */
    public Tensor maximum(double c) {
        return maximum(scalar(c));
    }

    /** min(this, c), element-wise; see {@link #minimum(Tensor)}. */
    public Tensor minimum(double c) {
        return minimum(scalar(c));
    }

    /** this + c. */
    public Tensor add(double c) {
        return add(scalar(c));
    }

    /** this - c. */
    public Tensor sub(double c) {
        return sub(scalar(c));
    }

    /** this * c. */
    public Tensor mul(double c) {
        return mul(scalar(c));
    }

    /** this / c. */
    public Tensor div(double c) {
        return div(scalar(c));
    }

    /** this ^ c. */
    public Tensor pow(double c) {
        return pow(scalar(c));
    }

    // comparisons: 1 where true, 0 where false; never require a gradient

    private Tensor compare(String name, int code, Tensor b) {
        int[] so = Shapes.broadcast(name, shape, b.shape);
        return leaf(Kernels.binary(code, data, shape, b.data, b.shape, so), so);
    }

    /** 1 where this > b, else 0 (broadcasting; no gradient). */
    public Tensor gt(Tensor b) {
        return compare("gt", Kernels.GT, b);
    }

    /** 1 where this >= b, else 0. */
    public Tensor ge(Tensor b) {
        return compare("ge", Kernels.GE, b);
    }

    /** 1 where {@code this < b}, else 0. */
    public Tensor lt(Tensor b) {
        return compare("lt", Kernels.LT, b);
    }

    /** 1 where {@code this <= b}, else 0. */
    public Tensor le(Tensor b) {
        return compare("le", Kernels.LE, b);
    }

    /** 1 where this == b, else 0. */
    public Tensor eq(Tensor b) {
        return compare("eq", Kernels.EQ, b);
    }

    /** 1 where this > c, else 0. */
    public Tensor gt(double c) {
        return gt(scalar(c));
    }

    /** 1 where this >= c, else 0. */
    public Tensor ge(double c) {
        return ge(scalar(c));
    }

    /** 1 where {@code this < c}, else 0. */
    public Tensor lt(double c) {
        return lt(scalar(c));
    }

    /** 1 where {@code this <= c}, else 0. */
    public Tensor le(double c) {
        return le(scalar(c));
    }

    /** 1 where this == c, else 0. */
    public Tensor eq(double c) {
        return eq(scalar(c));
    }

    /**
     * {@code a} where {@code condition} is non-zero, {@code b} elsewhere; the three broadcast together.
     * The gradient flows to {@code a} where the condition holds and to {@code b} elsewhere.
     *
     * <p>The branch not selected cannot poison the gradient with NaN or infinity: it receives a zero
     * gradient, and every element-wise op sends a zero gradient back as exactly zero, even where its
     * local derivative is infinite or NaN (the chain rule takes 0 * inf and 0 * NaN as 0). So
     * {@code where(x.gt(0), x.sqrt(), zeros)} has gradient 0 at x = 0 and at x &lt; 0, where PyTorch
     * and JAX give NaN without the "double where" trick. The rule covers element-wise ops,
     * reductions, broadcasting and layout ops, and gradients of gradients; a matmul whose other
     * operand holds infinities or NaN still gives NaN (0 * inf inside the product), as BLAS does. The
     * convention's price (a 0 * inf limit is read as 0: sqrt(x)^2 at 0 gets derivative 0, not 1) is
     * explained in {@link Op}.
     */
    public static Tensor where(Tensor condition, Tensor a, Tensor b) {
        int[] so = Shapes.broadcast("where", Shapes.broadcast("where", condition.shape, a.shape), b.shape);
        double[] c = Kernels.broadcastTo(condition.data, condition.shape, so);
        double[] x = Kernels.broadcastTo(a.data, a.shape, so);
        double[] y = Kernels.broadcastTo(b.data, b.shape, so);
        double[] out = new double[c.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = c[i] != 0 ? x[i] : y[i];
        }
        Tensor zero = scalar(0);
        return result("where", out, so, g -> new Tensor[] {null,
            a.requiresGrad ? where(condition, g, zero).sumTo(a.shape) : null,
            b.requiresGrad ? where(condition, zero, g).sumTo(b.shape) : null}, condition, a, b);
    }

    // =================================================================== element-wise unary ops

    private Tensor unary(String name, int code, Backward backward) {
        return result(name, Kernels.unary(code, data), shape, backward, this);
    }

    /** -this. */
    public Tensor neg() {
        return unary("neg", Kernels.NEG, g -> new Tensor[] {g.neg()});
    }

    /** e^this. */
    public Tensor exp() {
        Tensor[] out = new Tensor[1];
        out[0] = unary("exp", Kernels.EXP, g -> new Tensor[] {g.chain(out[0])});
        return out[0].readingOwnData();
    }

    /** Natural logarithm (NaN below 0, -Infinity at 0); the derivative 1/x is +inf at 0 and applied as is below. */
    public Tensor log() {
        Tensor a = this;
        return unary("log", Kernels.LOG, g -> new Tensor[] {g.chainDiv(a)});
    }

    /** log(1 + this), accurate for small arguments (as {@code Math.log1p}). */
    public Tensor log1p() {
        Tensor a = this;
        return unary("log1p", Kernels.LOG1P, g -> new Tensor[] {g.chainDiv(a.add(1))});
    }

    /** Square root (NaN below 0); the derivative 1/(2 sqrt(x)) is +inf at 0. */
    public Tensor sqrt() {
        Tensor[] out = new Tensor[1];
        out[0] = unary("sqrt", Kernels.SQRT, g -> new Tensor[] {g.chainDiv(out[0].mul(2))});
        return out[0].readingOwnData();
    }

    /** Hyperbolic tangent. */
    public Tensor tanh() {
        Tensor[] out = new Tensor[1];
        out[0] = unary("tanh", Kernels.TANH, g -> new Tensor[] {g.chain(out[0].mul(out[0]).neg().add(1))});
        return out[0].readingOwnData();
    }

    /** Logistic sigmoid, without overflow for large |x|. */
    public Tensor sigmoid() {
        Tensor[] out = new Tensor[1];
        out[0] = unary("sigmoid", Kernels.SIGMOID, g -> new Tensor[] {g.chain(out[0].mul(out[0].neg().add(1)))});
        return out[0].readingOwnData();
    }

    /** max(0, x); the derivative at 0 is 0. */
    public Tensor relu() {
        Tensor a = this;
        return unary("relu", Kernels.RELU, g -> new Tensor[] {g.gate(a)});
    }

    /** This (a gradient) where {@code x > 0}, else 0, in one pass; linear in this, so its backward gates too. */
    private Tensor gate(Tensor x) {
        return result("gate", Kernels.binary(Kernels.GATE, data, shape, x.data, x.shape, shape), shape,
                g -> new Tensor[] {g.gate(x), null}, this, x);
    }

    /**
     * The chain rule's product: this gradient times a local derivative {@code d}, broadcasting, except
     * that a zero gradient sends back exactly zero, even where {@code d} is infinite or NaN (0 * inf
     * and 0 * NaN are taken as 0). Every element-wise backward multiplies by its local derivative
     * through this op, so a branch that receives no gradient (the unselected side of {@link #where},
     * an input multiplied by zero) cannot turn it into NaN.
     *
     * <p>Its own backward keeps the rule, so gradients of gradients do too: towards d it sends
     * gg * g, 0 where either gradient is 0 (where g is 0 the result does not move with d at all);
     * towards g it sends gg * d, 0 only where gg is 0, never masked by g: at a critical point g is 0
     * but the result still moves with g (the Hessian of sin(x)^2 at 0 is 2, not 0).
     */
    private Tensor chain(Tensor d) {
        Tensor g = this;
        int[] so = Shapes.broadcast("chain", shape, d.shape);
        return result("chain", Kernels.binary(Kernels.CHAIN, data, shape, d.data, d.shape, so), so, gg -> new Tensor[] {
            g.requiresGrad ? gg.chain(d).sumTo(g.shape) : null,
            d.requiresGrad ? bothChain(g, gg).sumTo(d.shape) : null}, this, d);
    }

    /**
     * a * b, but 0 where either is 0, whatever the other (two gradients, one possibly infinite). Only a
     * non-finite a is zeroed where b is 0 first: a finite a keeps its derivative with respect to b
     * there (the Jacobian of a Hessian-vector product at v = 0 is the Hessian, not 0).
     */
    private static Tensor bothChain(Tensor a, Tensor b) {
        Tensor nonFinite = a.abs().lt(Double.POSITIVE_INFINITY).neg().add(1);
        return where(b.eq(0).mul(nonFinite), scalar(0), a).chain(b);
    }

    /** This gradient divided by {@code d} by the rule of {@link #chain}: 0 wherever this is 0, even where d is 0. */
    private Tensor chainDiv(Tensor d) {
        Tensor g = this;
        int[] so = Shapes.broadcast("chainDiv", shape, d.shape);
        Tensor[] out = new Tensor[1];
        out[0] = result("chainDiv", Kernels.binary(Kernels.CHAIN_DIV, data, shape, d.data, d.shape, so), so,
                gg -> new Tensor[] {
                    g.requiresGrad ? gg.chainDiv(d).sumTo(g.shape) : null,
                    d.requiresGrad ? bothChain(out[0], gg).chainDiv(d).neg().sumTo(d.shape) : null}, this, d);
        return out[0].readingOwnData();
    }

    /** Sine. */
    public Tensor sin() {
        Tensor a = this;
        return unary("sin", Kernels.SIN, g -> new Tensor[] {g.chain(a.cos())});
    }

    /** Cosine. */
    public Tensor cos() {
        Tensor a = this;
        return unary("cos", Kernels.COS, g -> new Tensor[] {g.chain(a.sin()).neg()});
    }

    /** Absolute value; the derivative at 0 is 0. */
    public Tensor abs() {
        Tensor a = this;
        return unary("abs", Kernels.ABS, g -> new Tensor[] {g.chain(leaf(Kernels.unary(Kernels.SIGN, a.data), a.shape))});
    }

    /**
     * The error function, element by element, accurate to about 1 ulp (as {@link Value#erf}); its
     * derivative 2/sqrt(pi) e^(-x^2) is on the tape, so erf has gradients of every order.
     */
    public Tensor erf() {
        Tensor a = this;
        return unary("erf", Kernels.ERF, g -> new Tensor[] {g.chain(a.mul(a).neg().exp().mul(Value.TWO_OVER_SQRT_PI))});
    }

    /** Limits every element to [low, high]; the gradient passes where {@code low <= x <= high}, as in PyTorch. */
    public Tensor clamp(double low, double high) {
        if (!(low <= high)) {
            throw new IllegalArgumentException("clamp: need low <= high, got " + low + ", " + high);
        }
        Tensor inside = ge(low).mul(le(high));
        double[] out = new double[data.length];
        for (int i = 0; i < out.length; i++) {
            double x = data[i];
            out[i] = x < low ? low : x > high ? high : x;
        }
        return result("clamp", out, shape, g -> new Tensor[] {g.chain(inside)}, this);
    }

    // =================================================================== reductions

    /** The sum of all elements, as a 0-dimensional tensor. */
    public Tensor sum() {
        return sum(new int[0], false);
    }

    /** The sum along {@code axis}, which is removed (as {@code x.sum(axis)} in PyTorch). */
    public Tensor sum(int axis) {
        return sum(axis, false);
    }

    /** The sum along {@code axis}. */
    public Tensor sum(int axis, boolean keepDims) {
        return sum(new int[] {axis}, keepDims);
    }

    /** The sum along {@code axes} (all axes if empty). */
    public Tensor sum(int[] axes, boolean keepDims) {
        int[] ax = Shapes.axes("sum", axes, shape.length);
        int[] kept = Shapes.reduced(shape, ax, true);
        Shapes.size("sum", kept); // an empty input can have a result too large for one array
        Tensor a = this;
        return result("sum", reduce(false, ax), Shapes.reduced(shape, ax, keepDims),
                g -> new Tensor[] {g.reshape(kept).broadcastTo(a.shape)}, this);
    }

    /** The mean of all elements. */
    public Tensor mean() {
        return mean(new int[0], false);
    }

    /** The mean along {@code axis}, which is removed. */
    public Tensor mean(int axis) {
        return mean(axis, false);
    }

    /** The mean along {@code axis}. */
    public Tensor mean(int axis, boolean keepDims) {
        return mean(new int[] {axis}, keepDims);
    }

    /** The mean along {@code axes} (all axes if empty). */
    public Tensor mean(int[] axes, boolean keepDims) {
        int[] ax = Shapes.axes("mean", axes, shape.length);
        Shapes.size("mean", Shapes.reduced(shape, ax, true));
        int n = 1;
        for (int a : ax) {
            n *= shape[a];
        }
        return sum(ax, keepDims).div(n);
    }

    /** The largest element. */
    public Tensor max() {
        return max(new int[0], false);
    }

    /** The maximum along {@code axis}, which is removed (values only; see {@link #argmax} for indices). */
    public Tensor max(int axis) {
        return max(axis, false);
    }

    /** The maximum along {@code axis}. */
    public Tensor max(int axis, boolean keepDims) {
        return max(new int[] {axis}, keepDims);
    }

    /**
     * The maximum along {@code axes} (all if empty). The gradient is shared evenly among the elements
     * equal to the maximum, as {@code torch.amax} does.
     *
     * @throws IllegalArgumentException if a reduced axis is empty
     */
    public Tensor max(int[] axes, boolean keepDims) {
        int[] ax = nonEmptyAxes("max", axes);
        int[] kept = Shapes.reduced(shape, ax, true);
        double[] out = reduce(true, ax);
        Tensor a = this;
        return result("max", out, Shapes.reduced(shape, ax, keepDims), g -> {
            Tensor isMax = a.eq(leaf(out, kept));
            Tensor share = isMax.div(isMax.sum(ax, true));
            return new Tensor[] {g.reshape(kept).chain(share)};
        }, this).readingOwnData();
    }

    /**
     * The index of the largest entry along {@code axis}, as NumPy's {@code argmax}: the first one at a
     * tie, the first NaN if there is one. The result has {@code axis} removed and requires no gradient.
     *
     * @throws IllegalArgumentException if the axis is empty
     */
    public Tensor argmax(int axis) {
        return argmax(axis, false);
    }

    /**
     * {@link #argmax(int)}, keeping {@code axis} with size 1 if {@code keepDims}: indices of shape
     * (n, 1) for logits (n, classes), to compare with class labels of shape (n, 1) without
     * broadcasting to (n, n).
     */
    public Tensor argmax(int axis, boolean keepDims) {
        int a = Shapes.axis("argmax", axis, shape.length);
        int r = shape[a];
        if (r == 0) {
            throw new IllegalArgumentException("argmax: axis " + axis + " of shape " + Shapes.str(shape) + " is empty");
        }
        int outer = Shapes.sizeBefore(shape, a);
        int inner = Shapes.sizeAfter(shape, a);
        double[] out = new double[outer * inner];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * r * inner + i;
                int best = 0;
                double max = data[base];
                for (int k = 1; k < r && max == max; k++) { // stop at the first NaN
                    double v = data[base + k * inner];
                    if (v > max || v != v) {
                        max = v;
                        best = k;
                    }
                }
                out[o * inner + i] = best;
            }
        }
        return leaf(out, Shapes.reduced(shape, new int[] {a}, keepDims));
    }

    /** The smallest element. */
    public Tensor min() {
        return min(new int[0], false);
    }

    /** The minimum along {@code axis}, which is removed. */
    public Tensor min(int axis) {
        return min(axis, false);
    }

    /** The minimum along {@code axis}. */
    public Tensor min(int axis, boolean keepDims) {
        return min(new int[] {axis}, keepDims);
    }

    /** The minimum along {@code axes} (all if empty); ties share the gradient. */
    public Tensor min(int[] axes, boolean keepDims) {
        nonEmptyAxes("min", axes);
        return neg().max(axes, keepDims).neg();
    }

    /** Normalised, sorted {@code axes} for a max or min, which has no value over an empty axis (as NumPy). */
    private int[] nonEmptyAxes(String op, int[] axes) {
        int[] ax = Shapes.axes(op, axes, shape.length);
        for (int a : ax) {
            if (shape[a] == 0) {
                throw new IllegalArgumentException(op + ": axis " + a + " of shape " + Shapes.str(shape) + " is empty");
            }
        }
        return ax;
    }

    /** Sums or maxes normalised, sorted axes; moves them last first when they are not adjacent. */
    private double[] reduce(boolean max, int[] ax) {
        if (ax.length == 0) {
            return data.clone();
        }
        boolean adjacent = ax[ax.length - 1] - ax[0] == ax.length - 1;
        if (!adjacent) {
            int[] perm = new int[shape.length];
            int j = 0;
            boolean[] r = new boolean[shape.length];
            for (int a : ax) {
                r[a] = true;
            }
            for (int i = 0; i < shape.length; i++) {
                if (!r[i]) {
                    perm[j++] = i;
                }
            }
            int rest = 1;
            int reducedSize = 1;
            for (int a : ax) {
                perm[j++] = a;
            }
            for (int i = 0; i < shape.length; i++) {
                if (r[i]) {
                    reducedSize *= shape[i];
                } else {
                    rest *= shape[i];
                }
            }
            return Kernels.reduce(max, Kernels.permute(data, shape, perm), rest, reducedSize, 1);
        }
        int outer = 1;
        int mid = 1;
        int inner = 1;
        for (int i = 0; i < shape.length; i++) {
            if (i < ax[0]) {
                outer *= shape[i];
            } else if (i <= ax[ax.length - 1]) {
                mid *= shape[i];
            } else {
                inner *= shape[i];
            }
        }
        return Kernels.reduce(max, data, outer, mid, inner);
    }

    /** log(sum(exp(this))) along {@code axis}, computed without overflow. */
    public Tensor logSumExp(int axis, boolean keepDims) {
        int ax = Shapes.axis("logSumExp", axis, shape.length);
        Tensor m = shiftFor(ax);
        Tensor lse = sub(m).exp().sum(ax, true).log().add(m);
        return keepDims ? lse : lse.squeeze(ax);
    }

    /**
     * log(softmax(this)) along {@code axis}, as (x - max) - log(sum(exp(x - max))): finite and accurate
     * for logits of any size (the shift by the maximum is exact and carries no gradient).
     */
    public Tensor logSoftmax(int axis) {
        int ax = Shapes.axis("logSoftmax", axis, shape.length);
        Tensor shifted = sub(shiftFor(ax));
        return shifted.sub(shifted.exp().sum(ax, true).log());
    }

    /** exp(x_i) / sum_j exp(x_j) along {@code axis}, as exp(x - max) / sum(exp(x - max)): no overflow. */
    public Tensor softmax(int axis) {
        int ax = Shapes.axis("softmax", axis, shape.length);
        Tensor e = sub(shiftFor(ax)).exp();
        return e.div(e.sum(ax, true));
    }

    /**
     * The maximum along {@code ax} (kept), without gradient, to shift by before exponentiating; 0 where
     * the maximum is infinite, so that rows of -infinity give -infinity (as PyTorch) and not NaN.
     */
    private Tensor shiftFor(int ax) {
        if (shape[ax] == 0) { // nothing to shift: logSumExp of nothing is -inf, softmax of nothing is empty
            return zeros(Shapes.reduced(shape, new int[] {ax}, true));
        }
        Tensor m = max(ax, true).detach();
        return where(m.abs().lt(Double.POSITIVE_INFINITY), m, scalar(0));
    }

    // =================================================================== matmul

    /**
     * Matrix product with NumPy's {@code matmul} semantics: 2-D operands multiply as matrices; a 1-D
     * first (second) operand is a row (column) vector whose added dimension is removed from the
     * result; higher-rank operands are stacks of matrices whose leading dimensions broadcast.
     */
    public Tensor matmul(Tensor b) {
        aligned("matmul", this, b);
        if (dim() == 1 && b.dim() == 1) {
            return reshape(1, shape[0]).matmul(b.reshape(b.shape[0], 1)).reshape();
        }
        if (dim() == 1) {
            return reshape(1, shape[0]).matmul(b).squeeze(-2);
        }
        if (b.dim() == 1) {
            return matmul(b.reshape(b.shape[0], 1)).squeeze(-1);
        }
        return mm(this, false, b, false);
    }

    /** Checks that a and b have a dimension each and that a's last matches b's contracted one. */
    private static void aligned(String op, Tensor a, Tensor b) {
        if (a.dim() == 0 || b.dim() == 0) {
            throw new IllegalArgumentException(op + ": shapes " + Shapes.str(a.shape) + " and " + Shapes.str(b.shape)
                    + ": operands must have at least one dimension");
        }
        int k = a.shape[a.dim() - 1];
        int k2 = b.shape[b.dim() == 1 ? 0 : b.dim() - 2];
        if (k != k2) {
            throw new IllegalArgumentException(op + ": shapes " + Shapes.str(a.shape) + " and " + Shapes.str(b.shape)
                    + " are not aligned: " + k + " (last dimension of the first) != " + k2
                    + (b.dim() == 1 ? " (length of the second)" : " (second-to-last of the second)"));
        }
    }

    /** Op names of mm by transpose flags: a b, a b^T, a^T b, a^T b^T (explain reports show them). */
    private static final String[] MATMUL_NAMES = {"matmul", "matmulNT", "matmulTN", "matmulTT"};

    /**
     * The matmul primitive for operands of rank >= 2: op(a) op(b), where op transposes the last two
     * dimensions when its flag is set (BLAS's transA/transB: no transposed copy is made), and the
     * leading dimensions broadcast. Its backward is four mm calls, so gradients of gradients work.
     */
    private static Tensor mm(Tensor a, boolean ta, Tensor b, boolean tb) {
        int ra = a.dim();
        int rb = b.dim();
        int n = a.shape[ta ? ra - 1 : ra - 2];
        int k = a.shape[ta ? ra - 2 : ra - 1];
        int k2 = b.shape[tb ? rb - 1 : rb - 2];
        int m = b.shape[tb ? rb - 2 : rb - 1];
        if (k != k2) {
            throw new IllegalArgumentException("matmul: shapes " + Shapes.str(a.shape) + (ta ? "^T" : "") + " and "
                    + Shapes.str(b.shape) + (tb ? "^T" : "") + " are not aligned: " + k
                    + " (last dimension of the first) != " + k2 + " (second-to-last of the second)");
        }
        int[] batchA = Arrays.copyOf(a.shape, ra - 2);
        int[] batchB = Arrays.copyOf(b.shape, rb - 2);
        int[] batch = Shapes.broadcast("matmul", batchA, batchB);
        int[] os = Arrays.copyOf(batch, batch.length + 2);
        os[batch.length] = n;
        os[batch.length + 1] = m;
        double[] out = new double[Shapes.size("matmul", os)];
        int batches = Shapes.size("matmul", batch);
        int[] sa = Shapes.broadcastStrides(batchA, batch);
        int[] sb = Shapes.broadcastStrides(batchB, batch);
        int[] idx = new int[batch.length];
        // an empty product (n, m or k is 0) is all zeros already: no loop over its batches
        for (int t = 0; t < batches && out.length > 0 && k > 0; t++) {
            int ia = 0;
            int ib = 0;
            for (int d = 0; d < batch.length; d++) {
                ia += idx[d] * sa[d];
                ib += idx[d] * sb[d];
            }
            MatMul.gemm(ta, tb, false, n, m, k, a.data, ia * n * k, b.data, ib * k * m, out, t * n * m);
            for (int d = batch.length - 1; d >= 0 && ++idx[d] == batch[d]; d--) {
                idx[d] = 0;
            }
        }
        // C = op(A) op(B): dop(A) = G op(B)^T, dop(B) = op(A)^T G, each transposed back if op transposed
        return result(MATMUL_NAMES[(ta ? 2 : 0) + (tb ? 1 : 0)], out, os, g -> new Tensor[] {
            !a.requiresGrad ? null : (ta ? mm(b, tb, g, true) : mm(g, false, b, !tb)).sumTo(a.shape),
            !b.requiresGrad ? null : (tb ? mm(g, true, a, ta) : mm(a, !ta, g, false)).sumTo(b.shape)}, a, b);
    }

    /**
     * this.matmul(w).add(bias) for a matrix this (n, k), w (k, m) and a bias that broadcasts to (n, m),
     * in one pass: the bias is written into the result and the product added to it (BLAS's beta = 1),
     * as {@code torch.addmm}. Same values and gradients as the two ops; one (n, m) array fewer.
     *
     * @throws IllegalArgumentException if the shapes do not fit
     */
    public Tensor matmulAdd(Tensor w, Tensor bias) {
        if (dim() != 2 || w.dim() != 2) {
            aligned("matmulAdd", this, w);
            return matmul(w).add(bias);
        }
        int n = shape[0];
        int k = shape[1];
        int m = w.shape[1];
        if (w.shape[0] != k) {
            throw new IllegalArgumentException("matmulAdd: shapes " + Shapes.str(shape) + " and " + Shapes.str(w.shape)
                    + " are not aligned: " + k + " != " + w.shape[0]);
        }
        int[] os = {n, m};
        if (!Arrays.equals(Shapes.broadcast("matmulAdd", bias.shape, os), os)) {
            throw new IllegalArgumentException("matmulAdd: bias of shape " + Shapes.str(bias.shape)
                    + " does not broadcast to the product's shape " + Shapes.str(os));
        }
        double[] out = Kernels.broadcastTo(bias.data, bias.shape, os);
        MatMul.gemm(false, false, true, n, m, k, data, 0, w.data, 0, out, 0);
        Tensor x = this;
        return result("matmulAdd", out, os, g -> new Tensor[] {
            x.requiresGrad ? mm(g, false, w, true) : null,
            w.requiresGrad ? mm(x, true, g, false) : null,
            bias.requiresGrad ? g.sumTo(bias.shape) : null}, this, w, bias);
    }

    /** The transpose of the last two dimensions (a matrix's transpose). */
    public Tensor mT() {
        if (dim() < 2) {
            throw new IllegalArgumentException("mT: needs at least 2 dimensions, shape is " + Shapes.str(shape));
        }
        return transpose(-2, -1);
    }

    // =================================================================== shape and layout

    /**
     * The same elements in a new shape (one dimension may be -1, inferred). Shares data with this.
     *
     * @throws IllegalArgumentException if the element counts differ
     */
    public Tensor reshape(int... newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1 && infer < 0) {
                infer = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException("reshape: invalid shape " + Shapes.str(newShape));
            } else {
                known *= s[i];
            }
        }
        if (infer >= 0) {
            s[infer] = known == 0 ? -1 : (int) (data.length / known);
            if (known == 0 || s[infer] * known != data.length) {
                throw new IllegalArgumentException("reshape: cannot reshape " + Shapes.str(shape) + " into "
                        + Shapes.str(newShape));
            }
        }
        if (Shapes.size("reshape", s) != data.length) {
            throw new IllegalArgumentException("reshape: cannot reshape " + Shapes.str(shape) + " (" + data.length
                    + " elements) into " + Shapes.str(newShape));
        }
        int[] old = shape;
        return result("reshape", data, s, g -> new Tensor[] {g.reshape(old)}, this);
    }

    /** Inserts a dimension of size 1 at {@code axis}. */
    public Tensor unsqueeze(int axis) {
        int a = Shapes.axis("unsqueeze", axis, shape.length + 1);
        int[] s = new int[shape.length + 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            s[i] = i == a ? 1 : shape[j++];
        }
        return reshape(s);
    }

    /** Removes the dimension of size 1 at {@code axis}. */
    public Tensor squeeze(int axis) {
        int a = Shapes.axis("squeeze", axis, shape.length);
        if (shape[a] != 1) {
            throw new IllegalArgumentException("squeeze: axis " + axis + " of shape " + Shapes.str(shape) + " is not 1");
        }
        int[] s = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != a) {
                s[j++] = shape[i];
            }
        }
        return reshape(s);
    }

    /** Reorders the axes: axis i of the result is axis {@code axes[i]} of this. */
    public Tensor permute(int... axes) {
        if (axes.length != shape.length) {
            throw new IllegalArgumentException("permute: " + axes.length + " axes given for shape " + Shapes.str(shape));
        }
        int[] perm = new int[axes.length];
        boolean[] seen = new boolean[axes.length];
        for (int i = 0; i < axes.length; i++) {
            perm[i] = Shapes.axis("permute", axes[i], shape.length);
            if (seen[perm[i]]) {
                throw new IllegalArgumentException("permute: axis " + axes[i] + " repeated in " + Arrays.toString(axes));
            }
            seen[perm[i]] = true;
        }
        int[] inverse = new int[perm.length];
        int[] s = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            inverse[perm[i]] = i;
            s[i] = shape[perm[i]];
        }
        return result("permute", Kernels.permute(data, shape, perm), s, g -> new Tensor[] {g.permute(inverse)}, this);
    }

    /** Swaps two axes. */
    public Tensor transpose(int axis0, int axis1) {
        int[] perm = new int[shape.length];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = i;
        }
        int a = Shapes.axis("transpose", axis0, shape.length);
        int b = Shapes.axis("transpose", axis1, shape.length);
        perm[a] = b;
        perm[b] = a;
        return permute(perm);
    }

    /** The elements read as the larger shape {@code target} by NumPy broadcasting (a copy). */
    public Tensor broadcastTo(int... target) {
        Shapes.size("broadcastTo", target);
        int[] s = Shapes.broadcast("broadcastTo", shape, target);
        if (!Arrays.equals(s, target)) {
            throw new IllegalArgumentException("broadcastTo: shape " + Shapes.str(shape) + " cannot be broadcast to "
                    + Shapes.str(target));
        }
        if (Arrays.equals(shape, target)) {
            return this;
        }
        int[] old = shape;
        return result("broadcastTo", Kernels.broadcastTo(data, shape, s), s.clone(), g -> new Tensor[] {g.sumTo(old)}, this);
    }

    /** Sums a broadcast gradient back to {@code target}, the shape of the input that was broadcast. */
    Tensor sumTo(int[] target) {
        if (Arrays.equals(shape, target)) {
            return this;
        }
        int lead = shape.length - target.length;
        int[] axes = new int[shape.length];
        int n = 0;
        for (int i = 0; i < shape.length; i++) {
            if (i < lead || (target[i - lead] == 1 && shape[i] != 1)) {
                axes[n++] = i;
            }
        }
        return sum(Arrays.copyOf(axes, n), true).reshape(target);
    }

    /** Elements start, start+1, ..., end-1 along {@code axis}. */
    public Tensor slice(int axis, int start, int end) {
        return slice(axis, start, end, 1);
    }

    /**
     * Elements start, start+step, ... below end along {@code axis} ({@code 0 <= start <= end <= size},
     * {@code step >= 1}).
     *
     * @throws IllegalArgumentException naming the axis, bounds and shape if they do not fit
     */
    public Tensor slice(int axis, int start, int end, int step) {
        int a = Shapes.axis("slice", axis, shape.length);
        if (start < 0 || end > shape[a] || start > end || step < 1) {
            throw new IllegalArgumentException("slice: [" + start + ":" + end + ":" + step + "] does not fit axis "
                    + axis + " of shape " + Shapes.str(shape));
        }
        int len = end > start ? (end - start - 1) / step + 1 : 0;
        int[] idx = new int[len];
        for (int i = 0; i < len; i++) {
            idx[i] = start + i * step;
        }
        return take("slice", a, idx);
    }

    /** The entries {@code indices} along {@code axis}, in that order (indices may repeat). */
    public Tensor indexSelect(int axis, int... indices) {
        int a = Shapes.axis("indexSelect", axis, shape.length);
        for (int i : indices) {
            if (i < 0 || i >= shape[a]) {
                throw new IllegalArgumentException("indexSelect: index " + i + " is out of range for axis " + axis
                        + " of shape " + Shapes.str(shape));
            }
        }
        return take("indexSelect", a, indices.clone());
    }

    /** Rows {@code idx} along normalised axis {@code a}; backward adds them back in place. */
    private Tensor take(String name, int a, int[] idx) {
        int outer = Shapes.sizeBefore(shape, a);
        int inner = Shapes.sizeAfter(shape, a);
        int[] s = shape.clone();
        s[a] = idx.length;
        double[] out = new double[Shapes.size(name, s)];
        int dimA = shape[a];
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < idx.length; j++) {
                System.arraycopy(data, (o * dimA + idx[j]) * inner, out, (o * idx.length + j) * inner, inner);
            }
        }
        int[] inShape = shape;
        return result(name, out, s, g -> new Tensor[] {g.put(inShape, a, idx)}, this);
    }

    /** Zeros of {@code target} with this tensor's rows added at {@code idx} along axis a (take's adjoint). */
    private Tensor put(int[] target, int a, int[] idx) {
        int outer = Shapes.sizeBefore(target, a);
        int inner = Shapes.sizeAfter(target, a);
        double[] out = new double[Shapes.size("put", target)];
        int dimA = target[a];
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < idx.length; j++) {
                int src = (o * idx.length + j) * inner;
                int dst = (o * dimA + idx[j]) * inner;
                for (int i = 0; i < inner; i++) {
                    out[dst + i] += data[src + i];
                }
            }
        }
        int[] s = target.clone();
        return result("put", out, s, g -> new Tensor[] {g.take("take", a, idx)}, this);
    }

    /**
     * out[..., j, ...] = this[..., index[..., j, ...], ...] along {@code axis}, as {@code torch.gather}:
     * {@code index} holds integral values and has this tensor's shape except along {@code axis}.
     */
    public Tensor gather(int axis, Tensor index) {
        int a = Shapes.axis("gather", axis, shape.length);
        if (index.dim() != dim()) {
            throw new IllegalArgumentException("gather: index of shape " + Shapes.str(index.shape)
                    + " must have the rank of the input " + Shapes.str(shape));
        }
        for (int d = 0; d < shape.length; d++) {
            if (d != a && index.shape[d] != shape[d]) {
                throw new IllegalArgumentException("gather: index shape " + Shapes.str(index.shape) + " and input shape "
                        + Shapes.str(shape) + " differ along axis " + d + " (only axis " + axis + " may differ)");
            }
        }
        int[] idx = new int[index.data.length];
        for (int i = 0; i < idx.length; i++) {
            double v = index.data[i];
            if (v != Math.rint(v) || v < 0 || v >= shape[a]) {
                throw new IllegalArgumentException("gather: index value " + v + " is not an integer in [0, " + shape[a]
                        + ") for axis " + axis + " of shape " + Shapes.str(shape));
            }
            idx[i] = (int) v;
        }
        return gatherIdx(a, idx, index.shape);
    }

    private Tensor gatherIdx(int a, int[] idx, int[] idxShape) {
        int outer = Shapes.sizeBefore(shape, a);
        int inner = Shapes.sizeAfter(shape, a);
        int len = idxShape[a];
        int dimA = shape[a];
        double[] out = new double[idx.length];
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < len; j++) {
                for (int i = 0; i < inner; i++) {
                    int p = (o * len + j) * inner + i;
                    out[p] = data[(o * dimA + idx[p]) * inner + i];
                }
            }
        }
        int[] inShape = shape;
        return result("gather", out, idxShape.clone(), g -> new Tensor[] {g.scatterAdd(inShape, a, idx)}, this);
    }

    /** Zeros of {@code target} with this tensor's elements added at {@code idx} along axis a (gather's adjoint). */
    private Tensor scatterAdd(int[] target, int a, int[] idx) {
        int outer = Shapes.sizeBefore(target, a);
        int inner = Shapes.sizeAfter(target, a);
        int len = shape[a];
        int dimA = target[a];
        double[] out = new double[Shapes.size("scatterAdd", target)];
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < len; j++) {
                for (int i = 0; i < inner; i++) {
                    int p = (o * len + j) * inner + i;
                    out[(o * dimA + idx[p]) * inner + i] += data[p];
                }
            }
        }
        int[] idxShape = shape;
        return result("scatterAdd", out, target.clone(),
                g -> new Tensor[] {g.gatherIdx(a, idx, idxShape)}, this);
    }

    /**
     * Joins tensors along an existing {@code axis}; all other dimensions must agree.
     *
     * @throws IllegalArgumentException naming the shapes that do not fit
     */
    public static Tensor concat(int axis, Tensor... tensors) {
        if (tensors.length == 0) {
            throw new IllegalArgumentException("concat: no tensors given");
        }
        Tensor first = tensors[0];
        int a = Shapes.axis("concat", axis, first.dim());
        long total = 0;
        for (Tensor t : tensors) {
            boolean fits = t.dim() == first.dim();
            for (int d = 0; fits && d < first.dim(); d++) {
                fits = d == a || t.shape[d] == first.shape[d];
            }
            if (!fits) {
                throw new IllegalArgumentException("concat: shape " + Shapes.str(t.shape) + " does not fit "
                        + Shapes.str(first.shape) + " along axis " + axis);
            }
            total += t.shape[a];
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("concat: " + total + " entries along axis " + axis
                    + " exceed the largest dimension a tensor can have");
        }
        int outer = Shapes.sizeBefore(first.shape, a);
        int inner = Shapes.sizeAfter(first.shape, a);
        int[] s = first.shape.clone();
        s[a] = (int) total;
        double[] out = new double[Shapes.size("concat", s)];
        int offset = 0;
        int[] starts = new int[tensors.length];
        for (int k = 0; k < tensors.length; k++) {
            Tensor t = tensors[k];
            int block = t.shape[a] * inner;
            for (int o = 0; o < outer; o++) {
                System.arraycopy(t.data, o * block, out, (int) ((o * total + offset) * inner), block);
            }
            starts[k] = offset;
            offset += t.shape[a];
        }
        Tensor[] inputs = tensors.clone();
        return result("concat", out, s, g -> {
            Tensor[] gs = new Tensor[inputs.length];
            for (int k = 0; k < inputs.length; k++) {
                gs[k] = inputs[k].requiresGrad ? g.slice(a, starts[k], starts[k] + inputs[k].shape[a]) : null;
            }
            return gs;
        }, inputs);
    }

    /** Joins tensors of equal shape along a new {@code axis}. */
    public static Tensor stack(int axis, Tensor... tensors) {
        if (tensors.length == 0) {
            throw new IllegalArgumentException("stack: no tensors given");
        }
        int rank = tensors[0].dim();
        if (axis < -rank - 1 || axis > rank) {
            throw new IllegalArgumentException("stack: axis " + axis + " is out of range for stacking tensors of rank "
                    + rank + " (valid: " + (-rank - 1) + " to " + rank + ")");
        }
        Tensor[] expanded = new Tensor[tensors.length];
        for (int k = 0; k < tensors.length; k++) {
            if (!Arrays.equals(tensors[k].shape, tensors[0].shape)) {
                throw new IllegalArgumentException("stack: shapes " + Shapes.str(tensors[0].shape) + " and "
                        + Shapes.str(tensors[k].shape) + " differ");
            }
            expanded[k] = tensors[k].unsqueeze(axis);
        }
        return concat(axis, expanded);
    }

    // =================================================================== autodiff

    /**
     * Whether this tensor is a leaf of the graph, as PyTorch's {@code is_leaf}: it records no parents
     * (made by a factory, or computed with grad mode off or from inputs that require no gradient).
     * A result that records its inputs is not a leaf, also after backward has freed its graph. Only
     * leaves that require grad receive {@link #grad()} and can be optimized.
     */
    public boolean isLeaf() {
        return hasNoParents() && !freed;
    }

    /** Whether gradients flow to this tensor. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * Marks a leaf as a parameter whose gradient {@link #backward()} accumulates; returns this. A leaf
     * is any tensor that records no graph: made by a factory, or computed from inputs that require no
     * gradient (or with grad mode off), as {@code Tensor.randn(42, 3, 4).mul(0.5)}.
     *
     * @throws IllegalStateException on a tensor that records a graph (computed from an input that
     *     requires grad) or whose graph was freed
     */
    public Tensor requiresGrad(boolean requires) {
        if (!hasNoParents() || freed) {
            throw new IllegalStateException("requiresGrad: only leaves can be marked; this tensor was computed by " + op);
        }
        this.requiresGrad = requires;
        return this;
    }

    /** The same data, cut from the graph: requires no gradient. Shares data with this tensor. */
    public Tensor detach() {
        Tensor d = leaf(data, shape);
        d.storage = storage();
        return d;
    }

    /** The accumulated gradient of a leaf, or null if none has been computed (or after {@link #zeroGrad()}). */
    public Tensor grad() {
        return grad;
    }

    /** Forgets the accumulated gradient. */
    public void zeroGrad() {
        grad = null;
    }

    /**
     * Replaces the accumulated gradient (as gradient clipping does); null forgets it.
     *
     * @throws IllegalArgumentException if the shapes differ
     */
    public void setGrad(Tensor gradient) {
        if (gradient != null && !Arrays.equals(gradient.shape, shape)) {
            throw new IllegalArgumentException("setGrad: gradient of shape " + Shapes.str(gradient.shape)
                    + " for a tensor of shape " + Shapes.str(shape));
        }
        grad = gradient;
    }

    /** Backward from a scalar (one-element) output; frees the graph. */
    public void backward() {
        backward(false);
    }

    /**
     * Backward from a scalar output: adds d this / d leaf to the {@link #grad()} of every leaf that
     * requires a gradient. Frees the graph unless {@code retainGraph}.
     *
     * @throws IllegalStateException if this tensor is not a scalar or requires no gradient
     */
    public void backward(boolean retainGraph) {
        if (data.length != 1) {
            throw new IllegalStateException("backward: output has shape " + Shapes.str(shape)
                    + "; gradients can be seeded implicitly only for one-element outputs: reduce it to one number"
                    + " first (sum(), mean(), or a loss with Reduction.MEAN), or pass d loss / d output with"
                    + " backward(gradient)");
        }
        backward(ones(shape), retainGraph, false);
    }

    /** {@link #backward(Tensor, boolean, boolean)} seeded with {@code gradient}, freeing the graph. */
    public void backward(Tensor gradient) {
        backward(gradient, false, false);
    }

    /**
     * Backward from any output, seeded with {@code gradient} (d loss / d this, of this tensor's shape).
     * With {@code createGraph} the leaf gradients are themselves on the tape, and the graph is kept
     * whatever {@code retainGraph} says (those gradients refer to it; PyTorch's default too).
     */
    public void backward(Tensor gradient, boolean retainGraph, boolean createGraph) {
        Objects.requireNonNull(gradient, "backward: gradient is null; pass d loss / d this, of shape "
                + Shapes.str(shape) + " (backward() seeds a one-element output with 1)");
        Tensor[] roots = {this};
        Tensor[] seeds = {gradient};
        Node[] order = pass(roots, seeds, null, createGraph);   // on an exception: graph kept, nothing changed
        // every leaf's new gradient first, then all of them at once: all leaves change or none
        Tensor[] updated = new Tensor[order.length];
        Set<Object> handedOut = Collections.newSetFromMap(new IdentityHashMap<>());
        try (GradMode.Scope ignored = createGraph ? GradMode.enabled() : GradMode.disabled()) {
            for (int k = 0; k < order.length; k++) {
                Tensor t = (Tensor) order[k];
                if (t.hasNoParents() && t.requiresGrad && t.passGrad != null) {
                    updated[k] = t.grad == null ? own(t.passGrad, seeds, handedOut, createGraph) : t.grad.add(t.passGrad);
                }
            }
        } catch (ArithmeticException e) { // anomaly mode: an accumulated gradient is not finite
            clear(order, roots);
            throw new ArithmeticException("backward: adding this pass's gradient into grad() of a leaf went"
                    + " non-finite (nothing was changed): " + e.getMessage());
        }
        for (int k = 0; k < order.length; k++) {
            if (updated[k] != null) {
                ((Tensor) order[k]).grad = updated[k];
            }
        }
        finish(order, roots, retainGraph || createGraph);
    }

    /**
     * A pass gradient {@code g} to hand out (as a leaf's grad() or a result of grad()), as a tensor of
     * its own: a copy where g is, or shares its data with, a caller's seed or a gradient already
     * handed out, or requires grad although no graph is being created (a seed that requires grad
     * passed through unchanged). Otherwise g itself: made in this pass, seen by nobody else.
     * {@code handedOut} collects the gradients and data arrays handed out so far.
     */
    private static Tensor own(Tensor g, Tensor[] seeds, Set<Object> handedOut, boolean createGraph) {
        boolean shared = handedOut.contains(g) || (g.storage != null && handedOut.contains(g.storage))
                || (!createGraph && g.requiresGrad);
        for (Tensor s : seeds) {
            shared |= s == g || (g.storage != null && g.storage == s.storage);
        }
        if (shared) {
            return g.copy();
        }
        handedOut.add(g);
        if (g.storage != null) {
            handedOut.add(g.storage);
        }
        return g;
    }

    /** A copy with its own data; on the tape as the identity while recording. */
    private Tensor copy() {
        return result("copy", data.clone(), shape, g -> new Tensor[] {g}, this);
    }

    /**
     * d(sum of outputs)/d input for each input, without touching any {@link #grad()}; as
     * {@code torch.autograd.grad}. Only the part of the graph through which the outputs depend on the
     * inputs is run (and, without {@code createGraph}, freed); the rest stays as it was, so another
     * backward through it still works. (Unlike PyTorch, a graph that reaches a result freed by an
     * earlier pass is refused even where that result does not lead to an input: jgrad frees a result's
     * links to its inputs, so it cannot tell.) With {@code createGraph} the results are on the tape, so they
     * can be differentiated again (Hessian-vector products, gradient penalties), and the graph is
     * kept. An input the outputs do not depend on gets zeros.
     *
     * @throws IllegalArgumentException if a list is empty, an output has more than one element, or an
     *     input requires no gradient
     */
    public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs, boolean createGraph) {
        if (outputs.isEmpty() || inputs.isEmpty()) {
            throw new IllegalArgumentException("grad: needs at least one output and one input, got " + outputs.size()
                    + " and " + inputs.size());
        }
        Tensor[] roots = outputs.toArray(new Tensor[0]);
        Tensor[] seeds = new Tensor[roots.length];
        for (int i = 0; i < roots.length; i++) {
            Objects.requireNonNull(roots[i], "grad: output " + i + " is null");
            if (roots[i].data.length != 1) {
                throw new IllegalArgumentException("grad: output " + i + " has shape " + Shapes.str(roots[i].shape)
                        + "; outputs must be scalars");
            }
            seeds[i] = ones(roots[i].shape);
        }
        for (int i = 0; i < inputs.size(); i++) {
            Tensor in = Objects.requireNonNull(inputs.get(i), "grad: input " + i + " is null");
            if (!in.requiresGrad) {
                throw new IllegalArgumentException("grad: input " + i + " of shape " + Shapes.str(in.shape)
                        + " does not require grad");
            }
        }
        Node[] order = pass(roots, seeds, inputs, createGraph);
        List<Tensor> result = new ArrayList<>(inputs.size());
        Set<Object> handedOut = Collections.newSetFromMap(new IdentityHashMap<>());
        try (GradMode.Scope ignored = createGraph ? GradMode.enabled() : GradMode.disabled()) {
            for (Tensor in : inputs) {
                result.add(in.passGrad != null ? own(in.passGrad, seeds, handedOut, createGraph) : zeros(in.shape));
            }
        } finally {
            finish(order, roots, createGraph);
        }
        return result;
    }

    /** Single-output, single-input form of {@link #grad(List, List, boolean)}. */
    public static Tensor grad(Tensor output, Tensor input, boolean createGraph) {
        return grad(List.of(output), List.of(input), createGraph).get(0);
    }

    /**
     * Seeds the roots and runs the chain rule over the nodes to run, which it returns: all nodes behind
     * the roots, or with {@code inputs} only those whose backward carries a gradient towards an input.
     * On an exception the graph is as it was and no pass gradient is left behind.
     */
    private static Node[] pass(Tensor[] roots, Tensor[] seeds, List<Tensor> inputs, boolean createGraph) {
        for (int i = 0; i < roots.length; i++) {
            if (!roots[i].requiresGrad) {
                throw new IllegalStateException("backward: the output (" + roots[i].op + ", shape "
                        + Shapes.str(roots[i].shape) + ") does not require grad: no input requires grad,"
                        + " or it was computed with GradMode disabled");
            }
            if (!Arrays.equals(seeds[i].shape, roots[i].shape)) {
                throw new IllegalArgumentException("backward: gradient of shape " + Shapes.str(seeds[i].shape)
                        + " for an output of shape " + Shapes.str(roots[i].shape));
            }
        }
        Node[] order = Tape.order(roots);
        for (Node node : order) { // all of them: a freed node has lost the parents that might lead to an input
            Tensor t = (Tensor) node;
            if (t.freed) {
                throw new IllegalStateException("backward: the graph behind a " + t.op + " result of shape "
                        + Shapes.str(t.shape) + " was freed by an earlier pass (backward, Tensor.grad or"
                        + " Explain.backward all free it): compute the forward pass again, or keep the graph for a"
                        + " second pass with retainGraph = true in that backward call (createGraph = true in"
                        + " Tensor.grad)");
            }
        }
        if (inputs != null) {
            order = leadingTo(order, inputs);
        }
        clear(order, roots);
        try (GradMode.Scope ignored = createGraph ? GradMode.enabled() : GradMode.disabled()) {
            for (int i = 0; i < roots.length; i++) {
                roots[i].passGrad = roots[i].passGrad == null ? seeds[i] : roots[i].passGrad.add(seeds[i]);
            }
            Tape.propagate(order);
        } catch (RuntimeException | Error e) { // leave no half-computed gradient behind for a later pass
            clear(order, roots);
            throw e;
        }
        return order;
    }

    /**
     * The nodes of {@code order} (parents before children) whose backward must run for gradients to
     * reach {@code inputs}: those with a parent that is an input or leads to one. In that order.
     */
    private static Node[] leadingTo(Node[] order, List<Tensor> inputs) {
        Set<Node> reaches = Collections.newSetFromMap(new IdentityHashMap<>());
        reaches.addAll(inputs);
        List<Node> run = new ArrayList<>();
        for (Node node : order) {
            boolean feeds = false;
            for (Node p : node.parents) {
                feeds |= reaches.contains(p);
            }
            if (feeds) {
                run.add(node);
                reaches.add(node);
            }
        }
        return run.toArray(new Node[0]);
    }

    /** Drops the pass gradients of the nodes run, of their inputs and of the roots. */
    private static void clear(Node[] order, Tensor[] roots) {
        for (Node node : order) {
            ((Tensor) node).passGrad = null;
            for (Node p : node.parents) {
                ((Tensor) p).passGrad = null;
            }
        }
        for (Tensor r : roots) {
            r.passGrad = null;
        }
    }

    /** Ends a pass: clears its gradients and, unless {@code retainGraph}, frees the nodes it ran. */
    private static void finish(Node[] order, Tensor[] roots, boolean retainGraph) {
        clear(order, roots);
        if (!retainGraph) {
            for (Node node : order) {
                Tensor t = (Tensor) node;
                if (!t.hasNoParents()) {
                    t.parents = NO_PARENTS;
                    t.backward = null;
                    t.freed = true;
                }
            }
        }
    }

    @Override
    void propagate(boolean check) {
        if (passGrad == null || backward == null) {
            return;
        }
        if (readsOwnData && version() != versionAtCreation) {
            throw new IllegalStateException("backward of " + op + ": its result (shape " + Shapes.str(shape)
                    + ") was changed in place through a leaf sharing its data (a detach() or a reshape made with"
                    + " grad mode off) after it was computed; its backward would read the new values. Compute the"
                    + " forward pass again");
        }
        for (int i = 0; i < parents.length; i++) {
            Tensor p = (Tensor) parents[i];
            if (p.version() != (inputVersions == null ? 0 : inputVersions[i])) {
                throw new IllegalStateException("backward of " + op + ": input " + i + " (shape " + Shapes.str(p.shape)
                        + ") was changed in place (addInPlace or copyFrom, as by an optimizer step) after this result"
                        + " was computed from it; its gradient would mix old and new values. Compute the forward"
                        + " pass again after changing parameters");
            }
        }
        Tensor[] gs;
        try {
            gs = backward.apply(passGrad);
        } catch (ArithmeticException e) { // anomaly mode caught a non-finite value inside this backward
            throw anomalyInBackward(e.getMessage());
        }
        for (int i = 0; i < parents.length; i++) {
            Tensor p = (Tensor) parents[i];
            Tensor gi = gs[i];
            if (gi == null || !p.requiresGrad) {
                continue;
            }
            if (!Arrays.equals(gi.shape, p.shape)) {
                throw new IllegalStateException("backward of " + op + ": gradient of shape " + Shapes.str(gi.shape)
                        + " for input " + i + " of shape " + Shapes.str(p.shape));
            }
            if (check) {
                try {
                    checkFinite("gradient", gi.data, gi.shape, new Tensor[] {p});
                } catch (ArithmeticException e) {
                    throw anomalyInBackward(e.getMessage() + " for input " + i);
                }
            }
            p.passGrad = p.passGrad == null ? gi : p.passGrad.add(gi);
        }
    }

    /** Names this op as the one whose backward went non-finite; the cause says where it was created. */
    private ArithmeticException anomalyInBackward(String detail) {
        ArithmeticException e = new ArithmeticException("backward of " + op + ": " + detail);
        if (createdAt != null) {
            e.initCause(createdAt);
        }
        return e;
    }

    // =================================================================== in-place updates

    /**
     * this += alpha * x, in place, not recorded on the tape: the update step of an optimizer. Results
     * already computed from this tensor (or a view of its data) can no longer be differentiated:
     * their backward throws {@code IllegalStateException}.
     *
     * @throws IllegalStateException unless this is a leaf that requires a gradient (a parameter)
     * @throws IllegalArgumentException if the shapes differ
     */
    public void addInPlace(double alpha, Tensor x) {
        if (!hasNoParents() || !requiresGrad || freed) {
            throw new IllegalStateException("addInPlace: only parameters (leaves that require grad) can be updated"
                    + " in place; this is a " + op + " tensor of shape " + Shapes.str(shape));
        }
        if (!Arrays.equals(shape, x.shape)) {
            throw new IllegalArgumentException("addInPlace: shape " + Shapes.str(x.shape) + " does not match "
                    + Shapes.str(shape));
        }
        double[] d = data;
        double[] s = x.data;
        for (int i = 0; i < d.length; i++) {
            d[i] += alpha * s[i];
        }
        storage().version++;
    }

    /**
     * Overwrites this leaf's values with a copy of {@code source}'s, in place and not recorded on the
     * tape: loading saved weights, frozen ones (that require no gradient) included. As with
     * {@link #addInPlace}, results computed from the old values can no longer be differentiated.
     *
     * @throws IllegalStateException unless this is a leaf ({@link #isLeaf()})
     * @throws IllegalArgumentException if the shapes differ
     */
    public void copyFrom(Tensor source) {
        if (!isLeaf()) {
            throw new IllegalStateException("copyFrom: only leaves can be overwritten; this " + op + " result of shape "
                    + Shapes.str(shape) + " records its inputs (or did, before backward freed them)");
        }
        if (!Arrays.equals(shape, source.shape)) {
            throw new IllegalArgumentException("copyFrom: shape " + Shapes.str(source.shape) + " does not match "
                    + Shapes.str(shape));
        }
        System.arraycopy(source.data, 0, data, 0, data.length);
        storage().version++;
    }

    // =================================================================== accessors

    /** The shape (a copy). */
    public int[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code axis} (negative counts from the end). */
    public int shape(int axis) {
        return shape[Shapes.axis("shape", axis, shape.length)];
    }

    /** Number of dimensions. */
    public int dim() {
        return shape.length;
    }

    /** Number of elements (PyTorch's {@code numel()}; {@link #shape()} is PyTorch's {@code size()}). */
    public int size() {
        return data.length;
    }

    /** Number of elements; the same as {@link #size()}, under PyTorch's name. */
    public int numel() {
        return data.length;
    }

    /** The only element of a one-element tensor. */
    public double item() {
        if (data.length != 1) {
            throw new IllegalStateException("item: tensor of shape " + Shapes.str(shape) + " has " + data.length
                    + " elements, not 1");
        }
        return data[0];
    }

    /** The element at {@code index} (one index per dimension). */
    public double get(int... index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("get: " + index.length + " indices for shape " + Shapes.str(shape));
        }
        int flat = 0;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("get: index " + Arrays.toString(index) + " out of range for shape "
                        + Shapes.str(shape));
            }
            flat = flat * shape[i] + index[i];
        }
        return data[flat];
    }

    /** The elements in row-major order (a copy). */
    public double[] toArray() {
        return data.clone();
    }

    /** This tensor's label (for explain reports), or null. */
    public String label() {
        return label;
    }

    /** Sets the label explain reports use for this tensor; returns this tensor for chaining. */
    public Tensor label(String label) {
        this.label = label;
        return this;
    }

    /** The gradients this node's backward sends to each input for an output gradient {@code g}; null for leaves. */
    Tensor[] backwardOf(Tensor g) {
        return backward == null ? null : backward.apply(g);
    }

    /** The op that computed this tensor ("leaf" for leaves); a result keeps its op after its graph is freed. */
    public String op() {
        return op;
    }


    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("tensor(");
        appendData(sb, 0, 0, data.length > SUMMARY_THRESHOLD);
        sb.append(", shape=").append(Shapes.str(shape));
        if (requiresGrad) {
            sb.append(", requiresGrad");
        }
        return sb.append(')').toString();
    }

    /** Above this many elements, {@link #toString} shows the first and last 3 along each axis (as NumPy). */
    private static final int SUMMARY_THRESHOLD = 1000;

    /** The elements from flat offset {@code at} along axes {@code axis...} as nested brackets. */
    private void appendData(StringBuilder sb, int axis, int at, boolean summarise) {
        if (data.length == 0) { // as NumPy prints any empty array (not one [] per outer index)
            sb.append("[]");
            return;
        }
        if (axis == shape.length) {
            sb.append(String.format(Locale.ROOT, "%.6g", data[at]));
            return;
        }
        int n = shape[axis];
        int stride = Shapes.sizeAfter(shape, axis);
        sb.append('[');
        for (int i = 0; i < n; i++) {
            if (summarise && n > 6 && i == 3) {
                sb.append(", ...");
                i = n - 3;
            }
            if (i > 0) {
                sb.append(", ");
            }
            appendData(sb, axis + 1, at + i * stride, summarise);
        }
        sb.append(']');
    }
}
