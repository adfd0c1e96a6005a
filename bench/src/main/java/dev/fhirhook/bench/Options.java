package dev.fhirhook.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The command line of the bench. */
record Options(String url, String user, String secret, Optional<Long> serverPid, Optional<Path> pgData,
               Duration duration, Duration warmup, List<Integer> concurrency, List<String> scenarios, int seedCount,
               Optional<String> label, Optional<String> policy, Duration loadWarmup) {

    /** What runs by default; {@code search} and the bot rows only when asked for, so default runs stay comparable. */
    static final List<String> DEFAULT_SCENARIOS = List.of("healthcheck", "pg-commit", "create", "read", "update");
    static final List<String> ALL_SCENARIOS = List.of("healthcheck", "pg-commit", "create", "read", "update", "search",
            "exec-trivial", "exec-upsert", "webhook", "webhook-quiet", "webhook-update", "webhook-forged", "pg-webhook");
    /** Rows that need the webhook bots (bench/run-webhook runs them). */
    static final List<String> WEBHOOK_SCENARIOS = List.of("webhook", "webhook-quiet", "webhook-update", "webhook-forged");

    static final String USAGE = """
            usage: java -jar fhirhook-bench.jar --url http://127.0.0.1:PORT/ --user ID --secret SECRET [options]
              --server-pid PID     server process, for VmRSS/VmHWM from /proc/PID/status
              --pg-data DIR        embedded PostgreSQL data dir (port from line 4 of DIR/postmaster.pid);
                                   without it the pg-commit and pg-webhook floors are skipped
              --duration SECONDS   measured time per scenario and concurrency (default 10)
              --warmup SECONDS     unmeasured time before each measurement (default 3)
              --load-warmup SECONDS  with webhook, webhook-quiet or webhook-update: unmeasured load on both
                                   webhook bots at 16 connections before the first row, so that the rows
                                   measure the bot path once the JIT has compiled it (default 0;
                                   bench/run-webhook passes 60)
              --concurrency LIST   comma-separated worker counts (default 1,16,64)
              --scenarios LIST     subset of healthcheck,pg-commit,create,read,update,search,exec-trivial,exec-upsert,
                                   webhook,webhook-quiet,webhook-update,webhook-forged,pg-webhook (default: the first
                                   five; exec-* are the bot $execute rows; webhook is a Stripe-signed event to a bot
                                   that upserts a new Invoice, webhook-quiet the same bot with auditEventTrigger
                                   on-error, webhook-update events that update existing Invoices, webhook-forged
                                   the webhook row's events with a forged signature, pg-webhook the
                                   webhook row's PostgreSQL statements alone over JDBC, needs --pg-data)
              --seed N             Patients created up front for read, update and search (default 200)
              --policy JSON        run create, read, update and search as the client of a project of its own
                                   whose membership has an AccessPolicy with this resource[] list, e.g.
                                   '[{"resourceType":"Patient","criteria":"Patient?active=true"}]'
                                   (default: as the --user client, a super admin)
              --label TEXT         printed in the header, e.g. the commit measured
              --search             run the search benchmark instead (bench/run-search; --search --help lists its options)
            """;

    static Options parse(String[] args) {
        String url = null;
        String user = null;
        String secret = null;
        Long pid = null;
        Path pgData = null;
        double duration = 10;
        double warmup = 3;
        List<Integer> concurrency = List.of(1, 16, 64);
        List<String> scenarios = DEFAULT_SCENARIOS;
        int seed = 200;
        String label = null;
        String policy = null;
        double loadWarmup = 0;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("-h") || flag.equals("--help")) throw new UsageException("");
            if (i + 1 >= args.length) throw new UsageException("missing value for " + flag);
            String value = args[++i];
            try {
                switch (flag) {
                    case "--url" -> url = value;
                    case "--user" -> user = value;
                    case "--secret" -> secret = value;
                    case "--server-pid" -> pid = Long.parseLong(value);
                    case "--pg-data" -> pgData = Path.of(value);
                    case "--duration" -> duration = Double.parseDouble(value);
                    case "--warmup" -> warmup = Double.parseDouble(value);
                    case "--concurrency" -> concurrency = Arrays.stream(value.split(",")).map(String::strip)
                            .map(Integer::parseInt).toList();
                    case "--scenarios" -> scenarios = Arrays.stream(value.split(",")).map(String::strip).toList();
                    case "--seed" -> seed = Integer.parseInt(value);
                    case "--label" -> label = value;
                    case "--policy" -> policy = value;
                    case "--load-warmup" -> loadWarmup = Double.parseDouble(value);
                    default -> throw new UsageException("unknown option " + flag);
                }
            } catch (NumberFormatException e) {
                throw new UsageException("not a number for " + flag + ": " + value);
            }
        }
        if (url == null) throw new UsageException("--url is required");
        if (user == null || secret == null) throw new UsageException("--user and --secret are required");
        if (duration <= 0 || warmup < 0) throw new UsageException("--duration must be > 0 and --warmup >= 0");
        if (!(loadWarmup >= 0 && loadWarmup <= 3600)) throw new UsageException("--load-warmup must be 0..3600 seconds");
        if (concurrency.isEmpty() || concurrency.stream().anyMatch(c -> c < 1 || c > 1024)) {
            throw new UsageException("--concurrency values must be 1..1024");
        }
        for (String s : scenarios) {
            if (!ALL_SCENARIOS.contains(s)) throw new UsageException("unknown scenario " + s);
        }
        if (seed < 1) throw new UsageException("--seed must be >= 1");
        return new Options(url, user, secret, Optional.ofNullable(pid), Optional.ofNullable(pgData),
                Duration.ofMillis((long) (duration * 1000)), Duration.ofMillis((long) (warmup * 1000)),
                concurrency, scenarios, seed, Optional.ofNullable(label), Optional.ofNullable(policy),
                Duration.ofMillis((long) (loadWarmup * 1000)));
    }

    /** A bad command line; the message says what, the usage is printed beside it. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
