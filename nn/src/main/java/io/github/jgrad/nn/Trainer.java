package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;

/**
 * The usual training loop, written once: for each epoch, put the model in training mode and set the
 * learning rate from the schedule (if any); then for each batch zero the gradients, compute the loss,
 * backward, optionally clip, step. Nothing is hidden: {@link #epoch} is the whole loop body and can
 * be called from a loop of your own.
 *
 * <pre>{@code
 * Trainer trainer = Trainer.of(model, optimizer, (x, y) -> Loss.mse(model.forward(x), y));
 * List<Double> losses = trainer.fit(loader, 100);   // mean loss per epoch
 * }</pre>
 *
 * <p>Runs that last longer than two seconds show a progress bar on standard error (epoch, loss,
 * examples per second), redrawn in place on a terminal and printed about once a second otherwise.
 */
public final class Trainer {
    private static final long QUIET_NANOS = 2_000_000_000L;

    private final Module model;
    private final Optimizer optimizer;
    private final BiFunction<Tensor, Tensor, Tensor> loss;
    private Schedule schedule;
    private double clipNorm;
    private PrintStream progress = System.err;
    private boolean terminal = System.console() != null;
    private LongSupplier clock = System::nanoTime;

    private Trainer(Module model, Optimizer optimizer, BiFunction<Tensor, Tensor, Tensor> loss) {
        this.model = model;
        this.optimizer = optimizer;
        this.loss = loss;
    }

    /** A trainer minimising {@code loss(inputs, targets)}, a scalar computed from a batch through the model. */
    public static Trainer of(Module model, Optimizer optimizer, BiFunction<Tensor, Tensor, Tensor> loss) {
        return new Trainer(model, optimizer, loss);
    }

    /** Sets the learning rate from {@code schedule.rate(epoch)} before each epoch; returns this. */
    public Trainer schedule(Schedule schedule) {
        this.schedule = schedule;
        return this;
    }

    /**
     * Clips the gradients' global norm to {@code maxNorm} before each step (0: off); returns this.
     *
     * @throws IllegalArgumentException if {@code maxNorm} is negative or NaN
     */
    public Trainer clipGradNorm(double maxNorm) {
        if (!(maxNorm >= 0)) {
            throw new IllegalArgumentException("Trainer.clipGradNorm: maxNorm must be > 0 (or 0 for no clipping), got "
                    + maxNorm);
        }
        this.clipNorm = maxNorm;
        return this;
    }

    /** Where the progress bar goes (null: nowhere); returns this. */
    public Trainer progress(PrintStream out) {
        this.progress = out;
        return this;
    }

    Trainer clock(LongSupplier nanoTime, boolean isTerminal) {
        this.clock = nanoTime;
        this.terminal = isTerminal;
        return this;
    }

    /**
     * Trains for {@code epochs} passes over {@code loader}; returns the mean batch loss of each epoch.
     *
     * @throws IllegalArgumentException if {@code epochs} is negative or the loader has no examples
     */
    public List<Double> fit(DataLoader loader, int epochs) {
        if (epochs < 0) {
            throw new IllegalArgumentException("Trainer.fit: epochs must be >= 0, got " + epochs);
        }
        List<Double> history = new ArrayList<>(epochs);
        long start = clock.getAsLong();
        long lastPrint = start;
        long examples = 0;
        for (int e = 0; e < epochs; e++) {
            double mean = epoch(loader, e);
            history.add(mean);
            examples += loader.size();
            long now = clock.getAsLong();
            boolean last = e == epochs - 1;
            if (progress != null && now - start >= QUIET_NANOS && (terminal || now - lastPrint >= 1_000_000_000L || last)) {
                lastPrint = now;
                double seconds = (now - start) / 1e9;
                String line = bar(e + 1, epochs, mean, examples / seconds);
                if (terminal) {
                    progress.print("\r" + line + (last ? "\n" : ""));
                } else {
                    progress.println(line);
                }
                progress.flush();
            }
        }
        return history;
    }

    /** One epoch; returns the mean batch loss. The model is put in training mode. */
    public double epoch(DataLoader loader, int epochIndex) {
        if (loader.size() == 0) {
            throw new IllegalArgumentException("Trainer: the loader has no examples to train on");
        }
        model.train();
        if (schedule != null) {
            optimizer.setLearningRate(schedule.rate(epochIndex));
        }
        double sum = 0;
        int batches = 0;
        for (DataLoader.Batch b : loader) {
            optimizer.zeroGrad();
            Tensor l = loss.apply(b.inputs(), b.targets());
            l.backward();
            if (clipNorm > 0) {
                optimizer.clipGradNorm(clipNorm);
            }
            optimizer.step();
            sum += l.item();
            batches++;
        }
        return sum / batches;
    }

    static String bar(int done, int total, double loss, double perSecond) {
        int width = 30;
        int filled = (int) ((long) width * done / total);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < width; i++) {
            sb.append(i < filled ? '=' : i == filled ? '>' : ' ');
        }
        return String.format(Locale.ROOT, "epoch %d/%d [%s] loss %.4f  %,.0f examples/s", done, total, sb, loss,
                perSecond);
    }
}
