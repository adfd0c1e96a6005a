package dev.fhirhook.bench;

import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * The search benchmark (bench/run-search): creates a project with its own client, loads N Invoices through
 * the server in transaction Bundles, ANALYZEs, measures three searches and two floors at each concurrency,
 * and prints EXPLAIN (ANALYZE, BUFFERS) of the SQL the server ran for each search (captured from
 * pg_stat_activity, so it is the server's text, not a reconstruction). Only talks to 127.0.0.1.
 */
final class SearchBench {
    private static final Pattern ID_IN_LOCATION = Pattern.compile("/(?:Project|ClientApplication|ProjectMembership)/([A-Za-z0-9.-]{1,64})(?:/|$)");
    private static final Pattern FULL_URL = Pattern.compile("\"fullUrl\"");
    static final List<String> SCENARIOS = List.of("healthcheck", "pg-read", "identifier", "date-range", "sort-status");

    record Opts(String url, String user, String secret, Optional<Long> serverPid, Path pgData, Optional<String> label,
                long invoices, int batch, int loaders, long probe, double budgetMinutes, Duration duration,
                Duration warmup, List<Integer> concurrency, List<String> scenarios) {}

    static final String USAGE = """
            usage: java -jar fhirhook-bench.jar --search --url URL --user ID --secret SECRET --pg-data DIR [options]
              --invoices N         Invoices to load (default 1000000)
              --batch N            Invoices per transaction Bundle (default 500)
              --loaders N          concurrent loading connections (default 4)
              --probe N            Invoices loaded first to measure the rate (default 20000)
              --budget MINUTES     give up loading through the server when the probe projects more (default 20)
              --duration/--warmup  seconds per row (default 15 and 3)
              --concurrency LIST   (default 1,16)
              --scenarios LIST     subset of healthcheck,pg-read,identifier,date-range,sort-status
              --server-pid PID, --label TEXT as for the default bench
            """;

    static Opts parse(String[] args) {
        String url = null, user = null, secret = null, label = null;
        Long pid = null;
        Path pg = null;
        long invoices = 1_000_000, probe = 20_000;
        int batch = 500, loaders = 4;
        double budget = 20, duration = 15, warmup = 3;
        List<Integer> conc = List.of(1, 16);
        List<String> scenarios = SCENARIOS;
        for (int i = 0; i < args.length; i++) {
            String f = args[i];
            if (f.equals("-h") || f.equals("--help")) throw new Options.UsageException("");
            if (i + 1 >= args.length) throw new Options.UsageException("missing value for " + f);
            String v = args[++i];
            switch (f) {
                case "--url" -> url = v;
                case "--user" -> user = v;
                case "--secret" -> secret = v;
                case "--server-pid" -> pid = Long.parseLong(v);
                case "--pg-data" -> pg = Path.of(v);
                case "--label" -> label = v;
                case "--invoices" -> invoices = Long.parseLong(v);
                case "--batch" -> batch = Integer.parseInt(v);
                case "--loaders" -> loaders = Integer.parseInt(v);
                case "--probe" -> probe = Long.parseLong(v);
                case "--budget" -> budget = Double.parseDouble(v);
                case "--duration" -> duration = Double.parseDouble(v);
                case "--warmup" -> warmup = Double.parseDouble(v);
                case "--concurrency" -> conc = Arrays.stream(v.split(",")).map(String::strip).map(Integer::parseInt).toList();
                case "--scenarios" -> scenarios = Arrays.stream(v.split(",")).map(String::strip).toList();
                default -> throw new Options.UsageException("unknown option " + f);
            }
        }
        if (url == null || user == null || secret == null || pg == null) {
            throw new Options.UsageException("--url, --user, --secret and --pg-data are required");
        }
        for (String s : scenarios) if (!SCENARIOS.contains(s)) throw new Options.UsageException("unknown scenario " + s);
        if (batch < 1 || batch > 1000 || loaders < 1 || invoices < 1) throw new Options.UsageException("bad sizes");
        return new Opts(url, user, secret, Optional.ofNullable(pid), pg, Optional.ofNullable(label), invoices, batch,
                loaders, Math.min(probe, invoices), budget, Duration.ofMillis((long) (duration * 1000)),
                Duration.ofMillis((long) (warmup * 1000)), conc, scenarios);
    }

    public static void main(String[] args) {
        Opts o;
        try {
            o = parse(args);
        } catch (Options.UsageException | NumberFormatException e) {
            if (e.getMessage() != null && !e.getMessage().isEmpty()) System.err.println("bench: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        try {
            new SearchBench(o, System.out).run();
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(1);
        }
    }

    private final Opts o;
    private final PrintStream out;
    private final String jdbcUrl;
    private final Target admin;

    SearchBench(Opts o, PrintStream out) {
        this.o = o;
        this.out = out;
        this.jdbcUrl = Bench.jdbcUrl(o.pgData());
        this.admin = Target.of(o.url(), o.user(), o.secret());
    }

    void run() throws Exception {
        var project = createProject();
        Target client = Target.of(o.url(), project[1], project[2]);
        String projectId = project[0];
        long loaded = load(client, projectId);
        analyze();
        printHeader(loaded);
        var ids = sampleIds(projectId, 100_000);
        var cpu = new CpuMeter(o.serverPid(), Optional.of(o.pgData()));
        var results = new ArrayList<LoadRun.Result>();
        Bench.printTableHead(out);
        for (int c : o.concurrency()) {
            for (String name : o.scenarios()) {
                Scenario s = switch (name) {
                    case "healthcheck" -> HttpScenario.healthcheck(admin);
                    case "pg-read" -> new PgReadScenario(jdbcUrl, ids);
                    case "identifier" -> identifier(client, loaded);
                    case "date-range" -> dateRange(client);
                    case "sort-status" -> sortStatus(client);
                    default -> throw new IllegalStateException(name);
                };
                System.err.printf("bench: %s at concurrency %d...%n", name, c);
                var r = LoadRun.run(s, c, o.warmup(), o.duration(), cpu);
                results.add(r);
                Bench.printRow(out, r, o.serverPid().flatMap(ProcessMemory::of));
            }
        }
        out.println();
        for (var r : results) {
            if (r.errorCount() == 0) continue;
            r.errors().forEach((label, count) -> out.printf("- errors: %s at %d: %d x %s: %s%n", r.scenario(),
                    r.concurrency(), count, label, r.examples().getOrDefault(label, "").replaceAll("\\s+", " ")));
        }
        if (results.stream().allMatch(r -> r.errorCount() == 0)) out.println("No errors: every response had the expected status and match count.");
        explain(client, projectId, loaded);
    }

    // --- set-up and loading -----------------------------------------------------------------------

    /** A project with one ClientApplication and its membership: [projectId, clientId, secret]. */
    private String[] createProject() throws Exception {
        String secret = "bench-" + Long.toHexString(new SplittableRandom().nextLong()) + Long.toHexString(System.nanoTime());
        try (var c = admin.open(true)) {
            String projectId = created(c, "Project", "{\"resourceType\":\"Project\",\"name\":\"search bench\"}");
            String clientId = created(c, "ClientApplication", """
                    {"resourceType":"ClientApplication","name":"search bench","status":"active","secret":"%s","meta":{"project":"%s"}}"""
                    .formatted(secret, projectId));
            created(c, "ProjectMembership", """
                    {"resourceType":"ProjectMembership","meta":{"project":"%1$s"},"project":{"reference":"Project/%1$s"},
                     "user":{"reference":"ClientApplication/%2$s"},"profile":{"reference":"ClientApplication/%2$s"}}"""
                    .formatted(projectId, clientId));
            return new String[] {projectId, clientId, secret};
        }
    }

    private String created(HttpConnection c, String type, String body) throws Exception {
        var r = c.send("POST", admin.path("fhir/R4/" + type), HttpScenario.FHIR_JSON, body.getBytes(StandardCharsets.UTF_8));
        if (r.status() != 201) throw new IllegalStateException("POST " + type + " answered " + r.status() + ": " + c.bodyText());
        var m = ID_IN_LOCATION.matcher(r.location() == null ? "" : r.location());
        if (!m.find()) throw new IllegalStateException("no id in Location " + r.location());
        return m.group(1);
    }

    /** Loads through the server; returns how many Invoices exist (n = 0 .. result - 1). */
    private long load(Target client, String projectId) throws Exception {
        long t0 = System.nanoTime();
        long probe = loadRange(client, 0, o.probe());
        double probeSeconds = (System.nanoTime() - t0) / 1e9;
        double rate = probe / probeSeconds;
        double projected = o.invoices() / rate / 60;
        System.err.printf(Locale.ROOT, "bench: loaded %d Invoices in %.1f s: %.0f/s; all %d would take %.1f min%n",
                probe, probeSeconds, rate, o.invoices(), projected);
        loadNote = String.format(Locale.ROOT, "first %d through the server in %.1f s (%.0f Invoices/s)", probe, probeSeconds, rate);
        if (probe < o.probe()) throw new IllegalStateException("loading failed");
        if (o.invoices() > probe) {
            if (projected > o.budgetMinutes()) {
                System.err.printf(Locale.ROOT, "bench: over the %.0f min budget: cloning the rest in SQL%n", o.budgetMinutes());
                try (var c = PgCommitScenario.connect(jdbcUrl)) {
                    var cloner = new InvoiceCloner(c, projectId);
                    cloner.prepare();
                    long rows = cloner.verify(probe, 200);
                    System.err.printf("bench: the clone SQL reproduced %d rows of 200 server-written Invoices exactly%n", rows);
                    long t1 = System.nanoTime();
                    cloner.cloneRange(probe, o.invoices(), 100_000);
                    double s = (System.nanoTime() - t1) / 1e9;
                    loadNote += String.format(Locale.ROOT, " (projected %.0f min for all), then the rest (%d) cloned in SQL from the rows"
                            + " the server wrote for in_0 in %.1f s (%.0f/s), after the clone SQL reproduced all %d rows of 200"
                            + " server-written Invoices exactly", projected, o.invoices() - probe, s, (o.invoices() - probe) / s, rows);
                }
                System.err.println("bench: " + loadNote);
                return o.invoices();
            }
            long t1 = System.nanoTime();
            long rest = loadRange(client, probe, o.invoices());
            double s = (System.nanoTime() - t1) / 1e9;
            double total = (System.nanoTime() - t0) / 1e9;
            loadNote += String.format(Locale.ROOT, ", the rest (%d) in %.1f s (%.0f/s); %d in %.1f min, %.0f/s overall",
                    rest - probe, s, (rest - probe) / s, rest, total / 60, rest / total);
            System.err.println("bench: " + loadNote);
            if (rest < o.invoices()) throw new IllegalStateException("loading failed at " + rest);
            return rest;
        }
        return probe;
    }

    private String loadNote = "";

    /** Invoices [from, to) in Bundles of o.batch over o.loaders connections; returns the end of the contiguous prefix loaded. */
    private long loadRange(Target client, long from, long to) throws InterruptedException {
        var next = new AtomicLong(from);
        var failure = new AtomicReference<String>();
        var threads = new ArrayList<Thread>();
        var done = new AtomicLong();
        long deadline = System.nanoTime() + Duration.ofMinutes(45).toNanos();
        for (int t = 0; t < o.loaders(); t++) {
            threads.add(Thread.ofPlatform().name("loader-" + t).start(() -> {
                try (var c = client.open(true)) {
                    while (failure.get() == null && System.nanoTime() < deadline) {
                        long a = next.getAndAdd(o.batch());
                        if (a >= to) return;
                        long b = Math.min(to, a + o.batch());
                        var r = c.send("POST", client.path("fhir/R4/"), HttpScenario.FHIR_JSON, Invoices.transaction(a, b));
                        if (r.status() != 200) {
                            failure.compareAndSet(null, "Bundle " + a + ".." + b + " answered " + r.status() + ": "
                                    + c.bodyText().substring(0, Math.min(500, c.bodyText().length())));
                            return;
                        }
                        long d = done.addAndGet(b - a);
                        if (d / 50_000 != (d - (b - a)) / 50_000) System.err.printf("bench: %d Invoices loaded%n", from + d);
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e.toString());
                }
            }));
        }
        for (var t : threads) t.join();
        if (failure.get() != null) throw new IllegalStateException("loading: " + failure.get());
        return from + done.get() == to ? to : from + done.get();
    }

    private void analyze() throws SQLException {
        try (var c = PgCommitScenario.connect(jdbcUrl); var st = c.createStatement()) {
            long t0 = System.nanoTime();
            st.execute("analyze");
            System.err.printf(Locale.ROOT, "bench: ANALYZE took %.1f s%n", (System.nanoTime() - t0) / 1e9);
        }
    }

    private List<String> sampleIds(String projectId, int n) throws SQLException {
        try (var c = PgCommitScenario.connect(jdbcUrl);
             var ps = c.prepareStatement("select id from resource where resource_type = 'Invoice' and project_id = ? order by random() limit ?")) {
            ps.setString(1, projectId);
            ps.setInt(2, n);
            var ids = new ArrayList<String>(n);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) ids.add(rs.getString(1));
            }
            return ids;
        }
    }

    // --- scenarios ---------------------------------------------------------------------------------

    private static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static String identifierPath(Target t, long n) {
        return t.path("fhir/R4/Invoice?identifier=" + q(Invoices.SYSTEM + "|" + Invoices.identifier(n)));
    }

    static String datePath(Target t, int day) {
        var d = Invoices.FIRST_DAY.plusDays(day);
        return t.path("fhir/R4/Invoice?date=ge" + d + "&date=lt" + d.plusDays(1));
    }

    static String sortPath(Target t) {
        return t.path("fhir/R4/Invoice?status=issued&_sort=-date&_count=20");
    }

    /** Expects exactly one match, for a random n among those loaded. */
    private SearchScenario identifier(Target t, long loaded) {
        return new SearchScenario("identifier", t, (rnd) -> identifierPath(t, rnd.nextLong(loaded)), 1, 1);
    }

    /** A random day of the four years: about loaded / 1461 matches, first page of 20. */
    private SearchScenario dateRange(Target t) {
        return new SearchScenario("date-range", t, (rnd) -> datePath(t, rnd.nextInt(Invoices.DAYS)), 1, 20);
    }

    private SearchScenario sortStatus(Target t) {
        String path = sortPath(t);
        return new SearchScenario("sort-status", t, (rnd) -> path, 20, 20);
    }

    /** GET a search; 200 with between min and max entries is expected. */
    record SearchScenario(String name, Target target, java.util.function.Function<SplittableRandom, String> paths,
                          int min, int max) implements Scenario {
        @Override
        public Worker worker(int index, int concurrency) {
            var c = target.open(true);
            var rnd = new SplittableRandom(0x5EA5C4L * 31 + index);
            return new Worker() {
                @Override
                public Outcome call(long i) throws Exception {
                    String path = paths.apply(rnd);
                    var r = c.get(path);
                    if (r.status() != 200) return new Outcome.Unexpected("HTTP " + r.status(), path + " -> " + c.bodyText());
                    String body = c.bodyText();
                    var m = FULL_URL.matcher(body);
                    int entries = 0;
                    while (m.find()) entries++;
                    if (entries < min || entries > max) {
                        return new Outcome.Unexpected(entries + " matches", path + " -> " + entries + " entries, expected "
                                + min + ".." + max);
                    }
                    return Outcome.EXPECTED;
                }

                @Override
                public void close() {
                    c.close();
                }
            };
        }
    }

    /** The read floor: a primary-key lookup of a random Invoice's content on a private JDBC connection. */
    record PgReadScenario(String jdbcUrl, List<String> ids) implements Scenario {
        @Override
        public String name() {
            return "pg-read";
        }

        @Override
        public Worker worker(int index, int concurrency) throws SQLException {
            Connection c = PgCommitScenario.connect(jdbcUrl);
            var ps = c.prepareStatement("select content from resource where resource_type = 'Invoice' and id = ?");
            var rnd = new SplittableRandom(77 + index);
            return new Worker() {
                @Override
                public Outcome call(long i) throws SQLException {
                    ps.setString(1, ids.get(rnd.nextInt(ids.size())));
                    try (var rs = ps.executeQuery()) {
                        if (!rs.next() || rs.getString(1).isEmpty()) return new Outcome.Unexpected("no row", "");
                    }
                    return Outcome.EXPECTED;
                }

                @Override
                public void close() {
                    try {
                        c.close();
                    } catch (SQLException ignored) {
                        // best effort
                    }
                }
            };
        }
    }

    // --- output ------------------------------------------------------------------------------------

    private void printHeader(long loaded) throws Exception {
        out.println("# fhirhook search bench");
        out.println();
        out.println("- date: " + OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS));
        o.label().ifPresent(l -> out.println("- label: " + l));
        out.println("- machine: " + Runtime.getRuntime().availableProcessors() + " CPUs (nproc), " + Bench.cpuModel() + ", "
                + Bench.memTotal() + " RAM, " + System.getProperty("os.name") + " " + System.getProperty("os.version"));
        out.println("- bench JVM: " + System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version"));
        out.println("- postgres: " + Bench.postgresFacts(jdbcUrl));
        out.println("- data: " + loaded + " Invoices in one project (" + loadNote + "), then ANALYZE; " + sizes());
        out.println("- load: closed loop, " + Bench.seconds(o.warmup()) + " warm-up + " + Bench.seconds(o.duration())
                + " measured per row, concurrency " + o.concurrency() + ", one keep-alive connection per worker;"
                + " searches as a project client (project_id bound)");
        out.println("- load average at start: " + Bench.loadAverage());
        out.println();
    }

    private String sizes() {
        try (var c = PgCommitScenario.connect(jdbcUrl); var st = c.createStatement();
             var rs = st.executeQuery("""
                     select pg_size_pretty(pg_database_size(current_database())),
                            (select count(*) from search_token), (select count(*) from search_date),
                            (select count(*) from search_reference), (select count(*) from search_quantity),
                            (select count(*) from search_string), (select count(*) from search_uri)""")) {
            rs.next();
            return String.format(Locale.ROOT, "database %s; index rows: token %d, date %d, reference %d, quantity %d, string %d, uri %d",
                    rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getLong(7));
        } catch (SQLException e) {
            return "sizes unavailable: " + e.getMessage();
        }
    }

    // --- plans -------------------------------------------------------------------------------------

    /**
     * Sends each search once, takes the exact statement text the server's pooled connection last ran from
     * pg_stat_activity, and runs EXPLAIN (ANALYZE, BUFFERS) of it with the same values (a custom plan, as
     * the first executions of a prepared statement get), then once more as a generic plan.
     */
    private void explain(Target client, String projectId, long loaded) throws Exception {
        long n = loaded / 2 + 123;
        int day = 1158; // 2024-03-04
        var d = Invoices.FIRST_DAY.plusDays(day);
        record Search(String title, String path, String shape, List<String> args) {}
        var searches = List.of(
                new Search("identifier", identifierPath(client, n), "search_token",
                        List.of("Invoice", projectId, "identifier", Invoices.identifier(n), Invoices.SYSTEM, "21", "0")),
                new Search("date-range", datePath(client, day), "search_date",
                        // one EXISTS: the index's scope hash (V13), the overlap hull [d, d+1), then each bound
                        // (high > d, low < d+1)
                        List.of("Invoice", projectId, "date", projectId + "|Invoice|date", d + "T00:00:00Z",
                                d.plusDays(1) + "T00:00:00Z",
                                d + "T00:00:00Z", d.plusDays(1) + "T00:00:00Z", "21", "0")),
                new Search("sort-status", sortPath(client), "max(",
                        List.of("Invoice", projectId, "status", "issued", "date", "21", "0")));
        out.println();
        out.println("## Plans");
        try (var http = client.open(true); var c = PgCommitScenario.connect(jdbcUrl); var st = c.createStatement()) {
            for (var s : searches) {
                var r = http.get(s.path());
                // A slow row before (sort-status at 16) can leave the server's pool busy for a while: retry, bounded.
                long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (r.status() == 503 && System.nanoTime() < until) {
                    Thread.sleep(2000);
                    r = http.get(s.path());
                }
                String sql = null;
                try (var ps = c.prepareStatement("""
                        select query from pg_stat_activity where pid <> pg_backend_pid()
                           and query like 'select r.content from resource r where%' order by state_change desc""");
                     var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String text = rs.getString(1);
                        boolean shape = switch (s.title()) {
                            case "identifier" -> text.contains("search_token") && !text.contains("search_date");
                            case "date-range" -> text.contains("search_date") && !text.contains("max(");
                            default -> text.contains("max(");
                        };
                        if (shape) {
                            sql = text;
                            break;
                        }
                    }
                }
                out.println();
                out.println("### " + s.title() + ": GET " + s.path() + " -> " + r.status());
                out.println();
                if (sql == null) {
                    out.println("(statement not found in pg_stat_activity)");
                    continue;
                }
                out.println("```sql");
                out.println(sql);
                out.println("```");
                out.println("values: " + s.args());
                String params = String.join(", ", s.args().stream().map(a -> "'" + a.replace("'", "''") + "'").toList());
                st.execute("deallocate all");
                st.execute("prepare bench_q as " + sql);
                for (String mode : List.of("force_custom_plan", "force_generic_plan")) {
                    st.execute("set plan_cache_mode = " + mode);
                    out.println();
                    out.println(mode.equals("force_custom_plan") ? "custom plan (the values known):" : "generic plan (as a prepared statement may switch to after 5 executions):");
                    out.println("```");
                    for (int run = 0; run < 2; run++) { // the second run is the one shown: warm cache
                        var lines = new ArrayList<String>();
                        try (var rs = st.executeQuery("explain (analyze, buffers) execute bench_q(" + params + ")")) {
                            while (rs.next()) lines.add(rs.getString(1));
                        }
                        if (run == 1) lines.forEach(out::println);
                    }
                    out.println("```");
                }
                st.execute("reset plan_cache_mode");
                st.execute("deallocate bench_q");
            }
            alternatives(st, projectId, d);
        }
        out.flush();
    }

    /**
     * Not what the server runs: rewritten SQL shapes for the two slow searches, to show what a fix would buy
     * on the same data. Runs after every measurement; creates no index.
     */
    private void alternatives(java.sql.Statement st, String projectId, java.time.LocalDate d) throws SQLException {
        String p = "'" + projectId + "'";
        String lo = "'" + d + "T00:00:00Z'";
        String hi = "'" + d.plusDays(1) + "T00:00:00Z'";
        var shapes = List.of(
                List.of("date-range, both bounds in one EXISTS (exact for a single-valued parameter such as Invoice.date)",
                        "select r.content from resource r where r.resource_type = 'Invoice' and not r.deleted and r.project_id = " + p
                        + " and exists (select 1 from search_date i1 where i1.project_id = r.project_id and i1.resource_type = r.resource_type"
                        + " and i1.resource_id = r.id and i1.param = 'date' and i1.high > " + lo + " and i1.low < " + hi + ")"
                        + " order by r.last_updated desc, r.id limit 21 offset 0"),
                List.of("sort-status, ordered by a join on search_date (high desc) instead of a correlated max() per row",
                        "select r.content from search_date s join resource r on r.resource_type = s.resource_type and r.id = s.resource_id"
                        + " where s.project_id = " + p + " and s.resource_type = 'Invoice' and s.param = 'date'"
                        + " and r.resource_type = 'Invoice' and not r.deleted and r.project_id = " + p
                        + " and exists (select 1 from search_token i1 where i1.project_id = r.project_id and i1.resource_type = r.resource_type"
                        + " and i1.resource_id = r.id and i1.param = 'status' and (i1.code = 'issued'))"
                        + " order by s.high desc, r.id limit 21 offset 0"));
        out.println();
        out.println("## Alternative SQL shapes (not what the server runs)");
        for (var shape : shapes) {
            out.println();
            out.println("### " + shape.get(0));
            out.println();
            out.println("```sql");
            out.println(shape.get(1));
            out.println("```");
            out.println("```");
            for (int run = 0; run < 2; run++) {
                var lines = new ArrayList<String>();
                try (var rs = st.executeQuery("explain (analyze, buffers) " + shape.get(1))) {
                    while (rs.next()) lines.add(rs.getString(1));
                }
                if (run == 1) lines.forEach(out::println);
            }
            out.println("```");
        }
        boolean gist;
        try (var rs = st.executeQuery("select count(*) from pg_available_extensions where name = 'btree_gist'")) {
            rs.next();
            gist = rs.getLong(1) > 0;
        }
        out.println();
        if (!gist) {
            out.println("(btree_gist is not available in this PostgreSQL: no GiST alternative)");
            return;
        }
        // Building it over 1M rows takes longer than the JDBC URL's 30 s socket timeout: allow 10 minutes.
        var connection = st.getConnection();
        int networkTimeout = connection.getNetworkTimeout();
        double built;
        try {
            connection.setNetworkTimeout(Runnable::run, 600_000);
            st.execute("set statement_timeout = '600s'");
            st.execute("create extension if not exists btree_gist");
            long t0 = System.nanoTime();
            st.execute("create index bench_search_date_range on search_date using gist (project_id, resource_type, param, tstzrange(low, high, '[)'))");
            built = (System.nanoTime() - t0) / 1e9;
            st.execute("analyze search_date");
        } catch (SQLException e) {
            out.println("(GiST alternative skipped: " + e.getMessage() + ")");
            return;
        } finally {
            connection.setNetworkTimeout(Runnable::run, networkTimeout);
        }
        String sql = "select r.content from resource r where r.resource_type = 'Invoice' and not r.deleted and r.project_id = " + p
                + " and exists (select 1 from search_date i1 where i1.project_id = r.project_id and i1.resource_type = r.resource_type"
                + " and i1.resource_id = r.id and i1.param = 'date' and tstzrange(i1.low, i1.high, '[)') && tstzrange(" + lo + ", " + hi + ", '[)'))"
                + " order by r.last_updated desc, r.id limit 21 offset 0";
        out.printf(Locale.ROOT, "### date-range as one range overlap, with a GiST index (built in %.1f s) on (project_id, resource_type, param, tstzrange(low, high, '[)'))%n%n", built);
        out.println("```sql");
        out.println(sql);
        out.println("```");
        out.println("```");
        for (int run = 0; run < 2; run++) {
            var lines = new ArrayList<String>();
            try (var rs = st.executeQuery("explain (analyze, buffers) " + sql)) {
                while (rs.next()) lines.add(rs.getString(1));
            }
            if (run == 1) lines.forEach(out::println);
        }
        out.println("```");
    }
}
