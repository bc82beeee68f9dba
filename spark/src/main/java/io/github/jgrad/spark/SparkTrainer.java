package io.github.jgrad.spark;

import io.github.jgrad.autodiff.DType;
import io.github.jgrad.autodiff.GradMode;
import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.autodiff.internal.Shapes;
import io.github.jgrad.nn.Checkpoint;
import io.github.jgrad.nn.Dropout;
import io.github.jgrad.nn.Module;
import io.github.jgrad.nn.Npz;
import io.github.jgrad.nn.Optimizer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Function1;
import scala.Function2;
import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;
import scala.runtime.BoxedUnit;

/**
 * Synchronous data-parallel training of any jgrad {@link Module} on Spark, by gradient aggregation,
 * as Spark MLlib's own perceptron trains: at every step the driver broadcasts the parameters (as
 * jgrad's own {@code .npz} bytes); each partition rebuilds the model, computes the mean loss of its
 * examples and its gradient with jgrad, and returns the gradient weighted by its example count; a
 * tree like {@code treeAggregate}'s, but adding in partition order, so results repeat bit for bit,
 * sums them; the driver divides by the number of examples, so the gradient is
 * the full batch's (or the sample's, with a mini-batch fraction), and steps its optimizer.
 *
 * <pre>{@code
 * SparkTrainer trainer = SparkTrainer.of(() -> Sequential.mlp(5, Activation.relu(), 64, 128, 10),
 *         params -> Adam.of(params, 0.003),
 *         (model, x, y) -> Loss.crossEntropy(model.forward(x), y));
 * List<Double> losses = trainer.fit(examples, 200);        // examples: JavaRDD<Example>
 * trainer.save(Path.of("run.npz"));                        // a checkpoint, as Trainer's
 * }</pre>
 *
 * <p><b>When it pays.</b> Each step is one Spark job (about 35 ms of latency on one machine) plus
 * the parameters sent out and the gradients summed back (8 bytes per parameter each way, times the
 * tree's depth). More workers pay when a step's computation on the data divided among them
 * outweighs that: large datasets and large batches, small to medium models. docs/spark.md has the
 * model and measurements. Parameter averaging (local steps, then averaging every k steps) would
 * cut the communication further at the price of exactness; it is not implemented.
 *
 * <p>The model factory and the loss must be serializable lambdas: Spark sends them to the executors (the
 * optimizer factory runs on the driver only). The factory must build a new model at each call, the same
 * model (names, order, shapes and dtypes of parameters and buffers) wherever it runs. The model the
 * driver holds ({@link #model()}) is the trained one. Not thread-safe.
 *
 * <p><b>Randomness.</b> Executors build the model afresh at every step, in training mode (a
 * sub-module the factory set to {@code eval()} stays so, as in {@code Trainer}), and give it a random stream
 * of its own per step and partition ({@link Module#randomStream}), so a {@code Dropout} layer draws
 * new masks at every step and different masks on every partition. They are not the masks one
 * machine would draw for the same batch, and they depend on how the data is partitioned.
 *
 * <p><b>Limits.</b> A target of one number per example reaches the loss with shape (n), as a
 * class index; a loss that wants (n, 1) (a single-output regression) reshapes it:
 * {@code Loss.mse(model.forward(x), y.reshape(-1, 1))}. Buffers ({@code Module.registerBuffer}) go
 * to the executors with the parameters, and after each step of {@link #fit} the driver's take the
 * values the model of the first partition with rows left them with (a batch norm's running
 * statistics updated from that partition's rows), as PyTorch's {@code DistributedDataParallel}
 * broadcasts rank 0's.
 */
public final class SparkTrainer {
    /** Builds the model, on the driver and on every executor; the same architecture each time. */
    @FunctionalInterface
    public interface ModelFactory extends Serializable {
        /** A new model; its initial values do not matter on executors, which load the driver's. */
        Module create();
    }

    /** The mean loss of a batch: a scalar computed through {@code model}, as {@code Trainer}'s loss. */
    @FunctionalInterface
    public interface LossFunction extends Serializable {
        /** The mean loss of {@code model} on {@code inputs} against {@code targets}. */
        Tensor apply(Module model, Tensor inputs, Tensor targets);
    }

    /** One training example: its input row and its target row (one number for a class index). */
    public record Example(double[] input, double[] target) implements Serializable {
        /** An example; the arrays are kept as given. */
        public Example {
            Objects.requireNonNull(input, "Example: input is null");
            Objects.requireNonNull(target, "Example: target is null");
        }
    }

    private final ModelFactory factory;
    private final LossFunction loss;
    private final Module model;
    private final Optimizer optimizer;
    private double miniBatchFraction = 1;
    private long seed = 1;
    private int depth = 2;
    private int steps;
    /** The entry of the partitions the saved run last stepped on: not a setting, the next fit compares. */
    private static final String PARTITIONS = "trainer.spark.partitions";
    /** The partitions the last step was taken on (or the resumed run's; 0: none), saved in checkpoints. */
    private int partitions;
    /** The partitions of the run this trainer resumed (0: none, or a step was taken since), for fit's warning. */
    private int resumedPartitions;
    /** The dtype of each tensor of the factory's models, from a model built in {@link #of}. */
    private final Map<String, DType> factoryDtypes = new java.util.HashMap<>();

    private SparkTrainer(ModelFactory factory, Function<List<Tensor>, Optimizer> optimizer, LossFunction loss) {
        this.factory = Objects.requireNonNull(factory, "SparkTrainer.of: model factory is null");
        this.loss = Objects.requireNonNull(loss, "SparkTrainer.of: loss is null");
        serializable(factory, "model factory");
        serializable(loss, "loss");
        this.model = Objects.requireNonNull(factory.create(), "SparkTrainer.of: the model factory returned null");
        Module second = factory.create();
        second.namedTensors().forEach((name, t) -> factoryDtypes.put(name, t.dtype())); // what executors build
        if (second == model) { // executors would train one shared model, their gradients mixed
            throw new IllegalArgumentException("SparkTrainer.of: the model factory returned the same model twice; it"
                    + " must build a new one at each call (executors build one per step and partition)");
        }
        Set<Tensor> first = Collections.newSetFromMap(new IdentityHashMap<>());
        first.addAll(model.namedTensors().values());
        for (Map.Entry<String, Tensor> e : second.namedTensors().entrySet()) {
            if (first.contains(e.getValue())) { // a new model around shared tensors: as shared as the same model
                throw new IllegalArgumentException("SparkTrainer.of: the model factory's models share the tensor '"
                        + e.getKey() + "'; each must have tensors of its own (build the layers inside the factory)");
            }
        }
        Set<Module> firstModules = Collections.newSetFromMap(new IdentityHashMap<>());
        firstModules.addAll(model.modules());
        for (Module m : second.modules()) {
            // nn's one module that draws random numbers: tasks sharing it (a static Dropout) would share its
            // stream and count of draws; a shared activation, which holds nothing, is harmless
            if (m instanceof Dropout && firstModules.contains(m)) {
                throw new IllegalArgumentException("SparkTrainer.of: the model factory's models share the sub-module "
                        + m + ", whose random stream the tasks would share; each model must have its own (build"
                        + " the layers inside the factory)");
            }
        }
        this.optimizer = Objects.requireNonNull(Objects.requireNonNull(optimizer,
                "SparkTrainer.of: optimizer factory is null").apply(model.parameters()),
                "SparkTrainer.of: the optimizer factory returned null");
        Set<Tensor> own = Collections.newSetFromMap(new IdentityHashMap<>());
        own.addAll(model.parameters());
        for (Tensor p : this.optimizer.parameters()) {
            if (!own.contains(p)) { // executors compute gradients of the model's parameters only: p would never move
                throw new IllegalArgumentException("SparkTrainer.of: the optimizer updates a tensor of shape "
                        + Shapes.str(p.shape()) + " that is not one of the model's parameters; build it over the"
                        + " list it is given");
            }
        }
    }

    /**
     * Refuses {@code f} unless Java serialization, which Spark uses to send it to the executors, takes it:
     * Spark's own error names no culprit (on JDK 17 without {@code --add-opens java.base/java.io}, it is an
     * {@code ExceptionInInitializerError} from its serialization debugger).
     */
    private static void serializable(Object f, String what) {
        try (ObjectOutputStream out = new ObjectOutputStream(OutputStream.nullOutputStream())) {
            out.writeObject(f);
        } catch (NotSerializableException e) {
            throw new IllegalArgumentException("SparkTrainer.of: the " + what + " is not serializable: it holds a "
                    + e.getMessage() + " (a lambda holds what it captures; a Module is not serializable: build the"
                    + " model inside the factory)", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("SparkTrainer.of: the " + what + " cannot be serialized: " + e, e);
        }
    }

    /**
     * A trainer of the model {@code factory} builds, stepped on the driver by the optimizer {@code optimizer} makes.
     *
     * @throws IllegalArgumentException if the factory or the loss cannot be serialized, the factory
     *     returns the same model twice or models that share a tensor or a {@code Dropout}, or the
     *     optimizer updates a tensor that is not the model's
     */
    public static SparkTrainer of(ModelFactory factory, Function<List<Tensor>, Optimizer> optimizer, LossFunction loss) {
        return new SparkTrainer(factory, optimizer, loss);
    }

    /**
     * Computes each step's gradient on a sample of this fraction of the examples (1: all of them,
     * full-batch gradient descent), drawn afresh per step from {@code seed} and the step number mixed
     * (runs of neighbouring seeds draw unrelated samples), as MLlib's {@code miniBatchFraction};
     * returns this.
     *
     * @throws IllegalArgumentException unless 0 &lt; fraction &lt;= 1
     */
    public SparkTrainer miniBatch(double fraction, long seed) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("SparkTrainer.miniBatch: fraction must be in (0, 1], got " + fraction);
        }
        this.miniBatchFraction = fraction;
        this.seed = seed;
        return this;
    }

    /**
     * The depth of the tree that sums the partitions' gradients (default 2, as {@code treeAggregate}'s):
     * deeper trees sum many partitions' gradients in more rounds, each with fewer arriving at the
     * driver, which adds them in partition order and so holds those that arrive before an earlier one
     * (at most about 2 n^(1/depth) of n partitions, each the size of the model's parameters): raise
     * it for many partitions of a large model; returns this.
     *
     * @throws IllegalArgumentException if {@code depth} is below 1
     */
    public SparkTrainer treeDepth(int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException("SparkTrainer.treeDepth: depth must be >= 1, got " + depth);
        }
        this.depth = depth;
        return this;
    }

    /** The model on the driver, trained by {@link #fit}. */
    public Module model() {
        return model;
    }

    /** The optimizer on the driver. */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** The number of steps taken, by this trainer or by the run it resumed. */
    public int steps() {
        return steps;
    }

    /**
     * Takes {@code steps} more steps on {@code examples}; returns the mean loss before each step (over
     * the examples, or the step's sample), computed in the same pass as its gradient. A step whose
     * sample ({@link #miniBatch}) is empty changes nothing but the count of steps, as MLlib skips such
     * an iteration (both log a warning); its loss is NaN, so the list keeps one loss per step.
     *
     * @throws IllegalArgumentException if {@code steps} is negative or the examples are none at all
     * @throws IllegalStateException if the driver's model has other dtypes than the factory's models
     */
    public List<Double> fit(JavaRDD<Example> examples, int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("SparkTrainer.fit: steps must be >= 0, got " + steps);
        }
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(examples.context());
        checkDtypes();
        int n = examples.getNumPartitions();
        if (steps > 0 && resumedPartitions > 0 && resumedPartitions != n) {
            System.getLogger("io.github.jgrad").log(System.Logger.Level.WARNING, "SparkTrainer: the run resumed was"
                    + " trained on " + resumedPartitions + " partitions, these examples have " + n + ": it goes on, but"
                    + " not as the run that saved it would have (the sums and dropout masks follow the partitioning)");
        }
        List<Double> losses = new ArrayList<>(Math.min(steps, 1024));
        // full batch: each partition's rows become one batch once, kept in memory across the steps
        JavaRDD<Batch> batches = miniBatchFraction < 1 ? null : batches(examples, false).cache();
        boolean[] hasExamples = {false}; // known once a step has found some, or an empty sample asked
        try {
            for (int s = 0; s < steps; s++) {
                losses.add(step(sc, examples, hasExamples, batches != null ? batches
                        : batches(examples.sample(false, miniBatchFraction, sampleSeed(seed, this.steps)), true)));
                partitions = n; // a step was taken on them: what a checkpoint records, and the warning is told
                resumedPartitions = 0;
            }
        } finally {
            if (batches != null) {
                batches.unpersist(false);
            }
        }
        return losses;
    }

    /** One step: the gradient summed over {@code batches}, then the optimizer; returns the mean loss. */
    private double step(JavaSparkContext sc, JavaRDD<Example> examples, boolean[] hasExamples, JavaRDD<Batch> batches) {
        Sum sum = gradient(sc, batches);
        hasExamples[0] |= sum.count > 0;
        if (sum.count == 0 && miniBatchFraction < 1 && (hasExamples[0] || (hasExamples[0] = !examples.isEmpty()))) {
            System.getLogger("io.github.jgrad").log(System.Logger.Level.WARNING, "SparkTrainer: the sample of step "
                    + this.steps + " is empty; the step is skipped (its loss NaN), as MLlib skips it");
            this.steps++; // the next step draws another sample
            return Double.NaN;
        }
        if (sum.count == 0) {
            throw new IllegalArgumentException("SparkTrainer.fit: step " + this.steps + " has no examples");
        }
        List<Tensor> params = model.parameters();
        List<Tensor> means = means(sum);
        optimizer.zeroGrad();
        for (int i = 0; i < params.size(); i++) { // a parameter no partition reached keeps no gradient, as locally
            params.get(i).setGrad(sum.reached[i] ? means.get(i) : null);
        }
        optimizer.step();
        if (sum.buffers != null) { // as DistributedDataParallel broadcasts rank 0's: the first partition's
            int b = 0;
            try (GradMode.Scope ignored = GradMode.disabled()) {
                for (Tensor t : model.namedBuffers().values()) {
                    double[] v = sum.buffers[b++];
                    t.copyFrom(t.dim() == 0 ? Tensor.scalar(v[0]) : Tensor.of(v, t.shape()));
                }
            }
        }
        this.steps++;
        return sum.loss / sum.count;
    }

    /**
     * The mean loss and its gradient with respect to every parameter, over {@code examples} (all of
     * them: no sampling), summed across the partitions in partition order; the driver's model
     * is not changed. Each partition computes its mean loss in one batch, so its gradient equals
     * jgrad's on the same rows; the sum of the partitions' count-weighted gradients then equals the
     * full batch's to rounding.
     *
     * @throws IllegalArgumentException if the RDD has no examples
     * @throws IllegalStateException if the driver's model has other dtypes than the factory's models
     */
    public Gradient gradient(JavaRDD<Example> examples) {
        checkDtypes();
        Sum sum = gradient(JavaSparkContext.fromSparkContext(examples.context()), batches(examples, false));
        if (sum.count == 0) {
            throw new IllegalArgumentException("SparkTrainer.gradient: the RDD has no examples");
        }
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        List<String> names = new ArrayList<>(model.namedParameters().keySet());
        List<Tensor> means = means(sum);
        for (int i = 0; i < names.size(); i++) {
            out.put(names.get(i), means.get(i));
        }
        return new Gradient(sum.loss / sum.count, java.util.Collections.unmodifiableMap(out));
    }

    /**
     * What {@link #gradient} computes: the mean loss, and the gradient of each parameter by its dotted
     * name, in the model's order (zeros for a parameter no loss reached, as {@code Tensor.grad} gives).
     * The loss is kept apart from the gradients, so no parameter's name can clash with it.
     */
    public record Gradient(double loss, Map<String, Tensor> parameters) {
    }

    /** Each partition's rows as one batch (none for an empty partition); {@code sampled}: a step's sample. */
    private static JavaRDD<Batch> batches(JavaRDD<Example> examples, boolean sampled) {
        return examples.mapPartitionsWithIndex((Integer partition, Iterator<Example> rows) -> {
            Batch b = Batch.of(partition, rows, sampled);
            return (b == null ? List.<Batch>of() : List.of(b)).iterator();
        }, false);
    }

    private Sum gradient(JavaSparkContext sc, JavaRDD<Batch> batches) {
        Broadcast<byte[]> weights = sc.broadcast(parameterBytes());
        try {
            ModelFactory f = factory;
            LossFunction l = loss;
            int[] sizes = sizes();
            int step = steps;
            JavaPairRDD<Integer, Sum> level = batches.mapPartitionsWithIndex((Integer index, Iterator<Batch> it) -> {
                Sum sum = Sum.zero(sizes);
                while (it.hasNext()) {
                    Sum.add(sum, partial(f, l, weights.value(), it.next(), sizes, stream(step, index)));
                }
                return List.of(new Tuple2<>(index, sum)).iterator();
            }, false).mapToPair(t -> t);
            Sum total = sumInOrder(level, batches.getNumPartitions(), depth);
            return total != null ? total : Sum.zero(sizes); // an RDD of no partitions
        } finally {
            weights.destroy();
        }
    }

    /**
     * The sum of the partitions' sums, keyed by partition index, as a tree of at most {@code depth}
     * rounds like {@code treeAggregate}'s (groups of {@code f = max(2, ceil(n^(1/depth)))}
     * consecutive partitions while that saves a round), the last on the driver. Every group adds its
     * sums in index order: Spark's own aggregations add them in the order tasks finish, so a retried
     * or slow task could change the last bits of a gradient; here the same partitioning gives the
     * same bits. The price is memory: a group's reduce task holds its f sums at once, and the driver
     * holds the last round's sums that arrive before an earlier one (none if they come in order),
     * where {@code treeAggregate} keeps a running sum.
     */
    static Sum sumInOrder(JavaPairRDD<Integer, Sum> sums, int partitions, int depth) {
        int n = partitions;
        int fanout = Math.max((int) Math.ceil(Math.pow(n, 1.0 / depth)), 2);
        JavaPairRDD<Integer, Sum> level = sums;
        while (depth > 1 && n > fanout + (n + fanout - 1) / fanout) {
            n = (n + fanout - 1) / fanout;
            int f = fanout;
            level = level.mapToPair(t -> new Tuple2<>(t._1() / f, t)).groupByKey(n)
                    .mapValues(SparkTrainer::addInOrder);
        }
        // the last round on the driver: results are added as soon as every earlier one has come
        InOrder last = new InOrder(level.getNumPartitions());
        level.context().runJob(level.rdd(),
                (Function1<scala.collection.Iterator<Tuple2<Integer, Sum>>, Sum> & Serializable)
                        it -> addInOrder(() -> CollectionConverters.asJava(it)), // one sum per partition
                (Function2<Object, Sum, BoxedUnit>) (partition, sum) -> {
                    last.arrived((Integer) partition, sum);
                    return BoxedUnit.UNIT;
                },
                ClassTag$.MODULE$.apply(Sum.class));
        return last.total();
    }

    /**
     * The driver's side of the last round: partition i's sum is added once sums 0 to i - 1 have
     * been, so the order is fixed while only the sums that came early are held.
     */
    private static final class InOrder {
        private final Sum[] early;
        private final boolean[] came;
        private int next;
        private Sum total;

        InOrder(int partitions) {
            early = new Sum[partitions];
            came = new boolean[partitions];
        }

        synchronized void arrived(int partition, Sum sum) {
            early[partition] = sum;
            came[partition] = true;
            while (next < came.length && came[next]) {
                Sum s = early[next];
                early[next++] = null;
                if (s != null) {
                    total = total == null ? s : Sum.add(total, s);
                }
            }
        }

        /** The sum of every partition's, read on the driver once the job has ended; null for none. */
        synchronized Sum total() {
            return total;
        }
    }

    /** The sums of {@code group}, added in order of their keys; null for none. */
    private static Sum addInOrder(Iterable<Tuple2<Integer, Sum>> group) {
        List<Tuple2<Integer, Sum>> sorted = new ArrayList<>();
        group.forEach(sorted::add);
        sorted.sort(java.util.Comparator.comparingInt(Tuple2::_1));
        Sum total = null;
        for (Tuple2<Integer, Sum> t : sorted) {
            total = total == null ? t._2() : Sum.add(total, t._2());
        }
        return total;
    }

    /** A partition's examples as one batch: inputs (n, in) and targets (n) or (n, out), row-major. */
    record Batch(double[] inputs, double[] targets, int n, int in, int out) implements Serializable {
        static Batch of(int partition, Iterator<Example> rows, boolean sampled) {
            List<Example> list = new ArrayList<>();
            rows.forEachRemaining(list::add);
            if (list.isEmpty()) {
                return null;
            }
            String of = sampled ? " of the sample of partition " : " of partition "; // a sample's index is not the row's
            for (int i = 0; i < list.size(); i++) {
                if (list.get(i) == null) {
                    throw new IllegalArgumentException("SparkTrainer: example " + i + of + partition + " is null");
                }
            }
            int n = list.size();
            int in = list.get(0).input().length;
            int out = list.get(0).target().length;
            double[] x = new double[n * in];
            double[] y = new double[n * out];
            for (int i = 0; i < n; i++) {
                Example e = list.get(i);
                if (e.input().length != in || e.target().length != out) {
                    throw new IllegalArgumentException("SparkTrainer: example " + i + of + partition + " has "
                            + e.input().length + " inputs and " + e.target().length + " targets, the first had " + in
                            + " and " + out);
                }
                System.arraycopy(e.input(), 0, x, i * in, in);
                System.arraycopy(e.target(), 0, y, i * out, out);
            }
            return new Batch(x, y, n, in, out);
        }
    }

    /**
     * Refuses, before any job, a driver's model whose dtypes are not those of the factory's models
     * (converted after {@link #of}): the executors would compute in the factory's dtype.
     */
    private void checkDtypes() {
        for (Map.Entry<String, Tensor> e : model.namedTensors().entrySet()) {
            DType f = factoryDtypes.get(e.getKey());
            if (f != null && f != e.getValue().dtype()) {
                throw new IllegalStateException("SparkTrainer: the driver's model has '" + e.getKey() + "' of dtype "
                        + e.getValue().dtype() + ", but the model factory builds it in " + f + "; convert in the"
                        + " factory (its models, built on every executor, are what trains), not the driver's model");
            }
        }
    }

    /** The summed gradients divided by the number of examples, one tensor per parameter, in order. */
    private List<Tensor> means(Sum sum) {
        List<Tensor> params = model.parameters();
        List<Tensor> means = new ArrayList<>(params.size());
        for (int i = 0; i < params.size(); i++) {
            double[] g = sum.gradients[i];
            for (int k = 0; k < g.length; k++) {
                g[k] /= sum.count;
            }
            means.add(Tensor.of(g, params.get(i).shape()));
        }
        return means;
    }

    private int[] sizes() {
        List<Tensor> params = model.parameters();
        int[] sizes = new int[params.size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = params.get(i).numel();
        }
        return sizes;
    }

    private byte[] parameterBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            Npz.write(out, model.namedTensors());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * The seed of step {@code step}'s sample: seed and step mixed (murmur3's finaliser over seed times the
     * golden ratio plus step), so that runs of neighbouring seeds do not draw the same samples shifted by a
     * step, as seed + step did.
     */
    static long sampleSeed(long seed, int step) {
        long z = seed * 0x9E3779B97F4A7C15L + step;
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return z ^ (z >>> 33);
    }

    /**
     * The random stream of a partition's model at a step ({@link Module#randomStream}): never 0, and
     * different for every step and partition, so dropout layers draw new masks at every step and
     * different masks on every partition.
     */
    static long stream(int step, int partition) {
        return (long) (step + 1) << 32 | (partition & 0xFFFFFFFFL);
    }

    /** On an executor: one partition's batch, its loss and gradients weighted by its size. */
    static Sum partial(ModelFactory factory, LossFunction loss, byte[] weights, Batch batch, int[] sizes, long stream)
            throws IOException {
        Sum sum = Sum.zero(sizes);
        Module model = Objects.requireNonNull(factory.create(), "SparkTrainer: the model factory returned null on an"
                + " executor").randomStream(stream);
        Map<String, Tensor> saved = Npz.read(new ByteArrayInputStream(weights), Long.MAX_VALUE);
        Map<String, Tensor> own = model.namedTensors();
        // gradients go back by position: the executor's model must be the driver's, name for name, in order
        if (!List.copyOf(own.keySet()).equals(List.copyOf(saved.keySet()))) {
            throw new IllegalStateException("SparkTrainer: the model factory built on an executor a model with the"
                    + " parameters and buffers " + own.keySet() + ", but the driver's has " + saved.keySet()
                    + "; it must build the same model everywhere");
        }
        try (GradMode.Scope ignored = GradMode.disabled()) {
            for (Map.Entry<String, Tensor> e : own.entrySet()) {
                Tensor want = saved.get(e.getKey());
                if (e.getValue().dtype() != want.dtype()) { // copyFrom would convert: a run in another precision
                    throw new IllegalStateException("SparkTrainer: the model factory built on an executor '" + e.getKey()
                            + "' of dtype " + e.getValue().dtype() + ", but the driver's is " + want.dtype()
                            + "; it must build the same model everywhere (convert in the factory, not the driver's model)");
                }
                if (!Arrays.equals(e.getValue().shape(), want.shape())) {
                    throw new IllegalStateException("SparkTrainer: the model factory built on an executor '" + e.getKey()
                            + "' of shape " + Shapes.str(e.getValue().shape()) + ", but the driver's has shape "
                            + Shapes.str(want.shape()) + "; it must build the same model everywhere");
                }
                e.getValue().copyFrom(want);
                e.getValue().setGrad(null); // a factory handing out a used model must not add to its old gradients
            }
        }
        int n = batch.n();
        double[] x = batch.inputs();
        double[] y = batch.targets();
        int in = batch.in();
        int out = batch.out();
        Tensor targets = out == 1 ? Tensor.of(y) : Tensor.of(y, n, out);
        if (!model.isTraining()) { // as Trainer's epochs: a sub-module the factory set to eval() keeps its mode
            model.train();
        }
        Tensor l = Objects.requireNonNull(loss.apply(model, Tensor.of(x, n, in), targets),
                "SparkTrainer: the loss function returned null");
        if (l.size() != 1) {
            throw new IllegalStateException("SparkTrainer: the loss function returned a tensor of shape "
                    + Shapes.str(l.shape())
                    + "; it must return the batch's mean loss per example, one number"
                    + " (a loss with Reduction.MEAN)");
        }
        l.backward();
        Map<String, Tensor> buffers = model.namedBuffers();
        sum.buffers = new double[buffers.size()][];
        int b = 0;
        for (Tensor t : buffers.values()) {
            sum.buffers[b++] = t.toArray();
        }
        List<Tensor> params = model.parameters();
        for (int i = 0; i < params.size(); i++) {
            Tensor g = params.get(i).grad();
            if (g != null) {
                sum.reached[i] = true;
                double[] d = g.toArray();
                for (int k = 0; k < d.length; k++) {
                    sum.gradients[i][k] = d[k] * n;
                }
            }
        }
        sum.loss = l.item() * n;
        sum.count = n;
        return sum;
    }

    /**
     * A sum of count-weighted gradients and losses, merged in place by {@link #sumInOrder}, and which
     * parameters any backward pass reached (the others get no gradient, so the optimizer skips them).
     */
    static final class Sum implements Serializable {
        private static final long serialVersionUID = 3;
        final double[][] gradients;
        final boolean[] reached;
        double loss;
        long count;
        /** The buffers as the first partition's model left them, in the model's order; null before any. */
        double[][] buffers;

        private Sum(double[][] gradients) {
            this.gradients = gradients;
            this.reached = new boolean[gradients.length];
        }

        static Sum zero(int[] sizes) {
            double[][] g = new double[sizes.length][];
            for (int i = 0; i < sizes.length; i++) {
                g[i] = new double[sizes[i]];
            }
            return new Sum(g);
        }

        static Sum add(Sum a, Sum b) {
            for (int i = 0; i < a.gradients.length; i++) {
                double[] x = a.gradients[i];
                double[] y = b.gradients[i];
                for (int k = 0; k < x.length; k++) {
                    x[k] += y[k];
                }
                a.reached[i] |= b.reached[i];
            }
            a.loss += b.loss;
            a.count += b.count;
            if (a.buffers == null) { // a holds earlier partitions than b: the first one's buffers win
                a.buffers = b.buffers;
            }
            return a;
        }
    }

    /**
     * Saves a checkpoint ({@link Checkpoint}): the driver's model, optimizer state and steps taken, and
     * this trainer's {@link #miniBatch} and {@link #treeDepth} settings ({@code trainer.spark.*}), which
     * {@link #resume} checks: they decide the samples and the bits of the sums; and the number of
     * partitions the run last took a step on, which the first fit that steps after a resume compares
     * with its examples' (a warning if they differ: the run goes on, not bit for bit).
     */
    public void save(Path file) throws IOException {
        Map<String, Double> saved = settings();
        if (partitions > 0) {
            saved.put(PARTITIONS, (double) partitions);
        }
        Checkpoint.save(file, model, optimizer, steps, saved);
    }


    /**
     * Resumes from a checkpoint {@link #save} (or {@code Trainer.save}, for the same model) wrote; returns
     * this. Its mini-batch and tree settings, where saved, must be this trainer's: set them first. A
     * {@code Trainer}'s checkpoint counts epochs, so {@link #steps()} continues from its epochs.
     *
     * @throws IOException as {@link Checkpoint#load(Path, Module, Optimizer)}, and if the checkpoint's
     *     settings differ from this trainer's (nothing is changed then)
     */
    public SparkTrainer resume(Path file) throws IOException {
        Map<String, Double> own = settings();
        double[] trained = {0};
        steps = Checkpoint.load(file, model, optimizer, saved -> {
            own.forEach((name, v) -> {
                Double was = saved.get(name);
                if (was != null && was.doubleValue() != v) {
                    throw new IllegalArgumentException("entry '" + name + "' is " + was + ", but this trainer's is " + v
                            + ": the run used other settings (set miniBatch and treeDepth as it did before resume)");
                }
            });
            trained[0] = saved.getOrDefault(PARTITIONS, 0.0);
        });
        double t = trained[0]; // a count, or unknown (older checkpoints, a damaged entry): no warning then
        resumedPartitions = t >= 1 && t <= Integer.MAX_VALUE && t == Math.rint(t) ? (int) t : 0;
        partitions = resumedPartitions; // saved again before any fit: still the run's
        return this;
    }

    /**
     * The settings a checkpoint records: the seed, where a sample is drawn (a fraction below 1), as its
     * two 32-bit halves, each a double exactly.
     */
    private Map<String, Double> settings() {
        Map<String, Double> s = new java.util.LinkedHashMap<>();
        s.put("trainer.spark.mini_batch_fraction", miniBatchFraction);
        if (miniBatchFraction < 1) {
            s.put("trainer.spark.mini_batch_seed_high", (double) (seed >> 32));
            s.put("trainer.spark.mini_batch_seed_low", (double) (seed & 0xFFFFFFFFL));
        }
        s.put("trainer.spark.tree_depth", (double) depth);
        return s;
    }
}
