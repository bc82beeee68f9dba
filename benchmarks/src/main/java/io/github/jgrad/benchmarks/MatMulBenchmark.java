package io.github.jgrad.benchmarks;

import io.github.jgrad.autodiff.DType;
import io.github.jgrad.autodiff.Tensor;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Square matmul, forward (a.matmul(b)) in float64 and float32, and forward + backward in float64.
 * GFLOP/s = 2 n^3 / time for the forward; numpy's figure for the same sizes comes from {@code benchmarks/python/matmul.py}.
 * Run with {@code -jvmArgsAppend -Djgrad.matmul=java} to measure the pure-Java kernel.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MatMulBenchmark {
    @Param({"64", "256", "1024"})
    public int n;

    private Tensor a;
    private Tensor b;
    private Tensor wa;
    private Tensor wb;
    private Tensor a32;
    private Tensor b32;

    @Setup
    public void setUp() {
        a = Tensor.randn(new SplittableRandom(1), n, n);
        b = Tensor.randn(new SplittableRandom(2), n, n);
        a32 = a.to(DType.FLOAT32);
        b32 = b.to(DType.FLOAT32);
        wa = Tensor.randn(new SplittableRandom(1), n, n).requiresGrad(true);
        wb = Tensor.randn(new SplittableRandom(2), n, n).requiresGrad(true);
    }

    /** C = A B. */
    @Benchmark
    public Tensor forward() {
        return a.matmul(b);
    }

    /** C = A B in float32 (sgemm); numpy's float32 figure comes from the same script. */
    @Benchmark
    public Tensor forwardFloat32() {
        return a32.matmul(b32);
    }

    /** C = A B, then sum(C).backward(): three products in all (forward, dA = G B^T, dB = A^T G). */
    @Benchmark
    public Tensor forwardBackward() {
        wa.zeroGrad();
        wb.zeroGrad();
        wa.matmul(wb).sum().backward();
        return wa.grad();
    }
}
