package dev.fhirhook.bot.runtime;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.ResourceLimits;
import org.graalvm.polyglot.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs bot code in the GraalJS sandbox (one shared Engine, a context per bot version as
 * {@link BotContext#newContext} builds it, pooled warm).
 * Thread-safe; {@link #run} blocks the calling thread (virtual threads included) until the run ends.
 *
 * <p>Each run executes on a platform thread, so that its allocated bytes can be counted: on the caller's own when
 * the caller is a {@linkplain #callerThreads caller thread} not already running a bot, otherwise on one of a pool of
 * {@link Settings#maxConcurrentRuns} run threads, with the caller waiting for it. A watchdog cancels it past
 * {@link RunLimits#timeout} (TIMEOUT) or {@link RunLimits#maxAllocatedBytes} (MEMORY). Recursion is bounded by the thread's stack
 * ({@link #RUN_THREAD_STACK_BYTES}, a few thousand JS frames: STACK). A run over a concurrency cap is refused at
 * once, never queued. A context that ended a run in any way but cleanly is closed, never reused, and so is one whose
 * runs have allocated more than {@link Settings#maxContextBytes} in all.
 *
 * <p>Warm runs keep module state, as a Lambda or Medplum's vmcontext does; the event, timers and the log are the
 * run's own. A handler Promise that can no longer settle (nothing pending: no timers) fails at once as TIMEOUT
 * rather than waiting for the deadline.
 */
public final class BotRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BotRuntime.class);

    /** A JS frame in the interpreter takes about 1 KB of Java stack: 4 MB allow some 4,000 nested calls. */
    static final long RUN_THREAD_STACK_BYTES = 4L * 1024 * 1024;
    /** How often the watchdog looks at running bots: bounds how far past a limit a run gets. */
    static final Duration WATCHDOG_POLL = Duration.ofMillis(5);
    /**
     * How long a caller waits past the timeout for a run stuck in a medplum call before it answers TIMEOUT. A run on
     * its caller's thread has no such bound: the caller is the thread in the call.
     */
    static final Duration STUCK_GRACE = Duration.ofSeconds(1);
    /** How long {@link #close} waits for the engine, after the runs had their five seconds to stop. */
    static final Duration ENGINE_CLOSE_WAIT = Duration.ofSeconds(5);

    private static final Pattern SYNTAX_PREFIX = Pattern.compile("^SyntaxError: .*?:\\d+:\\d+ ");

    /**
     * @param maxConcurrentRuns runs at once across the server (the size of the run thread pool); more are
     *     {@link RunResult.Rejected} (SERVER)
     * @param maxConcurrentRunsPerBot runs of one bot at once; more are {@link RunResult.Rejected} (BOT)
     * @param maxWarmContextsPerBot idle loaded contexts kept per bot (its latest version only)
     * @param maxWarmContexts idle loaded contexts kept in all; the least recently used go first
     * @param maxStatementsPerRun JS statements one run may execute (the bot's code, not the sandbox's own),
     *     past which it fails as TIMEOUT; 0 for none. Nearly free in warm runs (bench/run-sandbox, alternating
     *     rounds: a trivial bot 28 µs p50 either way, an HMAC + JSON bot 163 vs 177 µs), so on by default, as a
     *     bound on CPU that does not depend on how busy the machine is
     * @param maxContextBytes what one context's runs may allocate in all, its loading included, and the context
     *     still be reused: past it the context is closed after its run. Allocation bounds what module state a warm
     *     context can keep from run to run (a bot that keeps what it allocates would otherwise grow one context
     *     without limit, each run within its budget, until the JVM runs out of heap)
     * @param maxIdleBytes the same summed over all idle contexts; past it the least recently used are closed
     */
    public record Settings(int maxConcurrentRuns, int maxConcurrentRunsPerBot, int maxWarmContextsPerBot,
                           int maxWarmContexts, long maxStatementsPerRun, long maxContextBytes, long maxIdleBytes) {
        public static final int DEFAULT_MAX_WARM_CONTEXTS_PER_BOT = 4;
        public static final int DEFAULT_MAX_WARM_CONTEXTS = 64;
        /** Some seconds of pure JavaScript in the interpreter, past any webhook's needs. */
        public static final long DEFAULT_MAX_STATEMENTS_PER_RUN = 100_000_000L;
        /**
         * A quarter of a run's default budget: a context that loads the Stripe upsert bot and runs it allocates
         * about 3 MB and then 30 KB a run, so it is replaced after some 2,000 runs (~4 ms each time).
         */
        public static final long DEFAULT_MAX_CONTEXT_BYTES = RunLimits.DEFAULT_MAX_ALLOCATED_BYTES / 4;

        /** A quarter of the heap for idle contexts together. */
        public static long defaultMaxIdleBytes() {
            return Runtime.getRuntime().maxMemory() / 4;
        }

        public Settings {
            if (maxConcurrentRuns < 1 || maxConcurrentRunsPerBot < 1) {
                throw new IllegalArgumentException("concurrency caps must be at least 1");
            }
            if (maxWarmContextsPerBot < 0 || maxWarmContexts < 0 || maxStatementsPerRun < 0 || maxContextBytes < 0
                    || maxIdleBytes < 0) {
                throw new IllegalArgumentException("pool sizes and the statement limit cannot be negative");
            }
        }

        /** The caps and pool sizes, with the default byte bounds on warm contexts. */
        public Settings(int maxConcurrentRuns, int maxConcurrentRunsPerBot, int maxWarmContextsPerBot,
                        int maxWarmContexts, long maxStatementsPerRun) {
            this(maxConcurrentRuns, maxConcurrentRunsPerBot, maxWarmContextsPerBot, maxWarmContexts,
                    maxStatementsPerRun, DEFAULT_MAX_CONTEXT_BYTES, defaultMaxIdleBytes());
        }

        /** The caps, with the default pool sizes and statement limit. */
        public Settings(int maxConcurrentRuns, int maxConcurrentRunsPerBot) {
            this(maxConcurrentRuns, maxConcurrentRunsPerBot, DEFAULT_MAX_WARM_CONTEXTS_PER_BOT,
                    DEFAULT_MAX_WARM_CONTEXTS, DEFAULT_MAX_STATEMENTS_PER_RUN);
        }

        /**
         * The server's: each bot keeps as many warm contexts as it may run at once, and the pool as many as the larger
         * of that and {@link #DEFAULT_MAX_WARM_CONTEXTS}. A run that finds no warm context pays ~4 ms of CPU to load
         * the sandbox and the module instead of ~0.03 ms, and a pool smaller than a bot's runs in flight closes
         * contexts only to build them again moments later: at 64 webhooks in flight to one bot with 16 kept, a third
         * more server CPU per webhook. The byte bound on idle contexts (a quarter of the heap) still applies.
         */
        public static Settings forServer(int maxConcurrentRuns, int maxConcurrentRunsPerBot) {
            return new Settings(maxConcurrentRuns, maxConcurrentRunsPerBot, maxConcurrentRunsPerBot,
                    Math.max(maxConcurrentRunsPerBot, DEFAULT_MAX_WARM_CONTEXTS), DEFAULT_MAX_STATEMENTS_PER_RUN);
        }

        /** 16 runs at once, 4 per bot, 4 warm contexts per bot, 64 in all, 100 million statements a run. */
        public static Settings defaults() {
            return new Settings(16, 4);
        }
    }

    private final Settings settings;
    private final Engine engine;
    private final ResourceLimits resourceLimits;
    private final ContextPool pool;
    private final Watchdog watchdog;
    private final ThreadPoolExecutor workers;
    private final Semaphore serverSlots;
    private final ConcurrentHashMap<String, Integer> botRuns = new ConcurrentHashMap<>();
    private final LongAdder inPlace = new LongAdder();
    private final LongAdder handedOff = new LongAdder();

    public BotRuntime(Settings settings) {
        if (!RunControl.allocationCountingAvailable()) {
            throw new IllegalStateException("this JVM cannot count allocated bytes per thread; bots cannot be bounded");
        }
        this.settings = settings;
        this.engine = BotContext.newEngine();
        // One limits object for every context: the engine shares code between contexts with equal limits.
        this.resourceLimits = settings.maxStatementsPerRun() == 0 ? null : ResourceLimits.newBuilder()
                .statementLimit(settings.maxStatementsPerRun(), source -> !source.isInternal())
                .build();
        this.pool = new ContextPool(settings.maxWarmContextsPerBot(), settings.maxWarmContexts(),
                settings.maxContextBytes(), settings.maxIdleBytes());
        this.watchdog = new Watchdog(WATCHDOG_POLL);
        this.serverSlots = new Semaphore(settings.maxConcurrentRuns());
        var threadNumber = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(settings.maxConcurrentRuns(), settings.maxConcurrentRuns(),
                60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                task -> {
                    var thread = new Thread(null, task, "bot-run-" + threadNumber.incrementAndGet(), RUN_THREAD_STACK_BYTES);
                    thread.setDaemon(true);
                    return thread;
                });
        this.workers.allowCoreThreadTimeOut(true);
        // The first context of a JVM initialises the JS language (a second or more); pay that here, not in a
        // bot's first run and its timeout.
        BotContext.create(engine, resourceLimits, "warm-up", "").close();
    }

    /**
     * Whether the code parses as the module type its filename (or content) implies; the position is 1-based in
     * the bot's own text. Syntax only: whether a handler is exported shows at the first run (an ERROR
     * {@code No handler exported}), since knowing it means running the module's top-level code.
     */
    public Optional<SyntaxProblem> check(String source, String filename) {
        var type = ModuleType.of(filename, source);
        try (var context = BotContext.newContext(engine, null)) {
            try {
                context.parse(type.source(source, filename));
                return Optional.empty();
            } catch (PolyglotException e) {
                if (!e.isSyntaxError()) throw e;
                var problem = problem(e, type);
                int lines = (int) source.lines().count();
                if (type == ModuleType.COMMONJS && problem.line() > Math.max(1, lines)) {
                    // The error is in the wrapper's closing line (an unclosed block, say): parse the text alone
                    // as a script for a position in the bot's own text.
                    try {
                        context.parse(Source.newBuilder("js", source, "bot.js").buildLiteral());
                    } catch (PolyglotException plain) {
                        if (plain.isSyntaxError()) return Optional.of(problem(plain, null));
                    }
                    return Optional.of(new SyntaxProblem(Math.max(1, lines), 1, problem.message()));
                }
                return Optional.of(problem);
            }
        }
    }

    /** @param type the module type whose wrapping shifts columns, or null for text parsed as it is */
    private static SyntaxProblem problem(PolyglotException e, ModuleType type) {
        var first = e.getMessage() == null ? "SyntaxError" : e.getMessage().lines().findFirst().orElse("SyntaxError");
        var message = SYNTAX_PREFIX.matcher(first).replaceFirst("");
        var location = e.getSourceLocation();
        if (location == null) return new SyntaxProblem(1, 1, message);
        int line = Math.max(1, location.getStartLine());
        int column = Math.max(1, location.getStartColumn());
        return new SyntaxProblem(line, type == null ? column : type.column(line, column), message);
    }

    /**
     * Threads on which a run executes in place, without handing it to a run thread and waiting: the HTTP server's.
     * A hand-off costs two wake-ups of a parked thread; at two connections, webhooks whose bots ran in place did 15%
     * more a second (BENCHMARKS.md). Their stacks are a run thread's, so that recursion fails the same way on both
     * ({@link RunResult.Failure#STACK}). A run that such a thread starts while it runs a bot (a nested
     * {@code medplum.executeBot}) goes to a run thread, since one thread runs one context at a time.
     */
    public static ThreadFactory callerThreads() {
        return task -> new CallerThread(task);
    }

    /**
     * How the runs since start were placed: on their callers' threads, or handed to run threads (callers on virtual
     * threads, nested runs, and runs started elsewhere than on {@linkplain #callerThreads caller threads}).
     */
    public record Placements(long inPlace, long handedOff) {}

    public Placements placements() {
        return new Placements(inPlace.sum(), handedOff.sum());
    }

    private static final class CallerThread extends Thread {
        /** Whether this thread is inside a run now; read and written by itself only. */
        boolean running;

        CallerThread(Runnable task) {
            super(null, task, "caller", RUN_THREAD_STACK_BYTES);
        }
    }

    /**
     * Loads the code (or takes a warm context for it), calls its exported {@code handler(medplum, event)} with
     * {@code event} parsed from {@code eventJson}, and waits for the result within {@code limits}.
     */
    public RunResult run(BotCode code, String eventJson, HostBridge medplum, RunLimits limits) {
        return run(code, BotEvent.of(eventJson), medplum, limits);
    }

    /** As {@link #run(BotCode, String, HostBridge, RunLimits)}, with a JSON body the sandbox parses itself. */
    public RunResult run(BotCode code, BotEvent event, HostBridge medplum, RunLimits limits) {
        long startNanos = System.nanoTime();
        if (!acquireBotSlot(code.botId())) return new RunResult.Rejected(RunResult.Saturation.BOT);
        if (!serverSlots.tryAcquire()) {
            releaseBotSlot(code.botId());
            return new RunResult.Rejected(RunResult.Saturation.SERVER);
        }
        var control = new RunControl(medplum, limits, startNanos);
        if (Thread.currentThread() instanceof CallerThread caller && !caller.running) {
            inPlace.increment();
            return runInPlace(caller, code, event, control, startNanos);
        }
        Future<BotContext.Attempt> attempt;
        try {
            attempt = workers.submit(() -> execute(code, event, control));
            handedOff.increment();
        } catch (RejectedExecutionException e) {
            serverSlots.release();
            releaseBotSlot(code.botId());
            return new RunResult.Rejected(RunResult.Saturation.SERVER);
        }
        try {
            var wait = limits.timeout().plus(STUCK_GRACE).toNanos();
            return result(attempt.get(wait, TimeUnit.NANOSECONDS), control, startNanos);
        } catch (TimeoutException e) {
            control.timeOut(true);
            return new RunResult.Failed(RunResult.Failure.TIMEOUT,
                    BotContext.timeoutMessage(limits) + " and did not stop in time", control.log.text(), since(startNanos));
        } catch (InterruptedException e) {
            control.cancel(RunResult.Failure.ERROR, "The run was interrupted", true);
            Thread.currentThread().interrupt();
            return new RunResult.Failed(RunResult.Failure.ERROR, "The run was interrupted", control.log.text(), since(startNanos));
        } catch (ExecutionException e) {
            LOG.error("Bot {} version {}: the sandbox failed", code.botId(), code.version(), e.getCause());
            return new RunResult.Failed(RunResult.Failure.ERROR, "Internal error in the bot sandbox", control.log.text(), since(startNanos));
        }
    }

    private RunResult runInPlace(CallerThread caller, BotCode code, BotEvent event, RunControl control,
            long startNanos) {
        caller.running = true;
        try {
            return result(execute(code, event, control), control, startNanos);
        } catch (RuntimeException | Error e) {
            LOG.error("Bot {} version {}: the sandbox failed", code.botId(), code.version(), e);
            return new RunResult.Failed(RunResult.Failure.ERROR, "Internal error in the bot sandbox",
                    control.log.text(), since(startNanos));
        } finally {
            caller.running = false;
            // a cancellation may have interrupted the thread inside the guest; it goes on to serve other requests
            Thread.interrupted();
        }
    }

    private BotContext.Attempt execute(BotCode code, BotEvent event, RunControl control) {
        control.begin();
        watchdog.watch(control);
        BotContext context = null;
        boolean reusable = false;
        try {
            context = pool.take(code.botId(), code.version());
            if (context == null) context = BotContext.create(engine, resourceLimits, code.botId(), code.version());
            if (!control.attach(context.polyglotContext())) return cancelled(control);
            var attempt = context.run(code, event, control);
            if (!attempt.succeeded()) {
                // a run cancelled first (its timeout, say) fails as that, whatever its code made of the cancellation
                return control.cancel(attempt.failure(), attempt.message(), false) ? attempt : cancelled(control);
            }
            reusable = control.complete();
            if (reusable) context.allocatedBytes += control.allocatedBytes();
            return reusable ? attempt : cancelled(control);
        } finally {
            watchdog.unwatch(control);
            if (context != null) {
                if (reusable) pool.give(context);
                else context.close();
            }
            serverSlots.release();
            releaseBotSlot(code.botId());
        }
    }

    private static BotContext.Attempt cancelled(RunControl control) {
        var c = control.cancellation();
        return BotContext.Attempt.failed(c.reason(), c.message());
    }

    private static RunResult result(BotContext.Attempt attempt, RunControl control, long startNanos) {
        var log = control.log.text();
        var duration = since(startNanos);
        if (attempt.succeeded()) return new RunResult.Returned(attempt.value(), log, duration);
        return new RunResult.Failed(attempt.failure(), attempt.message(), log, duration);
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    private boolean acquireBotSlot(String botId) {
        var acquired = new boolean[1];
        botRuns.compute(botId, (id, running) -> {
            int n = running == null ? 0 : running;
            if (n >= settings.maxConcurrentRunsPerBot()) return running;
            acquired[0] = true;
            return n + 1;
        });
        return acquired[0];
    }

    private void releaseBotSlot(String botId) {
        botRuns.computeIfPresent(botId, (id, running) -> running <= 1 ? null : running - 1);
    }

    /** Idle warm contexts, in all and for one bot (for tests and metrics). */
    int warmContexts() {
        return pool.idle();
    }

    int warmContexts(String botId) {
        return pool.idle(botId);
    }

    /** Refuses new runs, cancels running ones, closes every context and the engine. */
    @Override
    public void close() {
        workers.shutdown();
        watchdog.cancelAll("The bot runtime is shutting down");
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        watchdog.close();
        pool.close();
        // Closing the engine waits for every thread to leave its contexts, and a run stuck in one long builtin step
        // (a search of a long string for a long pattern, say) leaves only when that step ends, minutes later: the
        // server's stop must not wait for it. Run threads are daemons, so the JVM's exit ends them.
        var closing = Thread.ofPlatform().daemon().name("bot-engine-close").start(() -> {
            try {
                engine.close(true);
            } catch (RuntimeException e) {
                LOG.warn("closing the bot engine", e);
            }
        });
        try {
            if (!closing.join(ENGINE_CLOSE_WAIT)) {
                LOG.warn("the bot engine did not close within {} s: a run is stuck in a step that cannot be "
                        + "interrupted; it ends with the process", ENGINE_CLOSE_WAIT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
