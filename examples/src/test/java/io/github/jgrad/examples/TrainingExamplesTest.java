package io.github.jgrad.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jgrad.autodiff.DType;
import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.nn.Loss;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingExamplesTest {

    @Test
    void seed000WithLayersAgreesWithTheScalarTape() {
        WorkedPass scalar = WorkedBackprop.run();
        Map<String, double[]> layers = WorkedBackprop.runWithLayers();
        assertEquals(13, layers.size());
        assertTrue(WorkedBackprop.largestDifference(scalar, layers) <= 1e-12);
        assertEquals(-0.11949290874484893, layers.get("w6")[0], 1e-12);
        assertEquals(0.5012556042574605, layers.get("b2")[1], 1e-12);
    }

    @Test
    void moonsReachesFullAccuracyBothWaysAndTheyAgree() {
        Datasets.Labelled data = Datasets.moons(Moons.POINTS, Moons.NOISE, Moons.DATA_SEED);
        Moons.Run scalar = Moons.scalar(data);
        Moons.Run tensor = Moons.tensor(data);
        assertEquals(1.0, scalar.finalAccuracy());
        assertEquals(1.0, tensor.finalAccuracy());
        assertEquals(Moons.STEPS + 1, scalar.losses().size());
        for (int k = 0; k <= Moons.STEPS; k++) {
            assertEquals(scalar.losses().get(k), tensor.losses().get(k), 1e-12, "loss at step " + k);
            assertEquals(scalar.accuracies().get(k), tensor.accuracies().get(k), 0, "accuracy at step " + k);
        }
        assertTrue(tensor.losses().get(Moons.STEPS) < 0.05 * tensor.losses().get(0));
        assertEquals(scalar.model().score(0.5, 0.25), tensor.model().score(0.5, 0.25), 1e-12);
    }

    @Test
    void spiralClassifierIsAtLeast95PercentAccurate() {
        Spiral.Result r = Spiral.train(false);
        assertTrue(r.accuracy() >= 0.95, "accuracy " + r.accuracy());
        assertTrue(r.losses().get(Spiral.EPOCHS - 1) < 0.2 * r.losses().get(0), r.losses().toString());
    }

    @Test
    void spiralTrainsInFloat32ToTheSameAccuracy() {
        Spiral.Result r64 = Spiral.train(false, DType.FLOAT64);
        Spiral.Result r32 = Spiral.train(false, DType.FLOAT32);
        for (Tensor p : r32.model().parameters()) {
            assertEquals(DType.FLOAT32, p.dtype());
        }
        assertTrue(r32.accuracy() >= 0.95, "float32 accuracy " + r32.accuracy());
        assertEquals(r64.accuracy(), r32.accuracy(), 0.02, "float32 and float64 accuracies");
        // the first epochs' losses agree to float32's precision before rounding differences compound
        assertEquals(r64.losses().get(0), r32.losses().get(0), 1e-5 * r64.losses().get(0));
    }

    @Test
    void digitsReachAtLeast97PercentOnTheUntouchedTestSet(@TempDir Path dir) throws IOException {
        Digits.Result r = Digits.train(dir, false);
        assertTrue(r.testAccuracy() >= 0.97, "test accuracy " + r.testAccuracy());
        int total = 0;
        int right = 0;
        for (int t = 0; t < 10; t++) {
            for (int p = 0; p < 10; p++) {
                total += r.confusion()[t][p];
                right += t == p ? r.confusion()[t][p] : 0;
            }
        }
        assertEquals(1797 - 1797 * 85 / 100, total, "the test set is the last 15%");
        assertEquals((double) right / total, r.testAccuracy(), 1e-12);
        assertTrue(r.bestEpoch() <= r.epochsRun() && r.curves().get("val_loss").size() == r.epochsRun());
        double bestLoss = r.curves().get("val_loss").stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        assertEquals(bestLoss, r.curves().get("val_loss").get(r.bestEpoch() - 1), 0, "the checkpoint is the best epoch's");
    }

    @Test
    void xorIsLearnedByTheDeltaRule() {
        Xor.Result r = Xor.train();
        assertTrue(r.allCorrect());
        assertTrue(r.epochs() < Xor.MAX_EPOCHS);
        for (int i = 0; i < 4; i++) {
            assertEquals(Xor.TARGETS[i], r.outputs()[i], Xor.TOLERANCE);
        }
    }

    @Test
    void logisticRegressionLearnsAndItsOutputGradientIsA2MinusY() {
        LogisticRegression.Result r = LogisticRegression.train();
        assertTrue(r.accuracy() >= 0.97, "accuracy " + r.accuracy());
        // seed 002's first backward equation: dL/dZ2 = A2 - Y (per example; the mean divides by m)
        Datasets.Labelled data = Datasets.blobs(LogisticRegression.POINTS, 3);
        Tensor z2 = r.output().forward(r.hidden().forward(data.inputs()).tanh());
        Tensor a2 = z2.sigmoid();
        Tensor dz2 = Tensor.grad(Loss.binaryCrossEntropy(a2, data.zeroOne()), z2, false);
        Tensor expected = a2.sub(data.zeroOne()).div(LogisticRegression.POINTS);
        assertArrayEquals(expected.toArray(), dz2.toArray(), 1e-15);
    }

    @Test
    void everyExampleRunsFromItsMainAndWritesItsPlots(@TempDir Path dir) throws IOException {
        String out = run(() -> Moons.main(new String[] {dir.toString()}));
        assertTrue(out.contains("final accuracy: scalar 100%, tensors 100%"), out);
        out = run(() -> Spiral.main(new String[] {dir.toString()}));
        assertTrue(out.contains("training accuracy"), out);
        run(() -> Xor.main(new String[] {dir.toString()}));
        run(() -> LogisticRegression.main(new String[] {dir.toString()}));
        out = run(() -> {
            try {
                Digits.main(new String[] {dir.toString()});
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertTrue(out.contains("test accuracy"), out);
        out = run(() -> WorkedBackprop.main(new String[0]));
        assertTrue(out.contains("differ from the scalar tape's by at most"), out);
        for (String name : new String[] {"moons-loss", "moons-boundary", "spiral-loss", "spiral-boundary", "xor-error",
            "logistic-loss", "logistic-boundary", "digits-loss", "digits-accuracy", "digits-confusion"}) {
            BufferedImage png = ImageIO.read(dir.resolve(name + ".png").toFile());
            assertTrue(png != null && png.getWidth() >= 500 && png.getHeight() >= 400, name);
        }
    }

    /** Runs {@code main}; returns what it printed to standard output (its progress bars go nowhere). */
    private static String run(Runnable main) {
        PrintStream old = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8));
        try {
            main.run();
        } finally {
            System.setOut(old);
            System.setErr(oldErr);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
