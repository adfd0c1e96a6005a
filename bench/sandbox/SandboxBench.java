import dev.fhirhook.bot.runtime.BotCode;
import dev.fhirhook.bot.runtime.BotRuntime;
import dev.fhirhook.bot.runtime.HostBridge;
import dev.fhirhook.bot.runtime.RunLimits;
import dev.fhirhook.bot.runtime.RunResult;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The bot sandbox on its own (no HTTP, no database): what BotRuntime.run costs for a trivial bot with a warm
 * (pooled) context and with a new context per run, throughput at several threads, the cost of the statement
 * limit, and memory. Launched by bench/run-sandbox with the server jar on the class path (Java's source
 * launcher: this file is not part of the bench Maven module, which does not depend on the server).
 */
public class SandboxBench {
    static final String TRIVIAL = "exports.handler = async (medplum, event) => ({ ok: true, n: event.n });";
    static final String SIGNATURE = """
            const crypto = require('crypto');
            exports.handler = async (medplum, event) => {
              const body = JSON.stringify(event.payload);
              const sig = crypto.createHmac('sha256', 'whsec_bench').update(event.t + '.' + body).digest('hex');
              const ok = crypto.timingSafeEqual(Buffer.from(sig, 'hex'), Buffer.from(sig, 'hex'));
              return { ok, id: event.payload.id, items: event.payload.items.length };
            };
            """;
    static final String EVENT = "{\"n\":1}";
    static final RunLimits LIMITS = RunLimits.defaults(Duration.ofSeconds(10));

    public static void main(String[] args) throws Exception {
        double seconds = 5;
        double warmup = 15;
        int[] threads = {1, 2, 4};
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--warmup" -> warmup = Double.parseDouble(args[++i]);
                case "--threads" -> threads = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (--seconds N, --warmup N, --threads 1,2,4)");
            }
        }
        System.out.printf("bot sandbox bench: %d cores, java %s, load average %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), Files.readString(Path.of("/proc/loadavg")).trim());
        System.out.printf("memory before the engine: %s%n", memory());

        long created = System.nanoTime();
        var runtime = new BotRuntime(new BotRuntime.Settings(8, 8, 8, 64, BotRuntime.Settings.DEFAULT_MAX_STATEMENTS_PER_RUN));
        System.out.printf("statement limit: %,d (the default)%n", BotRuntime.Settings.DEFAULT_MAX_STATEMENTS_PER_RUN);
        System.out.printf("new BotRuntime (engine, first context): %.0f ms; %s%n", (System.nanoTime() - created) / 1e6, memory());

        // The JIT compiles the interpreter itself: without a long warm-up the first figures are still falling.
        var trivial = new BotCode("trivial", "v1", TRIVIAL, "index.js");
        var signature = new BotCode("signature", "v1", SIGNATURE, "index.js");
        int warmups = timed(runtime, trivial, EVENT, warmup / 2).count() + timed(runtime, signature, signatureEvent(), warmup / 2).count();
        System.out.printf("warm-up: %d runs in %.0f s%n%n", warmups, warmup);

        System.out.println("latency of BotRuntime.run, one caller (µs)        p50      p90      p99      max     runs");
        report("trivial bot, warm context", timed(runtime, trivial, EVENT, seconds));
        report("trivial bot, new context each run", newContexts(runtime, Math.max(50, (int) (seconds * 40))));
        report("HMAC + JSON bot, warm context", timed(runtime, signature, signatureEvent(), seconds));


        // The statement limit's cost: two runtimes, one without and one with a limit, in alternating short
        // rounds so that JIT warm-up and the machine's other load fall on both alike.
        System.out.println();
        System.out.println("statement limit, alternating rounds (µs)           p50      p90      p99      max     runs");
        try (var off = new BotRuntime(new BotRuntime.Settings(8, 8, 8, 64, 0));
             var on = new BotRuntime(new BotRuntime.Settings(8, 8, 8, 64, 100_000_000L))) {
            for (var code : List.of(trivial, signature)) {
                var event = code == trivial ? EVENT : signatureEvent();
                timed(off, code, event, 1);
                timed(on, code, event, 1);
                var withoutLimit = new Latencies();
                var withLimit = new Latencies();
                for (int round = 0; round < 10; round++) {
                    withoutLimit.addAll(timed(off, code, event, seconds / 10));
                    withLimit.addAll(timed(on, code, event, seconds / 10));
                }
                var name = code == trivial ? "trivial bot" : "HMAC + JSON bot";
                report(name + ", no statement limit", withoutLimit);
                report(name + ", statement limit 1e8", withLimit);
            }
        }

        System.out.println();
        System.out.println("throughput, trivial bot, warm (callers = threads)  runs/s   p50 µs   p99 µs");
        for (int n : threads) {
            var result = throughput(runtime, trivial, n, seconds);
            System.out.printf("  %2d caller thread(s)                          %8.0f %8.0f %8.0f%n", n, result.perSecond,
                    result.latencies.percentile(50), result.latencies.percentile(99));
        }

        System.out.println();
        System.out.printf("memory after the runs: %s%n", memory());
        var before = heapAfterGc();
        long rssBefore = rssKb();
        int contexts = 48;
        for (int i = 0; i < contexts; i++) {
            check(runtime.run(new BotCode("idle-" + i, "v1", TRIVIAL, "index.js"), EVENT, HostBridge.NONE, LIMITS));
        }
        var after = heapAfterGc();
        System.out.printf("%d more idle warm contexts: heap +%.1f MB (%.2f MB each), RSS +%.1f MB; %s%n", contexts,
                (after - before) / 1e6, (after - before) / 1e6 / contexts, (rssKb() - rssBefore) / 1024.0, memory());
        runtime.close();
        System.exit(0);
    }

    static String signatureEvent() {
        var items = new StringBuilder();
        for (int i = 0; i < 20; i++) items.append(i == 0 ? "" : ",").append("{\"sku\":\"item-").append(i).append("\",\"qty\":").append(i).append('}');
        return "{\"t\":\"1614265330\",\"payload\":{\"id\":\"evt_1\",\"object\":\"event\",\"items\":[" + items + "]}}";
    }

    static void check(RunResult result) {
        if (!(result instanceof RunResult.Returned)) throw new IllegalStateException("bench bot failed: " + result);
    }

    static Latencies timed(BotRuntime runtime, BotCode code, String event, double seconds) {
        var latencies = new Latencies();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            long start = System.nanoTime();
            var result = runtime.run(code, event, HostBridge.NONE, LIMITS);
            latencies.add(System.nanoTime() - start);
            check(result);
        }
        return latencies;
    }

    /** Every run a new version of the same bot: a new context, the prelude and the module loaded each time. */
    static Latencies newContexts(BotRuntime runtime, int runs) {
        var latencies = new Latencies();
        for (int i = 0; i < runs; i++) {
            var code = new BotCode("fresh", "v" + i, TRIVIAL, "index.js");
            long start = System.nanoTime();
            var result = runtime.run(code, EVENT, HostBridge.NONE, LIMITS);
            latencies.add(System.nanoTime() - start);
            check(result);
        }
        return latencies;
    }

    record Throughput(double perSecond, Latencies latencies) {}

    static Throughput throughput(BotRuntime runtime, BotCode code, int threads, double seconds) throws InterruptedException {
        var stop = new AtomicBoolean();
        var ready = new CountDownLatch(threads);
        var go = new CountDownLatch(1);
        var all = new ArrayList<Latencies>();
        var workers = new ArrayList<Thread>();
        for (int t = 0; t < threads; t++) {
            var mine = new Latencies();
            all.add(mine);
            workers.add(Thread.ofPlatform().start(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                while (!stop.get()) {
                    long start = System.nanoTime();
                    var result = runtime.run(code, EVENT, HostBridge.NONE, LIMITS);
                    mine.add(System.nanoTime() - start);
                    check(result);
                }
            }));
        }
        ready.await();
        long start = System.nanoTime();
        go.countDown();
        Thread.sleep((long) (seconds * 1000));
        stop.set(true);
        for (var w : workers) w.join();
        double elapsed = (System.nanoTime() - start) / 1e9;
        var merged = new Latencies();
        for (var l : all) merged.addAll(l);
        return new Throughput(merged.count() / elapsed, merged);
    }

    static void report(String label, Latencies l) {
        System.out.printf("  %-45s %8.0f %8.0f %8.0f %8.0f %8d%n", label, l.percentile(50), l.percentile(90),
                l.percentile(99), l.max(), l.count());
    }

    static String memory() {
        var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        return "RSS %.0f MB (peak %.0f MB), heap used %.0f MB".formatted(rssKb() / 1024.0, hwmKb() / 1024.0, heap / 1e6);
    }

    static long heapAfterGc() {
        for (int i = 0; i < 3; i++) System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static long rssKb() {
        return status("VmRSS:");
    }

    static long hwmKb() {
        return status("VmHWM:");
    }

    static long status(String key) {
        try {
            for (var line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException e) {
            // not Linux
        }
        return -1;
    }

    /** Nanosecond samples, reported in microseconds. */
    static final class Latencies {
        private long[] values = new long[1024];
        private int count;
        private boolean sorted;

        void add(long nanos) {
            if (count == values.length) values = Arrays.copyOf(values, count * 2);
            values[count++] = nanos;
            sorted = false;
        }

        void addAll(Latencies other) {
            for (int i = 0; i < other.count; i++) add(other.values[i]);
        }

        int count() {
            return count;
        }

        double percentile(double p) {
            if (count == 0) return 0;
            if (!sorted) {
                Arrays.sort(values, 0, count);
                sorted = true;
            }
            int index = (int) Math.min(count - 1, Math.ceil(p / 100.0 * count) - 1);
            return values[Math.max(0, index)] / 1000.0;
        }

        double max() {
            return percentile(100);
        }
    }
}
