package io.github.jgrad.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How the tensor MLP step's cost grows: {@link TrainingStepBenchmark#mlpTapeWorkspace}'s step at a
 * larger batch and on wider, deeper layers, beside {@code python/mlp_scaling.py}'s numpy step on the
 * same sizes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class MlpScalingBenchmark {
    /** Batch x layer sizes. */
    @Param({"128x784-256-10", "1024x784-256-10", "128x784-1024-1024-10"})
    public String mlp;

    private MlpScaling step;

    @Setup(Level.Trial)
    public void setUp() {
        step = new MlpScaling(mlp);
    }

    /** One training step in a workspace: forward, cross-entropy, backward, SGD. */
    @Benchmark
    public double step() {
        return step.step();
    }
}
