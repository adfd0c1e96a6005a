package dev.fhirhook.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fhirhook.testing.TestServer;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A deferred statement ({@link Jdbc#deferred}) goes to PostgreSQL with the commit, in its round trip, or before the
 * transaction's next statement; it fails and rolls back like any other statement of the transaction.
 */
class DeferredStatementTest {
    private final Database database = TestServer.get().server().database();
    private final Jdbc jdbc = database.jdbc();

    @BeforeEach
    void table() {
        jdbc.update("create table if not exists deferred_probe (n int primary key)");
        jdbc.update("truncate deferred_probe");
    }

    @AfterEach
    void drop() {
        jdbc.update("drop table deferred_probe");
    }

    @Test
    void a_deferred_insert_is_committed_with_the_transaction() {
        jdbc.inTransaction(tx -> {
            tx.update("insert into deferred_probe values (1)");
            tx.deferred("insert into deferred_probe values (?)", 2);
            return null;
        });
        assertThat(numbers()).containsExactly(1, 2);
    }

    @Test
    void the_commit_rides_with_the_deferred_statement_and_the_driver_sends_no_commit_of_its_own() throws SQLException {
        // Held first, so that the transaction runs on another connection, which this one then observes.
        try (var observer = database.dataSource().getConnection()) {
            int pid = jdbc.inTransaction(tx -> {
                int backend = tx.queryOne("select pg_backend_pid()", rs -> rs.getInt(1)).orElseThrow();
                tx.deferred("insert into deferred_probe values (?)", 7);
                return backend;
            });
            // The backend's last statement is the lower-case commit sent after the insert; pgjdbc's own is "COMMIT".
            try (var st = observer.prepareStatement("select query from pg_stat_activity where pid = ?")) {
                st.setInt(1, pid);
                try (var rs = st.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1).strip()).isEqualTo("commit");
                }
            }
        }
        assertThat(numbers()).containsExactly(7);
    }

    @Test
    void a_deferred_statement_runs_before_the_next_statement_of_its_transaction() {
        var seen = jdbc.inTransaction(tx -> {
            tx.deferred("insert into deferred_probe values (?)", 3);
            return tx.query("select n from deferred_probe", rs -> rs.getInt(1));
        });
        assertThat(seen).containsExactly(3);
        assertThat(numbers()).containsExactly(3);
    }

    @Test
    void a_deferred_statement_that_fails_at_the_commit_rolls_back_the_whole_transaction() {
        jdbc.update("insert into deferred_probe values (9)");
        assertThatThrownBy(() -> jdbc.inTransaction(tx -> {
            tx.update("insert into deferred_probe values (4)");
            tx.deferred("insert into deferred_probe values (?)", 9); // a duplicate key
            return null;
        })).isInstanceOfSatisfying(DataAccessException.class, e -> {
            assertThat(e.sqlState()).isEqualTo("23505");
            assertThat(e.getMessage()).contains("insert into deferred_probe");
        });
        assertThat(numbers()).containsExactly(9);
        java.util.List<Integer> after = jdbc.inTransaction(tx -> tx.query("select 1", rs -> rs.getInt(1)));
        assertThat(after).containsExactly(1); // the connection went back to the pool usable
    }

    @Test
    void a_deferred_statement_that_fails_before_the_next_statement_fails_that_one_with_the_deferred_sql_named() {
        jdbc.update("insert into deferred_probe values (5)");
        assertThatThrownBy(() -> jdbc.inTransaction(tx -> {
            tx.deferred("insert into deferred_probe values (?)", 5);
            return tx.query("select n from deferred_probe", rs -> rs.getInt(1));
        })).isInstanceOfSatisfying(DataAccessException.class,
                e -> assertThat(e.getMessage()).contains("deferred statement failed [insert into deferred_probe"));
        assertThat(numbers()).containsExactly(5);
    }

    @Test
    void a_transaction_whose_work_throws_after_deferring_sends_nothing() {
        assertThatThrownBy(() -> jdbc.inTransaction(tx -> {
            tx.deferred("insert into deferred_probe values (?)", 6);
            throw new IllegalArgumentException("refused after the write was queued");
        })).isInstanceOf(IllegalArgumentException.class);
        assertThat(numbers()).isEmpty();
    }

    @Test
    void an_inner_transaction_defers_to_the_outer_commit() {
        jdbc.inTransaction(outer -> outer.inTransaction(inner -> {
            inner.deferred("insert into deferred_probe values (?)", 8);
            return null;
        }));
        assertThat(numbers()).containsExactly(8);
    }

    @Test
    void deferring_outside_a_transaction_is_a_programming_error() {
        assertThatThrownBy(() -> jdbc.deferred("insert into deferred_probe values (1)"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("needs a transaction");
        assertThat(numbers()).isEmpty();
    }

    private java.util.List<Integer> numbers() {
        return jdbc.query("select n from deferred_probe order by n", rs -> rs.getInt(1));
    }
}
