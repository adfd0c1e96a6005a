package dev.fhirhook.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;

/**
 * Runs one scenario at one concurrency: N platform threads, each with its own worker, loop back to back
 * (closed loop, no think time) through a warm-up and then a measured window, and stop by themselves when
 * the window ends. Only operations started inside the window are counted.
 */
final class LoadRun {
    private LoadRun() {}

    /** What a run measured. {@code errors} maps a label to its count; {@code examples} to one example each. */
    record Result(String scenario, int concurrency, long ops, double seconds, LatencyHistogram latency,
                  Map<String, Long> errors, Map<String, String> examples, Optional<CpuMeter.Usage> cpu) {
        long errorCount() {
            return errors.values().stream().mapToLong(Long::longValue).sum();
        }

        double throughput() {
            return seconds > 0 ? ops / seconds : 0;
        }
    }

    /** Per-thread tallies, read by the main thread after join. */
    private static final class Tally {
        final LatencyHistogram latency = new LatencyHistogram();
        final Map<String, Long> errors = new TreeMap<>();
        final Map<String, String> examples = new TreeMap<>();
        long ops;
        long lastEnd;

        void error(String label, String detail) {
            errors.merge(label, 1L, Long::sum);
            examples.putIfAbsent(label, detail.length() > 300 ? detail.substring(0, 300) + "..." : detail);
        }
    }

    private static final Duration STRAGGLER_GRACE = Duration.ofSeconds(45);

    static Result run(Scenario scenario, int concurrency, Duration warmup, Duration duration, CpuMeter cpu)
            throws Exception {
        List<Scenario.Worker> workers = new ArrayList<>();
        try {
            for (int w = 0; w < concurrency; w++) workers.add(scenario.worker(w, concurrency));
            return measure(scenario.name(), workers, warmup, duration, cpu);
        } finally {
            workers.forEach(Scenario.Worker::close);
        }
    }

    private static Result measure(String name, List<Scenario.Worker> workers, Duration warmup, Duration duration,
                                  CpuMeter cpu) throws InterruptedException {
        int concurrency = workers.size();
        var go = new CountDownLatch(1);
        long start = System.nanoTime() + 50_000_000L; // threads get 50 ms to reach the gate
        long measureFrom = start + warmup.toNanos();
        long end = measureFrom + duration.toNanos();
        var tallies = new Tally[concurrency];
        var threads = new Thread[concurrency];
        for (int w = 0; w < concurrency; w++) {
            var tally = tallies[w] = new Tally();
            var worker = workers.get(w);
            threads[w] = Thread.ofPlatform().name("bench-" + name + "-" + w).daemon().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                loop(worker, tally, measureFrom, end);
            });
        }
        long now = System.nanoTime();
        if (start > now) Thread.sleep(Duration.ofNanos(start - now));
        go.countDown();
        now = System.nanoTime();
        if (measureFrom > now) Thread.sleep(Duration.ofNanos(measureFrom - now));
        var cpuBefore = cpu.snapshot();

        long joinBy = end + STRAGGLER_GRACE.toNanos();
        boolean stuck = false;
        for (Thread t : threads) {
            long left = joinBy - System.nanoTime();
            if (left <= 0 || !t.join(Duration.ofNanos(Math.max(1, left)))) stuck = true;
        }
        var cpuAfter = cpu.snapshot();
        var cpuUsage = cpuBefore.flatMap(a -> cpuAfter.map(b -> CpuMeter.between(a, b)));
        if (stuck) { // a request hung past every timeout: cut the connections so the threads end
            workers.forEach(Scenario.Worker::close);
            for (Thread t : threads) t.join(Duration.ofSeconds(5));
        }

        var latency = new LatencyHistogram();
        Map<String, Long> errors = new TreeMap<>();
        Map<String, String> examples = new LinkedHashMap<>();
        long ops = 0;
        long lastEnd = end;
        for (int w = 0; w < concurrency; w++) {
            var tally = tallies[w];
            if (threads[w].isAlive()) {
                errors.merge("worker stuck", 1L, Long::sum);
                continue;
            }
            latency.add(tally.latency);
            tally.errors.forEach((k, v) -> errors.merge(k, v, Long::sum));
            tally.examples.forEach(examples::putIfAbsent);
            ops += tally.ops;
            lastEnd = Math.max(lastEnd, tally.lastEnd);
        }
        return new Result(name, concurrency, ops, (lastEnd - measureFrom) / 1e9, latency, errors, examples, cpuUsage);
    }

    private static void loop(Scenario.Worker worker, Tally tally, long measureFrom, long end) {
        long i = 0;
        while (true) {
            long t0 = System.nanoTime();
            if (t0 - end >= 0) return;
            Scenario.Outcome outcome;
            try {
                outcome = worker.call(i++);
            } catch (Exception e) {
                outcome = new Scenario.Outcome.Unexpected(e.getClass().getSimpleName(), String.valueOf(e.getMessage()));
            }
            long t1 = System.nanoTime();
            if (t0 - measureFrom < 0) continue; // warm-up
            tally.ops++;
            tally.latency.recordNanos(t1 - t0);
            tally.lastEnd = t1;
            if (outcome instanceof Scenario.Outcome.Unexpected(String label, String detail)) tally.error(label, detail);
        }
    }
}
