package dev.fhirhook.bot.runtime;

import java.time.Duration;

/**
 * The bounds of one run.
 *
 * @param timeout wall-clock bound on everything the run does, awaited work and timers included ({@code Bot.timeout})
 * @param maxAllocatedBytes bytes the run's thread may allocate before the run is cancelled
 * @param maxLogChars console output kept; older output is dropped (the tail is what the AuditEvent shows)
 * @param maxResultChars the largest return value (as JSON or text) accepted
 */
public record RunLimits(Duration timeout, long maxAllocatedBytes, int maxLogChars, int maxResultChars) {
    public static RunLimits defaults(Duration timeout) {
        return new RunLimits(timeout, 256L * 1024 * 1024, 1024 * 1024, 10 * 1024 * 1024);
    }
}
