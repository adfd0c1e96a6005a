package dev.fhirhook.webhook;

import dev.fhirhook.webhook.signature.Verification;

/**
 * Why a webhook request did not reach its bot: the stable codes of the audit trail (AuditEvent subtype) and of
 * the counters. {@link #HANDSHAKE} is the one that is not a refusal: the server answered the provider itself.
 */
public enum Reason {
    UNKNOWN_TARGET("unknown-target"),
    NOT_PUBLIC("not-public"),
    NO_POLICY("no-policy"),
    INACTIVE("inactive"),
    IP_BLOCKED("ip-blocked"),
    RATE_LIMITED("rate-limited"),
    SIGNATURE_MISSING("signature-missing"),
    /** A signature header that cannot be read (wrong prefix, not hex, doubled): a refinement of a mismatch. */
    SIGNATURE_MALFORMED("signature-malformed"),
    SIGNATURE_MISMATCH("signature-mismatch"),
    TIMESTAMP_OUT_OF_TOLERANCE("timestamp-out-of-tolerance"),
    PAYLOAD_TOO_LARGE("payload-too-large"),
    UNSUPPORTED_MEDIA_TYPE("unsupported-media-type"),
    UNPARSABLE_BODY("unparsable-body"),
    HANDSHAKE("handshake");

    private final String code;

    Reason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }

    static Reason of(Verification.Reason reason) {
        return switch (reason) {
            case SIGNATURE_MISSING -> SIGNATURE_MISSING;
            case SIGNATURE_MALFORMED -> SIGNATURE_MALFORMED;
            case SIGNATURE_MISMATCH -> SIGNATURE_MISMATCH;
            case TIMESTAMP_OUT_OF_TOLERANCE -> TIMESTAMP_OUT_OF_TOLERANCE;
            case UNPARSABLE_BODY -> UNPARSABLE_BODY;
        };
    }
}
