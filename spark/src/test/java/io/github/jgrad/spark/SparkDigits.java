package io.github.jgrad.spark;

import io.github.jgrad.autodiff.GradMode;
import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.examples.Digits;
import io.github.jgrad.nn.Activation;
import io.github.jgrad.nn.Adam;
import io.github.jgrad.nn.Loss;
import io.github.jgrad.nn.Metrics;
import io.github.jgrad.nn.Module;
import io.github.jgrad.nn.Sequential;
import io.github.jgrad.spark.SparkTrainer.Example;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The handwritten digits example of {@code jgrad-examples}, trained on Spark: the same split and
 * model, full-batch Adam steps whose gradients the partitions compute. Runs on {@code local[*]}
 * unless a master is given (as {@code spark-submit --master ...} sets it).
 */
public final class SparkDigits {
    static final int STEPS = 150;

    private SparkDigits() {
    }

    static Module model() {
        return Sequential.mlp(5, Activation.relu(), 64, 128, 10);
    }

    static Tensor loss(Module m, Tensor x, Tensor y) {
        return Loss.crossEntropy(m.forward(x), y);
    }

    /** The rows of {@code data} as examples: 64 pixels, and the digit as the target. */
    static List<Example> examples(Digits.Data data) {
        List<Example> list = new ArrayList<>();
        int n = data.images().shape(0);
        double[] x = data.images().toArray();
        double[] y = data.digits().toArray();
        for (int i = 0; i < n; i++) {
            list.add(new Example(java.util.Arrays.copyOfRange(x, i * 64, i * 64 + 64), new double[] {y[i]}));
        }
        return list;
    }

    /** The trainer after {@link #STEPS} steps on {@code partitions} partitions, and its test accuracy. */
    record Result(SparkTrainer trainer, List<Double> losses, double testAccuracy) {
    }

    static Result train(JavaSparkContext sc, int partitions) {
        Digits.Split split = Digits.split();
        JavaRDD<Example> train = sc.parallelize(examples(split.train()), partitions).cache();
        SparkTrainer trainer = SparkTrainer.of(SparkDigits::model, p -> Adam.of(p, 0.01), SparkDigits::loss);
        List<Double> losses = trainer.fit(train, STEPS);
        try (GradMode.Scope ignored = GradMode.disabled()) {
            Tensor logits = trainer.model().eval().forward(split.test().images());
            return new Result(trainer, losses, Metrics.accuracy(logits, split.test().digits()));
        }
    }

    /** Trains on {@code local[*]} (or the master spark-submit sets) and prints the loss and the test accuracy. */
    public static void main(String[] args) {
        SparkConf conf = new SparkConf().setAppName("jgrad digits").set("spark.ui.enabled", "false");
        if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            long t0 = System.nanoTime();
            Result r = train(sc, sc.defaultParallelism());
            System.out.printf(Locale.ROOT, "digits on Spark (%s, %d partitions): loss %.4f -> %.4f in %d full-batch"
                    + " Adam steps, test accuracy %.1f%% (%.1f s)%n", sc.master(), sc.defaultParallelism(),
                    r.losses().get(0), r.losses().get(STEPS - 1), STEPS, 100 * r.testAccuracy(),
                    (System.nanoTime() - t0) / 1e9);
        }
    }
}
