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
    /** What a run may allocate unless told otherwise. */
    public static final long DEFAULT_MAX_ALLOCATED_BYTES = 256L * 1024 * 1024;

    public static RunLimits defaults(Duration timeout) {
        return new RunLimits(timeout, DEFAULT_MAX_ALLOCATED_BYTES, 1024 * 1024, 10 * 1024 * 1024);
    }

    /**
     * The largest buffer (ArrayBuffer, typed array, Buffer) the run may allocate in one step: a quarter of its
     * budget. One step is quicker than the watchdog's poll, so this bounds what concurrent runs can take from the
     * heap between two polls; a larger one is refused at once with a RangeError.
     */
    public long maxBufferBytes() {
        return maxAllocatedBytes / 4;
    }
}
