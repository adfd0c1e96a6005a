package dev.fhirhook.bot.runtime;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.graalvm.polyglot.Context;

/**
 * The state of one run that the worker thread, the {@link Watchdog} and the waiting caller share: its bounds,
 * its log, and whether it ended or was cancelled. Exactly one of "completed" (by the worker) and "cancelled"
 * (by anyone, with a reason) wins; a cancelled run's context is closed and never reused.
 */
final class RunControl {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** How a cancelled run is reported. */
    record Cancellation(RunResult.Failure reason, String message) {}

    private static final Cancellation COMPLETED = new Cancellation(null, null);

    final HostBridge bridge;
    final RunLimits limits;
    final LogBuffer log;
    final long deadlineNanos;

    private final AtomicReference<Cancellation> end = new AtomicReference<>();
    private volatile Thread worker;
    private volatile Context context;
    private long allocationBase;
    private volatile long hostAllocated;

    RunControl(HostBridge bridge, RunLimits limits, long startNanos) {
        this.bridge = bridge;
        this.limits = limits;
        this.log = new LogBuffer(limits.maxLogChars());
        this.deadlineNanos = startNanos + limits.timeout().toNanos();
    }

    static boolean allocationCountingAvailable() {
        return THREADS.isThreadAllocatedMemorySupported() && THREADS.isThreadAllocatedMemoryEnabled();
    }

    /** On the worker thread, before anything of the run allocates. */
    void begin() {
        allocationBase = THREADS.getCurrentThreadAllocatedBytes();
        worker = Thread.currentThread();
    }

    /** What the run itself allocated: the worker's bytes minus the host's work in medplum calls. */
    long allocatedBytes() {
        var thread = worker;
        if (thread == null) return 0;
        return THREADS.getThreadAllocatedBytes(thread.threadId()) - allocationBase - hostAllocated;
    }

    /** Host work (the medplum calls the run makes) does not count against the bot's allocation budget. */
    <T> T asHost(HostWork<T> work) throws HostCallException {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        try {
            return work.run();
        } finally {
            hostAllocated += THREADS.getCurrentThreadAllocatedBytes() - before;
        }
    }

    @FunctionalInterface
    interface HostWork<T> {
        T run() throws HostCallException;
    }

    long remainingNanos() {
        return deadlineNanos - System.nanoTime();
    }

    /** The worker's context, so a cancellation can close it; false when the run was cancelled already. */
    boolean attach(Context context) {
        this.context = context;
        return end.get() == null;
    }

    /** On the worker: the run produced its answer; false when a cancellation came first. */
    boolean complete() {
        return end.compareAndSet(null, COMPLETED);
    }

    /**
     * Ends the run with {@code reason} unless it already ended. From another thread ({@code closeContext}),
     * the context is closed with cancellation on a thread of its own, since closing waits for the worker to
     * leave guest code; the worker, when parked in the event loop, is woken.
     */
    boolean cancel(RunResult.Failure reason, String message, boolean closeContext) {
        if (!end.compareAndSet(null, new Cancellation(reason, message))) return false;
        var ctx = context;
        if (closeContext && ctx != null) {
            Thread.ofPlatform().daemon().name("bot-cancel").start(() -> BotContext.closeQuietly(ctx));
        }
        var thread = worker;
        if (thread != null) LockSupport.unpark(thread);
        return true;
    }

    /** Ends the run as TIMEOUT, as {@link #cancel} does; false when it had ended already. */
    boolean timeOut(boolean closeContext) {
        return cancel(RunResult.Failure.TIMEOUT, BotContext.timeoutMessage(limits), closeContext);
    }

    /** The cancellation, or null while running or after completing. */
    Cancellation cancellation() {
        var c = end.get();
        return c == COMPLETED ? null : c;
    }
}
