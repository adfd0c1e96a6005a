package dev.fhirhook.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * A thin layer over JDBC: parameter binding, row mapping and transactions, with SQLExceptions turned
 * into {@link DataAccessException}. Statements run on the connection of the current transaction when
 * there is one ({@link #inTransaction}), otherwise on a pooled connection in auto-commit. Inside a transaction,
 * a statement whose result nobody reads may be {@linkplain #deferred deferred}: sent with the commit, in its round
 * trip. Thread-safe; a transaction belongs to the thread that opened it.
 */
public final class Jdbc {
    @FunctionalInterface
    public interface RowMapper<T> { T map(ResultSet rs) throws SQLException; }

    @FunctionalInterface
    public interface Work<T> { T run(Jdbc tx); }

    /** A transaction's deferred statements, in order, and their parameters; shared by its views. */
    private static final class Deferred {
        final List<String> sql = new ArrayList<>();
        final List<Object> params = new ArrayList<>();
    }

    private final DataSource dataSource;
    private final Connection connection; // non-null inside a transaction
    private final Deferred deferred; // non-null inside a transaction
    private final int queryTimeoutSeconds; // 0: none
    private final boolean customPlans;

    public Jdbc(DataSource dataSource) {
        this(dataSource, null, null, 0, false);
    }

    private Jdbc(DataSource dataSource, Connection connection, Deferred deferred, int queryTimeoutSeconds,
            boolean customPlans) {
        this.dataSource = dataSource;
        this.connection = connection;
        this.deferred = deferred;
        this.queryTimeoutSeconds = queryTimeoutSeconds;
        this.customPlans = customPlans;
    }

    /**
     * The same helper, but every statement is cancelled by PostgreSQL after {@code timeout} (SQLSTATE 57014):
     * for work whose cost depends on the caller, such as searches, so one cannot hold a connection for long.
     */
    public Jdbc withQueryTimeout(java.time.Duration timeout) {
        return new Jdbc(dataSource, connection, deferred, (int) Math.max(1, timeout.toSeconds()), customPlans);
    }

    /**
     * The same helper, but PostgreSQL plans every statement with its values (pgjdbc sends it unnamed) instead of
     * switching to a generic plan after five executions. For statements whose good plan depends on the values:
     * with an AccessPolicy's criteria beside a search's own, a generic plan cannot tell a one-row identifier from
     * a criteria every resource meets, and drives the search from the latter's index rows (54 ms instead of
     * 0.3 ms at 1,500 Patients, growing with the project). Planning each time costs about 0.1 ms.
     */
    public Jdbc withCustomPlans() {
        return customPlans ? this : new Jdbc(dataSource, connection, deferred, queryTimeoutSeconds, true);
    }

    public <T> List<T> query(String sql, RowMapper<T> mapper, Object... params) {
        return withConnection(sql, c -> {
            try (PreparedStatement ps = prepare(c, sql, params); ResultSet rs = ps.executeQuery()) {
                return rows(rs, mapper);
            }
        });
    }

    public <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... params) {
        var rows = query(sql, mapper, params);
        if (rows.size() > 1) throw new IllegalStateException("expected at most one row from: " + sql);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.getFirst());
    }

    /**
     * Runs {@code before} and then {@code sql} in one round trip (pgjdbc sends both ahead of one Sync) and maps the
     * rows of {@code sql}. PostgreSQL still runs them one after the other, and under READ COMMITTED {@code sql} takes
     * its snapshot when it starts: it sees what was committed while {@code before} waited, for a lock.
     */
    public <T> List<T> queryAfter(String before, Object[] beforeParams, String sql, RowMapper<T> mapper, Object... params) {
        var all = new Object[beforeParams.length + params.length];
        System.arraycopy(beforeParams, 0, all, 0, beforeParams.length);
        System.arraycopy(params, 0, all, beforeParams.length, params.length);
        return withConnection(sql, c -> {
            try (PreparedStatement ps = prepare(c, before + ";\n" + sql, all)) {
                ps.execute(); // before's result
                if (!ps.getMoreResults()) throw new IllegalStateException("expected rows from: " + firstLine(sql));
                try (ResultSet rs = ps.getResultSet()) {
                    return rows(rs, mapper);
                }
            }
        });
    }

    private static <T> List<T> rows(ResultSet rs, RowMapper<T> mapper) throws SQLException {
        var out = new ArrayList<T>();
        while (rs.next()) out.add(mapper.map(rs));
        return out;
    }

    public int update(String sql, Object... params) {
        return withConnection(sql, c -> {
            try (PreparedStatement ps = prepare(c, sql, params)) {
                return ps.executeUpdate();
            }
        });
    }

    /** Runs one statement for each row of parameters, sent to the server in batches. */
    public void batch(String sql, List<Object[]> rows) {
        if (rows.isEmpty()) return;
        withConnection(sql, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int pending = 0;
                for (Object[] row : rows) {
                    bind(ps, row);
                    ps.addBatch();
                    if (++pending == 500) {
                        ps.executeBatch();
                        pending = 0;
                    }
                }
                if (pending > 0) ps.executeBatch();
                return null;
            }
        });
    }

    /**
     * Queues a statement of the current transaction whose result nobody reads, such as a write's last insert. It
     * goes to PostgreSQL with the commit, ahead of it in the same round trip, or, when the transaction sends
     * another statement first, just before that one. Its failure surfaces there (for the commit: from
     * {@link #inTransaction}, with this statement named) and rolls the whole transaction back, as any failure does.
     */
    public void deferred(String sql, Object... params) {
        if (connection == null) throw new IllegalStateException("a deferred statement needs a transaction: " + firstLine(sql));
        deferred.sql.add(sql);
        deferred.params.addAll(Arrays.asList(params));
    }

    /** Runs {@code work} in one transaction, committed when it returns and rolled back when it throws. */
    public <T> T inTransaction(Work<T> work) {
        if (connection != null) return work.run(this);
        // No autocommit reset on the way out: the pool restores it when the connection comes back, and a
        // reset on a connection that just broke would throw and hide the real failure.
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                var tx = new Jdbc(dataSource, c, new Deferred(), queryTimeoutSeconds, customPlans);
                T result = work.run(tx);
                tx.sendDeferred(c, true);
                c.commit(); // after a deferred statement's commit pgjdbc sends nothing: the transaction has ended
                return result;
            } catch (RuntimeException | Error e) {
                rollbackQuietly(c, e);
                throw e;
            } catch (SQLException e) {
                rollbackQuietly(c, e);
                throw e;
            }
        } catch (SQLException e) {
            throw new DataAccessException("transaction failed", e);
        }
    }

    private static void rollbackQuietly(Connection c, Throwable cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private interface ConnectionWork<T> { T run(Connection c) throws SQLException; }

    private <T> T withConnection(String sql, ConnectionWork<T> work) {
        if (connection != null) sendDeferred(connection, false); // in order: what was deferred runs first
        try {
            if (connection != null) return work.run(connection);
            try (Connection c = dataSource.getConnection()) {
                return work.run(c);
            }
        } catch (SQLException e) {
            throw new DataAccessException("statement failed [" + firstLine(sql) + "]", e);
        }
    }

    /** Sends the deferred statements, if any, followed by {@code commit} when asked: one round trip. */
    private void sendDeferred(Connection c, boolean commit) {
        if (deferred.sql.isEmpty()) return;
        String sql = String.join(";\n", deferred.sql) + (commit ? ";\ncommit" : "");
        Object[] params = deferred.params.toArray();
        deferred.sql.clear();
        deferred.params.clear();
        try (PreparedStatement ps = prepare(c, sql, params)) {
            ps.execute();
        } catch (SQLException e) {
            throw new DataAccessException("deferred statement failed [" + firstLine(sql) + "]", e);
        }
    }

    private static String firstLine(String sql) {
        String s = sql.strip();
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl) + " ...";
    }

    private PreparedStatement prepare(Connection c, String sql, Object[] params) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        try {
            if (queryTimeoutSeconds > 0) ps.setQueryTimeout(queryTimeoutSeconds);
            if (customPlans) ps.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(0);
            bind(ps, params);
        } catch (SQLException | RuntimeException e) {
            ps.close();
            throw e;
        }
        return ps;
    }

    private static void bind(PreparedStatement ps, Object[] params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            Object p = params[i];
            switch (p) {
                case Instant instant -> ps.setObject(i + 1, java.time.OffsetDateTime.ofInstant(instant, java.time.ZoneOffset.UTC));
                case UUID uuid -> ps.setObject(i + 1, uuid);
                case String[] array -> ps.setArray(i + 1, ps.getConnection().createArrayOf("text", array));
                case null -> ps.setObject(i + 1, null);
                default -> ps.setObject(i + 1, p);
            }
        }
    }
}
