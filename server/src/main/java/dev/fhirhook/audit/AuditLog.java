package dev.fhirhook.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.Scope;
import java.util.Collection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes AuditEvents to their destinations: {@code resource} stores one in the given project, {@code log}
 * writes it as one JSON line on the {@code fhirhook.audit} logger. A failure to store is logged and
 * swallowed: the audit of a run must never turn the run's own reply into an error. Thread-safe.
 */
public final class AuditLog {
    private static final Logger log = LoggerFactory.getLogger("fhirhook.audit");

    public enum Destination { RESOURCE, LOG }

    private final ResourceStore store;

    public AuditLog(ResourceStore store) {
        this.store = store;
    }

    /** An AuditEvent to store in a project. */
    public record Stored(String projectId, ObjectNode event) {}

    /**
     * Stores several AuditEvents in one transaction (one commit instead of one each). If that fails, each is tried
     * on its own, so one bad event does not lose the others.
     *
     * @return how many could not be stored (each logged)
     */
    public int storeAll(java.util.List<Stored> events) {
        if (events.isEmpty()) return 0;
        try {
            store.inTransaction((tx, jdbc) -> {
                for (var e : events) tx.create(Scope.system(e.projectId()), e.event());
                return null;
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

    /** @param event an AuditEvent without {@code id} or {@code meta.project}; it is stored in {@code projectId} */
    public void record(String projectId, ObjectNode event, Collection<Destination> destinations) {
        if (destinations.contains(Destination.LOG)) log.info("{}", event);
        if (!destinations.contains(Destination.RESOURCE)) return;
        try {
            store.create(Scope.system(projectId), event);
        } catch (RuntimeException e) {
            log.warn("could not store an AuditEvent in project {}: {}", projectId, e.toString());
        }
    }
}
