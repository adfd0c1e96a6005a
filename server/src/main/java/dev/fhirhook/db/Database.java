package dev.fhirhook.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.fhirhook.config.Config;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The PostgreSQL connection pool, embedded or external, with its schema migrated. Thread-safe.
 */
public final class Database implements AutoCloseable {
    private final EmbeddedPostgresServer embedded; // null when external
    private final HikariDataSource pool;
    private final String jdbcUrl;

    private Database(EmbeddedPostgresServer embedded, HikariDataSource pool, String jdbcUrl) {
        this.embedded = embedded;
        this.pool = pool;
        this.jdbcUrl = jdbcUrl;
    }

    /** Starts the embedded PostgreSQL when needed, opens the pool and applies pending migrations. */
    public static Database open(Config config) {
        var db = config.database();
        EmbeddedPostgresServer embedded = db.embedded() ? EmbeddedPostgresServer.start(config.postgresDir()) : null;
        try {
            String url = embedded != null ? embedded.jdbcUrl() : db.url().orElseThrow();
            String user = embedded != null ? embedded.user() : db.user();
            var hikari = new HikariConfig();
            hikari.setJdbcUrl(url);
            hikari.setUsername(user);
            hikari.setPassword(embedded != null ? "" : db.password());
            hikari.setMaximumPoolSize(db.poolSize());
            hikari.setMinimumIdle(Math.min(2, db.poolSize()));
            hikari.setPoolName("fhirhook");
            // Fail fast when PostgreSQL is gone so requests get a 503 instead of hanging.
            hikari.setConnectionTimeout(3_000);
            hikari.setValidationTimeout(1_000);
            hikari.setInitializationFailTimeout(30_000);
            hikari.addDataSourceProperty("connectTimeout", "3");
            hikari.addDataSourceProperty("socketTimeout", "60");
            hikari.addDataSourceProperty("tcpKeepAlive", "true");
            hikari.addDataSourceProperty("ApplicationName", "fhirhook");
            // Index rows are written as JDBC batches; sent as multi-row INSERTs they cost one round trip each.
            hikari.addDataSourceProperty("reWriteBatchedInserts", "true");
            var pool = new HikariDataSource(hikari);
            try {
                migrate(pool);
            } catch (RuntimeException e) {
                pool.close();
                throw e;
            }
            return new Database(embedded, pool, url);
        } catch (RuntimeException e) {
            if (embedded != null) embedded.close();
            throw e;
        }
    }

    static void migrate(DataSource dataSource) {
        Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .failOnMissingLocations(true)
                .load()
                .migrate();
    }

    public DataSource dataSource() { return pool; }

    public Jdbc jdbc() { return new Jdbc(pool); }

    /** The JDBC URL in use (for tools and tests that reach the same database). */
    public String jdbcUrl() { return jdbcUrl; }

    /** True when a trivial statement succeeds now. */
    public boolean healthy() {
        try (var c = pool.getConnection(); var st = c.createStatement()) {
            return st.execute("select 1");
        } catch (SQLException e) {
            return false;
        }
    }

    /** The caller's shutdown hook now closes this database; see {@link EmbeddedPostgresServer#leaveStopToOwner()}. */
    public void leaveStopToOwner() {
        if (embedded != null) embedded.leaveStopToOwner();
    }

    @Override
    public void close() {
        pool.close();
        if (embedded != null) embedded.close();
    }
}
