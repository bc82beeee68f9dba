package io.github.jgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.nn.Activation;
import io.github.jgrad.nn.Adam;
import io.github.jgrad.nn.Dropout;
import io.github.jgrad.nn.Loss;
import io.github.jgrad.nn.Module;
import io.github.jgrad.nn.Optimizer;
import io.github.jgrad.nn.SGD;
import io.github.jgrad.nn.Sequential;
import io.github.jgrad.spark.SparkTrainer.Example;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** On Spark's real local mode, two worker threads and a task retry allowed: no mocks. */
class SparkTrainerTest {
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        sc = new JavaSparkContext(new SparkConf().setMaster("local[2,2]").setAppName("jgrad-spark-test")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"));
    }

    @AfterAll
    static void stop() {
        sc.close();
    }

    static final int N = 60;
    static final Tensor X = Tensor.randn(new SplittableRandom(8), N, 3);
    static final Tensor Y = X.matmul(Tensor.of(new double[] {1, -2, 0.5})).gt(0);

    private static List<Example> examples() {
        List<Example> list = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            list.add(new Example(new double[] {X.get(i, 0), X.get(i, 1), X.get(i, 2)}, new double[] {Y.get(i)}));
        }
        return list;
    }

    private static Module model() {
        return Sequential.mlp(4, Activation.tanh(), 3, 8, 2);
    }

    private static Tensor loss(Module m, Tensor x, Tensor y) {
        return Loss.crossEntropy(m.forward(x), y);
    }

    @Test
    void anyPartitioningGivesTheFullBatchGradient() {
        SparkTrainer trainer = SparkTrainer.of(SparkTrainerTest::model, p -> SGD.of(p, 0.1), SparkTrainerTest::loss);
        Module local = model();
        Tensor l = loss(local, X, Y);
        l.backward();
        for (int partitions : new int[] {1, 2, 3, 7}) {
            SparkTrainer.Gradient g = trainer.gradient(sc.parallelize(examples(), partitions));
            assertEquals(l.item(), g.loss(), 1e-12, partitions + " partitions: loss");
            local.namedParameters().forEach((name, p) -> assertArrayEquals(p.grad().toArray(), g.parameters().get(name).toArray(),
                    1e-12, partitions + " partitions: " + name));
        }
    }

    private static List<Double> localSteps(Module m, Optimizer opt, int steps) {
        List<Double> losses = new ArrayList<>();
        for (int s = 0; s < steps; s++) {
            opt.zeroGrad();
            Tensor l = loss(m, X, Y);
            l.backward();
            opt.step();
            losses.add(l.item());
        }
        return losses;
    }

    @Test
    void onePartitionTrainsAsLocalFullBatchTraining() {
        SparkTrainer trainer = SparkTrainer.of(SparkTrainerTest::model, p -> Adam.of(p, 0.05), SparkTrainerTest::loss);
        List<Double> spark = trainer.fit(sc.parallelize(examples(), 1), 15);
        Module local = model();
        List<Double> losses = localSteps(local, Adam.of(local.parameters(), 0.05), 15);
        for (int s = 0; s < 15; s++) {
            assertEquals(losses.get(s), spark.get(s), 1e-12, "loss before step " + s);
        }
        local.namedParameters().forEach((name, p) -> assertArrayEquals(p.toArray(),
                trainer.model().namedParameters().get(name).toArray(), 1e-12, name));
        assertTrue(spark.get(14) < spark.get(0), "it learns: " + spark);
    }

    private static Module twoLayers() {
        return Sequential.of(io.github.jgrad.nn.Linear.of(3, 2, 4), io.github.jgrad.nn.Linear.of(2, 2, 5));
    }

    private static Tensor firstLayerLoss(Module m, Tensor x, Tensor y) { // the second layer gets no gradient
        return Loss.crossEntropy(((Sequential) m).get(0).forward(x), y);
    }

    @Test
    void aParameterNoPartitionReachesIsLeftAloneAsLocally() { // found by a probe: it got zeros, then decay and momentum
        SparkTrainer trainer = SparkTrainer.of(SparkTrainerTest::twoLayers, p -> SGD.of(p, 0.1, 0.9, 0.1, false),
                SparkTrainerTest::firstLayerLoss);
        trainer.fit(sc.parallelize(examples(), 2), 3);
        Module local = twoLayers();
        Optimizer opt = SGD.of(local.parameters(), 0.1, 0.9, 0.1, false);
        for (int s = 0; s < 3; s++) {
            opt.zeroGrad();
            firstLayerLoss(local, X, Y).backward();
            opt.step();
        }
        Module untouched = twoLayers();
        local.namedParameters().forEach((name, p) -> assertArrayEquals(p.toArray(),
                trainer.model().namedParameters().get(name).toArray(), 1e-12, name));
        assertArrayEquals(untouched.namedParameters().get("1.weight").toArray(),
                trainer.model().namedParameters().get("1.weight").toArray(), 0, "the unused layer is as it was");
    }

    /** Scales its input by a buffer; with {@code update}, also adds 1 to the buffer in every training forward. */
    static final class Scale extends Module {
        final Tensor factor = registerBuffer("factor", Tensor.scalar(1));
        private final boolean update;

        Scale(boolean update) {
            this.update = update;
        }

        @Override
        public Tensor forward(Tensor x) {
            if (update && isTraining()) {
                factor.copyFrom(factor.add(1));
            }
            return x.mul(factor);
        }
    }

    private static Module scaled() {
        return Sequential.of(new Scale(false), io.github.jgrad.nn.Linear.of(3, 2, 4));
    }

    private static Module scaledUpdating() {
        return Sequential.of(new Scale(true), io.github.jgrad.nn.Linear.of(3, 2, 4));
    }

    @Test
    void buffersReachTheExecutorsAndComeBackFromTheFirstPartition() {
        SparkTrainer trainer = SparkTrainer.of(SparkTrainerTest::scaled, p -> SGD.of(p, 0.1), SparkTrainerTest::loss);
        trainer.model().namedBuffers().get("0.factor").copyFrom(Tensor.scalar(3)); // the executors build it as 1
        Module local = scaled();
        local.namedBuffers().get("0.factor").copyFrom(Tensor.scalar(3));
        Tensor l = loss(local, X, Y);
        l.backward();
        SparkTrainer.Gradient g = trainer.gradient(sc.parallelize(examples(), 2));
        assertEquals(l.item(), g.loss(), 1e-12);
        local.namedParameters().forEach((name, p) -> assertArrayEquals(p.grad().toArray(),
                g.parameters().get(name).toArray(), 1e-12, name));
        assertEquals(3, trainer.model().namedBuffers().get("0.factor").item(), 0, "gradient() changes nothing");

        // a layer that updates its buffer in training: the driver takes the first partition's, every step
        // (executors' changes were dropped, silently, and then refused)
        SparkTrainer updating = SparkTrainer.of(SparkTrainerTest::scaledUpdating, p -> SGD.of(p, 0.1),
                SparkTrainerTest::loss);
        List<Double> spark = updating.fit(sc.parallelize(examples(), 1), 3);
        Module one = scaledUpdating();
        List<Double> losses = localSteps(one, SGD.of(one.parameters(), 0.1), 3);
        assertEquals(4, updating.model().namedBuffers().get("0.factor").item(), 0, "1, then one update per step");
        for (int s = 0; s < 3; s++) {
            assertEquals(losses.get(s), spark.get(s), 1e-12, "one partition trains as one machine: step " + s);
        }
        updating.fit(sc.parallelize(examples(), 3), 2);
        assertEquals(6, updating.model().namedBuffers().get("0.factor").item(), 0, "three partitions: one update");
    }

    static final Module SHARED = model();

    private static Module differentOnExecutors() {
        return org.apache.spark.TaskContext.get() == null ? model() : Sequential.mlp(4, Activation.tanh(), 3, 8, 8, 2);
    }

    private static Module float32OnExecutors() {
        return org.apache.spark.TaskContext.get() == null ? model() : model().to(io.github.jgrad.autodiff.DType.FLOAT32);
    }

    private static Module reorderedOnExecutors() { // the same names and shapes, registered in another order
        return org.apache.spark.TaskContext.get() == null ? new Pair(false) : new Pair(true);
    }

    static final class Pair extends Module {
        Pair(boolean swapped) {
            register(swapped ? "b" : "a", Tensor.zeros(3, 2));
            register(swapped ? "a" : "b", Tensor.zeros(3, 2));
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.matmul(namedParameters().get("a")).add(x.matmul(namedParameters().get("b")).mul(3));
        }
    }

    @Test
    void aModelOrOptimizerTheExecutorsCannotMatchIsRefused() { // each trained silently wrong (a probe)
        Object notSerializable = new Object();
        IllegalArgumentException captured = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SparkTrainer.of(() -> notSerializable.hashCode() == 0 ? model() : model(), p -> SGD.of(p, 0.1),
                        SparkTrainerTest::loss));
        assertTrue(captured.getMessage().startsWith("SparkTrainer.of: the model factory is not serializable: it holds a"
                + " java.lang.Object"), captured.getMessage());
        IllegalArgumentException shared = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SparkTrainer.of(() -> SHARED, p -> SGD.of(p, 0.1), SparkTrainerTest::loss));
        assertTrue(shared.getMessage().contains("returned the same model twice"), shared.getMessage());
        IllegalArgumentException around = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SparkTrainer.of(() -> Sequential.of(SHARED), p -> SGD.of(p, 0.1), SparkTrainerTest::loss));
        assertTrue(around.getMessage().contains("the model factory's models share the tensor '0.0.weight'"),
                around.getMessage());
        IllegalArgumentException foreign = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SparkTrainer.of(SparkTrainerTest::model, p -> SGD.of(List.of(Tensor.zeros(3).requiresGrad(true)), 0.1),
                        SparkTrainerTest::loss));
        assertTrue(foreign.getMessage().contains("updates a tensor of shape (3) that is not one of the model's"),
                foreign.getMessage());
        // a probe's: a sub-module without tensors, shared (a static Dropout), made two identical fits differ
        IllegalArgumentException sharedModule = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SparkTrainer.of(() -> Sequential.of(io.github.jgrad.nn.Linear.of(3, 2, 4), SHARED_DROPOUT),
                        p -> SGD.of(p, 0.1), SparkTrainerTest::loss));
        assertTrue(sharedModule.getMessage().startsWith("SparkTrainer.of: the model factory's models share the sub-module"
                + " Dropout"), sharedModule.getMessage());
        // a shared activation holds nothing: harmless, and accepted (a review found it refused)
        SparkTrainer.of(() -> Sequential.of(io.github.jgrad.nn.Linear.of(3, 2, 4), SHARED_TANH), p -> SGD.of(p, 0.1),
                SparkTrainerTest::loss);
        NullPointerException none = org.junit.jupiter.api.Assertions.assertThrows(NullPointerException.class,
                () -> SparkTrainer.of(SparkTrainerTest::model, p -> null, SparkTrainerTest::loss));
        assertEquals("SparkTrainer.of: the optimizer factory returned null", none.getMessage());

        for (SparkTrainer.ModelFactory f : List.<SparkTrainer.ModelFactory>of(SparkTrainerTest::differentOnExecutors,
                SparkTrainerTest::reorderedOnExecutors)) {
            SparkTrainer t = SparkTrainer.of(f, p -> SGD.of(p, 0.1), SparkTrainerTest::loss);
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                    () -> t.fit(sc.parallelize(examples(), 2), 1));
            assertTrue(e.getMessage().contains("SparkTrainer: the model factory built on an executor a model with the"
                    + " parameters and buffers ["), e.getMessage());
        }
        // a probe's: the driver's model converted after of() trained in float64 on the executors, silently
        SparkTrainer converted = SparkTrainer.of(SparkTrainerTest::model, p -> SGD.of(p, 0.1), SparkTrainerTest::loss);
        converted.model().to(io.github.jgrad.autodiff.DType.FLOAT32);
        IllegalStateException early = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> converted.fit(sc.parallelize(examples(), 2), 1)); // on the driver, before any job
        assertTrue(early.getMessage().startsWith("SparkTrainer: the driver's model has '0.weight' of dtype float32, but"
                + " the model factory builds it in float64"), early.getMessage());
        SparkTrainer onExecutors = SparkTrainer.of(SparkTrainerTest::float32OnExecutors, p -> SGD.of(p, 0.1),
                SparkTrainerTest::loss);
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                () -> onExecutors.fit(sc.parallelize(examples(), 2), 1));
        assertTrue(e.getMessage().contains("SparkTrainer: the model factory built on an executor '0.weight' of dtype"
                + " float32, but the driver's is float64"), e.getMessage());
        // and a loss that is not one number, or none, is named as Trainer names it
        for (LossCase c : List.of(new LossCase(SparkTrainerTest::noLoss, "SparkTrainer: the loss function returned null"),
                new LossCase(SparkTrainerTest::perExample, "SparkTrainer: the loss function returned a tensor of shape (30)"))) {
            SparkTrainer t = SparkTrainer.of(SparkTrainerTest::model, p -> SGD.of(p, 0.1), c.loss());
            Exception l = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                    () -> t.fit(sc.parallelize(examples(), 2), 1));
            assertTrue(l.getMessage().contains(c.message()), l.getMessage());
        }
    }

    static final Dropout SHARED_DROPOUT = Dropout.of(0.5, 9);
    static final Activation SHARED_TANH = Activation.tanh();

    private record LossCase(SparkTrainer.LossFunction loss, String message) {
    }

    private static Tensor noLoss(Module m, Tensor x, Tensor y) {
        return null;
    }

    private static Tensor perExample(Module m, Tensor x, Tensor y) {
        return Loss.crossEntropy(m.forward(x), y, io.github.jgrad.nn.Reduction.NONE);
    }

    @Test
    void aBadExampleIsNamedWithItsPartition() { // a null row was the JVM's NPE naming internals
        List<Example> rows = new ArrayList<>(examples().subList(0, 4));
        rows.set(3, null);
        SparkTrainer t = SparkTrainer.of(SparkTrainerTest::model, p -> SGD.of(p, 0.1), SparkTrainerTest::loss);
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> t.fit(sc.parallelize(rows, 2), 1));
        assertTrue(e.getMessage().contains("SparkTrainer: example 1 of partition 1 is null"), e.getMessage());
        rows.set(3, new Example(new double[] {1, 2}, new double[] {0}));
        Exception w = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> t.fit(sc.parallelize(rows, 2), 1));
        assertTrue(w.getMessage().contains("SparkTrainer: example 1 of partition 1 has 2 inputs and 1 targets, the first"
                + " had 3 and 1"), w.getMessage());
    }

    @Test
    void miniBatchSamplesRepeatAndNeighbouringSeedsDrawOthers() { // seed + step: seed 8 drew seed 7's, a step on
        List<List<Double>> runs = new ArrayList<>();
        for (long seed : new long[] {7, 7, 8}) {
            runs.add(SparkTrainer.of(SparkTrainerTest::model, p -> SGD.of(p, 0), SparkTrainerTest::loss)
                    .miniBatch(0.3, seed).fit(sc.parallelize(examples(), 2), 4));
        }
        assertEquals(runs.get(0), runs.get(1), "a seed repeats its samples");
        assertTrue(!runs.get(0).subList(1, 4).equals(runs.get(2).subList(0, 3)), runs.toString());
        assertTrue(new java.util.HashSet<>(runs.get(0)).size() == 4, "each step a new sample: " + runs.get(0));
    }

    @Test
    void anEmptySampleSkipsItsStepAsMllibDoes() { // a probe's: it threw, and a resumed run threw at that step forever
        List<Example> few = examples().subList(0, 6);
        SparkTrainer sampled = SparkTrainer.of(SparkTrainerTest::model, p -> SGD.of(p, 0.1), SparkTrainerTest::loss)
                .miniBatch(0.1, 5);
        List<Double> losses = sampled.fit(sc.parallelize(few, 3), 12);
        assertEquals(12, losses.size());
        assertEquals(12, sampled.steps(), "every step counted, skipped ones too");
        int skipped = 0;
        for (double l : losses) {
            skipped += Double.isNaN(l) ? 1 : 0;
        }
        assertTrue(skipped > 0 && skipped < 12, "some samples of 10% of 6 rows are empty, some not: " + losses);
        assertEquals(12 - skipped, sampled.optimizer().steps(), "an empty sample updates nothing");
        // but no examples at all is an error, sampled or not (a review: it gave NaN losses, silently)
        SparkTrainer none = SparkTrainer.of(SparkTrainerTest::model, p -> SGD.of(p, 0.1), SparkTrainerTest::loss)
                .miniBatch(0.5, 1);
        IllegalArgumentException e0 = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> none.fit(sc.parallelize(new ArrayList<Example>(), 2), 3));
        assertEquals("SparkTrainer.fit: step 0 has no examples", e0.getMessage());
        // a null row in a sample is named as the sample's, whose index is not the row's
        List<Example> rows = new ArrayList<>(examples());
        rows.set(29, null);
        SparkTrainer t = SparkTrainer.of(SparkTrainerTest::model, p -> SGD.of(p, 0.1), SparkTrainerTest::loss)
                .miniBatch(0.5, 3);
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> t.fit(sc.parallelize(rows, 1), 3));
        assertTrue(e.getMessage().matches("(?s).*SparkTrainer: example \\d+ of the sample of partition 0 is null.*"),
                e.getMessage());
    }

    private static Module dropoutModel() {
        return Sequential.of(io.github.jgrad.nn.Linear.of(3, 16, 4), Activation.relu(), Dropout.of(0.5, 9),
                io.github.jgrad.nn.Linear.of(16, 2, 5));
    }

    private static Module frozenDropoutModel() {
        Dropout off = Dropout.of(0.5, 9);
        Module m = Sequential.of(io.github.jgrad.nn.Linear.of(3, 16, 4), Activation.relu(), off,
                io.github.jgrad.nn.Linear.of(16, 2, 5));
        off.eval();                                                  // frozen: the factory says so
        return m;
    }

    @Test
    void aSubModuleTheFactorySetsToEvalStaysSo() { // as Trainer's epochs since b3947d8: train() turned it on
        SparkTrainer trainer = SparkTrainer.of(SparkTrainerTest::frozenDropoutModel, p -> SGD.of(p, 0.1),
                SparkTrainerTest::loss);
        List<Double> spark = trainer.fit(sc.parallelize(examples(), 1), 3);
        Module local = frozenDropoutModel();
        List<Double> losses = localSteps(local, SGD.of(local.parameters(), 0.1), 3);
        for (int s = 0; s < 3; s++) {
            assertEquals(losses.get(s), spark.get(s), 1e-12, "loss before step " + s + ": no dropout drawn");
        }
    }

    @Test
    void dropoutDrawsNewMasksEveryStepAndOnEveryPartition() {
        SparkTrainer trainer = SparkTrainer.of(SparkTrainerTest::dropoutModel, p -> SGD.of(p, 0), SparkTrainerTest::loss);
        JavaRDD<Example> one = sc.parallelize(examples(), 1);
        // with learning rate 0 the parameters stay put: only the masks can change the loss
        List<Double> losses = trainer.fit(one, 3);
        assertTrue(!losses.get(0).equals(losses.get(1)) && !losses.get(1).equals(losses.get(2)),
                "a new mask at every step: " + losses);
        // the same step's gradient is reproducible: the stream is a function of step and partition
        SparkTrainer.Gradient g1 = trainer.gradient(one);
        SparkTrainer.Gradient g2 = trainer.gradient(one);
        assertEquals(g1.loss(), g2.loss(), 0);
        // two partitions holding the same rows draw different masks
        List<Example> twice = new ArrayList<>(examples());
        twice.addAll(examples());
        SparkTrainer.Gradient halves = trainer.gradient(sc.parallelize(twice, 2));
        assertTrue(halves.loss() != g1.loss(),
                "the mean over two partitions of the same rows is not one partition's loss");
        assertTrue(SparkTrainer.stream(0, 0) != 0 && SparkTrainer.stream(0, 1) != SparkTrainer.stream(1, 0)
                && SparkTrainer.stream(5, 3) != SparkTrainer.stream(3, 5));
    }

    /** 0: no delay; 1 and 2: each partition's task sleeps a time set by its rows, in two opposite orders. */
    static volatile int delays;

    private static Tensor delayedLoss(Module m, Tensor x, Tensor y) {
        int ms = (int) (Math.abs(x.get(0, 0)) * 997) % 40;
        try {
            Thread.sleep(delays == 0 ? 0 : delays == 1 ? ms : 40 - ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return loss(m, x, y);
    }

    @Test
    void theGradientIsTheSameBitsWhicheverTaskFinishesFirst() {
        // Spark's own aggregations add partitions' results as their tasks finish: the last bits then
        // depend on timing (found as a flaky retry test). The sum here is in partition order.
        // 27 partitions: depth 3 sums in two rounds on executors (27 -> 9 -> 3), depth 2 in one
        JavaRDD<Example> rdd = sc.parallelize(examples(), 27);
        Module local = model();
        Tensor l = loss(local, X, Y);
        l.backward();
        for (int depth : new int[] {1, 2, 3}) {
            SparkTrainer trainer = SparkTrainer.of(SparkTrainerTest::model, p -> SGD.of(p, 0.1),
                    SparkTrainerTest::delayedLoss).treeDepth(depth);
            List<double[]> runs = new ArrayList<>();
            for (int mode = 0; mode < 3; mode++) {
                delays = mode;
                SparkTrainer.Gradient g = trainer.gradient(rdd);
                List<Double> flat = new ArrayList<>(List.of(g.loss()));
                g.parameters().values().forEach(t -> {
                    for (double v : t.toArray()) {
                        flat.add(v);
                    }
                });
                runs.add(flat.stream().mapToDouble(Double::doubleValue).toArray());
            }
            delays = 0;
            SparkTrainer.Gradient g = trainer.gradient(rdd);
            int d = depth;
            local.namedParameters().forEach((name, p) -> assertArrayEquals(p.grad().toArray(), g.parameters().get(name).toArray(),
                    1e-12, "depth " + d + ": " + name));
            assertArrayEquals(runs.get(0), runs.get(1), 0, "depth " + depth + ", one order of finishing");
            assertArrayEquals(runs.get(0), runs.get(2), 0, "depth " + depth + ", the opposite order");
        }
    }

    /** Fails the first task that computes a gradient, once per JVM: Spark must retry it. */
    static final AtomicInteger FAILURES = new AtomicInteger();

    private static Tensor failingOnce(Module m, Tensor x, Tensor y) {
        if (FAILURES.getAndIncrement() == 0) {
            throw new IllegalStateException("injected executor failure");
        }
        return loss(m, x, y);
    }

    @Test
    void aTaskThatFailsOnceIsRetriedAndTheResultIsUnchanged() {
        List<Double> clean = SparkTrainer.of(SparkTrainerTest::model, p -> Adam.of(p, 0.05), SparkTrainerTest::loss)
                .fit(sc.parallelize(examples(), 3), 4);
        FAILURES.set(0);
        SparkTrainer retried = SparkTrainer.of(SparkTrainerTest::model, p -> Adam.of(p, 0.05),
                SparkTrainerTest::failingOnce);
        List<Double> after = retried.fit(sc.parallelize(examples(), 3), 4);
        assertTrue(FAILURES.get() > 12, "the failure was injected and the task run again: " + FAILURES.get());
        assertEquals(clean, after);
    }

    @Test
    void theDigitsExampleLearnsOnTwoPartitions() {
        SparkDigits.Result r = SparkDigits.train(sc, 2);
        assertTrue(r.losses().get(SparkDigits.STEPS - 1) < 0.1 * r.losses().get(0), r.losses().toString());
        assertTrue(r.testAccuracy() >= 0.95, "test accuracy " + r.testAccuracy());
    }

    @Test
    void aCheckpointResumesTheRun(@TempDir Path dir) throws IOException {
        JavaRDD<Example> data = sc.parallelize(examples(), 2);
        SparkTrainer straight = SparkTrainer.of(SparkTrainerTest::model, p -> Adam.of(p, 0.05), SparkTrainerTest::loss);
        List<Double> ten = straight.fit(data, 10);
        SparkTrainer first = SparkTrainer.of(SparkTrainerTest::model, p -> Adam.of(p, 0.05), SparkTrainerTest::loss);
        first.fit(data, 5);
        first.save(dir.resolve("run.npz"));
        SparkTrainer resumed = SparkTrainer.of(SparkTrainerTest::model, p -> Adam.of(p, 0.05), SparkTrainerTest::loss)
                .resume(dir.resolve("run.npz"));
        assertEquals(5, resumed.steps());
        assertEquals(ten.subList(5, 10), resumed.fit(data, 5));
        straight.model().namedParameters().forEach((name, p) -> assertArrayEquals(p.toArray(),
                resumed.model().namedParameters().get(name).toArray(), 0, name));
    }

    @Test
    void aResumedRunOnOtherPartitionsIsWarnedAbout(@TempDir Path dir) throws IOException {
        // the partitioning decides the sums' bits: a run resumed on other partitions went on silently
        SparkTrainer first = SparkTrainer.of(SparkTrainerTest::model, p -> Adam.of(p, 0.05), SparkTrainerTest::loss);
        first.fit(sc.parallelize(examples(), 2), 2);
        first.save(dir.resolve("run.npz"));
        List<String> warnings = new java.util.ArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger("io.github.jgrad");
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                warnings.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(h);
        try {
            SparkTrainer.of(SparkTrainerTest::model, p -> Adam.of(p, 0.05), SparkTrainerTest::loss)
                    .resume(dir.resolve("run.npz")).fit(sc.parallelize(examples(), 2), 1);
            assertEquals(List.of(), warnings, "the same partitions");
            SparkTrainer other = SparkTrainer.of(SparkTrainerTest::model, p -> Adam.of(p, 0.05), SparkTrainerTest::loss)
                    .resume(dir.resolve("run.npz"));
            other.fit(sc.parallelize(examples(), 3), 0);        // no step: not told, nothing recorded
            other.save(dir.resolve("again.npz"));               // saved before any step: still the run's 2
            other.fit(sc.parallelize(examples(), 3), 1);
            other.fit(sc.parallelize(examples(), 3), 1);        // told once, at the first fit that steps
            assertEquals(List.of("SparkTrainer: the run resumed was trained on 2 partitions, these examples have 3: it"
                    + " goes on, but not as the run that saved it would have (the sums and dropout masks follow the"
                    + " partitioning)"), warnings);
        } finally {
            log.removeHandler(h);
        }
        assertEquals(2.0, io.github.jgrad.nn.Npz.load(dir.resolve("run.npz")).get("trainer.spark.partitions").item());
        assertEquals(2.0, io.github.jgrad.nn.Npz.load(dir.resolve("again.npz")).get("trainer.spark.partitions").item(),
                "a resumed trainer saved before a step keeps the run's count (a review)");
    }

    @Test
    void aResumedRunMustSampleAsTheSavedOne(@TempDir Path dir) throws IOException { // it went on full batch, silently
        JavaRDD<Example> data = sc.parallelize(examples(), 2);
        SparkTrainer straight = SparkTrainer.of(SparkTrainerTest::model, p -> SGD.of(p, 0.1), SparkTrainerTest::loss)
                .miniBatch(0.5, -0x1234_5678_9ABCL);
        List<Double> six = straight.fit(data, 6);
        SparkTrainer first = SparkTrainer.of(SparkTrainerTest::model, p -> SGD.of(p, 0.1), SparkTrainerTest::loss)
                .miniBatch(0.5, -0x1234_5678_9ABCL);
        first.fit(data, 3);
        first.save(dir.resolve("run.npz"));
        SparkTrainer plain = SparkTrainer.of(SparkTrainerTest::model, p -> SGD.of(p, 0.1), SparkTrainerTest::loss);
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> plain.resume(dir.resolve("run.npz")));
        assertTrue(e.getMessage().contains("entry 'trainer.spark.mini_batch_fraction' is 0.5, but this trainer's is 1.0"),
                e.getMessage());
        assertEquals(0, plain.steps(), "nothing changed");
        SparkTrainer otherSeed = SparkTrainer.of(SparkTrainerTest::model, p -> SGD.of(p, 0.1), SparkTrainerTest::loss)
                .miniBatch(0.5, -0x1234_5678_9ABBL);
        org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> otherSeed.resume(dir.resolve("run.npz")));
        SparkTrainer resumed = SparkTrainer.of(SparkTrainerTest::model, p -> SGD.of(p, 0.1), SparkTrainerTest::loss)
                .miniBatch(0.5, -0x1234_5678_9ABCL).resume(dir.resolve("run.npz"));
        assertEquals(six.subList(3, 6), resumed.fit(data, 3));
        Module m = model(); // a local loop resumes the same file, and has no use for Spark's settings
        io.github.jgrad.nn.Trainer local = io.github.jgrad.nn.Trainer.of(m, SGD.of(m.parameters(), 0.1),
                (x, y) -> Loss.crossEntropy(m.forward(x), y)).resume(dir.resolve("run.npz"));
        assertEquals(3, local.epochs());
        SparkTrainer full = SparkTrainer.of(SparkTrainerTest::model, p -> SGD.of(p, 0.1), SparkTrainerTest::loss)
                .miniBatch(1, 7); // a seed full batch never uses: it was refused by a trainer of another one
        full.fit(data, 1);
        full.save(dir.resolve("full.npz"));
        assertEquals(1, SparkTrainer.of(SparkTrainerTest::model, p -> SGD.of(p, 0.1), SparkTrainerTest::loss)
                .resume(dir.resolve("full.npz")).steps());
    }
}
