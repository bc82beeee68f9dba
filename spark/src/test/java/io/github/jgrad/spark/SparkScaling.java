package io.github.jgrad.spark;

import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.nn.Adam;
import io.github.jgrad.nn.Module;
import io.github.jgrad.nn.Optimizer;
import io.github.jgrad.spark.SparkTrainer.Example;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Measures what docs/spark.md reports: Spark's latency per job, and the time per full-batch step of
 * the digits model (64-128-10) on {@code rows} synthetic examples against the number of partitions,
 * beside the same step without Spark. Arguments: master (default local[2]), rows (default 20000).
 */
public final class SparkScaling {
    private SparkScaling() {
    }

    public static void main(String[] args) {
        String master = args.length > 0 ? args[0] : "local[2]";
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        Tensor x = Tensor.randn(new SplittableRandom(1), rows, 64);
        Tensor y = x.slice(1, 0, 1).reshape(rows).gt(0).mul(3);       // classes 0 and 3: learnable
        List<Example> examples = new ArrayList<>();
        double[] xd = x.toArray();
        double[] yd = y.toArray();
        for (int i = 0; i < rows; i++) {
            examples.add(new Example(java.util.Arrays.copyOfRange(xd, i * 64, i * 64 + 64), new double[] {yd[i]}));
        }
        // without Spark: the same full-batch step in one JVM
        Module local = SparkDigits.model();
        Optimizer opt = Adam.of(local.parameters(), 0.01);
        double localMs = 0;
        for (int s = 0; s < 40; s++) {
            long t0 = System.nanoTime();
            opt.zeroGrad();
            SparkDigits.loss(local, x, y).backward();
            opt.step();
            localMs = s >= 20 ? localMs + (System.nanoTime() - t0) / 1e6 / 20 : 0;
        }
        System.out.printf(Locale.ROOT, "rows %d, parameters %d; without Spark: %.1f ms per step%n", rows,
                local.parameterCount(), localMs);
        try (JavaSparkContext sc = new JavaSparkContext(new SparkConf().setMaster(master).setAppName("scaling")
                .set("spark.ui.enabled", "false"))) {
            JavaRDD<Integer> tiny = sc.parallelize(List.of(1, 2), 2);
            for (int i = 0; i < 20; i++) {
                tiny.treeAggregate(0, Integer::sum, Integer::sum, 2);
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < 50; i++) {
                tiny.treeAggregate(0, Integer::sum, Integer::sum, 2);
            }
            System.out.printf(Locale.ROOT, "%s: an empty treeAggregate job takes %.1f ms%n", master,
                    (System.nanoTime() - t0) / 1e6 / 50);
            for (int partitions : new int[] {1, 2, 4, 8}) {
                JavaRDD<Example> data = sc.parallelize(examples, partitions).cache();
                data.count();
                SparkTrainer trainer = SparkTrainer.of(SparkDigits::model, p -> Adam.of(p, 0.01), SparkDigits::loss);
                trainer.fit(data, 10);                                       // warm-up
                long t1 = System.nanoTime();
                trainer.fit(data, 20);
                double ms = (System.nanoTime() - t1) / 1e6 / 20;
                System.out.printf(Locale.ROOT, "%s, %d partitions: %.1f ms per step, %.0f examples/s%n", master,
                        partitions, ms, rows / ms * 1000);
                data.unpersist();
            }
        }
    }
}
