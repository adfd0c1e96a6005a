package dev.fhirhook.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fhirhook.testing.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Statements run through a timed Jdbc are cancelled by PostgreSQL at the limit, and say so. */
class QueryTimeoutTest {

    @Test
    void a_statement_past_its_time_limit_is_cancelled_and_reported_as_timed_out() {
        var jdbc = TestServer.get().server().database().jdbc().withQueryTimeout(Duration.ofSeconds(1));
        long start = System.nanoTime();
        assertThatThrownBy(() -> jdbc.query("select pg_sleep(5)", rs -> 1))
                .isInstanceOfSatisfying(DataAccessException.class, e -> {
                    assertThat(e.timedOut()).isTrue();
                    assertThat(e.unavailable()).isFalse();
                });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        // the connection went back to the pool in working order
        assertThat(TestServer.get().server().database().jdbc().query("select 1", rs -> rs.getInt(1))).containsExactly(1);
    }

    @Test
    void inside_a_transaction_the_limit_applies_too_and_the_transaction_rolls_back() {
        var base = TestServer.get().server().database().jdbc();
        base.update("create table if not exists timeout_probe (n int)");
        var jdbc = base.withQueryTimeout(Duration.ofSeconds(1));
        assertThatThrownBy(() -> jdbc.inTransaction(tx -> {
            tx.update("insert into timeout_probe values (1)");
            return tx.query("select pg_sleep(5)", rs -> 1);
        })).isInstanceOfSatisfying(DataAccessException.class, e -> assertThat(e.timedOut()).isTrue());
        assertThat(base.query("select count(*) from timeout_probe", rs -> rs.getLong(1))).containsExactly(0L);
        base.update("drop table timeout_probe");
    }
}
