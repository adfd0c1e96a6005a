package dev.fhirhook.bot.runtime;

/** A failed {@link HostBridge} call, carrying the OperationOutcome the bot sees as {@code err.outcome}. */
public final class HostCallException extends Exception {
    private final String outcomeJson;

    /** @param outcomeJson the OperationOutcome as JSON text, or null */
    public HostCallException(String message, String outcomeJson) {
        super(message, null, false, false);
        this.outcomeJson = outcomeJson;
    }

    public String outcomeJson() {
        return outcomeJson;
    }
}
