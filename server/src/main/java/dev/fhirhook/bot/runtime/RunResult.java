package dev.fhirhook.bot.runtime;

import java.time.Duration;

/** How one run ended. Sealed: callers map every case to a reply and an AuditEvent. */
public sealed interface RunResult {
    /** The console output kept (at most {@link RunLimits#maxLogChars}), lines joined by {@code \n}. */
    String log();

    Duration duration();

    /** The handler's Promise resolved (or it returned a value). */
    record Returned(ReturnValue value, String log, Duration duration) implements RunResult {}

    /**
     * The run did not produce a value.
     *
     * @param message for {@link Failure#ERROR}, the thrown value's message ({@code err.message}, a thrown
     *     string itself, or an OperationOutcome's text); otherwise a fixed text describing the limit
     */
    record Failed(Failure reason, String message, String log, Duration duration) implements RunResult {}

    /** Refused before any code ran: the bot's or the server's concurrency cap is reached. */
    record Rejected(Saturation saturated, String log, Duration duration) implements RunResult {
        public Rejected(Saturation saturated) {
            this(saturated, "", Duration.ZERO);
        }
    }

    enum Failure {
        /** the handler threw or its Promise rejected; also: no handler exported, or code that does not load */
        ERROR,
        /** past {@link RunLimits#timeout}, or a Promise that never settles */
        TIMEOUT,
        /** past {@link RunLimits#maxAllocatedBytes} */
        MEMORY,
        /** recursion too deep */
        STACK,
        /** the return value is larger than {@link RunLimits#maxResultChars} or cannot be serialised (cycles) */
        RESULT
    }

    enum Saturation { BOT, SERVER }
}
