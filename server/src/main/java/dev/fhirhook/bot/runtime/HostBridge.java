package dev.fhirhook.bot.runtime;

/**
 * The Java side of the {@code medplum} object a bot receives. The runtime calls it on the run's own thread,
 * one call at a time, and turns the answer into a settled Promise. Implementations act as the bot's
 * membership, never as the caller.
 */
@FunctionalInterface
public interface HostBridge {
    /**
     * @param method the MedplumClient method, such as {@code createResource} or {@code searchResources}
     * @param argumentsJson the call's arguments as a JSON array (functions and undefined dropped)
     * @return the result as JSON text ({@code null} for none)
     * @throws HostCallException the call failed; the Promise rejects with an Error whose {@code outcome} is
     *     the exception's OperationOutcome
     */
    String call(String method, String argumentsJson) throws HostCallException;

    /** For code run without a server, such as syntax checks: every call fails. */
    HostBridge NONE = (method, args) -> {
        throw new HostCallException("medplum." + method + " is not available here", null);
    };
}
