package dev.fhirhook.bench;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.UUID;

/**
 * The floor under every write: one insert of a Patient-sized row and a durable commit, on a private JDBC
 * connection per worker, against the same PostgreSQL the server uses. No HTTP, no JSON, no pool.
 */
record PgCommitScenario(String jdbcUrl) implements Scenario {
    static final String USER = "postgres";

    @Override
    public String name() {
        return "pg-commit";
    }

    static Connection connect(String jdbcUrl) throws SQLException {
        return DriverManager.getConnection(jdbcUrl, USER, "");
    }

    /** Creates the scratch table (idempotent). */
    void setUp() throws SQLException {
        try (var c = connect(jdbcUrl); var st = c.createStatement()) {
            st.execute("create table if not exists bench_floor (id uuid primary key, body text)");
        }
    }

    void tearDown() throws SQLException {
        try (var c = connect(jdbcUrl); var st = c.createStatement()) {
            st.execute("drop table if exists bench_floor");
        }
    }

    @Override
    public Worker worker(int index, int concurrency) throws SQLException {
        var connection = connect(jdbcUrl);
        connection.setAutoCommit(false);
        var insert = connection.prepareStatement("insert into bench_floor(id, body) values (?, ?)");
        return worker(connection, i -> {
            insert.setObject(1, UUID.randomUUID());
            insert.setString(2, new String(Patients.forCreate(index, i), StandardCharsets.UTF_8));
            insert.executeUpdate();
            connection.commit();
            return Outcome.EXPECTED;
        });
    }

    /** One operation of a worker on its own connection, committing what it writes. */
    interface Operation {
        Outcome run(long i) throws SQLException;
    }

    /** A worker of {@code operation}: an SQLException rolls back and counts as an error; close closes the connection. */
    static Worker worker(Connection connection, Operation operation) {
        return new Worker() {
            @Override
            public Outcome call(long i) throws SQLException {
                try {
                    return operation.run(i);
                } catch (SQLException e) {
                    connection.rollback();
                    return new Outcome.Unexpected("SQLState " + e.getSQLState(), e.getMessage());
                }
            }

            @Override
            public void close() {
                try {
                    connection.close();
                } catch (SQLException ignored) {
                    // closing is best effort
                }
            }
        };
    }
}
