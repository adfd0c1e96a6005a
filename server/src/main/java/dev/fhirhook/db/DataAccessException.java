package dev.fhirhook.db;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * A database call failed. {@link #unavailable()} tells a lost or refused connection (the request may
 * succeed later, so the HTTP layer answers 503) from an error in the statement itself.
 */
public final class DataAccessException extends RuntimeException {
    private final boolean unavailable;
    private final String sqlState;

    public DataAccessException(String message, SQLException cause) {
        super(message + ": " + cause.getMessage(), cause);
        this.sqlState = cause.getSQLState();
        this.unavailable = isConnectionFailure(cause);
    }

    public boolean unavailable() { return unavailable; }

    /** PostgreSQL cancelled the statement because it ran past its time limit. */
    public boolean timedOut() { return "57014".equals(sqlState); }

    /** The PostgreSQL SQLSTATE, such as {@code 23505} for a unique violation, or null. */
    public String sqlState() { return sqlState; }

    private static boolean isConnectionFailure(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException) return true;
            if (t instanceof SQLException s && s.getSQLState() != null) {
                String state = s.getSQLState();
                // 08: connection exception; 57P01-03: admin shutdown, crash shutdown, cannot connect now
                if (state.startsWith("08") || state.startsWith("57P")) return true;
            }
        }
        return false;
    }
}
