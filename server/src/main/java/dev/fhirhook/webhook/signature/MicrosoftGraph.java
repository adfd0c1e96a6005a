package dev.fhirhook.webhook.signature;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Microsoft Graph change notifications carry no signature: every notification in {@code value[]} repeats the
 * {@code clientState} set when the subscription was created, and each must equal the secret (constant time).
 * The body has to be parsed to find it, which is the check itself. Rich notifications' {@code validationTokens}
 * (JWTs) are not checked here. The subscription's one-time {@code validationToken} handshake is unsigned and is
 * answered by the ingest chain, not by this scheme.
 */
public record MicrosoftGraph() implements SignatureScheme {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String name() {
        return "microsoft-graph";
    }

    @Override
    public Verification verify(SignedRequest request, List<String> secrets, Clock clock) {
        if (request.body().length == 0) {
            return Verification.missing("the body carries no notifications");
        }
        JsonNode notifications;
        try {
            notifications = JSON.readTree(request.body()).path("value");
        } catch (java.io.IOException | RuntimeException e) {
            return new Verification.Rejected(Verification.Reason.UNPARSABLE_BODY, "the body is not JSON");
        }
        if (!notifications.isArray() || notifications.isEmpty()) {
            return Verification.missing("the body has no value[] of notifications");
        }
        Integer matched = null;
        for (JsonNode notification : notifications) {
            JsonNode state = notification.path("clientState");
            if (!state.isTextual() || state.asText().isEmpty()) {
                return Verification.missing("a notification has no clientState");
            }
            var presented = Matching.utf8(state.asText());
            var match = Matching.firstSecret(secrets, Matching::utf8Key, key -> Matching.sameToken(presented, key));
            if (match.isEmpty()) {
                return Verification.mismatch("a clientState does not match the secret");
            }
            matched = matched == null ? match.getAsInt() : Math.max(matched, match.getAsInt());
        }
        return new Verification.Verified(matched, Optional.empty());
    }
}
