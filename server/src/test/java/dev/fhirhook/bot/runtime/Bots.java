package dev.fhirhook.bot.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** Test shorthand: run a piece of bot code once and look at the result. */
final class Bots {
    private static final AtomicInteger IDS = new AtomicInteger();

    /** Generous: tests about time set their own; a cold context on a busy 2-core machine can take seconds. */
    static final RunLimits LIMITS = RunLimits.defaults(Duration.ofSeconds(10));

    private Bots() {}

    /** A bot id of its own, so tests never share warm contexts by accident. */
    static BotCode code(String source) {
        return code(source, "index.js");
    }

    static BotCode code(String source, String filename) {
        return new BotCode("bot-" + IDS.incrementAndGet(), "v1", source, filename);
    }

    static RunResult run(BotRuntime runtime, String source) {
        return runtime.run(code(source), "{}", HostBridge.NONE, LIMITS);
    }

    static RunResult run(BotRuntime runtime, String source, String eventJson) {
        return runtime.run(code(source), eventJson, HostBridge.NONE, LIMITS);
    }

    static RunResult run(BotRuntime runtime, BotCode code, RunLimits limits) {
        return runtime.run(code, "{}", HostBridge.NONE, limits);
    }

    /** The value of a run that must have returned. */
    static ReturnValue returned(RunResult result) {
        assertThat(result).as("run result (log: %s)", result.log()).isInstanceOf(RunResult.Returned.class);
        return ((RunResult.Returned) result).value();
    }

    /** The text a run returned (a string return value). */
    static String text(RunResult result) {
        var value = returned(result);
        assertThat(value).as("return value").isInstanceOf(ReturnValue.Text.class);
        return ((ReturnValue.Text) value).text();
    }

    static RunResult.Failed failed(RunResult result) {
        assertThat(result).as("run result (log: %s)", result.log()).isInstanceOf(RunResult.Failed.class);
        return (RunResult.Failed) result;
    }

    /** CommonJS code whose handler returns the value of a JS expression. */
    static String returning(String expression) {
        return "exports.handler = async (medplum, event) => (" + expression + ");";
    }
}
