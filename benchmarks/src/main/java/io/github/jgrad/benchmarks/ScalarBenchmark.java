package io.github.jgrad.benchmarks;

import io.github.jgrad.autodiff.Value;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** The scalar tape: building a chain of multiplications and running backward over it. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ScalarBenchmark {
    @Param({"1000000"})
    public int length;

    /** Forward and backward of x * c * c * ... (length nodes). */
    @Benchmark
    public double chainForwardBackward() {
        Value x = Value.of(1.0);
        Value y = x;
        for (int i = 0; i < length; i++) {
            y = y.mul(1.0000001);
        }
        y.backward();
        return x.grad();
    }
}
