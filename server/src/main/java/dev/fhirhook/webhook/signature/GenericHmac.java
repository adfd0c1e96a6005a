package dev.fhirhook.webhook.signature;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code hmac} preset for providers without one of their own: a configurable HMAC over a signed-content
 * template, keyed with the secret's UTF-8 bytes.
 *
 * @param tolerance applied only when {@link SignedContent#timestampHeader()} is set (unix seconds)
 */
public record GenericHmac(MacAlgorithm algorithm, SignatureHeader signature, SignedContent content,
                          Duration tolerance) implements SignatureScheme {

    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    public GenericHmac {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(signature, "signature");
        Objects.requireNonNull(content, "content");
        Timestamps.requireTolerance(tolerance);
    }

    /**
     * Where the signature travels: {@code <name>: <prefix><digest>}, e.g. {@code X-Signature: sha256=<hex>}.
     *
     * @param prefix literal text before the digest, possibly empty
     */
    public record SignatureHeader(String name, String prefix, DigestEncoding encoding) {
        public SignatureHeader {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(prefix, "prefix");
            Objects.requireNonNull(encoding, "encoding");
            if (name.isBlank()) {
                throw new IllegalArgumentException("signature header name is blank");
            }
            name = name.toLowerCase(Locale.ROOT);
        }
    }

    /**
     * What is signed. The template is literal text with placeholders {@code {body}} (raw bytes), {@code {timestamp}}
     * and {@code {id}} (header values as received), {@code {url}} and {@code {method}}; e.g. {@code {body}},
     * {@code {timestamp}.{body}}, {@code {id}.{timestamp}.{body}}. Any other {@code {} is refused at construction,
     * so a typo in a Bot's settings fails when the Bot is saved rather than rejecting every delivery.
     *
     * @param idHeader also reported as the delivery id
     */
    public record SignedContent(String template, Optional<String> timestampHeader, Optional<String> idHeader) {
        public SignedContent {
            Objects.requireNonNull(template, "template");
            Objects.requireNonNull(timestampHeader, "timestampHeader");
            Objects.requireNonNull(idHeader, "idHeader");
            timestampHeader = timestampHeader.map(h -> h.toLowerCase(Locale.ROOT));
            idHeader = idHeader.map(h -> h.toLowerCase(Locale.ROOT));
            var parts = parse(template);
            if (!parts.contains(new Part.Placeholder("body"))) {
                // a signature over anything else (nothing, a constant, a timestamp) would let any body through with it
                throw new IllegalArgumentException("must contain {body}: the signature has to cover the body");
            }
            if (parts.contains(new Part.Placeholder("timestamp")) && timestampHeader.isEmpty()) {
                throw new IllegalArgumentException("{timestamp} needs a timestamp header");
            }
            if (parts.contains(new Part.Placeholder("id")) && idHeader.isEmpty()) {
                throw new IllegalArgumentException("{id} needs an id header");
            }
        }

        public static SignedContent body() {
            return new SignedContent("{body}", Optional.empty(), Optional.empty());
        }
    }

    @Override
    public String name() {
        return "hmac";
    }

    @Override
    public Verification verify(SignedRequest request, List<String> secrets, Clock clock) {
        var header = request.header(signature.name());
        if (header.isEmpty()) {
            return Verification.missing(signature.name() + " is absent");
        }
        var given = PrefixedDigest.parse(header.get(), signature.prefix(), signature.encoding(), algorithm);
        if (given.isEmpty()) {
            return Verification.malformed(signature.name() + " is not " + signature.prefix() + "<"
                    + signature.encoding().name().toLowerCase(Locale.ROOT) + ">");
        }
        String timestamp = null;
        if (content.timestampHeader().isPresent()) {
            var name = content.timestampHeader().get();
            var value = request.header(name);
            if (value.isEmpty()) {
                return Verification.missing(name + " is absent");
            }
            var stale = Timestamps.checkUnixSeconds(value.get(), tolerance, clock);
            if (stale.isPresent()) {
                return stale.get();
            }
            timestamp = value.get();
        }
        String id = null;
        if (content.idHeader().isPresent()) {
            var name = content.idHeader().get();
            var value = request.header(name);
            if (value.isEmpty() && parse(content.template()).contains(new Part.Placeholder("id"))) {
                return Verification.missing(name + " is absent");
            }
            id = value.orElse(null);
        }
        var signed = new ArrayList<byte[]>();
        for (var part : parse(content.template())) {
            signed.add(switch (part) {
                case Part.Literal(var text) -> Matching.utf8(text);
                case Part.Placeholder(var placeholder) -> switch (placeholder) {
                    case "body" -> request.body();
                    case "timestamp" -> Matching.utf8(timestamp);
                    case "id" -> Matching.utf8(id);
                    case "url" -> Matching.utf8(request.url());
                    case "method" -> Matching.utf8(request.method());
                    default -> throw new IllegalStateException("validated at construction: " + placeholder);
                };
            });
        }
        var match = Matching.firstSecret(secrets, Matching::utf8Key, key -> given.get().matches(key, signed));
        return match.isPresent()
                ? new Verification.Verified(match.getAsInt(), content.idHeader().flatMap(request::deliveryId))
                : Verification.mismatch("signature does not match the signed content");
    }

    sealed interface Part {
        record Literal(String text) implements Part {
        }

        record Placeholder(String name) implements Part {
        }
    }

    private static final List<String> PLACEHOLDERS = List.of("body", "timestamp", "id", "url", "method");

    static List<Part> parse(String template) {
        var parts = new ArrayList<Part>();
        int at = 0;
        while (at < template.length()) {
            int open = template.indexOf('{', at);
            if (open < 0) {
                parts.add(new Part.Literal(template.substring(at)));
                break;
            }
            if (open > at) {
                parts.add(new Part.Literal(template.substring(at, open)));
            }
            int close = template.indexOf('}', open);
            var name = close < 0 ? "" : template.substring(open + 1, close);
            if (!PLACEHOLDERS.contains(name)) {
                throw new IllegalArgumentException("unknown placeholder in signed-content template at " + open
                        + "; known: {body}, {timestamp}, {id}, {url}, {method}");
            }
            parts.add(new Part.Placeholder(name));
            at = close + 1;
        }
        return parts;
    }
}
