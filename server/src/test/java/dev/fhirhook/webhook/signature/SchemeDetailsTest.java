package dev.fhirhook.webhook.signature;

import static dev.fhirhook.webhook.signature.Fixtures.BODY;
import static dev.fhirhook.webhook.signature.Fixtures.URL;
import static dev.fhirhook.webhook.signature.Fixtures.b64;
import static dev.fhirhook.webhook.signature.Fixtures.hex;
import static dev.fhirhook.webhook.signature.Fixtures.mac;
import static dev.fhirhook.webhook.signature.Fixtures.post;
import static dev.fhirhook.webhook.signature.Fixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fhirhook.webhook.signature.Verification.Reason;
import dev.fhirhook.webhook.signature.Verification.Rejected;
import dev.fhirhook.webhook.signature.Verification.Verified;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Reasons for specific bad inputs, delivery ids, and the settings of the configurable presets. */
class SchemeDetailsTest {

    static final long NOW = 1_700_000_000L;
    static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);

    static Reason reason(Verification v) {
        return switch (v) {
            case Rejected r -> r.reason();
            case Verified ok -> throw new AssertionError("expected a rejection, got " + ok);
        };
    }

    static Reason stripe(String header) {
        return reason(new Stripe().verify(post(Map.of("Stripe-Signature", header)), List.of("whsec_x"), CLOCK));
    }

    @Test
    void stripe_headers_name_the_right_reason() {
        var hex = "0".repeat(64);
        assertThat(reason(new Stripe().verify(post(Map.of()), List.of("whsec_x"), CLOCK)))
                .isEqualTo(Reason.SIGNATURE_MISSING);
        assertThat(stripe("v1=")).isEqualTo(Reason.SIGNATURE_MALFORMED);
        assertThat(stripe("t=" + NOW + ",v1=")).isEqualTo(Reason.SIGNATURE_MALFORMED);
        assertThat(stripe("t=" + NOW + ",v1=abc")).isEqualTo(Reason.SIGNATURE_MALFORMED);
        assertThat(stripe("t=" + NOW + ",v0=" + hex)).isEqualTo(Reason.SIGNATURE_MALFORMED);
        assertThat(stripe("t=" + NOW + ",t=" + NOW + ",v1=" + hex)).isEqualTo(Reason.SIGNATURE_MALFORMED);
        assertThat(stripe("t=-1,v1=" + hex)).isEqualTo(Reason.SIGNATURE_MALFORMED);
        assertThat(stripe("t=1e9,v1=" + hex)).isEqualTo(Reason.SIGNATURE_MALFORMED);
        assertThat(stripe("t=99999999999999999999999999,v1=" + hex)).isEqualTo(Reason.TIMESTAMP_OUT_OF_TOLERANCE);
        assertThat(stripe("t=" + (NOW + 86_400) + ",v1=" + hex)).isEqualTo(Reason.TIMESTAMP_OUT_OF_TOLERANCE);
        assertThat(stripe("t=" + NOW + ",v1=" + hex)).isEqualTo(Reason.SIGNATURE_MISMATCH);
        assertThat(stripe("t=" + NOW + ",v1=" + "a".repeat(1 << 20))).isEqualTo(Reason.SIGNATURE_MALFORMED);
    }

    @Test
    void a_valid_stripe_signature_is_refused_by_standard_webhooks() {
        var secret = "whsec_" + b64(utf8("a-key-of-twenty-four-byt"));
        var stripeHeader = "t=" + NOW + ",v1=" + hex(mac("HmacSHA256", utf8(secret), NOW + "." + BODY));
        var request = post(Map.of("Stripe-Signature", stripeHeader));

        assertThat(new Stripe().verify(request, List.of(secret), CLOCK)).isInstanceOf(Verified.class);
        assertThat(reason(new StandardWebhooks().verify(request, List.of(secret), CLOCK)))
                .isEqualTo(Reason.SIGNATURE_MISSING);
    }

    @Test
    void github_reasons_and_delivery_id() {
        var secret = "s";
        var good = "sha256=" + hex(mac("HmacSHA256", utf8(secret), BODY));
        assertThat(reason(new GitHub().verify(post(Map.of("X-Hub-Signature-256", good.substring(7))),
                List.of(secret), CLOCK))).isEqualTo(Reason.SIGNATURE_MALFORMED);
        assertThat(reason(new GitHub().verify(post(Map.of("X-Hub-Signature-256", good.substring(0, 70))),
                List.of(secret), CLOCK))).isEqualTo(Reason.SIGNATURE_MALFORMED);
        assertThat(reason(new GitHub().verify(post(Map.of("X-Hub-Signature-256", good,
                "X-Hub-Signature", "sha1=" + "0".repeat(40))), List.of(secret), CLOCK)))
                .isEqualTo(Reason.SIGNATURE_MISMATCH);
        assertThat(new GitHub().verify(post(Map.of("X-Hub-Signature-256", good, "X-GitHub-Delivery", "guid-1")),
                List.of(secret), CLOCK)).isEqualTo(new Verified(0, Optional.of("guid-1")));
        assertThat(new GitHub().verify(post(Map.of("X-Hub-Signature-256", good, "X-GitHub-Delivery", "a b")),
                List.of(secret), CLOCK)).isEqualTo(new Verified(0, Optional.empty()));
    }

    @Test
    void delivery_ids_come_from_each_providers_header() {
        for (var preset : Fixtures.all()) {
            var result = preset.scheme().verify(preset.sign(preset.current(), NOW), List.of(preset.current()), CLOCK);
            var expected = switch (preset.name()) {
                case "github" -> Optional.of("72d3162e-cc78-11e3-81ab-4c9367dc0958");
                case "shopify" -> Optional.of("b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
                case "standard-webhooks" -> Optional.of("msg_1");
                case "twitch" -> Optional.of("e76c6bd4");
                case "hmac" -> Optional.of("d-1");
                default -> Optional.<String>empty();
            };
            assertThat(result).as(preset.name()).isEqualTo(new Verified(0, expected));
        }
    }

    @Test
    void standard_webhooks_accepts_svix_headers_unprefixed_secrets_and_several_signatures() {
        var key = utf8("another-key-of-24-bytes!");
        var secret = "whsec_" + b64(key);
        var sig = b64(mac("HmacSHA256", key, "msg_2." + NOW + "." + BODY));
        var svix = post(Map.of("svix-id", "msg_2", "svix-timestamp", Long.toString(NOW),
                "svix-signature", "v1a,AAAA v1,bm90IGl0 v1," + sig));

        assertThat(new StandardWebhooks().verify(svix, List.of(secret), CLOCK))
                .isEqualTo(new Verified(0, Optional.of("msg_2")));
        assertThat(new StandardWebhooks().verify(svix, List.of(b64(key)), CLOCK)).isInstanceOf(Verified.class);
        var unpadded = b64(utf8("seventeen bytes!!")).replace("=", "");
        assertThat(new StandardWebhooks().secretProblem("whsec_" + unpadded)).isEmpty();
        assertThat(new StandardWebhooks().secretProblem("whsec_not base64!")).isPresent();
        assertThat(reason(new StandardWebhooks().verify(svix, List.of("whsec_not base64!"), CLOCK)))
                .isEqualTo(Reason.SIGNATURE_MISMATCH);
        assertThat(reason(new StandardWebhooks().verify(post(Map.of("webhook-id", "m", "webhook-timestamp",
                Long.toString(NOW), "webhook-signature", "v1,@@@ v2,AAAA")), List.of(secret), CLOCK)))
                .isEqualTo(Reason.SIGNATURE_MALFORMED);
    }

    @Test
    void twilio_rejects_an_undecodable_form_body_and_a_doubled_body_hash() {
        var form = SignedRequest.of("POST", URL, Map.of("Content-Type", "application/x-www-form-urlencoded",
                "X-Twilio-Signature", b64(new byte[20])), utf8("a=%zz"));
        assertThat(reason(new Twilio().verify(form, List.of("t"), CLOCK))).isEqualTo(Reason.UNPARSABLE_BODY);

        var doubled = SignedRequest.of("POST", URL + "?bodySHA256=a&bodySHA256=b",
                Map.of("Content-Type", "application/json", "X-Twilio-Signature", b64(new byte[20])), utf8(BODY));
        assertThat(reason(new Twilio().verify(doubled, List.of("t"), CLOCK))).isEqualTo(Reason.SIGNATURE_MALFORMED);
    }

    @Test
    void twilio_url_variants_follow_the_official_validators() {
        assertThat(Twilio.urlVariants("https://a.com/p?x=1"))
                .containsExactly("https://a.com/p?x=1", "https://a.com:443/p?x=1");
        assertThat(Twilio.urlVariants("http://a.com:8080/p"))
                .containsExactly("http://a.com:8080/p", "http://a.com/p");
        assertThat(Twilio.urlVariants("https://[::1]/p")).containsExactly("https://[::1]/p", "https://[::1]:443/p");
        assertThat(Twilio.urlVariants("https://[::1]:8443")).containsExactly("https://[::1]:8443", "https://[::1]");
        assertThat(Twilio.urlVariants("")).containsExactly("");
    }

    @Test
    void twitch_rejects_a_timestamp_that_is_not_rfc_3339() {
        var request = post(Map.of("Twitch-Eventsub-Message-Id", "m", "Twitch-Eventsub-Message-Timestamp",
                "1700000000", "Twitch-Eventsub-Message-Signature", "sha256=" + "0".repeat(64)));
        assertThat(reason(new Twitch().verify(request, List.of("0123456789"), CLOCK)))
                .isEqualTo(Reason.SIGNATURE_MALFORMED);
    }

    @Test
    void basic_auth_reasons() {
        var basic = new BasicAuth();
        assertThat(reason(basic.verify(post(Map.of("Authorization", "Bearer abc")), List.of("u:p"), CLOCK)))
                .isEqualTo(Reason.SIGNATURE_MALFORMED);
        assertThat(reason(basic.verify(post(Map.of("Authorization", "Basic " + b64(utf8("nocolon")))),
                List.of("u:p"), CLOCK))).isEqualTo(Reason.SIGNATURE_MALFORMED);
        assertThat(reason(basic.verify(post(Map.of("Authorization", "Basic " + b64(utf8("u:q")))),
                List.of("u:p"), CLOCK))).isEqualTo(Reason.SIGNATURE_MISMATCH);
        assertThat(basic.verify(post(Map.of("Authorization", "basic  " + b64(utf8("u:p")))), List.of("u:p"), CLOCK))
                .isInstanceOf(Verified.class);
        assertThat(basic.secretProblem("nocolon")).isPresent();
    }

    @Test
    void okta_can_use_a_chosen_header() {
        var okta = new Okta("X-Okta-Secret");
        assertThat(okta.verify(post(Map.of("x-okta-secret", "s3")), List.of("s3"), CLOCK)).isInstanceOf(Verified.class);
        assertThat(reason(okta.verify(post(Map.of("Authorization", "s3")), List.of("s3"), CLOCK)))
                .isEqualTo(Reason.SIGNATURE_MISSING);
    }

    @Test
    void generic_hmac_supports_algorithms_encodings_prefixes_and_templates() {
        var key = "k";
        var bodyOnly = new GenericHmac(MacAlgorithm.SHA1,
                new GenericHmac.SignatureHeader("X-Sig", "", DigestEncoding.BASE64), GenericHmac.SignedContent.body(),
                GenericHmac.DEFAULT_TOLERANCE);
        assertThat(bodyOnly.verify(post(Map.of("X-Sig", b64(mac("HmacSHA1", utf8(key), BODY)))), List.of(key), CLOCK))
                .isInstanceOf(Verified.class);

        var timestamped = new GenericHmac(MacAlgorithm.SHA256,
                new GenericHmac.SignatureHeader("X-Sig", "v1=", DigestEncoding.HEX),
                new GenericHmac.SignedContent("{timestamp}.{body}", Optional.of("X-Ts"), Optional.empty()),
                Duration.ofSeconds(60));
        var sig = "v1=" + hex(mac("HmacSHA256", utf8(key), NOW + "." + BODY));
        assertThat(timestamped.verify(post(Map.of("X-Sig", sig, "X-Ts", Long.toString(NOW))), List.of(key), CLOCK))
                .isInstanceOf(Verified.class);
        assertThat(reason(timestamped.verify(post(Map.of("X-Sig", sig, "X-Ts", Long.toString(NOW))),
                List.of(key), Clock.offset(CLOCK, Duration.ofSeconds(61))))).isEqualTo(Reason.TIMESTAMP_OUT_OF_TOLERANCE);
        assertThat(reason(timestamped.verify(post(Map.of("X-Sig", sig)), List.of(key), CLOCK)))
                .isEqualTo(Reason.SIGNATURE_MISSING);
        assertThat(reason(timestamped.verify(post(Map.of("X-Sig", sig.substring(3), "X-Ts", Long.toString(NOW))),
                List.of(key), CLOCK))).isEqualTo(Reason.SIGNATURE_MALFORMED);

        var urlSigned = new GenericHmac(MacAlgorithm.SHA256,
                new GenericHmac.SignatureHeader("X-Sig", "", DigestEncoding.HEX),
                new GenericHmac.SignedContent("{method} {url}\n{body}", Optional.empty(), Optional.empty()),
                GenericHmac.DEFAULT_TOLERANCE);
        var urlSig = hex(mac("HmacSHA256", utf8(key), "POST " + URL + "\n" + BODY));
        assertThat(urlSigned.verify(post(Map.of("X-Sig", urlSig)), List.of(key), CLOCK)).isInstanceOf(Verified.class);
    }

    @Test
    void generic_hmac_refuses_bad_templates_when_configured() {
        assertThatThrownBy(() -> new GenericHmac.SignedContent("{bdy}", Optional.empty(), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GenericHmac.SignedContent("{body", Optional.empty(), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GenericHmac.SignedContent("{timestamp}.{body}", Optional.empty(),
                Optional.empty())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GenericHmac.SignedContent("{id}.{body}", Optional.empty(), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        // a signature that does not cover the body lets any body through with one seen signature
        for (var template : List.of("", "abc", "{timestamp}", "{id}.{timestamp}", "{method} {url}")) {
            assertThatThrownBy(() -> new GenericHmac.SignedContent(template, Optional.of("X-Ts"), Optional.of("X-Id")))
                    .as(template).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("{body}");
        }
    }

    @Test
    void presets_are_found_by_name() {
        for (var name : List.of("stripe", "github", "twilio", "slack", "shopify", "standard-webhooks", "square",
                "zoom", "twitch", "okta", "basic")) {
            assertThat(SignatureScheme.preset(name)).as(name).hasValueSatisfying(s -> assertThat(s.name())
                    .isEqualTo(name));
        }
        assertThat(SignatureScheme.preset("hmac")).isEmpty();
        assertThat(SignatureScheme.preset("nope")).isEmpty();
    }

    @Test
    void zoom_url_validation_token_is_the_hex_hmac_of_the_plain_token() {
        assertThat(Zoom.urlValidationToken("secretValueTest", "qgg8vlvZRS6UYooatFL8Aw"))
                .isEqualTo("70c1f2e2e6ca2d39297490d1f9142c7d701415ea8e6151f6562a08fa657a40ff");
    }
}
