package io.editdb.bench.lifelong;

import java.util.Locale;

/** The console report, also kept as text for summary.txt (the same words in both places). */
public final class Report {
  private final StringBuilder text = new StringBuilder();

  public void line(String s) {
    System.out.println(s);
    text.append(s).append('\n');
  }

  public void line(String format, Object... args) {
    line(String.format(Locale.ROOT, format, args));
  }

  public String text() {
    return text.toString();
  }
}
