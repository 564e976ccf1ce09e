package io.editdb.bench.lifelong;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A console progress bar on stderr (so stdout stays a clean report): redrawn in place when the
 * percentage changes, with the elapsed time and a note (the current phase).
 */
public final class Progress {
  private static final int WIDTH = 30;
  private final PrintStream out;
  private final String label;
  private final long total;
  private final long start = System.nanoTime();
  private long done;
  private int shownPct = -1;
  private String note = "";

  public Progress(String label, long total) {
    this(System.err, label, total);
  }

  Progress(PrintStream out, String label, long total) {
    this.out = out;
    this.label = label;
    this.total = Math.max(1, total);
    draw(true);
  }

  public void note(String n) {
    if (!n.equals(note)) {
      note = n;
      draw(true);
    }
  }

  public void step() {
    step(1);
  }

  public void step(long n) {
    done = Math.min(total, done + n);
    draw(false);
  }

  public void done() {
    done = total;
    draw(true);
    out.println();
  }

  private void draw(boolean force) {
    int pct = (int) (100 * done / total);
    if (!force && pct == shownPct) {
      return;
    }
    shownPct = pct;
    int bars = pct * WIDTH / 100;
    double s = (System.nanoTime() - start) / 1e9;
    out.print(
        String.format(
            Locale.ROOT,
            "\r%-22s [%s%s] %3d%% %6.1fs %-40s",
            label,
            "#".repeat(bars),
            ".".repeat(WIDTH - bars),
            pct,
            s,
            note));
    out.flush();
  }
}
