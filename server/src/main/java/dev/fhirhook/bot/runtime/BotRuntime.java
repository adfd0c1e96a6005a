package dev.fhirhook.bot.runtime;

import java.util.Optional;

/**
 * PLACEHOLDER until the sandbox lands: the contract the bot runner is written against.
 * Runs bot code in the GraalJS sandbox. Thread-safe; {@link #run} blocks the calling thread (virtual
 * threads included) until the run ends.
 */
public final class BotRuntime implements AutoCloseable {
    /**
     * @param maxConcurrentRuns runs at once across the server; more are {@link RunResult.Rejected} (SERVER)
     * @param maxConcurrentRunsPerBot runs of one bot at once; more are {@link RunResult.Rejected} (BOT)
     */
    public record Settings(int maxConcurrentRuns, int maxConcurrentRunsPerBot) {}

    public BotRuntime(Settings settings) {}

    /** Whether the code parses as the module type its filename (or content) implies. */
    public Optional<SyntaxProblem> check(String source, String filename) {
        throw new UnsupportedOperationException("sandbox not built yet");
    }

    /**
     * Loads the code (or takes a warm context for it), calls its exported {@code handler(medplum, event)} with
     * {@code event} parsed from {@code eventJson}, and waits for the result within {@code limits}.
     */
    public RunResult run(BotCode code, String eventJson, HostBridge medplum, RunLimits limits) {
        throw new UnsupportedOperationException("sandbox not built yet");
    }

    @Override
    public void close() {}
}
