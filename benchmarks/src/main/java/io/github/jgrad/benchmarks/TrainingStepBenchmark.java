package io.github.jgrad.benchmarks;

import io.github.jgrad.autodiff.DType;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Training steps on the tape against the same steps written by hand: the ratio of each pair is the
 * tape's overhead. Moons steps restart from the initial weights at every invocation (the hand-written
 * step skips points whose hinge is inactive, so a trained model would flatter it); MLP steps keep
 * training (their cost does not depend on the weights).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TrainingStepBenchmark {

    /**
     * The moons models, reset to their initial weights before each invocation, in place: the reset
     * allocates nothing, so {@code -prof gc}'s bytes per operation are the step's alone.
     */
    @State(Scope.Thread)
    public static class Moons {
        final io.github.jgrad.examples.Datasets.Labelled data = MoonsStep.data();
        final MoonsStep.Tape tape = new MoonsStep.Tape(data);
        final MoonsStep.Minimal minimal = new MoonsStep.Minimal(data);
        final MoonsStep.HandWritten hand = new MoonsStep.HandWritten(data);

        @Setup(Level.Invocation)
        public void reset() {
            tape.reset();
            minimal.reset();
            hand.reset();
        }
    }

    /** One MLP per trial. */
    @State(Scope.Thread)
    public static class Mlp {
        MlpStep.Tape tape;
        MlpStep.Tape tape32;
        MlpStep.HandWritten hand;

        @Setup(Level.Trial)
        public void setUp() {
            tape = new MlpStep.Tape();
            tape32 = new MlpStep.Tape(DType.FLOAT32);
            hand = new MlpStep.HandWritten();
        }
    }

    /** micrograd's moons step on Value nodes: build the graph, backward, update. */
    @Benchmark
    public double moonsTape(Moons s) {
        return s.tape.step();
    }

    /** The same step on {@link MinimalTape}: the floor of a tape with an object per value. */
    @Benchmark
    public double moonsMinimalTape(Moons s) {
        return s.minimal.step();
    }

    /** The same step on arrays, gradients coded by hand. */
    @Benchmark
    public double moonsHandWritten(Moons s) {
        return s.hand.step();
    }

    /** MLP 784-256-10, batch 128: forward, backward, SGD with tensors and nn. */
    @Benchmark
    public double mlpTape(Mlp s) {
        return s.tape.step();
    }

    /** The same step in a {@code Workspace} scope (as {@code Trainer} runs it): memory reused. */
    @Benchmark
    public double mlpTapeWorkspace(Mlp s) {
        return s.tape.stepInWorkspace();
    }

    /** {@link #mlpTape} in float32: the model and the inputs converted with {@code to(DType.FLOAT32)}. */
    @Benchmark
    public double mlpTapeFloat32(Mlp s) {
        return s.tape32.step();
    }

    /** {@link #mlpTapeWorkspace} in float32. */
    @Benchmark
    public double mlpTapeWorkspaceFloat32(Mlp s) {
        return s.tape32.stepInWorkspace();
    }

    /** {@link #mlpTapeWorkspace}'s forward pass and loss alone: the rest of the step is backward and update. */
    @Benchmark
    public double mlpTapeForward(Mlp s) {
        return s.tape.forwardInWorkspace();
    }

    /** The same step on preallocated arrays with Blas.gemm, gradients coded by hand. */
    @Benchmark
    public double mlpHandWritten(Mlp s) {
        return s.hand.step();
    }
}
