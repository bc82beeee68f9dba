package io.github.jgrad.nn;

import io.github.jgrad.autodiff.Tensor;
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

    /**
     * A built-in listener whose state a trainer's checkpoint keeps ({@link Trainer#save}), so that a
     * resumed run ({@link Trainer#resume}) goes on as if it had never stopped: entries
     * {@code trainer.listener.ID.KEY}, ID its {@link #id} (checkpoints written before there were ids
     * named it {@code I.KIND}, I its place among the trainer's listeners).
     */
    interface Stateful extends Listener {
        /** The listener's kind: {@code earlyStopping}, {@code bestCheckpoint}. */
        String kind();

        /**
         * The listener's kind and the settings its state means something for, as
         * {@code KIND[METRIC,GOAL]}: part of its entries' names, so that state goes back only to a
         * listener watching the same metric the same way, wherever it is in the list.
         */
        String id();

        /** The numbers to save, by key. */
        Map<String, Double> state();

        /**
         * Takes back what {@link #state} gave (a checkpoint's entries, checked to be single numbers),
         * which a trainer's checkpoints hold under one of {@code prefixes} (the one they were read
         * from, then this listener's own, {@code trainer.listener.ID.}); with none, exactly as it was
         * (a refused resume putting back what it changed).
         *
         * @throws IllegalArgumentException naming the key, if a number cannot be this listener's
         */
        void restore(Map<String, Double> state, List<String> prefixes);

        /**
         * Called once every listener has seen the epoch: for what must see all their states (a
         * checkpoint that keeps them), where {@link #onEpoch} would save the later listeners' states
         * of the epoch before.
         */
        default void afterEpoch(Trainer trainer) {
        }
    }

    /** A listener's {@link Stateful#id}: {@code KIND[METRIC,GOAL]}. */
    static String id(String kind, String metric, Listener.Goal goal) {
        return kind + "[" + metric + "," + goal + "]";
    }

    /** Whether {@code value} beats {@code best} (NaN: there is no best yet) for {@code goal}. */
    static boolean improves(double value, double best, Listener.Goal goal) {
        return !Double.isNaN(value) && (Double.isNaN(best) || (goal == Listener.Goal.MINIMIZE ? value < best : value > best));
    }

    static final class EarlyStopping implements Stateful {
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

        @Override
        public String kind() {
            return "earlyStopping";
        }

        @Override
        public String id() {
            return Listeners.id(kind(), metric, goal);
        }

        @Override
        public Map<String, Double> state() {
            Map<String, Double> state = new java.util.LinkedHashMap<>(); // in this order in every run's file
            state.put("best", best);
            state.put("worse", (double) worse);
            return state;
        }

        @Override
        public void restore(Map<String, Double> state, List<String> prefixes) {
            double w = state.getOrDefault("worse", 0.0);
            if (!Checkpoint.isCount(w)) {
                throw new IllegalArgumentException("earlyStopping's 'worse' should be a count of epochs, is " + w);
            }
            best = state.getOrDefault("best", Double.NaN);
            worse = (int) w;
        }
    }

    static final class BestCheckpoint implements Stateful {
        private final Path file;
        private final String metric;
        private final Listener.Goal goal;
        private double best = Double.NaN;
        /** The metric of the epoch the file holds (NaN: none written by this run or its checkpoint). */
        private double saved = Double.NaN;
        /** Whether this epoch improved on the best: saved in {@link #afterEpoch}. */
        private boolean improved;
        /** The number of the epoch that improved, while {@link #improved}. */
        private int improvedEpoch;

        BestCheckpoint(Path file, String metric, Listener.Goal goal) {
            this.file = Objects.requireNonNull(file, "bestCheckpoint: file is null");
            this.metric = Objects.requireNonNull(metric, "bestCheckpoint: metric is null");
            this.goal = Objects.requireNonNull(goal, "bestCheckpoint: goal is null");
        }

        @Override
        public void onEpoch(Trainer trainer, Trainer.Epoch e) {
            if (improved) { // a listener threw before the last improvement was written: the file holds saved
                best = saved;
            }
            double value = e.metric(metric);
            improved = improves(value, best, goal);
            if (improved) {
                best = value;
                improvedEpoch = e.number();
            }
        }

        @Override
        public void afterEpoch(Trainer trainer) { // the listeners after this one have seen the epoch too
            if (improved) {
                improved = false;
                double before = saved;
                saved = best; // as the file about to hold this epoch records it
                try {
                    trainer.save(file);
                } catch (IOException x) {
                    saved = before;
                    best = before;
                    throw new UncheckedIOException("bestCheckpoint: " + x.getMessage(), x);
                } catch (RuntimeException | Error x) {
                    saved = before;
                    best = before;
                    throw x;
                }
            }
        }

        @Override
        public String kind() {
            return "bestCheckpoint";
        }

        @Override
        public String id() {
            return Listeners.id(kind(), metric, goal);
        }

        /**
         * The best metric, the metric of the epoch the file holds, and the number of an epoch that
         * improved but whose file was not written yet (0 if none): a checkpoint a listener saves
         * after this one has seen an improving epoch is written before the best file is.
         */
        @Override
        public Map<String, Double> state() {
            Map<String, Double> state = new java.util.LinkedHashMap<>();
            state.put("best", best);
            state.put("saved", saved);
            state.put("pending", improved ? (double) improvedEpoch : 0);
            return state;
        }

        /**
         * Takes back {@link #state}, then compares with what the file holds, as the file itself records
         * it (it is a checkpoint of the trainer, this listener's entries under one of {@code prefixes}): the file
         * may have been written after the checkpoint, for the epoch it was taken at or for later ones.
         * Without a readable file, an improving epoch the checkpoint saw but whose file was not yet
         * written counts as never written.
         */
        @Override
        public void restore(Map<String, Double> state, List<String> prefixes) {
            double pending = state.getOrDefault("pending", 0.0);
            if (!Checkpoint.isCount(pending)) {
                throw new IllegalArgumentException("bestCheckpoint's 'pending' should be an epoch number or 0, is "
                        + pending);
            }
            best = state.getOrDefault("best", Double.NaN);
            saved = state.getOrDefault("saved", best);
            improved = false;
            if (prefixes.isEmpty()) { // put back as it was: nothing read from the file
                improved = pending > 0;
                improvedEpoch = (int) pending;
                return;
            }
            double held = heldByFile(prefixes);
            if (!Double.isNaN(held)) {
                best = held;
            } else if (pending > 0) {
                best = saved;
            }
            saved = best;
        }

        /**
         * The metric of the epoch the file holds, as the file records it (its entry {@code saved}, or
         * {@code best} in files written before there was one) under the first of {@code prefixes} that
         * has it (a file written since ids, for a checkpoint of before), read from that entry alone; NaN
         * if there is no file, it cannot be read, or it has no such entry.
         */
        private double heldByFile(List<String> prefixes) {
            List<String> keys = new ArrayList<>();
            for (String prefix : prefixes) {
                keys.add(prefix + "saved");
                keys.add(prefix + "best");
            }
            try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(file.toFile())) {
                for (String key : keys) {
                    java.util.zip.ZipEntry entry = zip.getEntry(key + ".npy");
                    if (entry != null) {
                        try (java.io.InputStream in = zip.getInputStream(entry)) {
                            Tensor t = Npy.read(in);
                            return t.numel() == 1 ? t.item() : Double.NaN;
                        }
                    }
                }
            } catch (IOException | RuntimeException unreadable) {
                return Double.NaN;
            }
            return Double.NaN;
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
            boolean first = columns == null;
            List<String> names = new ArrayList<>(e.metrics().keySet());
            StringBuilder header = new StringBuilder();
            if (!json && first) {
                header.append("epoch");
                for (String name : names) {
                    header.append(',').append(csvField(name));
                }
                header.append('\n');
            } else if (!json && !names.equals(columns)) {
                throw new IllegalStateException("csvLog: epoch " + e.number() + " has the numbers " + names + ", but "
                        + file + "'s columns are " + columns + ": give a run with other metrics a log file of its own");
            }
            StringBuilder row = new StringBuilder(json ? "{\"epoch\": " : "").append(e.number());
            for (Map.Entry<String, Double> m : e.metrics().entrySet()) {
                double v = m.getValue();
                row.append(json ? ", " + jsonString(m.getKey()) + ": " : ",")
                        .append(json && !Double.isFinite(v) ? "null" : Double.toString(v));
            }
            row.append(json ? "}\n" : "\n");
            try {
                if (first && e.number() > 1 && Files.exists(file)) { // a resumed run: its log goes on
                    String text = earlierEpochs(e.number(), header.toString()) + row;
                    AtomicFiles.write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
                } else {
                    try (BufferedWriter w = first ? Files.newBufferedWriter(file, StandardCharsets.UTF_8)
                            : Files.newBufferedWriter(file, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND)) {
                        w.write(header.append(row).toString());
                    }
                }
            } catch (IOException x) {
                throw new UncheckedIOException(file + ": cannot write the training log: " + x.getMessage(), x);
            }
            columns = names; // only once written: a failed first write is tried again, header and all
        }

        /**
         * The log (a CSV log's {@code header} first, which it must have: the same columns) up to the
         * epochs before {@code epoch}, for a run resumed there: the lines of later epochs, written after
         * the checkpoint it resumed, are dropped, so that the log holds each epoch once.
         */
        private String earlierEpochs(int epoch, String header) throws IOException {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            if (!text.startsWith(header)) { // a name may hold a line break: compare the header whole
                throw new IllegalStateException("csvLog: epoch " + epoch + " resumes a run whose log " + file
                        + " does not start with the header " + header.strip() + ": give a run with other metrics a"
                        + " log file of its own");
            }
            StringBuilder kept = new StringBuilder(header);
            String prefix = json ? "{\"epoch\": " : "";
            for (String l : text.substring(header.length()).split("\n")) {
                int end = l.indexOf(',', prefix.length());
                int n;
                try {
                    n = l.startsWith(prefix) && end > 0 ? Integer.parseInt(l.substring(prefix.length(), end)) : -1;
                } catch (NumberFormatException notAnEpoch) {
                    n = -1;
                }
                if (n < epoch && !l.isEmpty()) { // a line that names no epoch is kept as it is
                    kept.append(l).append('\n');
                }
            }
            return kept.toString();
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
