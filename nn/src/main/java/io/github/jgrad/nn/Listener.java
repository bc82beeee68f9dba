package io.github.jgrad.nn;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Told by {@link Trainer#fit} after every epoch, with the epoch's numbers: the training loss, and
 * the validation loss and metrics if the trainer has {@link Trainer#validation validation data}.
 * A listener may stop the run ({@link Trainer#stop()}) or save it ({@link Trainer#save}); an
 * exception it throws ends the fit call. The built-in ones below cover the usual needs.
 */
@FunctionalInterface
public interface Listener {
    /** Called after epoch {@code epoch.number()}. */
    void onEpoch(Trainer trainer, Trainer.Epoch epoch);

    /** Which way a monitored metric improves. */
    enum Goal {
        /** Lower is better (a loss). */
        MINIMIZE,
        /** Higher is better (an accuracy). */
        MAXIMIZE
    }

    /**
     * A progress bar writing a line per update to {@code out}, as {@link Trainer#progress} sets for an
     * output that is not a terminal. Added with {@link Trainer#listen} it shows beside the trainer's own
     * bar: to replace that one, use {@link Trainer#progress}.
     */
    static Listener progressBar(PrintStream out) {
        return new ProgressBar(out, false);
    }

    /**
     * Stops training once {@code metric} has not improved for {@code patience} epochs in a row, as
     * Keras's {@code EarlyStopping} and Lightning's; a NaN never counts as an improvement. Its best
     * value and count go into the trainer's checkpoints, and back at {@link Trainer#resume}.
     *
     * @throws IllegalArgumentException if {@code patience} is below 1
     */
    static Listener earlyStopping(String metric, Goal goal, int patience) {
        return new Listeners.EarlyStopping(metric, goal, patience);
    }

    /**
     * Saves a checkpoint ({@link Trainer#save}) to {@code file} after every epoch whose {@code metric}
     * is the best so far: the file holds the best run seen, for {@link Trainer#resume}. The best value
     * goes into the trainer's checkpoints and back at {@link Trainer#resume}, so a resumed run does not
     * overwrite the file with a worse epoch. The file is written once every listener has seen the
     * epoch, so it holds their state after it wherever this listener stands in the list; if one of
     * them throws first (or the save fails), that epoch was never saved and later epochs are compared
     * with the one the file holds. A resumed run compares with the metric the file records for the
     * epoch it holds (the file may have been written after the checkpoint the run resumes from, for
     * that epoch or later ones); without a readable file, with the checkpoint's.
     */
    static Listener bestCheckpoint(Path file, String metric, Goal goal) {
        return new Listeners.BestCheckpoint(file, metric, goal);
    }

    /**
     * Writes every epoch's numbers to {@code file} as CSV: a header {@code epoch,loss,val_loss,...}
     * then one line per epoch, each flushed as it ends. An existing file is replaced when the first
     * epoch ends, unless that epoch is not the run's first (a trainer {@link Trainer#resume resumed}
     * at epoch 6): then the log goes on, its lines of epoch 6 and later (written after the checkpoint)
     * replaced, and it must have the same columns. Numbers are written by {@link
     * Double#toString(double)}, which reads back exactly ({@code 0.1}, {@code NaN}); a metric name
     * holding a comma, quote or line break is quoted as RFC 4180 says. Every line has the header's columns: an epoch with other numbers (another fit with
     * other metrics) throws an {@link IllegalStateException} and leaves the file as it was.
     */
    static Listener csvLog(Path file) {
        return new Listeners.Log(file, false);
    }

    /**
     * Writes every epoch's numbers to {@code file} as JSON lines, one object per epoch
     * ({@code {"epoch": 1, "loss": 0.5, "val_loss": 0.6}}); a NaN or infinity is written as null, and
     * names are escaped as JSON requires (quotes, backslashes, control characters). A resumed run's
     * log goes on, as {@link #csvLog}'s.
     */
    static Listener jsonLines(Path file) {
        return new Listeners.Log(file, true);
    }
}
