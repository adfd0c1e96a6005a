package dev.fhirhook.bot.runtime;

import static dev.fhirhook.bot.runtime.Bots.failed;
import static dev.fhirhook.bot.runtime.Bots.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Where a run executes: in place on a {@link BotRuntime#callerThreads caller thread} (the HTTP server's), handed to a
 * run thread from anywhere else, and handed off too when a caller thread already runs a bot (a nested run).
 */
class RunPlacementTest {
    private static final RunLimits LIMITS = RunLimits.defaults(Duration.ofSeconds(10));
    /** Calls medplum.readResource, whose host side records the thread it runs on. */
    private static final BotCode READER = new BotCode("reader", "v1",
            "exports.handler = async (medplum) => { await medplum.readResource('Patient', '1'); return 'read'; };",
            "index.js");

    private static ExecutorService callers;

    @BeforeAll
    static void start() {
        callers = Executors.newSingleThreadExecutor(BotRuntime.callerThreads());
    }

    @AfterAll
    static void stop() {
        callers.shutdownNow();
    }

    /** Records the thread of every medplum call; {@code executeBot} runs {@link #READER} through the same runtime. */
    private static final class Recorder implements HostBridge {
        final List<Thread> threads = new CopyOnWriteArrayList<>();
        BotRuntime runtime;

        @Override
        public String call(String method, String argumentsJson) {
            threads.add(Thread.currentThread());
            if (method.equals("executeBot")) {
                var nested = runtime.run(READER, "{}", this, LIMITS);
                return "\"" + text(nested) + "\"";
            }
            return "{\"resourceType\":\"Patient\",\"id\":\"1\"}";
        }
    }

    private static <T> T onCaller(java.util.concurrent.Callable<T> work) throws Exception {
        return callers.submit(work).get(30, TimeUnit.SECONDS);
    }

    @Test
    void a_run_started_on_a_caller_thread_runs_on_that_very_thread() throws Exception {
        try (var runtime = new BotRuntime(new BotRuntime.Settings(4, 4))) {
            var bridge = new Recorder();
            Thread caller = onCaller(Thread::currentThread);
            var result = onCaller(() -> runtime.run(READER, "{}", bridge, LIMITS));

            assertThat(text(result)).isEqualTo("read");
            assertThat(bridge.threads).containsExactly(caller);
            assertThat(runtime.placements()).isEqualTo(new BotRuntime.Placements(1, 0));
        }
    }

    @Test
    void a_run_from_any_other_thread_is_handed_to_a_run_thread() throws Exception {
        try (var runtime = new BotRuntime(new BotRuntime.Settings(4, 4))) {
            var bridge = new Recorder();
            assertThat(text(runtime.run(READER, "{}", bridge, LIMITS))).isEqualTo("read");
            try (var virtual = Executors.newVirtualThreadPerTaskExecutor()) {
                var result = virtual.submit(() -> runtime.run(READER, "{}", bridge, LIMITS)).get(30, TimeUnit.SECONDS);
                assertThat(text(result)).isEqualTo("read");
            }

            assertThat(bridge.threads).hasSize(2).allSatisfy(t -> assertThat(t.getName()).startsWith("bot-run-"));
            assertThat(runtime.placements()).isEqualTo(new BotRuntime.Placements(0, 2));
        }
    }

    @Test
    void a_nested_run_started_inside_a_run_in_place_is_handed_off() throws Exception {
        try (var runtime = new BotRuntime(new BotRuntime.Settings(4, 4))) {
            var bridge = new Recorder();
            bridge.runtime = runtime;
            var outer = new BotCode("outer", "v1",
                    "exports.handler = async (medplum) => 'outer+' + await medplum.executeBot('reader', {});",
                    "index.js");
            Thread caller = onCaller(Thread::currentThread);
            var result = onCaller(() -> runtime.run(outer, "{}", bridge, LIMITS));

            assertThat(text(result)).isEqualTo("outer+read");
            // the outer run's executeBot on the caller itself, the nested run's readResource on a run thread
            assertThat(bridge.threads).hasSize(2);
            assertThat(bridge.threads.get(0)).isSameAs(caller);
            assertThat(bridge.threads.get(1).getName()).startsWith("bot-run-");
            assertThat(runtime.placements()).isEqualTo(new BotRuntime.Placements(1, 1));
        }
    }

    @Test
    void a_caller_thread_leaves_a_cancelled_run_uninterrupted_and_runs_the_next_one() throws Exception {
        try (var runtime = new BotRuntime(new BotRuntime.Settings(4, 4))) {
            var spin = new BotCode("spin", "v1", "exports.handler = async () => { for (;;) {} };", "index.js");
            var shortLimits = RunLimits.defaults(Duration.ofMillis(300));
            var timedOut = onCaller(() -> failed(runtime.run(spin, "{}", HostBridge.NONE, shortLimits)));
            assertThat(timedOut.reason()).isEqualTo(RunResult.Failure.TIMEOUT);
            assertThat(onCaller(() -> Thread.currentThread().isInterrupted())).isFalse();

            var bridge = new Recorder();
            assertThat(text(onCaller(() -> runtime.run(READER, "{}", bridge, LIMITS)))).isEqualTo("read");
            assertThat(runtime.placements()).isEqualTo(new BotRuntime.Placements(2, 0));
        }
    }

    @Test
    void infinite_recursion_on_a_caller_thread_fails_as_stack_as_on_a_run_thread() throws Exception {
        try (var runtime = new BotRuntime(new BotRuntime.Settings(4, 4))) {
            var deep = new BotCode("deep", "v1",
                    "function down(n) { return down(n + 1) + 1; }\nexports.handler = async () => down(0);", "index.js");
            var inPlace = onCaller(() -> failed(runtime.run(deep, "{}", HostBridge.NONE, LIMITS)));
            var handedOff = failed(runtime.run(deep, "{}", HostBridge.NONE, LIMITS));

            assertThat(inPlace.reason()).isEqualTo(RunResult.Failure.STACK);
            assertThat(inPlace.message()).contains("Maximum call stack size exceeded");
            assertThat(handedOff.reason()).isEqualTo(RunResult.Failure.STACK);
            assertThat(runtime.placements()).isEqualTo(new BotRuntime.Placements(1, 1));
        }
    }
}
