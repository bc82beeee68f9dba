package io.github.jgrad.nn;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The progress bar: quiet for a fit's first two seconds, then redrawn in place after every epoch on
 * a terminal, and printed about once a second (and after the last epoch) otherwise.
 */
final class ProgressBar implements Listener {
    private static final double QUIET_SECONDS = 2;
    private final PrintStream out;
    private final boolean terminal;
    private double lastPrint = -1;
    /** Whether a terminal line was drawn without its final newline. */
    private boolean open;

    ProgressBar(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    PrintStream out() {
        return out;
    }

    @Override
    public void onEpoch(Trainer trainer, Trainer.Epoch e) {
        boolean last = e.number() == e.lastOfFit();
        if (e.seconds() < QUIET_SECONDS || !(terminal || last || lastPrint < 0 || e.seconds() - lastPrint >= 1)) {
            return;
        }
        lastPrint = e.seconds();
        String line = bar(e.number(), e.lastOfFit(), e.metric("loss"), e.examples() / e.seconds());
        if (terminal) {
            out.print("\r" + line + (last ? "\n" : ""));
            open = !last;
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** Ends a line left open by a fit that stopped early, so the next output starts on a new line. */
    void finish() {
        if (open) {
            out.println();
            out.flush();
            open = false;
        }
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
