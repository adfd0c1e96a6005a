package dev.fhirhook.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.testing.TestServer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Conditional writes take an advisory lock and search in one round trip ({@link Jdbc#queryAfter}). That is safe only
 * because the search still takes its snapshot after the lock is granted: it must see what the holder committed.
 */
class LockThenReadTest {
    private final Jdbc jdbc = TestServer.get().server().database().jdbc();

    @BeforeEach
    void table() {
        jdbc.update("create table if not exists lock_probe (key text)");
        jdbc.update("truncate lock_probe");
    }

    @AfterEach
    void drop() {
        jdbc.update("drop table lock_probe");
    }

    @Test
    void the_read_sent_with_the_lock_sees_what_the_previous_holder_committed() throws Exception {
        var holding = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        var holder = CompletableFuture.runAsync(() -> jdbc.inTransaction(tx -> {
            ResourceStore.lock(tx, "probe-key");
            tx.update("insert into lock_probe values ('written by the holder')");
            holding.countDown();
            await(release);
            return null;
        }));
        assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
        var reader = CompletableFuture.supplyAsync(() -> jdbc.inTransaction(tx -> tx.queryAfter(ResourceStore.LOCK,
                new Object[] {"probe-key"}, "select key from lock_probe where key like ?", rs -> rs.getString(1), "written%")));
        Thread.sleep(300);
        assertThat(reader).as("waits for the lock").isNotDone();
        release.countDown();
        holder.get(10, TimeUnit.SECONDS);
        assertThat(reader.get(10, TimeUnit.SECONDS)).containsExactly("written by the holder");
    }

    @Test
    void without_a_lock_to_wait_for_it_reads_at_once() {
        jdbc.update("insert into lock_probe values ('there')");
        java.util.List<String> read = jdbc.inTransaction(tx -> tx.queryAfter(ResourceStore.LOCK, new Object[] {"free-key"},
                "select key from lock_probe", rs -> rs.getString(1)));
        assertThat(read).containsExactly("there");
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
