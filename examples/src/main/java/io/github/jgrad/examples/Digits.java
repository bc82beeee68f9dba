package io.github.jgrad.examples;

import io.github.jgrad.autodiff.GradMode;
import io.github.jgrad.autodiff.Tensor;
import io.github.jgrad.nn.Activation;
import io.github.jgrad.nn.Adam;
import io.github.jgrad.nn.DataLoader;
import io.github.jgrad.nn.Listener;
import io.github.jgrad.nn.Loss;
import io.github.jgrad.nn.Metric;
import io.github.jgrad.nn.Metrics;
import io.github.jgrad.nn.Sequential;
import io.github.jgrad.nn.Trainer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;

/**
 * Handwritten digits, a real dataset: the UCI optical recognition of handwritten digits (8x8 images
 * of 0..16, 1,797 of them; E. Alpaydin and C. Kaynak, 1998, CC BY 4.0, doi:10.24432/C50P49), as
 * scikit-learn ships it. Split 70/15/15 into training, validation and test sets; pixels standardised
 * with the training rows' statistics; an MLP 64-128-10 with ReLU, Adam; the validation loss picks
 * the best epoch (a checkpoint) and stops the run early; the test set, untouched until then, gives
 * the accuracy.
 */
public final class Digits {
    static final int EPOCHS = 100;
    /** The shuffle before the split; docs/guide.md reports the accuracy over other splits too. */
    static final long SPLIT_SEED = 1;

    private Digits() {
    }

    /** Images as rows of 64 pixels scaled to [0, 1], and their digits. */
    public record Data(Tensor images, Tensor digits) {
        Data rows(int from, int to) {
            return new Data(images.slice(0, from, to), digits.slice(0, from, to));
        }
    }

    /** The 1,797 images from the copy in this jar, in a fixed shuffled order ({@link #SPLIT_SEED}). */
    public static Data load() {
        List<double[]> rows = new ArrayList<>();
        try (InputStream raw = Digits.class.getResourceAsStream("digits.csv.gz")) {
            if (raw == null) {
                throw new IllegalStateException("digits.csv.gz is missing from the examples' resources");
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.US_ASCII));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] cells = line.split(",");
                double[] row = new double[cells.length];
                for (int i = 0; i < row.length; i++) {
                    row[i] = Integer.parseInt(cells[i].trim());
                }
                rows.add(row);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read digits.csv.gz", e);
        }
        int n = rows.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom r = new SplittableRandom(SPLIT_SEED);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        double[] images = new double[n * 64];
        double[] digits = new double[n];
        for (int i = 0; i < n; i++) {
            double[] row = rows.get(order[i]);
            for (int p = 0; p < 64; p++) {
                images[i * 64 + p] = row[p] / 16;
            }
            digits[i] = row[64];
        }
        return new Data(Tensor.of(images, n, 64), Tensor.of(digits));
    }

    /** The trained model (its best epoch's weights), its curves, and its test accuracy and confusion matrix. */
    public record Result(Sequential model, Map<String, List<Double>> curves, int bestEpoch, int epochsRun,
                         double testAccuracy, int[][] confusion) {
    }

    /** The training, validation and test sets. */
    public record Split(Data train, Data valid, Data test) {
    }

    /**
     * The images split 70/15/15, each pixel standardised with the training rows' mean and deviation
     * (a constant pixel divided by 1).
     */
    public static Split split() {
        Data all = load();
        int n = all.images().shape(0);
        int trainEnd = n * 70 / 100;
        int validEnd = n * 85 / 100;
        Tensor mean = all.images().slice(0, 0, trainEnd).mean(0, true);
        Tensor std = all.images().slice(0, 0, trainEnd).sub(mean).pow(2).mean(0, true).sqrt();
        Tensor scale = Tensor.where(std.gt(0), std, Tensor.scalar(1));
        Data scaled = new Data(all.images().sub(mean).div(scale), all.digits());
        return new Split(scaled.rows(0, trainEnd), scaled.rows(trainEnd, validEnd), scaled.rows(validEnd, n));
    }

    /** Trains with checkpoints in {@code dir}, quietly or with a progress bar. */
    public static Result train(Path dir, boolean progress) throws IOException {
        Split split = split();
        Data train = split.train();
        Data valid = split.valid();
        Data test = split.test();

        Sequential model = Sequential.mlp(5, Activation.relu(), 64, 128, 10);
        Adam adam = Adam.of(model.parameters(), 0.003);
        Map<String, List<Double>> curves = new LinkedHashMap<>();
        Files.createDirectories(dir);
        Path best = dir.resolve("digits-best.npz");
        Trainer trainer = Trainer.of(model, adam, (x, y) -> Loss.crossEntropy(model.forward(x), y))
                .progress(progress ? System.err : null)
                .validation(DataLoader.of(valid.images(), valid.digits(), 128, false, 0),
                        Map.of("accuracy", Metric.accuracy(model)))
                .listen((t, e) -> e.metrics().forEach((k, v) -> curves.computeIfAbsent(k, x -> new ArrayList<>()).add(v)))
                .listen(Listener.bestCheckpoint(best, "val_loss", Listener.Goal.MINIMIZE))
                .listen(Listener.earlyStopping("val_loss", Listener.Goal.MINIMIZE, 15))
                .listen(Listener.csvLog(dir.resolve("digits-log.csv")));
        trainer.fit(DataLoader.of(train.images(), train.digits(), 32, true, 9), EPOCHS);
        int epochsRun = trainer.epochs();
        trainer.resume(best);                       // back to the best epoch's weights
        try (GradMode.Scope ignored = GradMode.disabled()) {
            Tensor logits = model.eval().forward(test.images());
            return new Result(model, curves, trainer.epochs(), epochsRun, Metrics.accuracy(logits, test.digits()),
                    Metrics.confusionMatrix(logits, test.digits()));
        }
    }

    /** Trains, prints the test accuracy and the confusion matrix, writes plots to {@code args[0]} (default target/plots). */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/plots");
        System.out.println("handwritten digits (UCI, 8x8): 1,797 images, 70/15/15 split, MLP 64-128-10 (ReLU), Adam"
                + " lr 0.003, batches of 32, early stopping on the validation loss");
        long t0 = System.nanoTime();
        Result r = train(dir, true);
        System.out.printf(Locale.ROOT, "best epoch %d of %d run; test accuracy %.1f%% (%.1f s)%n", r.bestEpoch(),
                r.epochsRun(), 100 * r.testAccuracy(), (System.nanoTime() - t0) / 1e9);
        System.out.println("confusion matrix (rows: true digit, columns: predicted):");
        for (int[] row : r.confusion()) {
            StringBuilder sb = new StringBuilder(" ");
            for (int c : row) {
                sb.append(String.format(Locale.ROOT, "%4d", c));
            }
            System.out.println(sb);
        }
        Map<String, List<Double>> losses = new LinkedHashMap<>();
        losses.put("training loss", r.curves().get("loss"));
        losses.put("validation loss", r.curves().get("val_loss"));
        Path curves = Plots.curves(dir.resolve("digits-loss.png"), "digits: learning curves", "cross-entropy", losses);
        Path accuracy = Plots.curves(dir.resolve("digits-accuracy.png"), "digits: validation accuracy", "accuracy",
                Map.of("validation accuracy", r.curves().get("val_accuracy")));
        Path confusion = Plots.confusion(dir.resolve("digits-confusion.png"), "digits: test confusion matrix",
                r.confusion());
        System.out.println("plots: " + curves + ", " + accuracy + ", " + confusion);
    }
}
