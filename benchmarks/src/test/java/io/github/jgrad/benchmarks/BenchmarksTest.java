package io.github.jgrad.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.DType;
import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** The baselines compute what the tape computes, and every benchmark runs (smoke mode, seconds). */
class BenchmarksTest {

    @Test
    void handWrittenMoonsStepEqualsTheTape() {
        MoonsStep.Tape tape = new MoonsStep.Tape(MoonsStep.data());
        MoonsStep.HandWritten hand = new MoonsStep.HandWritten(MoonsStep.data());
        for (int step = 0; step < 3; step++) {
            assertEquals(tape.step(), hand.step(), 1e-12, "loss at step " + step);
        }
        assertEquals(tape.params.get(0).data(), hand.w1[0][0], 1e-12);
        assertEquals(tape.params.get(tape.params.size() - 1).data(), hand.b3, 1e-12);
    }

    @Test
    void minimalTapeMoonsStepEqualsTheTape() {
        MoonsStep.Tape tape = new MoonsStep.Tape(MoonsStep.data());
        MoonsStep.Minimal minimal = new MoonsStep.Minimal(MoonsStep.data());
        for (int step = 0; step < 3; step++) {
            assertEquals(tape.step(), minimal.step(), 1e-12, "loss at step " + step);
            for (int i = 0; i < tape.params.size(); i++) {
                assertEquals(tape.params.get(i).grad(), minimal.params.get(i).grad, 1e-12, "gradient " + i);
                assertEquals(tape.params.get(i).data(), minimal.params.get(i).data, 1e-12, "parameter " + i);
            }
        }
        minimal.reset();
        MoonsStep.Minimal fresh = new MoonsStep.Minimal(MoonsStep.data());
        assertEquals(fresh.step(), minimal.step(), 0, "a reset step is the first step");
    }

    @Test
    void resetMoonsStepsRepeatTheFirstStepExactly() {
        // the benchmark resets in place before each invocation; every invocation is the first step
        MoonsStep.Tape tape = new MoonsStep.Tape(MoonsStep.data());
        MoonsStep.HandWritten hand = new MoonsStep.HandWritten(MoonsStep.data());
        double first = tape.step();
        double firstHand = hand.step();
        tape.step();
        hand.step();
        tape.reset();
        hand.reset();
        assertEquals(first, tape.step(), 0);
        assertEquals(firstHand, hand.step(), 0);
    }

    @Test
    void handWrittenMlpStepEqualsTheTape() {
        MlpStep.Tape tape = new MlpStep.Tape();
        MlpStep.HandWritten hand = new MlpStep.HandWritten();
        for (int step = 0; step < 3; step++) {
            assertEquals(tape.step(), hand.step(), 1e-12, "loss at step " + step);
        }
        assertArrayEquals(tape.l1.weight().toArray(), hand.w1, 1e-12);
        assertArrayEquals(tape.l2.bias().toArray(), hand.b2, 1e-12);
    }

    @Test
    void theFloat32MlpStepStaysFloat32AndFollowsTheFloat64One() {
        MlpStep.Tape single = new MlpStep.Tape(DType.FLOAT32);
        MlpStep.Tape reused = new MlpStep.Tape(DType.FLOAT32);
        MlpStep.Tape reference = new MlpStep.Tape();
        for (int step = 0; step < 3; step++) {
            double loss = single.step();
            assertEquals(loss, reused.stepInWorkspace(), 0, "the workspace changes no bit, step " + step);
            assertEquals(reference.step(), loss, 1e-5, "loss at step " + step);
        }
        assertEquals(DType.FLOAT32, single.l1.weight().dtype());
        assertEquals(DType.FLOAT32, single.l1.weight().grad().dtype());
        assertArrayEquals(reference.l1.weight().toArray(), single.l1.weight().toArray(), 1e-5);
    }

    @Test
    void theMlpStepInAWorkspaceGivesTheSameNumbers() {
        MlpStep.Tape plain = new MlpStep.Tape();
        MlpStep.Tape reused = new MlpStep.Tape();
        for (int step = 0; step < 4; step++) {
            assertEquals(plain.step(), reused.stepInWorkspace(), 0, "loss at step " + step);
        }
        assertArrayEquals(plain.l1.weight().toArray(), reused.l1.weight().toArray(), 0);
        assertArrayEquals(plain.l1.weight().grad().toArray(), reused.l1.weight().grad().toArray(), 0);
    }

    @Test
    void theScalingStepAtMlpStepsSizesIsMlpStepsStep() {
        MlpStep.Tape tape = new MlpStep.Tape();
        MlpScaling scaling = new MlpScaling("128x784-256-10");
        for (int step = 0; step < 3; step++) {
            assertEquals(tape.step(), scaling.step(), 0, "loss at step " + step);
        }
        assertArrayEquals(tape.l1.weight().toArray(), scaling.model.parameters().get(0).toArray(), 0);
    }

    @Test
    void theScalingStepBuildsTheLayersItIsGiven() {
        MlpScaling wide = new MlpScaling("3x5-7-4-2");
        assertEquals(6, wide.model.parameters().size());
        assertArrayEquals(new int[] {7, 4}, wide.model.parameters().get(2).shape());
        assertArrayEquals(new int[] {3, 5}, wide.x.shape());
        double first = wide.step();
        assertTrue(wide.step() < first, "a step of SGD lowers the loss on the same batch");
    }

    /** The smoke mode CI runs: every benchmark method once, briefly, in this JVM. */
    @Test
    void everyBenchmarkRuns() throws RunnerException {
        Options opts = new OptionsBuilder()
                .include("io\\.github\\.jgrad\\.benchmarks\\..*")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(20))
                .param("n", "64")
                .param("length", "1000")
                .param("op", "tanh")
                .param("kernel", "softmax")
                .param("mlp", "128x784-256-10")
                .shouldFailOnError(true)
                .output("target/jmh-smoke.txt") // JMH's report, kept out of the build log
                .build();
        Collection<RunResult> results = new Runner(opts).run();
        assertFalse(results.isEmpty());
        assertEquals(1 + 3 + 9 + 1 + 4 + 1, results.size(),
                "Scalar(1) + MatMul(3) + TrainingStep(9) + ScalarOps(1) + Kernels(4: reuse x dtype) + MlpScaling(1)");
    }
}
