package io.github.jgrad.nn;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
        private List<String> columns; // the CSV header's metric names, once written

        Log(Path file, boolean json) {
            this.file = Objects.requireNonNull(file, (json ? "jsonLines" : "csvLog") + ": file is null");
            this.json = json;
        }

        @Override
        public void onEpoch(Trainer trainer, Trainer.Epoch e) {
            StringBuilder line = new StringBuilder();
            boolean first = columns == null;
            List<String> names = new ArrayList<>(e.metrics().keySet());
            if (!json && first) {
                line.append("epoch");
                for (String name : names) {
                    line.append(',').append(csvField(name));
                }
                line.append('\n');
            } else if (!json && !names.equals(columns)) {
                throw new IllegalStateException("csvLog: epoch " + e.number() + " has the numbers " + names + ", but "
                        + file + "'s columns are " + columns + ": give a run with other metrics a log file of its own");
            }
            line.append(json ? "{\"epoch\": " : "").append(e.number());
            for (Map.Entry<String, Double> m : e.metrics().entrySet()) {
                double v = m.getValue();
                line.append(json ? ", " + jsonString(m.getKey()) + ": " : ",")
                        .append(json && !Double.isFinite(v) ? "null" : Double.toString(v));
            }
            line.append(json ? "}\n" : "\n");
            try (BufferedWriter w = first ? Files.newBufferedWriter(file, StandardCharsets.UTF_8)
                    : Files.newBufferedWriter(file, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND)) {
                w.write(line.toString());
            } catch (IOException x) {
                throw new UncheckedIOException(file + ": cannot write the training log: " + x.getMessage(), x);
            }
            columns = names; // only once written: a failed first write is tried again, header and all
        }

        /** A CSV field as RFC 4180 writes it: in quotes, inner quotes doubled, if it holds a comma, quote or line break. */
        static String csvField(String s) {
            boolean plain = true;
            for (int i = 0; i < s.length() && plain; i++) {
                char c = s.charAt(i);
                plain = c != ',' && c != '"' && c != '\n' && c != '\r';
            }
            return plain ? s : '"' + s.replace("\"", "\"\"") + '"';
        }

        /** A JSON string literal: quotes, backslashes and control characters escaped. */
        static String jsonString(String s) {
            StringBuilder b = new StringBuilder("\"");
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') {
                    b.append('\\').append(c);
                } else if (c < 0x20) {
                    b.append(String.format("\\u%04x", (int) c));
                } else {
                    b.append(c);
                }
            }
            return b.append('"').toString();
        }
    }
}
