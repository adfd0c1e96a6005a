package dev.fhirhook.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Where the machine's CPU went during a measurement, from /proc: the server JVM, PostgreSQL (the postmaster
 * and its backends), the bench itself, kernel threads (block I/O, journalling), everything else, and time
 * stolen by the hypervisor. On a small machine shared by client, server and database this tells what a row
 * was limited by, and "other" shows when something outside the benchmark disturbed it. Not thread-safe.
 */
final class CpuMeter {
    /** Cumulative clock ticks at one instant; {@code kernel} maps each kernel thread to its ticks. */
    record Snapshot(long total, long busy, long steal, long server, long postgres, long bench,
                    Map<Long, Long> kernel, Map<Long, Long> others) {}

    /**
     * Shares of the whole machine (100 = every core busy for the whole window), in percent; {@code topOthers}
     * names the busiest processes counted in {@code other}, to tell interference from the benchmark's own cost.
     */
    record Usage(double server, double postgres, double bench, double kernel, double other, double steal,
                 List<String> topOthers) {}

    private static final long KTHREADD = 2;

    private final Optional<Long> serverPid;
    private final Optional<Long> postmasterPid;
    private final long benchPid = ProcessHandle.current().pid();

    CpuMeter(Optional<Long> serverPid, Optional<Path> pgData) {
        this.serverPid = serverPid;
        this.postmasterPid = pgData.flatMap(CpuMeter::postmasterPid);
    }

    Optional<Snapshot> snapshot() {
        try {
            String cpu = Files.readAllLines(Path.of("/proc/stat")).getFirst();
            String[] f = cpu.trim().split("\\s+"); // cpu user nice system idle iowait irq softirq steal guest...
            long user = Long.parseLong(f[1]), nice = Long.parseLong(f[2]), system = Long.parseLong(f[3]);
            long idle = Long.parseLong(f[4]), iowait = Long.parseLong(f[5]), irq = Long.parseLong(f[6]);
            long softirq = Long.parseLong(f[7]), steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
            long busy = user + nice + system + irq + softirq; // what processes are charged with, irq included
            long total = busy + idle + iowait + steal;
            long server = 0, postgres = 0, bench = 0;
            var kernel = new HashMap<Long, Long>();
            var others = new HashMap<Long, Long>();
            try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> isNumber(p.getFileName().toString()))) {
                for (Path p : procs) {
                    long pid = Long.parseLong(p.getFileName().toString());
                    var stat = stat(pid);
                    if (stat.isEmpty()) continue; // exited meanwhile
                    long ppid = Long.parseLong(stat.get()[1]);
                    long ticks = Long.parseLong(stat.get()[11]) + Long.parseLong(stat.get()[12]);
                    if (serverPid.isPresent() && pid == serverPid.get()) server += ticks;
                    else if (postmasterPid.isPresent() && (pid == postmasterPid.get() || ppid == postmasterPid.get())) postgres += ticks;
                    else if (pid == benchPid) bench += ticks;
                    else if (pid == KTHREADD || ppid == KTHREADD) kernel.put(pid, ticks);
                    else others.put(pid, ticks);
                }
            }
            return Optional.of(new Snapshot(total, busy, steal, server, postgres, bench, kernel, others));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static Usage between(Snapshot a, Snapshot b) {
        double total = Math.max(1, b.total() - a.total());
        long server = b.server() - a.server();
        long postgres = Math.max(0, b.postgres() - a.postgres()); // backends that exit take their ticks along
        long bench = b.bench() - a.bench();
        long kernel = 0;
        for (var e : b.kernel().entrySet()) kernel += Math.max(0, e.getValue() - a.kernel().getOrDefault(e.getKey(), 0L));
        List<String> topOthers = b.others().entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - a.others().getOrDefault(e.getKey(), 0L)))
                .filter(e -> 100.0 * e.getValue() / total >= 1)
                .sorted(Map.Entry.<Long, Long>comparingByValue().reversed()).limit(3)
                .map(e -> String.format(Locale.ROOT, "%.0f%% pid %d %s", 100.0 * e.getValue() / total, e.getKey(),
                        commandLine(e.getKey())))
                .toList();
        // Everything not attributed, including processes that came and went within the window.
        long other = Math.max(0, (b.busy() - a.busy()) - server - postgres - bench - kernel);
        return new Usage(100 * server / total, 100 * postgres / total, 100 * bench / total, 100 * kernel / total,
                100 * other / total, 100 * (b.steal() - a.steal()) / total, topOthers);
    }

    private static Optional<Long> postmasterPid(Path pgData) {
        try {
            List<String> lines = Files.readAllLines(pgData.resolve("postmaster.pid"));
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.getFirst().strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String commandLine(long pid) {
        try {
            String cmd = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ').strip();
            return cmd.length() > 100 ? cmd.substring(0, 100) + "..." : cmd;
        } catch (IOException | RuntimeException e) {
            return "(exited)";
        }
    }

    /** The fields of /proc/PID/stat after "(comm)": [0] is state, [1] ppid, [11] utime, [12] stime. */
    private static Optional<String[]> stat(long pid) {
        try {
            String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return Optional.of(s.substring(s.lastIndexOf(')') + 2).trim().split(" "));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static boolean isNumber(String s) {
        for (int i = 0; i < s.length(); i++) if (!Character.isDigit(s.charAt(i))) return false;
        return !s.isEmpty();
    }
}
