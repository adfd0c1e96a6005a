package dev.fhirhook.webhook.signature;

import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of checking one request against one {@link SignatureScheme}. Expected failures are values, never
 * exceptions, so the ingest chain can audit and count every refusal with a stable {@link Reason#code()}.
 */
public sealed interface Verification {

    /**
     * The request carries a valid signature.
     *
     * @param secretIndex which of the configured secrets matched (0 = the first); a match on a later, retiring
     *                    secret tells operators the rotation is not finished yet
     * @param deliveryId  the provider's delivery id from a header, when the scheme has one and it is well formed;
     *                    ids in the body (Stripe, Square, Slack, Okta) are left to the caller
     */
    record Verified(int secretIndex, Optional<String> deliveryId) implements Verification {
        public Verified {
            Objects.requireNonNull(deliveryId, "deliveryId");
        }
    }

    /**
     * The request is refused.
     *
     * @param detail a short, fixed explanation written by us; it never echoes request data or secrets, so it is
     *               safe for audit records and logs
     */
    record Rejected(Reason reason, String detail) implements Verification {
        public Rejected {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(detail, "detail");
        }
    }

    /** Stable reason codes, shared with the audit trail and metrics of the ingest chain. */
    enum Reason {
        SIGNATURE_MISSING("signature-missing"),
        SIGNATURE_MALFORMED("signature-malformed"),
        SIGNATURE_MISMATCH("signature-mismatch"),
        TIMESTAMP_OUT_OF_TOLERANCE("timestamp-out-of-tolerance"),
        UNPARSABLE_BODY("unparsable-body");

        private final String code;

        Reason(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    default boolean verified() {
        return this instanceof Verified;
    }

    static Rejected missing(String detail) {
        return new Rejected(Reason.SIGNATURE_MISSING, detail);
    }

    static Rejected malformed(String detail) {
        return new Rejected(Reason.SIGNATURE_MALFORMED, detail);
    }

    static Rejected mismatch(String detail) {
        return new Rejected(Reason.SIGNATURE_MISMATCH, detail);
    }
}
