package dev.fhirhook.audit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A bounded queue and the one daemon thread that empties it: each turn takes whatever is queued, at most
 * {@code maxBatch} items, and hands them to {@code write} in one call, so that many producers share one
 * transaction. A batch whose write throws goes to {@code failed} and the thread carries on. The thread holds
 * {@code writing} while it gathers and writes a batch, so a producer that takes that lock itself writes alone,
 * and what is queued while the thread waits for it joins the thread's next batch. Thread-safe.
 */
public final class BatchWriter<T> implements AutoCloseable {
    private final BlockingQueue<T> queue;
    private final int maxBatch;
    private final Consumer<List<T>> write;
    private final BiConsumer<List<T>, Throwable> failed;
    private final Duration closeWait;
    private final Lock writing;
    private final Thread thread;
    private volatile boolean closed;

    /** @param closeWait how long {@link #close()} lets the thread write what is queued before writing the rest itself */
    public BatchWriter(String threadName, int capacity, int maxBatch, Duration closeWait, Consumer<List<T>> write,
            BiConsumer<List<T>, Throwable> failed) {
        this(threadName, capacity, maxBatch, closeWait, new ReentrantLock(), write, failed);
    }

    /** @param writing held by the thread from gathering a batch to the end of its write */
    public BatchWriter(String threadName, int capacity, int maxBatch, Duration closeWait, Lock writing,
            Consumer<List<T>> write, BiConsumer<List<T>, Throwable> failed) {
        this.writing = writing;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.maxBatch = maxBatch;
        this.write = write;
        this.failed = failed;
        this.closeWait = closeWait;
        this.thread = Thread.ofPlatform().daemon().name(threadName).start(this::run);
    }

    /** Queues {@code item}; false when the queue is full or the writer closed (the caller decides what then). */
    public boolean offer(T item) {
        return !closed && queue.offer(item);
    }

    /**
     * After a successful {@link #offer}: true when the writer closed meanwhile and {@code item} was still queued, now
     * taken back (the thread may be gone, so the caller writes it).
     */
    public boolean takeBackIfClosed(T item) {
        return closed && queue.remove(item);
    }

    /** How many items wait for the thread. */
    public int queued() {
        return queue.size();
    }

    private void run() {
        var batch = new ArrayList<T>(maxBatch);
        while (true) {
            try {
                T first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closed) return;
                    continue;
                }
                writing.lock();
                try {
                    batch.add(first);
                    queue.drainTo(batch, maxBatch - 1);
                    write.accept(batch);
                } finally {
                    writing.unlock();
                }
            } catch (InterruptedException e) {
                if (closed) return;
            } catch (RuntimeException | Error e) {
                failed.accept(batch, e);
            } finally {
                batch.clear();
            }
        }
    }

    /** Takes no more items, lets the thread write what is queued (up to the close wait), then writes what is left. */
    @Override
    public void close() {
        closed = true;
        try {
            thread.join(closeWait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        var left = new ArrayList<T>();
        queue.drainTo(left);
        if (left.isEmpty()) return;
        writing.lock();
        try {
            write.accept(left);
        } finally {
            writing.unlock();
        }
    }
}
