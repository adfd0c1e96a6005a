package dev.fhirhook.webhook.signature;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * One provider's way of proving a webhook came from it. Implementations are pure: they read only the
 * {@link SignedRequest}, the secrets and the clock, do no I/O, and never throw on request data — missing,
 * malformed, huge or non-ASCII headers are {@link Verification.Rejected}. They are immutable records and safe to
 * share between threads.
 */
public sealed interface SignatureScheme
        permits Stripe, GitHub, Twilio, Slack, Shopify, StandardWebhooks, Square, Zoom, Twitch, Okta, BasicAuth,
        HeaderToken, GenericHmac, MicrosoftGraph {

    /**
     * Checks the request.
     *
     * @param secrets the current secret first, then any retiring ones; the request verifies when any one matches.
     *                Each is the secret as the provider shows it (per-provider decoding, e.g. {@code whsec_}, is
     *                done here)
     * @param clock   the time against which timestamped schemes apply their tolerance
     */
    Verification verify(SignedRequest request, List<String> secrets, Clock clock);

    /** The preset name used in the Bot's {@code webhook.verify[].scheme}. */
    String name();

    /**
     * Why this secret can never verify anything under this scheme (empty, not decodable), for validating the Bot
     * when it is saved; empty when the secret is usable.
     */
    default Optional<String> secretProblem(String secret) {
        return secret == null || secret.isEmpty() ? Optional.of("the secret is empty") : Optional.empty();
    }

    /**
     * The preset with its provider's defaults, for every scheme that needs no configuration beyond a secret;
     * {@code header-token} and {@code hmac} need settings and are built with their constructors.
     */
    static Optional<SignatureScheme> preset(String name) {
        return Optional.ofNullable(switch (name) {
            case "stripe" -> new Stripe();
            case "github" -> new GitHub();
            case "twilio" -> new Twilio();
            case "slack" -> new Slack();
            case "shopify" -> new Shopify();
            case "standard-webhooks", "svix" -> new StandardWebhooks();
            case "square" -> new Square();
            case "zoom" -> new Zoom();
            case "twitch" -> new Twitch();
            case "okta" -> new Okta();
            case "basic" -> new BasicAuth();
            case "microsoft-graph" -> new MicrosoftGraph();
            default -> null;
        });
    }
}
