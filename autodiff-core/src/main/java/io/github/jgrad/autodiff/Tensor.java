package io.github.jgrad.autodiff;

import io.github.jgrad.autodiff.internal.Arena;
import io.github.jgrad.autodiff.internal.Kernels;
import io.github.jgrad.autodiff.internal.Kernels.Binary;
import io.github.jgrad.autodiff.internal.Shapes;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * An n-dimensional array on the tape: row-major, contiguous, with an immutable shape, of doubles or,
 * for a {@link DType#FLOAT32} tensor, floats ({@link #dtype()}, {@link #to(DType)}; the rules of
 * float32 arithmetic and type promotion are {@link DType}'s).
 *
 * <pre>{@code
 * Tensor w = Tensor.randn(new SplittableRandom(42), 3, 2).requiresGrad(true);
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
 * ({@link #grad(List, List, boolean)} with {@code createGraph}). Log-sum-exp, mean, min, minimum,
 * transpose, squeeze/unsqueeze and stack are compositions of primitives; the
 * reference (docs/reference.md) lists every primitive's backward formula in one table.
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
    /** A result's backward: the gradient for each input (null where none is needed) from the gradient of the output. */
    @FunctionalInterface
    interface Backward {
        Tensor[] apply(Tensor g, Tensor out);
    }

    /** A float64 tensor's elements, row-major (null for float32): read them through {@link #data()}. */
    private double[] array;
    /** A float32 tensor's elements, row-major (null for float64): read them through {@link #floats()}. */
    private float[] floats;
    /** A 0-dimensional constant made from a Java double argument: it promotes no tensor ({@link DType}). */
    boolean weak;
    final int[] shape;
    final Op op;
    Backward backward;
    boolean requiresGrad;
    boolean freed;
    Tensor grad;
    /** Gradient accumulated during the current backward pass. */
    Tensor passGrad;
    /**
     * How many running passes will run this tensor's backward: an inner pass, started from an op's
     * backward, does not free what an outer one has still to run or to clear its gradients through.
     */
    int inPasses;
    /**
     * How often {@link #data} was changed in place, shared by every tensor viewing the same array
     * (reshape, detach): null until the array is shared or changed, which is version 0. A separate
     * object, so that a view (a detached copy kept for later) holds no reference to its source's graph.
     */
    Storage storage;
    /**
     * The inputs' storage versions when this result was computed, to detect inputs changed since;
     * null where all were 0 (nothing changed in place yet: no array to allocate).
     */
    int[] inputVersions;
    /** This result's own storage version when computed; kept and checked only where {@link #readsOwnData}. */
    int versionAtCreation;
    /** Whether this result's backward reads its own data ({@link Op#readsOutput()}). */
    boolean readsOwnData;
    /** Where this tensor was created, recorded only in anomaly mode. */
    final Throwable createdAt;
    private String label;

    Tensor(double[] data, int[] shape, Op op, Node[] parents, Backward backward) {
        this(data, null, shape, op, parents, backward);
    }

    /** A tensor holding {@code data} (float64) or {@code floats} (float32): exactly one of them is not null. */
    Tensor(double[] data, float[] floats, int[] shape, Op op, Node[] parents, Backward backward) {
        super(parents);
        this.array = data;
        this.floats = floats;
        this.storage = Workspace.storageOfNewTensor();
        this.shape = shape;
        this.op = op;
        this.backward = backward;
        this.createdAt = Anomaly.isEnabled() ? new Throwable(op + " created here") : null;
    }

    /**
     * The elements, row-major. Every read of a tensor's elements goes through here, so that a tensor
     * whose memory a {@link Workspace} has reclaimed fails with an error naming it, never showing the
     * numbers of whatever reuses the memory. For a float32 tensor this is a widened copy, made at each
     * call: read it once outside loops, and never write into it ({@link #floats()} is the array itself).
     */
    double[] data() {
        checkLive();
        return array != null ? array : widen(floats);
    }

    /**
     * The elements as stored: the array itself for float64 (null for float32), to write into or to
     * tell views apart. {@link #data()} reads either dtype.
     */
    double[] doubles() {
        checkLive();
        return array;
    }

    /** A float32 tensor's elements as stored (null for float64): the array itself. */
    float[] floats() {
        checkLive();
        return floats;
    }

    private void checkLive() {
        Storage s = storage;
        if (s != null && s.reclaimed != null) {
            throw s.reclaimedError(this);
        }
    }

    /**
     * The elements as doubles for a kernel to read once: the array itself for float64; for float32 a
     * widened copy in workspace memory inside a scope (given back when the scope closes), never to be
     * kept by a tensor or written.
     */
    double[] readDoubles() {
        if (floats == null) {
            return data();
        }
        float[] f = floats();
        return widen(f, Arena.allocate(f.length));
    }

    static double[] widen(float[] f) {
        return widen(f, new double[f.length]);
    }

    /** {@code f} widened into {@code d}, on two threads for large arrays. */
    private static double[] widen(float[] f, double[] d) {
        Kernels.split(f.length, f.length, (from, to) -> {
            for (int i = from; i < to; i++) {
                d[i] = f[i];
            }
        });
        return d;
    }

    /** {@code d} rounded to float32, in a new array. */
    static float[] narrow(double[] d) {
        return narrow(d, new float[d.length]);
    }

    /** {@code d} rounded to float32 for a new tensor: in workspace memory inside a workspace scope. */
    static float[] narrowResult(double[] d) {
        return narrow(d, Arena.allocateFloats(d.length));
    }

    /** {@code d} rounded into {@code f}, on two threads for large arrays. */
    private static float[] narrow(double[] d, float[] f) {
        Kernels.split(d.length, d.length, (from, to) -> {
            for (int i = from; i < to; i++) {
                f[i] = (float) d[i];
            }
        });
        return f;
    }

    /** The element type: {@link DType#FLOAT64} unless made float32 ({@link #to(DType)}, the factories taking a dtype). */
    public DType dtype() {
        return floats != null ? DType.FLOAT32 : DType.FLOAT64;
    }

    /**
     * This tensor converted to {@code dtype} (this tensor itself if it has that dtype already), as
     * PyTorch's {@code to}: differentiable, the gradient flows back converted to this tensor's dtype.
     * float64 to float32 rounds to nearest (values beyond float32's range become infinite).
     */
    public Tensor to(DType dtype) {
        return LayoutOps.to(this, dtype);
    }

    /**
     * This tensor's storage, made on first use. Atomically: threads taking views of one shared input at
     * once (its own version counter each, the losing view's never moving) would let an in-place change
     * of the input go unseen by a backward pass through that view.
     */
    Storage storage() {
        Storage s = storage;
        if (s != null) {
            return s;
        }
        Storage made = new Storage();
        Storage won = (Storage) STORAGE.compareAndExchange(this, null, made);
        return won == null ? made : won;
    }

    private static final java.lang.invoke.VarHandle STORAGE;

    static {
        try {
            STORAGE = java.lang.invoke.MethodHandles.lookup().findVarHandle(Tensor.class, "storage", Storage.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    int version() {
        return storage == null ? 0 : storage.version;
    }

    static Tensor leaf(double[] data, int[] shape) {
        return new Tensor(data, shape, Op.LEAF, NO_PARENTS, null);
    }

    /** A leaf of {@code dtype} holding {@code data} (rounded to float32 for float32). */
    static Tensor leaf(DType dtype, double[] data, int[] shape) {
        return dtype == DType.FLOAT64 ? leaf(data, shape) : leaf(narrowResult(data), shape);
    }

    static Tensor leaf(float[] data, int[] shape) {
        return new Tensor(null, data, shape, Op.LEAF, NO_PARENTS, null);
    }

    /** A Java double argument as a 0-dimensional constant of {@code dtype} that promotes nothing ({@link DType}). */
    static Tensor constant(double value, DType dtype) {
        Tensor c = leaf(dtype, new double[] {value}, Shapes.SCALAR);
        c.weak = true;
        return c;
    }

    /** The chain rule's product g * d, 0 where this gradient g is 0 (see {@link ChainOps#chain}). */
    Tensor chain(Tensor d) {
        return ChainOps.chain(this, d);
    }

    /** The chain rule's quotient g / d, 0 where this gradient g is 0 (see {@link ChainOps#chainDiv}). */
    Tensor chainDiv(Tensor d) {
        return ChainOps.chainDiv(this, d);
    }

    /**
     * The gradients this node's backward sends to each input for an output gradient {@code g}, one per
     * input (null where none is needed); null for leaves. A value anomaly mode finds not finite inside
     * it is blamed on this op, with where it was created; so is a user op's backward that returns
     * another number of gradients.
     */
    Tensor[] backwardOf(Tensor g) {
        if (backward == null) {
            return null;
        }
        Tensor[] gs;
        try {
            gs = backward.apply(g, this);
        } catch (NonFiniteException e) {
            throw Autograd.anomalyInBackward(this, e.getMessage());
        } catch (Exception | AssertionError e) { // a user op's own (checked too, sneaked), or an op's inside it
            Autograd.InBackward note = new Autograd.InBackward(this); // the type and message stay the thrower's
            for (Throwable s : e.getSuppressed()) {
                if (s instanceof Autograd.InBackward && s.getMessage().equals(note.getMessage())) {
                    throw e; // an exception thrown again (one instance, a retried pass): noted once
                }
            }
            e.addSuppressed(note);
            throw e;
        }
        if (gs == null || gs.length != parents.length) {
            throw new IllegalStateException("backward of " + op + ": returned " + (gs == null ? "null" : gs.length
                    + " gradients") + " for " + parents.length + " inputs (one per input, null where none is needed)");
        }
        return gs;
    }

    @Override
    void propagate(boolean check, Autograd.Watcher watcher) {
        Autograd.propagate(this, check, watcher);
    }

    // =================================================================== factories

    /** A tensor of zeros. */
    public static Tensor zeros(int... shape) {
        return Factories.zeros(shape);
    }

    /** A tensor of ones. */
    public static Tensor ones(int... shape) {
        return Factories.full("ones", 1, shape);
    }

    /**
     * A tensor of {@code shape} filled with {@code value}, in NumPy's and PyTorch's order
     * ({@code full(new int[] {2, 3}, 7)}): the shape is an array, so that a value can never be read as
     * a dimension or a dimension as the value.
     */
    public static Tensor full(int[] shape, double value) {
        return Factories.full("full", value, Objects.requireNonNull(shape, "full: shape is null"));
    }

    /** A tensor of zeros of {@code dtype}. */
    public static Tensor zeros(DType dtype, int... shape) {
        if (Objects.requireNonNull(dtype, "zeros: dtype is null") == DType.FLOAT64) {
            return zeros(shape);
        }
        int[] s = Shapes.checked("zeros", shape);
        return leaf(Arena.zerosFloats(Shapes.size("zeros", s)), s);
    }

    /** A tensor of ones of {@code dtype}. */
    public static Tensor ones(DType dtype, int... shape) {
        return full("ones", dtype, shape, 1);
    }

    /** A tensor of {@code dtype} and {@code shape} filled with {@code value} (rounded to float32 for float32). */
    public static Tensor full(DType dtype, int[] shape, double value) {
        return full("full", dtype, shape, value);
    }

    private static Tensor full(String op, DType dtype, int[] shape, double value) {
        Objects.requireNonNull(dtype, () -> op + ": dtype is null");
        Objects.requireNonNull(shape, () -> op + ": shape is null");
        Tensor t = Factories.full(op, value, shape);
        return dtype == DType.FLOAT64 ? t : leaf(narrowResult(t.data()), t.shape);
    }

    /**
     * A float32 tensor holding a copy of {@code data} in row-major order; with no shape given (or an
     * empty one), a vector, as {@link #of(double[], int...)}.
     *
     * @throws IllegalArgumentException if the shape does not hold exactly {@code data.length} elements
     */
    public static Tensor of(float[] data, int... shape) {
        Objects.requireNonNull(data, "of: data is null");
        return leaf(data.clone(), Factories.shapeOf(data.length, shape));
    }

    /** A 0-dimensional tensor holding {@code value}. */
    public static Tensor scalar(double value) {
        return leaf(new double[] {value}, Shapes.SCALAR);
    }

    /**
     * A tensor holding a copy of {@code data} in row-major order; with no shape given, a vector. An
     * empty shape array counts as none (so a helper that passes its own varargs on keeps working):
     * a 0-dimensional tensor is {@link #scalar}, and {@code Tensor.of(t.toArray()).reshape(t.shape())}
     * rebuilds any float64 tensor {@code t}, 0-dimensional ones too ({@link #toFloatArray} for float32).
     *
     * @throws IllegalArgumentException if the shape does not hold exactly {@code data.length} elements
     */
    public static Tensor of(double[] data, int... shape) {
        return Factories.of(data, shape);
    }

    /**
     * A tensor whose values {@code filler} writes, in row-major order, into the fresh zeroed array the
     * tensor then holds, with no copy: for reading large data (a file, a stream) with no second copy
     * in memory. The filler must not keep the array once it returns; later writes to it would change
     * the tensor behind the tape's back.
     *
     * @param <E> what the filler may throw, such as {@link java.io.IOException}; rethrown as is
     * @throws IllegalArgumentException for a negative dimension or more elements than an array holds
     */
    public static <E extends Exception> Tensor create(int[] shape, Filler<E> filler) throws E {
        return Factories.create(shape, filler);
    }

    /** Writes a new tensor's values: see {@link #create}. */
    @FunctionalInterface
    public interface Filler<E extends Exception> {
        /** Writes the values into {@code data}, whose length is the tensor's number of elements. */
        void fill(double[] data) throws E;
    }

    /**
     * {@link #create} for a {@link DType#FLOAT32} tensor: {@code filler} writes the floats into the
     * fresh zeroed array the tensor then holds, with no copy and no array of doubles.
     *
     * @param <E> what the filler may throw; rethrown as is
     * @throws IllegalArgumentException for a negative dimension or more elements than an array holds
     */
    public static <E extends Exception> Tensor createFloats(int[] shape, FloatFiller<E> filler) throws E {
        return Factories.createFloats(shape, filler);
    }

    /** Writes a new float32 tensor's values: see {@link #createFloats}. */
    @FunctionalInterface
    public interface FloatFiller<E extends Exception> {
        /** Writes the values into {@code data}, whose length is the tensor's number of elements. */
        void fill(float[] data) throws E;
    }

    /** A matrix from rows of equal length. */
    public static Tensor of(double[][] rows) {
        return Factories.of(rows);
    }

    /** 0, 1, ..., n-1. */
    public static Tensor arange(int n) {
        return arange(0, n, 1);
    }

    /**
     * start, start + step, ... as NumPy's arange: ceil((end - start) / step) numbers, each start + i *
     * step, so that rounding may bring the last one to {@code end} itself ({@code arange(1, 1.3, 0.1)}
     * gives four numbers, as NumPy does); descending for a negative step.
     */
    public static Tensor arange(double start, double end, double step) {
        return Factories.arange(start, end, step);
    }

    /** The n x n identity matrix. */
    public static Tensor eye(int n) {
        return Factories.eye(n);
    }

    /**
     * Standard normal samples drawn from {@code random}, one {@code nextGaussian()} per element in
     * row-major order. Pass {@code new SplittableRandom(seed)} for a tensor that the same seed always
     * gives, or one generator to several calls for successive draws (PyTorch's {@code generator=}).
     * The generator comes first and is not a number, so that {@code randn(3, 4)}, which would take 3
     * for a seed, does not compile.
     *
     * @throws NullPointerException if {@code random} is null
     */
    public static Tensor randn(RandomGenerator random, int... shape) {
        return Factories.randn(random, shape);
    }

    /**
     * Uniform samples in [low, high) drawn from {@code random} (as {@link #randn}): low + (high - low)
     * u for each u = {@code nextDouble()}, and never {@code high} (a sample that rounds up to it
     * becomes the double just below).
     *
     * @throws IllegalArgumentException unless low &lt; high and high - low is finite
     * @throws NullPointerException if {@code random} is null
     */
    public static Tensor uniform(RandomGenerator random, double low, double high, int... shape) {
        return Factories.uniform("uniform", random, low, high, shape);
    }

    /** Uniform samples in [0, 1) drawn from {@code random}, as {@link #uniform}. */
    public static Tensor rand(RandomGenerator random, int... shape) {
        return Factories.uniform("rand", random, 0, 1, shape);
    }

    /** this + b, broadcasting. */
    public Tensor add(Tensor b) {
        return ArithmeticOps.add(this, b);
    }

    /** this - b, broadcasting. */
    public Tensor sub(Tensor b) {
        return ArithmeticOps.sub(this, b);
    }

    /** this * b, broadcasting. */
    public Tensor mul(Tensor b) {
        return ArithmeticOps.mul(this, b);
    }

    /**
     * this / b, broadcasting. Division by zero follows IEEE 754 (1/0 = +inf, 0/0 = NaN); the
     * derivatives 1/b and -(a/b)/b are then infinite (NaN where a is 0 too).
     */
    public Tensor div(Tensor b) {
        return ArithmeticOps.div(this, b);
    }

    /**
     * this ^ b, broadcasting, as C99's {@code pow} and NumPy (0^0 = 1, 1^y = 1 even for NaN y,
     * (-1)^(+-inf) = 1; a negative base with a fractional exponent is NaN). d/da = b*a^(b-1), 0 where b = 0 (0^0.5 has +inf); d/db = a^b*ln(a), 0 where a = 0 and
     * b &gt;= 0, NaN where a &lt; 0 even for integer b, as in PyTorch. {@link #pow(double)} does not
     * differentiate the exponent, so x^3 at x = -2 has derivative 12.
     */
    public Tensor pow(Tensor b) {
        return ArithmeticOps.pow(this, b);
    }

    /**
     * Element-wise maximum, broadcasting; at a tie each input receives half the gradient. NaN if either
     * input is NaN, and then both receive the whole gradient (as PyTorch), whichever side the NaN is on.
     */
    public Tensor maximum(Tensor b) {
        return ArithmeticOps.maximum(this, b);
    }

    /** Element-wise minimum, broadcasting; ties and NaN as {@link #maximum}. */
    public Tensor minimum(Tensor b) {
        Objects.requireNonNull(b, "minimum: b is null");
        Shapes.broadcast("minimum", shape, b.shape);
        return neg().maximum(b.neg()).neg();
    }

    /** max(this, c), element-wise; see {@link #maximum(Tensor)}. */
    public Tensor maximum(double c) {
        return maximum(constant(c, dtype()));
    }

    /** min(this, c), element-wise; see {@link #minimum(Tensor)}. */
    public Tensor minimum(double c) {
        return minimum(constant(c, dtype()));
    }

    /** this + c. */
    public Tensor add(double c) {
        return add(constant(c, dtype()));
    }

    /** this - c. */
    public Tensor sub(double c) {
        return sub(constant(c, dtype()));
    }

    /** this * c. */
    public Tensor mul(double c) {
        return mul(constant(c, dtype()));
    }

    /** this / c. */
    public Tensor div(double c) {
        return div(constant(c, dtype()));
    }

    /** this ^ c. */
    public Tensor pow(double c) {
        return pow(constant(c, dtype()));
    }

    /** 1 where this > b, else 0 (broadcasting; no gradient). */
    public Tensor gt(Tensor b) {
        return ArithmeticOps.compare("gt", Binary.GT, this, b);
    }

    /** 1 where this >= b, else 0. */
    public Tensor ge(Tensor b) {
        return ArithmeticOps.compare("ge", Binary.GE, this, b);
    }

    /** 1 where {@code this < b}, else 0. */
    public Tensor lt(Tensor b) {
        return ArithmeticOps.compare("lt", Binary.LT, this, b);
    }

    /** 1 where {@code this <= b}, else 0. */
    public Tensor le(Tensor b) {
        return ArithmeticOps.compare("le", Binary.LE, this, b);
    }

    /** 1 where this == b, else 0. */
    public Tensor eq(Tensor b) {
        return ArithmeticOps.compare("eq", Binary.EQ, this, b);
    }

    /** 1 where this > c, else 0. */
    public Tensor gt(double c) {
        return gt(constant(c, dtype()));
    }

    /** 1 where this >= c, else 0. */
    public Tensor ge(double c) {
        return ge(constant(c, dtype()));
    }

    /** 1 where {@code this < c}, else 0. */
    public Tensor lt(double c) {
        return lt(constant(c, dtype()));
    }

    /** 1 where {@code this <= c}, else 0. */
    public Tensor le(double c) {
        return le(constant(c, dtype()));
    }

    /** 1 where this == c, else 0. */
    public Tensor eq(double c) {
        return eq(constant(c, dtype()));
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
     * reductions (softmax and log-softmax too: a row of -inf, NaN after the softmax, masked here
     * gets gradient 0, as in padded attention), broadcasting and layout ops, and gradients of
     * gradients; a matmul whose other operand holds infinities or NaN still gives NaN (0 * inf
     * inside the product), as BLAS does. The convention's price (a 0 * inf limit is read as 0:
     * sqrt(x)^2 at 0 gets derivative 0, not 1) is explained in {@link Op}.
     */
    public static Tensor where(Tensor condition, Tensor a, Tensor b) {
        return ArithmeticOps.select(condition, a, b);
    }

    /** -this. */
    public Tensor neg() {
        return UnaryOps.neg(this);
    }

    /** e^this. */
    public Tensor exp() {
        return UnaryOps.exp(this);
    }

    /** Natural logarithm (NaN below 0, -Infinity at 0); the derivative 1/x is +inf at 0 and applied as is below. */
    public Tensor log() {
        return UnaryOps.log(this);
    }

    /** log(1 + this), accurate for small arguments: within 1 ulp of {@link StrictMath#log1p}. */
    public Tensor log1p() {
        return UnaryOps.log1p(this);
    }

    /** Square root (NaN below 0); the derivative 1/(2 sqrt(x)) is +inf at 0. */
    public Tensor sqrt() {
        return UnaryOps.sqrt(this);
    }

    /** Hyperbolic tangent. */
    public Tensor tanh() {
        return UnaryOps.tanh(this);
    }

    /** Logistic sigmoid, without overflow for large |x|. */
    public Tensor sigmoid() {
        return UnaryOps.sigmoid(this);
    }

    /** log(1 + e^x), stable for any x (see the derivatives table); its derivative is sigmoid(x). */
    public Tensor softplus() {
        return UnaryOps.softplus(this);
    }

    /** max(0, x); the derivative at 0 is 0. */
    public Tensor relu() {
        return UnaryOps.relu(this);
    }

    /** Sine. */
    public Tensor sin() {
        return UnaryOps.sin(this);
    }

    /** Cosine. */
    public Tensor cos() {
        return UnaryOps.cos(this);
    }

    /** Absolute value; the derivative at 0 is 0. */
    public Tensor abs() {
        return UnaryOps.abs(this);
    }

    /**
     * The error function, element by element, accurate to about 1 ulp (as {@link Value#erf}); its
     * derivative 2/sqrt(pi) e^(-x^2) is on the tape, so erf has gradients of every order.
     */
    public Tensor erf() {
        return UnaryOps.erf(this);
    }

    /** Limits every element to [low, high]; the gradient passes where {@code low <= x <= high}, as in PyTorch. */
    public Tensor clamp(double low, double high) {
        return UnaryOps.clamp(this, low, high);
    }

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
        return ReduceOps.sum(this, axes, keepDims);
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
        return ReduceOps.mean(this, axes, keepDims);
    }

    /** The largest element. */
    public Tensor max() {
        return max(new int[0], false);
    }

    /**
     * The maximum along {@code axis}, which is removed (values only; see {@link #argmax} for indices), as
     * {@code torch.amax(x, dim)}: tied maxima share the gradient equally, where {@code torch.max(x, dim)}
     * gives it to one index. Not {@link Value#max(double)}'s element-wise max with a number: for
     * that, {@link #maximum(double)} ({@code t.max(0)} reduces axis 0; {@code t.maximum(0)} is a ReLU).
     */
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
        return ReduceOps.max(this, axes, keepDims);
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
        return ReduceOps.argmax(this, axis, keepDims);
    }

    /**
     * The index of the smallest entry along {@code axis}, as NumPy's {@code argmin}: the first one at
     * a tie, the first NaN if there is one. The result has {@code axis} removed and requires no gradient.
     *
     * @throws IllegalArgumentException if the axis is empty
     */
    public Tensor argmin(int axis) {
        return argmin(axis, false);
    }

    /** {@link #argmin(int)}, keeping {@code axis} with size 1 if {@code keepDims}. */
    public Tensor argmin(int axis, boolean keepDims) {
        return ReduceOps.argmin(this, axis, keepDims);
    }

    /** The variance of all elements, unbiased (correction 1), as {@code torch.var()}. */
    public Tensor var() {
        return var(new int[0], 1, false);
    }

    /**
     * The variance along {@code axes} (all axes if empty), as {@code torch.var(dim, correction=,
     * keepdim=)}: the squared deviations from the mean, summed and divided by n - correction (1: the
     * unbiased estimate, PyTorch's default; 0: the population variance, NumPy's), computed in two
     * passes (the mean, then the deviations) so that a large common offset cancels. A composition of
     * mean, sub, mul, sum and div, with no derivative of its own: its gradient is 2 (x - mean) /
     * (n - correction). Where n - correction is 0 or less the result is NaN (one element, correction
     * 1) or infinite, as PyTorch's.
     */
    public Tensor var(int[] axes, int correction, boolean keepDims) {
        return ReduceOps.var("var", this, axes, correction, keepDims);
    }

    /** The standard deviation of all elements, unbiased (correction 1), as {@code torch.std()}. */
    public Tensor std() {
        return std(new int[0], 1, false);
    }

    /**
     * The square root of {@link #var(int[], int, boolean)}: its gradient is NaN where the variance is
     * 0 (all entries equal), as PyTorch's.
     */
    public Tensor std(int[] axes, int correction, boolean keepDims) {
        return ReduceOps.var("std", this, axes, correction, keepDims).sqrt(); // errors name std
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
        ReduceOps.nonEmptyAxes(this, "min", axes);
        return neg().max(axes, keepDims).neg();
    }

    /** log(sum(exp(this))) along {@code axis}, computed without overflow. */
    public Tensor logSumExp(int axis, boolean keepDims) {
        return ReduceOps.logSumExp(this, axis, keepDims);
    }

    /**
     * log(softmax(this)) along {@code axis}, as (x - max) - log(sum(exp(x - max))): finite and accurate
     * for logits of any size (the shift by the maximum is exact and carries no gradient).
     */
    public Tensor logSoftmax(int axis) {
        return ReduceOps.logSoftmax(this, axis);
    }

    /** exp(x_i) / sum_j exp(x_j) along {@code axis}, as exp(x - max) / sum(exp(x - max)): no overflow. */
    public Tensor softmax(int axis) {
        return ReduceOps.softmax(this, axis);
    }

    /**
     * Matrix product with NumPy's {@code matmul} semantics: 2-D operands multiply as matrices; a 1-D
     * first (second) operand is a row (column) vector whose added dimension is removed from the
     * result; higher-rank operands are stacks of matrices whose leading dimensions broadcast.
     */
    public Tensor matmul(Tensor b) {
        return ProductOps.matmul(this, b);
    }

    /**
     * this.matmul(w).add(bias) for a matrix this (n, k), w (k, m) and a bias that broadcasts to (n, m),
     * in one pass: the bias is written into the result and the product added to it (BLAS's beta = 1),
     * as {@code torch.addmm}. The values and gradients of the two ops, to rounding (the sums start
     * from the bias instead of adding it at the end: an ulp apart at times); one (n, m) array fewer.
     * A float32 product with a float64 bias is the two ops (the product rounded to float32 first).
     *
     * @throws IllegalArgumentException if the shapes do not fit
     */
    public Tensor matmulAdd(Tensor w, Tensor bias) {
        return ProductOps.matmulAdd(this, w, bias);
    }

    /** The transpose of the last two dimensions (a matrix's transpose). */
    public Tensor mT() {
        if (dim() < 2) {
            throw new IllegalArgumentException("mT: needs at least 2 dimensions, shape is " + Shapes.str(shape));
        }
        return transpose(-2, -1);
    }

    /**
     * The same elements in a new shape (one dimension may be -1, inferred). Shares data with this.
     *
     * @throws IllegalArgumentException if the element counts differ
     */
    public Tensor reshape(int... newShape) {
        return LayoutOps.reshape(this, newShape);
    }

    /** Inserts a dimension of size 1 at {@code axis}. */
    public Tensor unsqueeze(int axis) {
        return LayoutOps.unsqueeze(this, axis);
    }

    /** Removes the dimension of size 1 at {@code axis}. */
    public Tensor squeeze(int axis) {
        return LayoutOps.squeeze(this, axis);
    }

    /** Reorders the axes: axis i of the result is axis {@code axes[i]} of this. */
    public Tensor permute(int... axes) {
        return LayoutOps.permute(this, axes);
    }

    /** Swaps two axes. */
    public Tensor transpose(int axis0, int axis1) {
        return LayoutOps.transpose(this, axis0, axis1);
    }

    /** The elements read as the larger shape {@code target} by NumPy broadcasting (a copy). */
    public Tensor broadcastTo(int... target) {
        return LayoutOps.broadcastTo(this, target);
    }

    /** Sums a broadcast gradient back to {@code target}, the shape of the input that was broadcast. */
    Tensor sumTo(int[] target) {
        return LayoutOps.sumTo(this, target);
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
        return LayoutOps.slice(this, axis, start, end, step);
    }

    /** The entries {@code indices} along {@code axis}, in that order (indices may repeat). */
    public Tensor indexSelect(int axis, int... indices) {
        return LayoutOps.indexSelect(this, axis, indices);
    }

    /**
     * out[..., j, ...] = this[..., index[..., j, ...], ...] along {@code axis}, as {@code torch.gather}:
     * {@code index} holds integral values and has this tensor's shape except along {@code axis}.
     */
    public Tensor gather(int axis, Tensor index) {
        return LayoutOps.gather(this, axis, index);
    }

    /**
     * Joins tensors along an existing {@code axis}; all other dimensions must agree.
     *
     * @throws IllegalArgumentException naming the shapes that do not fit
     */
    public static Tensor concat(int axis, Tensor... tensors) {
        return LayoutOps.concat(axis, tensors);
    }

    /** Joins tensors of equal shape along a new {@code axis}. */
    public static Tensor stack(int axis, Tensor... tensors) {
        return LayoutOps.stack(axis, tensors);
    }

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
     * gradient (or with grad mode off), as {@code Tensor.randn(new SplittableRandom(42), 3, 4).mul(0.5)}.
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

    /**
     * A copy in memory of its own, on the tape: its gradient flows back unchanged, as PyTorch's
     * {@code clone()}. Changing this tensor in place later does not change the copy;
     * {@code detach().clone()} is a copy off the tape (a snapshot of weights).
     */
    @Override
    public Tensor clone() {
        return LayoutOps.copy(this);
    }

    /**
     * The same data, cut from the graph: requires no gradient. Shares data with this tensor (as
     * PyTorch's {@code detach()}): {@link #clone()} it for a copy.
     */
    public Tensor detach() {
        Tensor d = floats != null ? leaf(floats(), shape) : leaf(data(), shape);
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
     * Replaces the accumulated gradient (as gradient clipping does), converted to this tensor's dtype;
     * null forgets it.
     *
     * @throws IllegalArgumentException if the shapes differ
     * @throws IllegalStateException if {@code gradient}'s memory was reclaimed by its {@link Workspace} scope
     */
    public void setGrad(Tensor gradient) {
        if (gradient != null) {
            gradient.checkLive(); // a gradient whose Workspace scope reclaimed it is refused now, not when read
        }
        if (gradient != null && !Arrays.equals(gradient.shape, shape)) {
            throw new IllegalArgumentException("setGrad: gradient of shape " + Shapes.str(gradient.shape)
                    + " for a tensor of shape " + Shapes.str(shape));
        }
        if (gradient != null && gradient.dtype() != dtype()) { // a gradient has its tensor's dtype
            gradient = gradient.to(dtype());
        }
        Tensor previous = grad;
        grad = gradient;
        if (gradient != null) {
            Workspace.gradAssigned(this, previous, gradient);
        }
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
        Autograd.backward(this, Autograd.scalarSeed(this), retainGraph, false);
    }

    /** {@link #backward(Tensor, boolean, boolean)} seeded with {@code gradient}, freeing the graph. */
    public void backward(Tensor gradient) {
        backward(gradient, false, false);
    }

    /**
     * Backward from any output, seeded with {@code gradient} (d loss / d this, of this tensor's shape;
     * null for a one-element output seeds it with 1, as PyTorch's {@code gradient=None}).
     * With {@code createGraph} the leaf gradients are themselves on the tape, and the graph is kept
     * whatever {@code retainGraph} says (those gradients refer to it; PyTorch's default too).
     */
    public void backward(Tensor gradient, boolean retainGraph, boolean createGraph) {
        Autograd.backward(this, gradient == null && size() == 1 ? Autograd.scalarSeed(this) : gradient, retainGraph,
                createGraph);
    }

    /**
     * d(sum of outputs)/d input for each input, without touching any {@link #grad()}; as
     * {@code torch.autograd.grad}. Only the part of the graph through which the outputs depend on the
     * inputs is run (and, without {@code createGraph}, freed); the rest stays as it was, so another
     * backward through it still works. (Unlike PyTorch, a graph that reaches a result freed by an
     * earlier pass is refused even where that result does not lead to an input: jgrad frees a result's
     * links to its inputs, so it cannot tell.) With {@code createGraph} the results are on the tape, so they
     * can be differentiated again (Hessian-vector products, gradient penalties), and the graph is
     * kept. An input the outputs do not depend on gets zeros; an output that requires no gradient at
     * all is refused, as PyTorch refuses it (a gradient taken without {@code createGraph}, or a constant
     * one: the second derivative of a linear function needs no tape).
     *
     * @throws IllegalArgumentException if a list is empty, an output has more than one element, or an
     *     input requires no gradient
     * @throws IllegalStateException if an output requires no gradient
     */
    public static List<Tensor> grad(List<Tensor> outputs, List<Tensor> inputs, boolean createGraph) {
        return Autograd.grad(outputs, inputs, createGraph);
    }

    /** Single-output, single-input form of {@link #grad(List, List, boolean)}. */
    public static Tensor grad(Tensor output, Tensor input, boolean createGraph) {
        return grad(Collections.singletonList(output), Collections.singletonList(input), createGraph).get(0);
    }

    /**
     * this += alpha * x, in place, not recorded on the tape: the update step of an optimizer. A float32
     * tensor is updated in float32 arithmetic, as PyTorch's {@code add_(x, alpha=alpha)}: alpha rounded
     * to float32, the product and the sum each rounded (x converted first if it is float64), where
     * PyTorch's CPU kernels round the two once with a fused multiply-add where the CPU has one, so
     * results can differ from PyTorch's in the last bit. Results
     * already computed from this tensor (or a view of its data) can no longer be differentiated:
     * their backward throws {@code IllegalStateException}.
     *
     * @throws IllegalStateException unless this is a leaf that requires a gradient (a parameter)
     * @throws IllegalArgumentException if the shapes differ
     */
    public void addInPlace(double alpha, Tensor x) {
        Storage.addInPlace(this, alpha, x);
    }

    /**
     * Converts this leaf's elements to {@code dtype} in place, keeping the tensor object, as PyTorch's
     * {@code module.to(dtype)} replaces {@code param.data}: what {@code Module.to} uses, so that layers
     * and optimizers holding the tensor see the new type. Its gradient is converted too. As with
     * {@link #addInPlace}, results computed from it before can no longer be differentiated; tensors
     * that shared its data ({@link #detach}, {@link #reshape}) keep the old values. Nothing happens if
     * it has that dtype already.
     *
     * @throws IllegalStateException unless this is a leaf ({@link #isLeaf()})
     */
    public void convertInPlace(DType dtype) {
        Objects.requireNonNull(dtype, "convertInPlace: dtype is null");
        if (!isLeaf()) {
            throw new IllegalStateException("convertInPlace: only leaves can be converted in place; this is a " + op
                    + " result of shape " + Shapes.str(shape) + ": use to(" + dtype + ")");
        }
        if (dtype == dtype()) {
            return;
        }
        Storage old = storage();
        if (dtype == DType.FLOAT32) {
            floats = narrow(data());
            array = null;
        } else {
            array = data();
            floats = null;
        }
        storage = new Storage(); // the data is no longer shared; the version moves on, so old results refuse backward
        storage.version = old.version + 1; // new memory, owned by no workspace scope
        if (grad != null) {
            setGrad(grad); // converted, and moved out of a workspace scope as any new gradient
        }
    }

    /**
     * Overwrites this leaf's values with a copy of {@code source}'s, in place and not recorded on the
     * tape: loading saved weights, frozen ones (that require no gradient) included. The values are
     * converted to this tensor's dtype (rounded to nearest for float32). As with {@link #addInPlace},
     * results computed from the old values can no longer be differentiated.
     *
     * @throws IllegalStateException unless this is a leaf ({@link #isLeaf()})
     * @throws IllegalArgumentException if the shapes differ
     */
    public void copyFrom(Tensor source) {
        Storage.copyFrom(this, source);
    }

    /** The shape (a copy). */
    public int[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code axis} (negative counts from the end). */
    public int shape(int axis) {
        return shape[Shapes.axis("shape", axis, shape)];
    }

    /** Number of dimensions. */
    public int dim() {
        return shape.length;
    }

    /** Number of elements (PyTorch's {@code numel()}; {@link #shape()} is PyTorch's {@code size()}). */
    public int size() {
        return array != null ? array.length : floats.length;
    }

    /** Number of elements; the same as {@link #size()}, under PyTorch's name. */
    public int numel() {
        return size();
    }

    /** The only element of a one-element tensor. */
    public double item() {
        checkLive();
        if (size() != 1) {
            throw new IllegalStateException("item: tensor of shape " + Shapes.str(shape) + " has " + size()
                    + " elements, not 1");
        }
        return get(new int[shape.length]);
    }

    /** The element at {@code index} (one index per dimension). */
    public double get(int... index) {
        int i = Shapes.flatIndex("get", shape, index);
        return floats != null ? floats()[i] : data()[i];
    }

    /** The elements in row-major order (a copy; float32 elements widened exactly). */
    public double[] toArray() {
        return floats != null ? data() : data().clone();
    }

    /** The elements in row-major order as floats (a copy; float64 elements rounded to nearest). */
    public float[] toFloatArray() {
        return floats != null ? floats().clone() : narrow(data());
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

    /** The op that computed this tensor ({@link Op#LEAF} for leaves); a result keeps its op after its graph is freed. */
    public Op op() {
        return op;
    }


    @Override
    public String toString() {
        return TensorText.of(this);
    }
}
