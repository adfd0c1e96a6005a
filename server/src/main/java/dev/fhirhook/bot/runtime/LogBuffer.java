package dev.fhirhook.bot.runtime;

import java.time.Instant;
import java.util.ArrayDeque;

/**
 * One run's console output, bounded to {@code maxChars} (the lines plus the newlines between them) by dropping
 * the oldest lines: the tail is what matters after a failure. Each line keeps its level and time; {@link #text}
 * renders the lines only, in Medplum's {@code logResult} format. Thread-safe: the run's thread writes, and a
 * caller that gave up waiting may read.
 */
final class LogBuffer {
    record Line(Instant time, String level, String text) {}

    private final int maxChars;
    private final ArrayDeque<Line> lines = new ArrayDeque<>();
    private long chars; // sum of text lengths plus one newline between consecutive lines

    LogBuffer(int maxChars) {
        this.maxChars = Math.max(0, maxChars);
    }

    synchronized void add(String level, String text) {
        if (maxChars == 0) return;
        if (text.length() > maxChars) text = text.substring(text.length() - maxChars);
        lines.addLast(new Line(Instant.now(), level, text));
        chars += text.length() + (lines.size() > 1 ? 1 : 0);
        while (chars > maxChars) {
            var dropped = lines.removeFirst();
            chars -= dropped.text().length() + (lines.isEmpty() ? 0 : 1);
        }
    }

    synchronized String text() {
        var out = new StringBuilder((int) chars);
        for (var line : lines) {
            if (line != lines.peekFirst()) out.append('\n');
            out.append(line.text());
        }
        return out.toString();
    }
}
