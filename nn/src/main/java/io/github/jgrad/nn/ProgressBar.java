package io.github.jgrad.nn;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The progress bar: quiet for a fit's first two seconds, then redrawn in place after every epoch on
 * a terminal, and printed about once a second (and after the last epoch, or the one a stopped fit
 * ended at) otherwise.
 */
final class ProgressBar implements Listener {
    private static final double QUIET_SECONDS = 2;
    private final PrintStream out;
    private final boolean terminal;
    private double lastPrint = -1;
    /** Whether a terminal line was drawn without its final newline. */
    private boolean open;
    /** The latest epoch not printed (off a terminal, between prints), for a fit that stops early. */
    private Trainer.Epoch unprinted;
    /** The length of the line drawn last on a terminal: a shorter one is padded to cover it. */
    private int drawn;

    ProgressBar(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    PrintStream out() {
        return out;
    }

    /**
     * Whether {@code out} is standard output or error and a terminal. {@link System#console()} looks at
     * standard input and output only, so standard error redirected to a file still has one: where the
     * system shows what a descriptor is ({@code /proc/self/fd}), a file is not a terminal.
     */
    static boolean isTerminal(PrintStream out) {
        int fd = out == System.out ? 1 : out == System.err ? 2 : -1;
        if (fd < 0 || System.console() == null) {
            return false;
        }
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return true; // no such view (macOS, Windows): the console is all there is to go by
        }
    }

    @Override
    public void onEpoch(Trainer trainer, Trainer.Epoch e) {
        boolean last = e.number() == e.lastOfFit();
        if (e.seconds() < QUIET_SECONDS) {
            return;
        }
        if (!(terminal || last || lastPrint < 0 || e.seconds() - lastPrint >= 1)) {
            unprinted = e;
            return;
        }
        lastPrint = e.seconds();
        unprinted = null;
        String line = line(e);
        if (terminal) {
            out.print("\r" + line + " ".repeat(Math.max(0, drawn - line.length())) + (last ? "\n" : ""));
            open = !last;
            drawn = last ? 0 : line.length();
        } else {
            out.println(line);
        }
        out.flush();
    }

    /**
     * Ends a fit: a terminal line left open by a fit that stopped early gets its newline, and off a
     * terminal the epoch it stopped at is printed if it was not; the next fit starts afresh.
     */
    void finish() {
        if (open) {
            out.println();
            open = false;
            drawn = 0;
        } else if (unprinted != null) {
            out.println(line(unprinted));
        }
        out.flush();
        unprinted = null;
        lastPrint = -1;
    }

    private static String line(Trainer.Epoch e) {
        return bar(e.number(), e.lastOfFit(), e.metric("loss"), e.examples() / e.seconds());
    }

    static String bar(int done, int total, double loss, double perSecond) {
        int width = 30;
        int filled = total > 0 ? (int) ((long) width * done / total) : width;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < width; i++) {
            sb.append(i < filled ? '=' : i == filled ? '>' : ' ');
        }
        // %.4e below 1e-3 as Keras prints a loss, and (jgrad's own) from 1e5, so that a diverging one
        // (1e300) takes a few characters rather than 300 digits
        String format = Math.abs(loss) >= 1e-3 && Math.abs(loss) < 1e5 ? "%.4f" : "%.4e";
        return String.format(Locale.ROOT, "epoch %d/%d [%s] loss " + format + "  %,.0f examples/s", done, total, sb, loss,
                perSecond);
    }
}
