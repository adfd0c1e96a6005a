package dev.fhirhook.webhook.signature;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Slack: {@code X-Slack-Signature: v0=<hex>} over {@code v0:<X-Slack-Request-Timestamp>:<body>} with the signing
 * secret; 5 minutes tolerance as in Slack's SDKs. The {@code event_id} is in the body, so no delivery id here.
 */
public record Slack(Duration tolerance) implements SignatureScheme {

    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    public Slack {
        Timestamps.requireTolerance(tolerance);
    }

    public Slack() {
        this(DEFAULT_TOLERANCE);
    }

    @Override
    public String name() {
        return "slack";
    }

    @Override
    public Verification verify(SignedRequest request, List<String> secrets, Clock clock) {
        return V0Signature.verify(request, secrets, clock, tolerance, "x-slack-signature",
                "x-slack-request-timestamp");
    }
}
