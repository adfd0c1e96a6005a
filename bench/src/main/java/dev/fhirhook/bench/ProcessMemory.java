package dev.fhirhook.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Resident set size now and at its peak, from /proc/PID/status, in kB. */
record ProcessMemory(long rssKb, long hwmKb) {
    static Optional<ProcessMemory> of(long pid) {
        try {
            long rss = -1;
            long hwm = -1;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) rss = kb(line);
                else if (line.startsWith("VmHWM:")) hwm = kb(line);
            }
            return rss < 0 ? Optional.empty() : Optional.of(new ProcessMemory(rss, hwm));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static long kb(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
}
