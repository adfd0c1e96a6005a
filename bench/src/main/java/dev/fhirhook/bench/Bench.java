package dev.fhirhook.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The load generator: prints the machine, then one table row per scenario and concurrency, then the errors.
 * It runs against a live server (see bench/run, which starts one) and only against 127.0.0.1.
 */
public final class Bench {
    private static final Pattern VERSION = Pattern.compile("\"version\"\\s*:\\s*\"([^\"]*)\"");
    private static final Pattern PATIENT_ID = Pattern.compile("/Patient/([A-Za-z0-9.-]{1,64})(?:/|$)");
    private static final Pattern RUN_AUDIT = Pattern.compile(
            "\"runAudit\":\\{\"alone\":(\\d+),\"batches\":(\\d+),\"batchedEvents\":(\\d+)}");

    private final Options options;
    private final Target target;
    private final PrintStream out;

    Bench(Options options, PrintStream out) {
        this.options = options;
        this.target = Target.of(options.url(), options.user(), options.secret());
        this.out = out;
    }

    public static void main(String[] args) {
        if (args.length > 0 && java.util.Arrays.asList(args).contains("--search")) {
            SearchBench.main(java.util.Arrays.stream(args).filter(a -> !a.equals("--search")).toArray(String[]::new));
            return;
        }
        Options options;
        try {
            options = Options.parse(args);
        } catch (Options.UsageException e) {
            if (!e.getMessage().isEmpty()) System.err.println("bench: " + e.getMessage());
            System.err.print(Options.USAGE);
            System.exit(e.getMessage().isEmpty() ? 0 : 2);
            return;
        }
        try {
            new Bench(options, System.out).run();
        } catch (Exception e) {
            System.err.println("bench: " + e);
            System.exit(1);
        }
    }

    void run() throws Exception {
        Optional<String> jdbcUrl = options.pgData().map(Bench::jdbcUrl);
        printHeader(jdbcUrl);
        Target client = target;
        if (options.policy().isPresent()) {
            client = PolicyClient.create(target, options.url(), options.policy().get());
            out.println("- requests (but healthcheck) as a project client whose AccessPolicy has resource: " + options.policy().get());
            out.println();
        }
        List<String> ids = options.scenarios().stream().anyMatch(s -> s.equals("read") || s.equals("update"))
                ? seedPatients(client, options.seedCount(), -1) : List.of();
        // Patients of their own, which update never touches, so every search finds exactly one
        var searched = new ArrayList<String>();
        if (options.scenarios().contains("search")) {
            seedPatients(client, options.seedCount(), -2);
            for (int i = 0; i < options.seedCount(); i++) searched.add(Patients.identifier(-2, i));
        }
        // the webhook bots are set up (and, when they run, primed with events) before ANALYZE, like the seeds: see
        // WebhookScenario.prime
        var webhooks = options.scenarios().stream().anyMatch(Options.WEBHOOK_SCENARIOS::contains)
                ? WebhookScenario.setUp(target, options.scenarios().stream().anyMatch(s -> !s.equals("webhook-forged")
                        && Options.WEBHOOK_SCENARIOS.contains(s))) : null;
        if (webhooks != null && webhooks.quietBot() != null) {
            WebhookScenario.prime(target, webhooks, WebhookScenario.PRIMING);
            if (!options.loadWarmup().isZero()) warmUpWebhooks(webhooks, options.loadWarmup());
        }
        if (jdbcUrl.isPresent()) {
            analyze(jdbcUrl.get());
            out.println("- planner statistics: ANALYZE after seeding, then autovacuum");
            out.println();
        }
        Optional<PgCommitScenario> pg = jdbcUrl.map(PgCommitScenario::new)
                .filter(p -> options.scenarios().contains("pg-commit"));
        if (options.scenarios().contains("pg-commit") && pg.isEmpty()) {
            out.println("(pg-commit skipped: no --pg-data)");
        }
        if (pg.isPresent()) pg.get().setUp();
        Optional<PgWebhookScenario> pgWebhook = jdbcUrl.map(PgWebhookScenario::new)
                .filter(p -> options.scenarios().contains("pg-webhook"));
        if (options.scenarios().contains("pg-webhook") && pgWebhook.isEmpty()) {
            out.println("(pg-webhook skipped: no --pg-data)");
        }
        String trivialBot = options.scenarios().contains("exec-trivial") ? Bots.deploy(target, "bench-trivial", Bots.TRIVIAL, "Invoice") : null;
        String upsertBot = options.scenarios().contains("exec-upsert") ? Bots.deploy(target, "bench-upsert", Bots.UPSERT_INVOICE, "Invoice") : null;
        var cpu = new CpuMeter(options.serverPid(), options.pgData());
        var results = new ArrayList<LoadRun.Result>();
        try {
            printTableHead();
            for (int concurrency : options.concurrency()) {
                for (String name : options.scenarios()) {
                    Scenario scenario = switch (name) {
                        case "healthcheck" -> HttpScenario.healthcheck(target);
                        case "pg-commit" -> pg.orElse(null);
                        case "pg-webhook" -> pgWebhook.orElse(null);
                        case "create" -> HttpScenario.create(client);
                        case "read" -> HttpScenario.read(client, ids);
                        case "update" -> HttpScenario.update(client, ids);
                        case "search" -> HttpScenario.search(client, searched);
                        case "exec-trivial" -> HttpScenario.executeTrivial(target, trivialBot);
                        case "exec-upsert" -> HttpScenario.executeUpsert(target, upsertBot);
                        case "webhook" -> WebhookScenario.signed(target, webhooks.bot());
                        case "webhook-quiet" -> WebhookScenario.signedQuiet(target, webhooks.quietBot());
                        case "webhook-update" -> WebhookScenario.updates(target, webhooks.bot(), concurrency);
                        case "webhook-forged" -> WebhookScenario.forged(target, webhooks.bot());
                        default -> throw new IllegalStateException(name);
                    };
                    if (scenario == null) continue;
                    System.err.printf("bench: %s at concurrency %d (%s warm-up + %s)...%n", name, concurrency,
                            seconds(options.warmup()), seconds(options.duration()));
                    var auditsBefore = name.equals("webhook") ? runAudits() : Optional.<RunAudits>empty();
                    var result = LoadRun.run(scenario, concurrency, options.warmup(), options.duration(), cpu);
                    var auditsAfter = auditsBefore.isPresent() ? runAudits() : Optional.<RunAudits>empty();
                    if (auditsAfter.isPresent() && pgWebhook.isPresent()) {
                        pgWebhook.get().serverGrouped(concurrency, auditsAfter.get().eventsPerCommitSince(auditsBefore.get()));
                    }
                    results.add(result);
                    printRow(result, options.serverPid().flatMap(ProcessMemory::of));
                }
            }
        } finally {
            if (pg.isPresent()) pg.get().tearDown();
            if (pgWebhook.isPresent()) pgWebhook.get().tearDown();
        }
        printErrors(results);
        if (pgWebhook.isPresent()) printAuditGrouping(pgWebhook.get());
        printInterference(results);
        if (webhooks != null) printWebhookMetrics();
    }

    /**
     * Unmeasured load on both webhook bots at 16 connections, half the time each. The bot path runs through the
     * GraalJS interpreter, which the JVM compiles for about a minute under load (compiler threads at a third to
     * two thirds of the server's CPU meanwhile): without this, the first rows measure the compiler as much as the
     * server. A server that takes webhooks has long passed that minute.
     */
    private void warmUpWebhooks(WebhookScenario.Paths webhooks, Duration length) throws Exception {
        System.err.printf("bench: warming up the webhook path for %s at 16 connections...%n", seconds(length));
        var half = length.dividedBy(2);
        var cpu = new CpuMeter(options.serverPid(), options.pgData());
        long ops = LoadRun.run(WebhookScenario.signed(target, webhooks.bot()), 16, Duration.ZERO, half, cpu).ops()
                + LoadRun.run(WebhookScenario.signedQuiet(target, webhooks.quietBot()), 16, Duration.ZERO, half, cpu).ops();
        out.println("- warm-up: " + seconds(length) + " of webhook and webhook-quiet load at 16 connections before the"
                + " first row (" + ops + " events, not counted), so that the rows measure the compiled bot path");
        out.println();
    }

    /** The server's count of bot-run AuditEvents and of the commits they went in (GET /admin/webhook-metrics). */
    private record RunAudits(long alone, long batches, long batchedEvents) {
        /** The events per commit since {@code before}: 1 when every run committed its own. */
        double eventsPerCommitSince(RunAudits before) {
            long commits = alone + batches - before.alone - before.batches;
            long events = alone + batchedEvents - before.alone - before.batchedEvents;
            return commits <= 0 ? 1 : (double) events / commits;
        }
    }

    private Optional<RunAudits> runAudits() throws IOException {
        try (var admin = target.open(true)) {
            var response = admin.get(target.path("admin/webhook-metrics"));
            var m = RUN_AUDIT.matcher(response.status() == 200 ? admin.bodyText() : "");
            return m.find() ? Optional.of(new RunAudits(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
                    Long.parseLong(m.group(3)))) : Optional.empty();
        }
    }

    /** How the pg-webhook rows grouped their AuditEvents, and whence. */
    private void printAuditGrouping(PgWebhookScenario floor) {
        if (floor.used().isEmpty()) return;
        out.println();
        out.println("AuditEvents per commit in the pg-webhook rows:");
        floor.used().forEach((concurrency, grouping) -> out.printf(Locale.ROOT, "- at %d: %d, %s%n", concurrency,
                grouping.perCommit(), grouping.measured().isPresent()
                        ? String.format(Locale.ROOT, "as the server grouped them in the webhook row at %d (%.2f per commit)",
                                concurrency, grouping.measured().getAsDouble())
                        : "as a run that finishes alone commits its own (no webhook row at " + concurrency + " before it)"));
    }

    /** The server's own webhook counters: how many refusals were audited, and how many audit events it dropped. */
    private void printWebhookMetrics() throws IOException {
        try (var admin = target.open(true)) {
            var response = admin.get(target.path("admin/webhook-metrics"));
            out.println();
            out.println("Server webhook counters after the run (GET /admin/webhook-metrics): "
                    + (response.status() == 200 ? admin.bodyText() : "HTTP " + response.status()));
        }
    }

    // --- setup ------------------------------------------------------------------------------------

    /**
     * Brings the planner's statistics up to date after seeding. A fresh database has none until autovacuum's
     * first pass (a minute or more), and without them PostgreSQL may read a project's Patient by scanning the
     * project's index, or join a criteria's index rows to every Patient: the rows would then measure that
     * moment, not the server. Autovacuum keeps the statistics current while the rows run.
     */
    private static void analyze(String jdbcUrl) {
        try (var c = PgCommitScenario.connect(jdbcUrl); var st = c.createStatement()) {
            st.execute("analyze");
        } catch (SQLException e) {
            throw new IllegalStateException("analyze after seeding: " + e.getMessage(), e);
        }
    }

    /** Reads the port from line 4 of postmaster.pid; the embedded server trusts local connections. */
    static String jdbcUrl(Path pgData) {
        try {
            List<String> lines = Files.readAllLines(pgData.resolve("postmaster.pid"));
            if (lines.size() < 4) throw new IllegalStateException(pgData + "/postmaster.pid has fewer than 4 lines");
            int port = Integer.parseInt(lines.get(3).strip());
            return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?socketTimeout=30&connectTimeout=10";
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + pgData + "/postmaster.pid: " + e.getMessage(), e);
        }
    }

    /** Creates {@code count} Patients as {@code Patients.forCreate(worker, i)}; returns their ids. */
    private List<String> seedPatients(Target client, int count, int worker) throws IOException {
        System.err.printf("bench: creating %d Patients for %s...%n", count, worker == -1 ? "read and update" : "search");
        var ids = new ArrayList<String>(count);
        var path = client.path("fhir/R4/Patient");
        try (var connection = client.open(true)) {
            for (int i = 0; i < count; i++) {
                var response = connection.send("POST", path, HttpScenario.FHIR_JSON, Patients.forCreate(worker, i));
                if (response.status() != 201) {
                    throw new IllegalStateException("seeding: POST " + path + " answered " + response.status() + ": "
                            + connection.bodyText());
                }
                var m = PATIENT_ID.matcher(response.location() == null ? "" : response.location());
                if (!m.find()) throw new IllegalStateException("seeding: no Patient id in Location " + response.location());
                ids.add(m.group(1));
            }
        }
        return ids;
    }

    // --- output -----------------------------------------------------------------------------------

    private void printHeader(Optional<String> jdbcUrl) throws IOException {
        out.println("# fhirhook bench");
        out.println();
        out.println("- date: " + OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS));
        options.label().ifPresent(label -> out.println("- label: " + label));
        out.println("- machine: " + Runtime.getRuntime().availableProcessors() + " CPUs (nproc), "
                + cpuModel() + ", " + memTotal() + " RAM, " + System.getProperty("os.name") + " "
                + System.getProperty("os.version"));
        out.println("- bench JVM: " + System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version"));
        options.serverPid().flatMap(pid -> ProcessHandle.of(pid).flatMap(p -> p.info().command()))
                .ifPresent(cmd -> out.println("- server JVM: " + cmd));
        out.println("- server: " + options.url() + " version " + serverVersion());
        jdbcUrl.ifPresent(url -> out.println("- postgres: " + postgresFacts(url)));
        out.println("- load: closed loop, " + seconds(options.warmup()) + " warm-up + " + seconds(options.duration())
                + " measured per row, concurrency " + options.concurrency() + ", one keep-alive connection per worker");
        out.println("- columns: latency of each operation as the client saw it; RSS and peak of the server JVM after the row;"
                + " CPU of the server JVM, PostgreSQL, the bench, kernel threads, everything else and hypervisor"
                + " steal during the measured window, in % of the whole machine (all cores = 100)");
        out.println("- load average at start: " + loadAverage());
        out.println();
    }

    private String serverVersion() throws IOException {
        try (var connection = target.open(false)) {
            var response = connection.get(target.path("healthcheck"));
            var m = VERSION.matcher(connection.bodyText());
            String version = m.find() ? m.group(1) : "?";
            return response.status() == 200 ? version : version + " (healthcheck answered " + response.status() + ")";
        }
    }

    static String postgresFacts(String jdbcUrl) {
        try (var c = PgCommitScenario.connect(jdbcUrl); var st = c.createStatement()) {
            var facts = new StringBuilder();
            try (var rs = st.executeQuery("select version()")) {
                rs.next();
                String v = rs.getString(1);
                facts.append(v.contains(",") ? v.substring(0, v.indexOf(',')) : v);
            }
            for (String setting : List.of("fsync", "synchronous_commit", "shared_buffers", "max_connections")) {
                try (var rs = st.executeQuery("show " + setting)) {
                    rs.next();
                    facts.append(", ").append(setting).append('=').append(rs.getString(1));
                }
            }
            return facts.toString();
        } catch (SQLException e) {
            return "unavailable (" + e.getMessage() + ")";
        }
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    static String memTotal() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                    .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
                    .map(kb -> String.format(Locale.ROOT, "%.1f GiB", kb / 1024.0 / 1024.0)).findFirst().orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }

    static final String ROW =
            "| %-14s | %4s | %8s | %8s | %7s | %7s | %7s | %6s | %6s | %7s | %4s | %4s | %6s | %5s | %6s | %6s |%n";

    private void printTableHead() {
        printTableHead(out);
    }

    static void printTableHead(PrintStream out) {
        out.printf(ROW, "scenario", "conc", "ops", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "RSS MB", "peak MB",
                "srv%", "pg%", "bench%", "kern%", "other%", "steal%");
        out.println("| :------------- | ---: | -------: | -------: | ------: | ------: | ------: | -----: | -----: | ------: | ---: | ---: | -----: | ----: | -----: | -----: |");
        out.flush();
    }

    private void printRow(LoadRun.Result r, Optional<ProcessMemory> memory) {
        printRow(out, r, memory);
    }

    static void printRow(PrintStream out, LoadRun.Result r, Optional<ProcessMemory> memory) {
        var h = r.latency();
        out.printf(Locale.ROOT, ROW, r.scenario(), r.concurrency(), r.ops(),
                String.format(Locale.ROOT, "%.0f", r.throughput()), ms(h.percentileMicros(50)),
                ms(h.percentileMicros(99)), ms(h.maxMicros()), r.errorCount(),
                memory.map(m -> Long.toString(m.rssKb() / 1024)).orElse("-"),
                memory.map(m -> Long.toString(m.hwmKb() / 1024)).orElse("-"),
                r.cpu().map(c -> pct(c.server())).orElse("-"), r.cpu().map(c -> pct(c.postgres())).orElse("-"),
                r.cpu().map(c -> pct(c.bench())).orElse("-"), r.cpu().map(c -> pct(c.kernel())).orElse("-"),
                r.cpu().map(c -> pct(c.other())).orElse("-"),
                r.cpu().map(c -> pct(c.steal())).orElse("-"));
        out.flush();
    }

    private void printErrors(List<LoadRun.Result> results) {
        var failed = results.stream().filter(r -> r.errorCount() > 0).toList();
        out.println();
        if (failed.isEmpty()) {
            out.println("No errors: every response had the expected status.");
            return;
        }
        out.println("Errors (unexpected statuses or exceptions), with one example each:");
        for (var r : failed) {
            r.errors().forEach((label, count) -> out.printf("- %s at %d: %d x %s: %s%n", r.scenario(), r.concurrency(),
                    count, label, r.examples().getOrDefault(label, "").replaceAll("\\s+", " ")));
        }
    }

    /** Rows where a tenth of the machine or more went to processes outside the benchmark. */
    private void printInterference(List<LoadRun.Result> results) {
        var disturbed = results.stream().filter(r -> r.cpu().map(c -> c.other() >= 10).orElse(false)).toList();
        if (disturbed.isEmpty()) return;
        out.println();
        out.println("Rows where other processes used >= 10% of the machine (busiest of them):");
        for (var r : disturbed) {
            var cpu = r.cpu().orElseThrow();
            out.printf(Locale.ROOT, "- %s at %d: other %.0f%%: %s%n", r.scenario(), r.concurrency(), cpu.other(),
                    cpu.topOthers().isEmpty() ? "short-lived processes" : String.join("; ", cpu.topOthers()));
        }
    }

    static String ms(long micros) {
        return String.format(Locale.ROOT, micros >= 100_000 ? "%.0f" : "%.2f", micros / 1000.0);
    }

    static String pct(double percent) {
        return String.format(Locale.ROOT, "%.0f", percent);
    }

    static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() / 1000.0 + " s";
    }
}
