package dev.fhirhook.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.Scope;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes AuditEvents to their destinations: {@code resource} stores one in the given project, {@code log}
 * writes it as one JSON line on the {@code fhirhook.audit} logger. A failure to store is logged and
 * swallowed: the audit of a run must never turn the run's own reply into an error.
 *
 * <p>{@link #record} is a group commit, and returns only once the caller's event is committed, so an answered
 * request always has its AuditEvent in the database. A caller that finds no batch being written and none queued
 * commits its event itself, on its own thread: alone, it would only wait for a hand-off to the writer thread and
 * back (at two connections that hand-off was a tenth of a webhook's time). Otherwise it queues its event for one
 * writer thread, which stores whatever callers queued meanwhile in one transaction and one statement
 * ({@link ResourceStore#createAll}), sent with its commit in one round trip. Under load many runs share one
 * commit, which costs a fraction of one commit each. When the queue is full or the log closed, the caller stores
 * its event itself.
 *
 * <p>These transactions commit with {@code synchronous_commit = off}: the commit is visible at once, but PostgreSQL
 * writes it to disk with its next WAL flush (the next ordinary commit, such as the bot's own next write, or the WAL
 * writer within {@code 3 × wal_writer_delay}, 0.6 s by default) instead of making the caller wait for an fsync. A
 * crash of fhirhook loses nothing (the events are PostgreSQL's by then); a crash of PostgreSQL or of the machine
 * may lose the audit events of the last fraction of a second, never a resource or another commit. That halves
 * the latency of a bot run at low concurrency. Thread-safe.
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("fhirhook.audit");
    /** Events waiting for the writer at most; past this callers write their own (back-pressure, not loss). */
    static final int QUEUE_CAPACITY = 4_096;
    /** Events per transaction at most. */
    static final int MAX_BATCH = 256;
    /** How long a caller waits for its commit before going on (the event is still written, later). */
    static final Duration MAX_WAIT = Duration.ofSeconds(10);

    public enum Destination { RESOURCE, LOG }

    /**
     * How stored events were committed since the log began: by a caller alone, or in the writer's shared batches.
     *
     * @param batchedEvents the events in those batches
     */
    public record Commits(long alone, long batches, long batchedEvents) {}

    /** An AuditEvent to store in a project. */
    public record Stored(String projectId, ObjectNode event) {}

    private record Pending(Stored event, CompletableFuture<Void> committed) {}

    private final ResourceStore store;
    private final BatchWriter<Pending> writer;
    /** Held while a batch is written, by the writer or by a caller that found nothing to share a commit with. */
    private final ReentrantLock writing = new ReentrantLock();
    private final LongAdder alone = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final LongAdder batchedEvents = new LongAdder();

    public AuditLog(ResourceStore store) {
        this.store = store;
        this.writer = new BatchWriter<>("audit-writer", QUEUE_CAPACITY, MAX_BATCH, Duration.ofSeconds(30), writing,
                this::write, (batch, e) -> {
                    log.error("the audit writer failed; its batch is released", e);
                    batch.forEach(p -> p.committed().completeExceptionally(e));
                });
    }

    /**
     * Stores several AuditEvents in one transaction (one commit instead of one each). If that fails, each is tried
     * on its own, so one bad event does not lose the others.
     *
     * @return how many could not be stored (each logged)
     */
    public int storeAll(List<Stored> events) {
        if (events.isEmpty()) return 0;
        try {
            var resources = events.stream()
                    .map(e -> new ResourceStore.NewResource(Scope.system(e.projectId()), e.event().deepCopy())).toList();
            store.inTransaction((tx, jdbc) -> {
                jdbc.deferred("set local synchronous_commit = off"); // see the class comment; sent with the insert
                return tx.createAll(resources);
            });
            return 0;
        } catch (RuntimeException batchFailed) {
            int failed = 0;
            for (var e : events) {
                try {
                    store.create(Scope.system(e.projectId()), e.event());
                } catch (RuntimeException ex) {
                    failed++;
                    log.warn("could not store an AuditEvent in project {}: {}", e.projectId(), ex.toString());
                }
            }
            return failed;
        }
    }

    /**
     * Writes the event to its destinations; returns once a stored event is committed (or could not be, which is
     * logged).
     *
     * @param event an AuditEvent without {@code id} or {@code meta.project}; it is stored in {@code projectId}
     */
    public void record(String projectId, ObjectNode event, Collection<Destination> destinations) {
        if (destinations.contains(Destination.LOG)) log.info("{}", event);
        if (!destinations.contains(Destination.RESOURCE)) return;
        var stored = new Stored(projectId, event);
        if (writer.queued() == 0 && writing.tryLock()) {
            try {
                storeAll(List.of(stored)); // nothing to share a commit with: no hand-off to the writer and back
                alone.increment();
            } finally {
                writing.unlock();
            }
            return;
        }
        var pending = new Pending(stored, new CompletableFuture<>());
        if (!writer.offer(pending) || writer.takeBackIfClosed(pending)) {
            storeAll(List.of(pending.event()));
            return;
        }
        try {
            pending.committed().get(MAX_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("an AuditEvent for project {} is not committed after {} s; it stays queued", projectId,
                    MAX_WAIT.toSeconds());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            log.warn("could not store an AuditEvent in project {}: {}", projectId, e.getCause().toString());
        }
    }

    /** How the stored events were committed so far (alone or shared): how well the group commit groups. */
    public Commits commits() {
        return new Commits(alone.sum(), batches.sum(), batchedEvents.sum());
    }

    /** How many events wait for the writer. */
    public int queued() {
        return writer.queued();
    }

    private void write(List<Pending> batch) { // the writer holds `writing`
        storeAll(batch.stream().map(Pending::event).toList()); // failures are logged there, one by one
        batches.increment();
        batchedEvents.add(batch.size());
        batch.forEach(p -> p.committed().complete(null));
    }

    /** Writes what is queued and stops the writer; later events are written by their callers. */
    @Override
    public void close() {
        writer.close();
    }
}
