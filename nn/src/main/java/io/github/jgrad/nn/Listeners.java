package io.github.jgrad.nn;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/** The built-in {@link Listener}s. */
final class Listeners {
    private Listeners() {
    }

    /** Whether {@code value} beats {@code best} (NaN: there is no best yet) for {@code goal}. */
    static boolean improves(double value, double best, Listener.Goal goal) {
        return !Double.isNaN(value) && (Double.isNaN(best) || (goal == Listener.Goal.MINIMIZE ? value < best : value > best));
    }

    static final class EarlyStopping implements Listener {
        private final String metric;
        private final Listener.Goal goal;
        private final int patience;
        private double best = Double.NaN;
        private int worse;

        EarlyStopping(String metric, Listener.Goal goal, int patience) {
            if (patience < 1) {
                throw new IllegalArgumentException("earlyStopping: patience must be >= 1, got " + patience);
            }
            this.metric = Objects.requireNonNull(metric, "earlyStopping: metric is null");
            this.goal = Objects.requireNonNull(goal, "earlyStopping: goal is null");
            this.patience = patience;
        }

        @Override
        public void onEpoch(Trainer trainer, Trainer.Epoch e) {
            double value = e.metric(metric);
            if (improves(value, best, goal)) {
                best = value;
                worse = 0;
            } else if (++worse >= patience) {
                trainer.stop();
            }
        }
    }

    static final class BestCheckpoint implements Listener {
        private final Path file;
        private final String metric;
        private final Listener.Goal goal;
        private double best = Double.NaN;

        BestCheckpoint(Path file, String metric, Listener.Goal goal) {
            this.file = Objects.requireNonNull(file, "bestCheckpoint: file is null");
            this.metric = Objects.requireNonNull(metric, "bestCheckpoint: metric is null");
            this.goal = Objects.requireNonNull(goal, "bestCheckpoint: goal is null");
        }

        @Override
        public void onEpoch(Trainer trainer, Trainer.Epoch e) {
            double value = e.metric(metric);
            if (improves(value, best, goal)) {
                best = value;
                try {
                    trainer.save(file);
                } catch (IOException x) {
                    throw new UncheckedIOException("bestCheckpoint: " + x.getMessage(), x);
                }
            }
        }
    }

    static final class Log implements Listener {
        private final Path file;
        private final boolean json;
        private boolean started;

        Log(Path file, boolean json) {
            this.file = Objects.requireNonNull(file, (json ? "jsonLines" : "csvLog") + ": file is null");
            this.json = json;
        }

        @Override
        public void onEpoch(Trainer trainer, Trainer.Epoch e) {
            StringBuilder line = new StringBuilder();
            if (!started && !json) {
                line.append("epoch");
                for (String name : e.metrics().keySet()) {
                    line.append(',').append(name);
                }
                line.append('\n');
            }
            line.append(json ? "{\"epoch\": " : "").append(e.number());
            for (Map.Entry<String, Double> m : e.metrics().entrySet()) {
                double v = m.getValue();
                line.append(json ? ", \"" + m.getKey().replace("\\", "\\\\").replace("\"", "\\\"") + "\": " : ",")
                        .append(json && !Double.isFinite(v) ? "null" : Double.toString(v));
            }
            line.append(json ? "}\n" : "\n");
            try (BufferedWriter w = started ? Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.APPEND) : Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                w.write(line.toString());
            } catch (IOException x) {
                throw new UncheckedIOException(file + ": cannot write the training log: " + x.getMessage(), x);
            }
            started = true;
        }
    }
}
