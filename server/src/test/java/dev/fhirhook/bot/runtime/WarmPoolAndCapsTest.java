package dev.fhirhook.bot.runtime;

import static dev.fhirhook.bot.runtime.Bots.failed;
import static dev.fhirhook.bot.runtime.Bots.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Warm contexts per bot version, what a warm run may and may not see of the last one, and the caps. */
class WarmPoolAndCapsTest {
    private static final RunLimits LIMITS = RunLimits.defaults(Duration.ofSeconds(10));
    private static final String COUNTER = "let runs = 0;\nexports.handler = async (medplum, event) => {\n"
            + "  if (event.fail) throw new Error('asked to fail');\n"
            + "  if (event.loop) for (;;) {}\n"
            + "  if (event.wait) await medplum.readResource('Gate', 'open');\n"
            + "  return '%s ' + (++runs);\n};";

    private static BotCode counter(String botId, String version) {
        return new BotCode(botId, version, COUNTER.formatted(version), "index.js");
    }

    /** A bridge whose calls park the run until released: runs that stay busy as long as a test needs. */
    static final class Gate implements HostBridge {
        final Semaphore entered = new Semaphore(0);
        final CountDownLatch open = new CountDownLatch(1);

        @Override
        public String call(String method, String argumentsJson) {
            entered.release();
            try {
                open.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "{}";
        }

        void awaitEntered(int runs) throws InterruptedException {
            assertThat(entered.tryAcquire(runs, 10, TimeUnit.SECONDS)).as("runs inside the gate").isTrue();
        }
    }

    /** Callers on virtual threads, as the HTTP server's are (the common pool may have a single thread). */
    private static final Executor CALLERS = Executors.newVirtualThreadPerTaskExecutor();

    private static CompletableFuture<RunResult> inBackground(BotRuntime runtime, BotCode code, HostBridge bridge) {
        return CompletableFuture.supplyAsync(() -> runtime.run(code, "{\"wait\":true}", bridge, LIMITS), CALLERS);
    }

    @Test
    void a_warm_context_keeps_module_state_but_not_the_log() {
        try (var runtime = new BotRuntime(new BotRuntime.Settings(4, 4))) {
            var bot = new BotCode("logger", "v1", "let runs = 0;\nexports.handler = async (m, event) => {\n"
                    + "  console.log('run ' + (++runs) + ' ' + event.n); return runs; };", "index.js");
            var first = runtime.run(bot, "{\"n\":\"a\"}", HostBridge.NONE, LIMITS);
            var second = runtime.run(bot, "{\"n\":\"b\"}", HostBridge.NONE, LIMITS);
            assertThat(first.log()).isEqualTo("run 1 a");
            assertThat(second.log()).isEqualTo("run 2 b");
            assertThat(runtime.warmContexts("logger")).isEqualTo(1);
        }
    }

    @Test
    void a_new_version_retires_the_old_versions_contexts() {
        try (var runtime = new BotRuntime(new BotRuntime.Settings(4, 4))) {
            assertThat(text(runtime.run(counter("bot", "v1"), "{}", HostBridge.NONE, LIMITS))).isEqualTo("v1 1");
            assertThat(text(runtime.run(counter("bot", "v1"), "{}", HostBridge.NONE, LIMITS))).isEqualTo("v1 2");
            assertThat(runtime.warmContexts("bot")).isEqualTo(1);

            assertThat(text(runtime.run(counter("bot", "v2"), "{}", HostBridge.NONE, LIMITS))).isEqualTo("v2 1");
            assertThat(runtime.warmContexts("bot")).isEqualTo(1);
            assertThat(runtime.warmContexts()).isEqualTo(1);
            // v1's context is gone: running v1 again loads it afresh
            assertThat(text(runtime.run(counter("bot", "v1"), "{}", HostBridge.NONE, LIMITS))).isEqualTo("v1 1");
        }
    }

    @Test
    void a_context_returning_from_a_run_of_a_retired_version_is_closed() throws Exception {
        try (var runtime = new BotRuntime(new BotRuntime.Settings(4, 4))) {
            var gate = new Gate();
            var old = inBackground(runtime, counter("bot", "v1"), gate);
            gate.awaitEntered(1);
            assertThat(text(runtime.run(counter("bot", "v2"), "{}", HostBridge.NONE, LIMITS))).isEqualTo("v2 1");
            gate.open.countDown();
            assertThat(text(old.get(10, TimeUnit.SECONDS))).isEqualTo("v1 1");
            assertThat(runtime.warmContexts("bot")).isEqualTo(1);
            assertThat(text(runtime.run(counter("bot", "v2"), "{}", HostBridge.NONE, LIMITS))).isEqualTo("v2 2");
        }
    }

    @Test
    void a_context_that_failed_or_was_cancelled_is_never_reused() {
        try (var runtime = new BotRuntime(new BotRuntime.Settings(4, 4))) {
            var bot = counter("bot", "v1");
            var shortLimits = RunLimits.defaults(Duration.ofMillis(500));
            assertThat(text(runtime.run(bot, "{}", HostBridge.NONE, LIMITS))).isEqualTo("v1 1");
            assertThat(failed(runtime.run(bot, "{\"fail\":true}", HostBridge.NONE, LIMITS)).reason()).isEqualTo(RunResult.Failure.ERROR);
            assertThat(runtime.warmContexts("bot")).isZero();
            assertThat(text(runtime.run(bot, "{}", HostBridge.NONE, LIMITS))).isEqualTo("v1 1");
            assertThat(failed(runtime.run(bot, "{\"loop\":true}", HostBridge.NONE, shortLimits)).reason())
                    .isEqualTo(RunResult.Failure.TIMEOUT);
            assertThat(runtime.warmContexts("bot")).isZero();
            assertThat(text(runtime.run(bot, "{}", HostBridge.NONE, LIMITS))).isEqualTo("v1 1");
        }
    }

    @Test
    void warm_contexts_are_capped_per_bot_and_in_all_least_recently_used_first() throws Exception {
        try (var runtime = new BotRuntime(new BotRuntime.Settings(4, 4, 2, 3, 0))) {
            var gate = new Gate();
            var runs = new ArrayList<CompletableFuture<RunResult>>();
            for (int i = 0; i < 3; i++) runs.add(inBackground(runtime, counter("a", "v1"), gate));
            gate.awaitEntered(3);
            gate.open.countDown();
            for (var run : runs) assertThat(text(run.get(10, TimeUnit.SECONDS))).startsWith("v1 ");
            assertThat(runtime.warmContexts("a")).as("per bot").isEqualTo(2);

            text(runtime.run(counter("b", "v1"), "{}", HostBridge.NONE, LIMITS));
            text(runtime.run(counter("c", "v1"), "{}", HostBridge.NONE, LIMITS));
            assertThat(runtime.warmContexts()).as("in all").isEqualTo(3);
            assertThat(runtime.warmContexts("a")).as("a's oldest went first").isEqualTo(1);
            assertThat(runtime.warmContexts("b")).isEqualTo(1);
            assertThat(runtime.warmContexts("c")).isEqualTo(1);
        }
    }

    @Test
    void the_servers_pool_keeps_a_warm_context_for_every_run_a_bot_may_have_in_flight() throws Exception {
        int inFlight = 24;
        try (var runtime = new BotRuntime(BotRuntime.Settings.forServer(32, inFlight))) {
            for (int round = 1; round <= 2; round++) {
                var gate = new Gate();
                var runs = new ArrayList<CompletableFuture<RunResult>>();
                for (int i = 0; i < inFlight; i++) runs.add(inBackground(runtime, counter("busy", "v1"), gate));
                gate.awaitEntered(inFlight);
                gate.open.countDown();
                for (var run : runs) {
                    // the counter lives in the context: the second round's runs all found a context that ran once
                    assertThat(text(run.get(10, TimeUnit.SECONDS))).as("round " + round).isEqualTo("v1 " + round);
                }
                assertThat(runtime.warmContexts("busy")).isEqualTo(inFlight);
            }
        }
    }

    /** Keeps what each run allocates in module state: {@code n} doubles a run; answers how many arrays it holds. */
    private static BotCode keeper(String botId) {
        return new BotCode(botId, "v1", "const keep = [];\nexports.handler = async (medplum, event) => {\n"
                + "  const a = new Float64Array(event.n); a.fill(1.5); keep.push(a); return String(keep.length);\n};",
                "index.js");
    }

    private static final long MB = 1024 * 1024;

    @Test
    void a_context_whose_runs_allocated_more_than_its_bound_is_closed_so_kept_state_cannot_grow_without_limit() {
        try (var runtime = new BotRuntime(new BotRuntime.Settings(4, 4, 4, 64, 0, 8 * MB, 1024 * MB))) {
            var bot = keeper("keeper");
            var answers = new ArrayList<String>();
            for (int i = 0; i < 12; i++) answers.add(text(runtime.run(bot, "{\"n\":131072}", HostBridge.NONE, LIMITS)));
            // 1 MB a run: a context is reused until its runs (and its loading) have allocated 8 MB, then replaced
            assertThat(answers).as("arrays kept, run by run").contains("1", "2", "3")
                    .allSatisfy(n -> assertThat(Integer.parseInt(n)).isLessThanOrEqualTo(8));
            assertThat(answers.subList(1, answers.size())).as("a fresh context took over").contains("1");
        }
    }

    @Test
    void with_the_default_bounds_a_bot_keeping_40_mb_a_run_never_holds_more_than_two_runs_worth() {
        try (var runtime = new BotRuntime(new BotRuntime.Settings(4, 4))) {
            var bot = keeper("big-keeper");
            for (int i = 0; i < 6; i++) {
                var kept = text(runtime.run(bot, "{\"n\":" + 5 * 1024 * 1024 + "}", HostBridge.NONE, LIMITS));
                assertThat(Integer.parseInt(kept)).as("run %d", i + 1).isLessThanOrEqualTo(2);
            }
        }
    }

    @Test
    void idle_contexts_past_the_idle_byte_budget_are_closed_least_recently_used_first() {
        try (var runtime = new BotRuntime(new BotRuntime.Settings(4, 4, 4, 64, 0, 1024 * MB, 12 * MB))) {
            String five = "{\"n\":" + 5 * 128 * 1024 + "}"; // 5 MB a run
            text(runtime.run(keeper("a"), five, HostBridge.NONE, LIMITS));
            text(runtime.run(keeper("b"), five, HostBridge.NONE, LIMITS));
            assertThat(runtime.warmContexts()).as("two contexts of some 5 MB fit in 12 MB").isEqualTo(2);
            text(runtime.run(keeper("c"), five, HostBridge.NONE, LIMITS));
            assertThat(runtime.warmContexts("a")).as("the least recently used went").isZero();
            assertThat(runtime.warmContexts("b")).isEqualTo(1);
            assertThat(runtime.warmContexts("c")).isEqualTo(1);
            assertThat(text(runtime.run(keeper("b"), five, HostBridge.NONE, LIMITS))).as("b kept its state").isEqualTo("2");
        }
    }

    @Test
    void the_per_bot_cap_rejects_at_once() throws Exception {
        try (var runtime = new BotRuntime(new BotRuntime.Settings(4, 1))) {
            var gate = new Gate();
            var busy = inBackground(runtime, counter("capped", "v1"), gate);
            gate.awaitEntered(1);

            long start = System.nanoTime();
            var rejected = runtime.run(counter("capped", "v1"), "{}", HostBridge.NONE, LIMITS);
            assertThat(rejected).isEqualTo(new RunResult.Rejected(RunResult.Saturation.BOT));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(200));
            assertThat(text(runtime.run(counter("other", "v1"), "{}", HostBridge.NONE, LIMITS))).as("other bots run").isEqualTo("v1 1");

            gate.open.countDown();
            assertThat(text(busy.get(10, TimeUnit.SECONDS))).isEqualTo("v1 1");
            assertThat(text(runtime.run(counter("capped", "v1"), "{}", HostBridge.NONE, LIMITS))).isEqualTo("v1 2");
        }
    }

    @Test
    void the_global_cap_rejects_at_once() throws Exception {
        try (var runtime = new BotRuntime(new BotRuntime.Settings(2, 2))) {
            var gate = new Gate();
            var first = inBackground(runtime, counter("one", "v1"), gate);
            var second = inBackground(runtime, counter("two", "v1"), gate);
            gate.awaitEntered(2);

            long start = System.nanoTime();
            var rejected = runtime.run(counter("three", "v1"), "{}", HostBridge.NONE, LIMITS);
            assertThat(rejected).isEqualTo(new RunResult.Rejected(RunResult.Saturation.SERVER));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(200));

            gate.open.countDown();
            assertThat(text(first.get(10, TimeUnit.SECONDS))).isEqualTo("v1 1");
            assertThat(text(second.get(10, TimeUnit.SECONDS))).isEqualTo("v1 1");
            assertThat(text(runtime.run(counter("three", "v1"), "{}", HostBridge.NONE, LIMITS))).isEqualTo("v1 1");
        }
    }

    @Test
    void the_statement_limit_stops_a_loop_and_is_counted_per_run() {
        try (var runtime = new BotRuntime(new BotRuntime.Settings(2, 2, 4, 64, 100_000))) {
            var loop = failed(runtime.run(new BotCode("loop", "v1", "exports.handler = async () => { for (;;) {} };", "index.js"),
                    "{}", HostBridge.NONE, LIMITS));
            assertThat(loop.reason()).isEqualTo(RunResult.Failure.TIMEOUT);
            assertThat(loop.message()).isEqualTo("The bot ran more than 100000 statements");
            assertThat(loop.duration()).isLessThan(Duration.ofSeconds(5));

            // ~40,000 statements a run: five runs pass only because each run starts counting afresh
            var bot = new BotCode("busy", "v1", "exports.handler = async () => { let x = 0;\n"
                    + "  for (let i = 0; i < 20000; i++) { x += i; } return x; };", "index.js");
            for (int i = 0; i < 5; i++) {
                assertThat(Bots.returned(runtime.run(bot, "{}", HostBridge.NONE, LIMITS))).isInstanceOf(ReturnValue.Number.class);
            }
        }
    }

    @Test
    void closing_the_runtime_stops_a_running_bot_and_refuses_new_runs() throws Exception {
        var runtime = new BotRuntime(new BotRuntime.Settings(2, 2));
        var running = CompletableFuture.supplyAsync(() -> runtime.run(new BotCode("spin", "v1",
                "exports.handler = async () => { for (;;) {} };", "index.js"), "{}", HostBridge.NONE, LIMITS), CALLERS);
        Thread.sleep(300);
        runtime.close();
        assertThat(failed(running.get(10, TimeUnit.SECONDS)).reason()).isEqualTo(RunResult.Failure.ERROR);
        assertThat(runtime.run(counter("late", "v1"), "{}", HostBridge.NONE, LIMITS))
                .isEqualTo(new RunResult.Rejected(RunResult.Saturation.SERVER));
    }

    @Test
    void closing_the_runtime_does_not_wait_for_a_run_that_cannot_be_stopped() throws Exception {
        // A run leaves its context only when the Java step it is in returns: a medplum call that hangs here, in the
        // fuzzer's case one indexOf of a long pattern in a long string, minutes of work that cancelling cannot
        // interrupt. Closing the engine waits for every thread to leave, and a server's stop waited with it.
        var runtime = new BotRuntime(new BotRuntime.Settings(2, 2));
        var release = new CountDownLatch(1);
        var entered = new CountDownLatch(1);
        HostBridge hanging = (method, args) -> { // deaf to interrupts, as a builtin step is; 30 s at most
            entered.countDown();
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (release.getCount() > 0 && System.nanoTime() < until) {
                try {
                    release.await(100, TimeUnit.MILLISECONDS);
                } catch (InterruptedException ignored) {
                    // what cancelling sends; the step goes on
                }
            }
            return "{}";
        };
        try {
            var stuck = CompletableFuture.supplyAsync(() -> runtime.run(new BotCode("hang", "v1",
                    "exports.handler = async (medplum) => medplum.readResource('Patient', 'p');", "index.js"), "{}",
                    hanging, RunLimits.defaults(Duration.ofSeconds(1))), CALLERS);
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(failed(stuck.get(10, TimeUnit.SECONDS)).reason()).isEqualTo(RunResult.Failure.TIMEOUT);
            long start = System.nanoTime();
            runtime.close();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the stop, bounded")
                    .isLessThan(Duration.ofSeconds(20));
        } finally {
            release.countDown();
        }
    }
}
