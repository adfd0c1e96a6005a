package dev.fhirhook.bot.runtime;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * One platform thread that, while runs are active, looks at each every {@code pollInterval}: past its
 * deadline it is cancelled as TIMEOUT, past its allocation budget as MEMORY. Parked while nothing runs.
 * A run that blocks in a medplum call is cancelled too, but stops only when the call returns.
 */
final class Watchdog implements AutoCloseable {
    private final Set<RunControl> active = ConcurrentHashMap.newKeySet();
    private final long pollNanos;
    private final Thread thread;
    private volatile boolean idle;
    private volatile boolean closed;

    Watchdog(Duration pollInterval) {
        this.pollNanos = pollInterval.toNanos();
        this.thread = Thread.ofPlatform().daemon().name("bot-watchdog").start(this::loop);
    }

    void watch(RunControl run) {
        active.add(run);
        if (idle) LockSupport.unpark(thread);
    }

    void unwatch(RunControl run) {
        active.remove(run);
    }

    private void loop() {
        while (!closed) {
            if (active.isEmpty()) {
                idle = true;
                if (active.isEmpty() && !closed) LockSupport.park(this);
                idle = false;
                continue;
            }
            LockSupport.parkNanos(this, pollNanos);
            long now = System.nanoTime();
            for (var run : active) {
                if (now - run.deadlineNanos >= 0) {
                    run.timeOut(true);
                } else if (run.allocatedBytes() > run.limits.maxAllocatedBytes()) {
                    run.cancel(RunResult.Failure.MEMORY, BotContext.memoryMessage(run.limits), true);
                }
            }
        }
    }

    /** Cancels every active run (as ERROR, with {@code message}); for shutdown. */
    void cancelAll(String message) {
        for (var run : active) run.cancel(RunResult.Failure.ERROR, message, true);
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }
}
