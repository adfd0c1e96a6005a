package dev.fhirhook.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.db.Jdbc;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.testing.TestServer;
import java.sql.Connection;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The audit trail's group commit: a caller of {@link AuditLog#record} gets control back only once its
 * AuditEvent is committed, and callers that arrive while a commit is under way share the next one.
 */
class AuditLogTest {
    private final Jdbc jdbc = TestServer.get().server().database().jdbc();
    private final ResourceStore store = TestServer.get().newStore(Clock.systemUTC());
    private final String projectId = TestServer.get().newProject().projectId();

    @Test
    void concurrent_callers_share_commits_and_each_returns_with_its_event_committed() throws Exception {
        String marker = UUID.randomUUID().toString();
        int callers = 24;
        var notVisibleOnReturn = new ConcurrentLinkedQueue<Integer>();
        var commits = new AtomicReference<AuditLog.Commits>();
        try (var audit = new AuditLog(store); var pool = Executors.newFixedThreadPool(callers)) {
            // another transaction holds the history table: the writer's first commit waits, the others queue
            try (Connection blocker = TestServer.get().server().database().dataSource().getConnection()) {
                blocker.setAutoCommit(false);
                blocker.createStatement().execute("lock table resource_history in exclusive mode");
                var started = new CountDownLatch(callers);
                var calls = new ArrayList<Future<?>>();
                for (int i = 0; i < callers; i++) {
                    int n = i;
                    calls.add(pool.submit(() -> {
                        started.countDown();
                        audit.record(projectId, event(marker, n), EnumSet.of(AuditLog.Destination.RESOURCE));
                        if (count(marker, n) != 1) notVisibleOnReturn.add(n);
                    }));
                }
                assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
                Thread.sleep(500); // every caller is now queued or in the writer's stuck first batch
                assertThat(audit.queued()).isPositive();
                assertThat(calls).noneMatch(Future::isDone); // nobody is answered before the commit
                blocker.rollback();
                for (var call : calls) call.get(30, TimeUnit.SECONDS);
            }
            commits.set(audit.commits());
        }
        assertThat(notVisibleOnReturn).isEmpty();
        assertThat(commits.get().alone()).isLessThanOrEqualTo(1); // the first caller found the writer idle
        assertThat(commits.get().batchedEvents()).isGreaterThanOrEqualTo(callers - 1);
        var transactions = jdbc.query("select count(distinct xmin::text) from resource where resource_type = 'AuditEvent'"
                + " and content::jsonb ->> 'outcomeDesc' like ?", rs -> rs.getLong(1), marker + "%");
        assertThat(transactions.getFirst()).isBetween(1L, 2L); // the first caller's, then everyone else's
        var history = jdbc.query("select count(*) from resource_history where resource_type = 'AuditEvent'"
                + " and content::jsonb ->> 'outcomeDesc' like ?", rs -> rs.getLong(1), marker + "%");
        assertThat(history).containsExactly((long) callers);
    }

    @Test
    void a_caller_that_finds_the_writer_idle_commits_its_event_itself() {
        String marker = UUID.randomUUID().toString();
        try (var audit = new AuditLog(store)) {
            for (int i = 0; i < 3; i++) {
                audit.record(projectId, event(marker, i), EnumSet.of(AuditLog.Destination.RESOURCE));
                assertThat(count(marker, i)).isEqualTo(1); // committed when record returns, as with the writer
            }
            assertThat(audit.commits()).isEqualTo(new AuditLog.Commits(3, 0, 0));
        }
    }

    @Test
    void a_closed_log_still_stores_on_the_callers_thread() {
        String marker = UUID.randomUUID().toString();
        var audit = new AuditLog(store);
        audit.close();
        audit.record(projectId, event(marker, 0), EnumSet.of(AuditLog.Destination.RESOURCE));
        assertThat(count(marker, 0)).isEqualTo(1);
    }

    @Test
    void store_all_writes_a_batch_in_one_transaction_with_searchable_index_rows() {
        String marker = UUID.randomUUID().toString();
        try (var audit = new AuditLog(store)) {
            var events = new ArrayList<AuditLog.Stored>();
            for (int i = 0; i < 300; i++) events.add(new AuditLog.Stored(projectId, event(marker, i)));
            assertThat(audit.storeAll(events)).isZero();
        }
        var transactions = jdbc.query("select count(distinct xmin::text), count(*) from resource"
                + " where resource_type = 'AuditEvent' and content::jsonb ->> 'outcomeDesc' like ?",
                rs -> List.of(rs.getLong(1), rs.getLong(2)), marker + "%");
        assertThat(transactions.getFirst()).containsExactly(1L, 300L);
        var indexed = jdbc.query("select count(*) from search_reference r join resource a on a.resource_type = r.resource_type"
                + " and a.id = r.resource_id where r.param = 'entity' and a.content::jsonb ->> 'outcomeDesc' like ?",
                rs -> rs.getLong(1), marker + "%");
        assertThat(indexed).containsExactly(300L);
    }

    @Test
    void the_audit_writes_asynchronous_commit_stays_in_its_own_transaction() {
        // storeAll commits with synchronous_commit = off; the pooled connection it used (the next one this thread
        // borrows) must be back to the server's setting, or every later write on it would commit without fsync
        String marker = UUID.randomUUID().toString();
        try (var audit = new AuditLog(store)) {
            for (int i = 0; i < 20; i++) {
                assertThat(audit.storeAll(List.of(new AuditLog.Stored(projectId, event(marker, i))))).isZero();
                assertThat(jdbc.query("show synchronous_commit", rs -> rs.getString(1))).containsExactly("on");
            }
        }
        assertThat(jdbc.query("select count(*) from resource where resource_type = 'AuditEvent'"
                + " and content::jsonb ->> 'outcomeDesc' like ?", rs -> rs.getLong(1), marker + "%")).containsExactly(20L);
    }

    private int count(String marker, int n) {
        return jdbc.query("select count(*) from resource where resource_type = 'AuditEvent'"
                + " and content::jsonb ->> 'outcomeDesc' = ?", rs -> rs.getInt(1), marker + "/" + n).getFirst();
    }

    private static ObjectNode event(String marker, int n) {
        return (ObjectNode) FhirJson.parse(("""
                {"resourceType":"AuditEvent","type":{"system":"https://medplum.com/CodeSystem/audit-event","code":"execute"},
                 "recorded":"2026-11-28T12:00:00Z","outcome":"0","outcomeDesc":"%s/%d",
                 "agent":[{"requestor":true}],"source":{"observer":{"reference":"Bot/b"}},
                 "entity":[{"what":{"reference":"Bot/b"}}]}
                """.formatted(marker, n)).getBytes());
    }
}
