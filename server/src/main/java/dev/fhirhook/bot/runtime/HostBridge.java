package dev.fhirhook.bot.runtime;

import java.util.Set;

/**
 * The Java side of the {@code medplum} object a bot receives. The runtime calls it on the run's own thread,
 * one call at a time, and turns the answer into a settled Promise. Implementations act as the bot's
 * membership, never as the caller.
 *
 * <p>Work done inside {@link #call} does not count against the run's allocation budget, but does count against its
 * timeout: a call still running at the deadline makes the run fail TIMEOUT as soon as it returns (the caller of
 * {@link BotRuntime#run} on another thread stops waiting one second after the deadline; the call's thread, which may be
 * the caller's own, stays busy until then).
 *
 * <h2>The methods and their JSON</h2>
 * The JavaScript side normalises what the bot passed, so each method arrives in exactly one shape. {@code query}
 * is always a form-encoded string without the leading {@code ?} ({@code ""} for none), whatever the bot passed:
 * a string, a {@code URLSearchParams}, a record (array values repeat the key, undefined values are left out) or
 * {@code [name, value]} pairs. Arguments the bot left undefined arrive as {@code null}.
 * <table>
 * <caption>argumentsJson and the answer, per method</caption>
 * <tr><th>method</th><th>argumentsJson</th><th>return</th></tr>
 * <tr><td>{@code createResource}</td><td>{@code [resource]}</td><td>the created resource</td></tr>
 * <tr><td>{@code createResourceIfNoneExist}</td><td>{@code [resource, query]}</td>
 *     <td>the one existing match, or the created resource</td></tr>
 * <tr><td>{@code readResource}</td><td>{@code [resourceType, id]}</td><td>the resource. Also serves the bot's
 *     {@code readReference({reference: "Type/id"})}, split in JavaScript (a malformed reference rejects there)</td></tr>
 * <tr><td>{@code updateResource}</td><td>{@code [resource]} (with its {@code id})</td><td>the updated resource</td></tr>
 * <tr><td>{@code upsertResource}</td><td>{@code [resource, query]}</td>
 *     <td>the updated or created resource (a conditional update by {@code query})</td></tr>
 * <tr><td>{@code patchResource}</td><td>{@code [resourceType, id, operations]}, operations a JSON Patch array</td>
 *     <td>the patched resource</td></tr>
 * <tr><td>{@code deleteResource}</td><td>{@code [resourceType, id]}</td><td>{@code null}</td></tr>
 * <tr><td>{@code search}</td><td>{@code [resourceType, query]}</td><td>a searchset Bundle. Serves three bot
 *     calls: {@code search} (resolves the Bundle), {@code searchOne} ({@code _count=1} is set in the query; resolves
 *     the first entry's resource or undefined) and {@code searchResources} (resolves {@code entry[].resource} as an
 *     array whose non-enumerable {@code bundle} is the Bundle)</td></tr>
 * <tr><td>{@code executeBot}</td><td>{@code [idOrIdentifier, body, contentType]}: the Bot's id as a string or an
 *     Identifier object {@code {system, value}}; any JSON body or null; a content type string or null</td>
 *     <td>the other bot's result as JSON (a string result as a JSON string)</td></tr>
 * <tr><td>{@code createBinary}</td><td>{@code [binary, filename]}: {@code binary} is
 *     {@code {"resourceType":"Binary","contentType":…,"data":"<base64>"}} plus {@code securityContext} when the bot
 *     gave one; {@code filename} a string or null</td><td>the created Binary ({@code data} may be left out). Also
 *     serves {@code createAttachment}, which resolves {@code {contentType, url, title}} with {@code url} the
 *     Binary's {@code url} if the host sets one, else {@code "Binary/<id>"}</td></tr>
 * </table>
 * No other method name arrives (see {@link #METHODS}). The JSON returned is parsed in JavaScript; {@code null} (or
 * an empty string) resolves the Promise with undefined.
 */
@FunctionalInterface
public interface HostBridge {
    /** Every method name {@link #call} receives. */
    Set<String> METHODS = Set.of("createResource", "createResourceIfNoneExist", "readResource", "updateResource",
            "upsertResource", "patchResource", "deleteResource", "search", "executeBot", "createBinary");

    /**
     * @param method one of {@link #METHODS}
     * @param argumentsJson the call's arguments as a JSON array, in the shape the table above gives for the method
     * @return the result as JSON text ({@code null} for none)
     * @throws HostCallException the call failed; the Promise rejects with an Error (named
     *     {@code OperationOutcomeError}) whose {@code message} is the exception's message and whose {@code outcome}
     *     is the exception's OperationOutcome, parsed. Any other exception rejects the Promise with
     *     {@code medplum.<method> failed: internal error} and is logged; its details never reach the bot.
     */
    String call(String method, String argumentsJson) throws HostCallException;

    /** For code run without a server, such as syntax checks: every call fails. */
    HostBridge NONE = (method, args) -> {
        throw new HostCallException("medplum." + method + " is not available here", null);
    };
}
