package dev.fhirhook.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.policy.IpRules;
import dev.fhirhook.webhook.signature.DigestEncoding;
import dev.fhirhook.webhook.signature.GenericHmac;
import dev.fhirhook.webhook.signature.HeaderToken;
import dev.fhirhook.webhook.signature.MacAlgorithm;
import dev.fhirhook.webhook.signature.Okta;
import dev.fhirhook.webhook.signature.SignatureScheme;
import dev.fhirhook.webhook.signature.Slack;
import dev.fhirhook.webhook.signature.StandardWebhooks;
import dev.fhirhook.webhook.signature.Stripe;
import dev.fhirhook.webhook.signature.Twitch;
import dev.fhirhook.webhook.signature.Zoom;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A Bot's {@code webhook} element, parsed and validated. Pure; immutable.
 *
 * <pre>{@code
 * "webhook": {
 *   "verify": [{"scheme": "stripe", "secret": "STRIPE_WEBHOOK_SECRET", "toleranceSeconds": 300}],
 *   "publicUrl": "https://hooks.example.org/webhook/6b1e...",
 *   "allowedIps": ["3.18.12.63/32", "2600:1f16::/32"],
 *   "rateLimit": {"perMinute": 600, "burst": 100},
 *   "maxConcurrency": 4,
 *   "maxBodyBytes": 1048576
 * }
 * }</pre>
 *
 * @param verify      the accepted signatures; a request passes when any entry verifies it (rotation). Empty: no
 *                    server-side check (Medplum's behaviour)
 * @param publicUrl   the URL as the provider calls it, without query, for URL-signing schemes; empty: the server's
 *                    base URL and the request path
 * @param allowedIps  client addresses allowed in (CIDR v4/v6, exact, {@code *}); empty: any address
 * @param rateLimit   the bot's token bucket, if any
 * @param maxConcurrency requests of this bot in flight at once, if capped
 * @param maxBodyBytes the largest body accepted
 */
public record WebhookSettings(List<Verify> verify, Optional<String> publicUrl, IpRules allowedIps,
        Optional<RateLimit> rateLimit, OptionalInt maxConcurrency, long maxBodyBytes) {

    /** A body limit when the Bot sets none (the server maximum may be lower). */
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    static final int MAX_VERIFY_ENTRIES = 10;
    static final int MAX_ALLOWED_IPS = 100;
    static final long MAX_TOLERANCE_SECONDS = 7 * 24 * 3600;
    static final int MAX_CONCURRENCY = 10_000;
    static final long MAX_PER_MINUTE = 1_000_000_000L;

    private static final Set<String> FIELDS =
            Set.of("verify", "publicUrl", "allowedIps", "rateLimit", "maxConcurrency", "maxBodyBytes");
    /** Project secret names: what Medplum's ProjectSetting names are in practice, and safe to log and audit. */
    private static final Pattern SECRET_NAME = Pattern.compile("[A-Za-z0-9_.\\-]{1,128}");
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z\\-]{1,128}");

    /**
     * One accepted signature.
     *
     * @param scheme the preset with its settings
     * @param secret the name of the project secret holding the key (never the key itself)
     */
    public record Verify(SignatureScheme scheme, String secret) {}

    /** @param burst the bucket's capacity: how many requests may arrive at once after a quiet spell */
    public record RateLimit(long perMinute, long burst) {}

    public WebhookSettings {
        verify = List.copyOf(verify);
    }

    /** No element: no signature check, no limits of the bot's own, the default body limit. */
    public static WebhookSettings none(long serverMaxBodyBytes) {
        return new WebhookSettings(List.of(), Optional.empty(), IpRules.NONE, Optional.empty(), OptionalInt.empty(),
                Math.min(DEFAULT_MAX_BODY_BYTES, serverMaxBodyBytes));
    }

    /** Whether a scheme of this preset is configured (handshakes are answered only then). */
    public boolean has(Class<? extends SignatureScheme> scheme) {
        return verify.stream().anyMatch(v -> scheme.isInstance(v.scheme()));
    }

    /**
     * Parses a Bot's {@code webhook} element.
     *
     * @param element the element, or null / missing when the Bot has none
     * @param serverMaxBodyBytes the server's limit on {@code maxBodyBytes}
     * @throws ApiException 400 naming the element at fault ({@code webhook.verify[0].scheme})
     */
    public static WebhookSettings parse(JsonNode element, long serverMaxBodyBytes) {
        if (element == null || element.isMissingNode()) return none(serverMaxBodyBytes);
        if (!element.isObject()) throw invalid("webhook", "must be an object");
        for (var name : (Iterable<String>) element::fieldNames) {
            if (!FIELDS.contains(name)) {
                throw invalid("webhook." + printable(name), "is not a known field (known: " + String.join(", ",
                        FIELDS.stream().sorted().toList()) + ")");
            }
        }
        var verify = parseVerify(element.get("verify"));
        var publicUrl = Optional.ofNullable(element.get("publicUrl")).map(WebhookSettings::parsePublicUrl);
        var allowedIps = parseAllowedIps(element.get("allowedIps"));
        var rateLimit = Optional.ofNullable(element.get("rateLimit")).map(WebhookSettings::parseRateLimit);
        var maxConcurrency = element.has("maxConcurrency")
                ? OptionalInt.of((int) whole(element.get("maxConcurrency"), "webhook.maxConcurrency", 1, MAX_CONCURRENCY))
                : OptionalInt.empty();
        long maxBody = element.has("maxBodyBytes")
                ? whole(element.get("maxBodyBytes"), "webhook.maxBodyBytes", 0, serverMaxBodyBytes)
                : Math.min(DEFAULT_MAX_BODY_BYTES, serverMaxBodyBytes);
        return new WebhookSettings(verify, publicUrl, allowedIps, rateLimit, maxConcurrency, maxBody);
    }

    private static List<Verify> parseVerify(JsonNode node) {
        if (node == null) return List.of();
        if (!node.isArray()) throw invalid("webhook.verify", "must be an array");
        if (node.size() > MAX_VERIFY_ENTRIES) {
            throw invalid("webhook.verify", "has more than " + MAX_VERIFY_ENTRIES + " entries");
        }
        var out = new ArrayList<Verify>();
        for (int i = 0; i < node.size(); i++) out.add(parseEntry(node.get(i), "webhook.verify[" + i + "]"));
        return out;
    }

    private static Verify parseEntry(JsonNode entry, String at) {
        if (!entry.isObject()) throw invalid(at, "must be an object");
        String scheme = text(entry, at, "scheme", true).orElseThrow();
        String secret = text(entry, at, "secret", true).orElseThrow();
        if (!SECRET_NAME.matcher(secret).matches()) {
            throw invalid(at + ".secret", "must name a project secret: 1-128 of A-Z a-z 0-9 _ . -");
        }
        Optional<Duration> tolerance = entry.has("toleranceSeconds")
                ? Optional.of(Duration.ofSeconds(whole(entry.get("toleranceSeconds"), at + ".toleranceSeconds", 0,
                        MAX_TOLERANCE_SECONDS)))
                : Optional.empty();
        Set<String> allowed;
        SignatureScheme parsed;
        switch (scheme) {
            case "stripe" -> {
                allowed = Set.of("toleranceSeconds");
                parsed = new Stripe(tolerance.orElse(Stripe.DEFAULT_TOLERANCE));
            }
            case "slack" -> {
                allowed = Set.of("toleranceSeconds");
                parsed = new Slack(tolerance.orElse(Slack.DEFAULT_TOLERANCE));
            }
            case "zoom" -> {
                allowed = Set.of("toleranceSeconds");
                parsed = new Zoom(tolerance.orElse(Zoom.DEFAULT_TOLERANCE));
            }
            case "twitch" -> {
                allowed = Set.of("toleranceSeconds");
                parsed = new Twitch(tolerance.orElse(Twitch.DEFAULT_TOLERANCE));
            }
            case "standard-webhooks", "svix" -> {
                allowed = Set.of("toleranceSeconds");
                parsed = new StandardWebhooks(tolerance.orElse(StandardWebhooks.DEFAULT_TOLERANCE));
            }
            case "okta" -> {
                allowed = Set.of("header");
                parsed = new Okta(header(entry, at, "header", false).orElse(Okta.DEFAULT_HEADER));
            }
            case "header-token" -> {
                allowed = Set.of("header", "idHeader");
                parsed = new HeaderToken(header(entry, at, "header", true).orElseThrow(),
                        header(entry, at, "idHeader", false));
            }
            case "hmac" -> {
                allowed = Set.of("toleranceSeconds", "algorithm", "header", "prefix", "encoding", "template",
                        "timestampHeader", "idHeader");
                parsed = hmac(entry, at, tolerance);
            }
            default -> {
                allowed = Set.of();
                parsed = SignatureScheme.preset(scheme).orElseThrow(() -> invalid(at + ".scheme",
                        "is not a known scheme (known: basic, github, header-token, hmac, microsoft-graph, okta, shopify,"
                                + " slack, square, standard-webhooks, stripe, svix, twilio, twitch, zoom)"));
            }
        }
        for (var name : (Iterable<String>) entry::fieldNames) {
            if (name.equals("scheme") || name.equals("secret") || allowed.contains(name)) continue;
            String why = name.equals("toleranceSeconds") ? "does not apply: the " + scheme + " scheme signs no timestamp"
                    : "is not a setting of the " + scheme + " scheme";
            throw invalid(at + "." + printable(name), why);
        }
        return new Verify(parsed, secret);
    }

    private static GenericHmac hmac(JsonNode entry, String at, Optional<Duration> tolerance) {
        var algorithm = switch (text(entry, at, "algorithm", false).orElse("sha256")) {
            case "sha1" -> MacAlgorithm.SHA1;
            case "sha256" -> MacAlgorithm.SHA256;
            case "sha512" -> MacAlgorithm.SHA512;
            default -> throw invalid(at + ".algorithm", "must be sha1, sha256 or sha512");
        };
        var encoding = switch (text(entry, at, "encoding", false).orElse("hex")) {
            case "hex" -> DigestEncoding.HEX;
            case "base64" -> DigestEncoding.BASE64;
            default -> throw invalid(at + ".encoding", "must be hex or base64");
        };
        String prefix = entry.has("prefix") ? text(entry, at, "prefix", false).orElse("") : "";
        if (prefix.length() > 64) throw invalid(at + ".prefix", "is longer than 64 characters");
        var header = header(entry, at, "header", true).orElseThrow();
        var timestampHeader = header(entry, at, "timestampHeader", false);
        if (tolerance.isPresent() && timestampHeader.isEmpty()) {
            throw invalid(at + ".toleranceSeconds", "does not apply without a timestampHeader");
        }
        String template = text(entry, at, "template", false).orElse("{body}");
        if (template.length() > 256) throw invalid(at + ".template", "is longer than 256 characters");
        GenericHmac.SignedContent content;
        try {
            content = new GenericHmac.SignedContent(template, timestampHeader, header(entry, at, "idHeader", false));
        } catch (IllegalArgumentException e) {
            throw invalid(at + ".template", e.getMessage());
        }
        return new GenericHmac(algorithm, new GenericHmac.SignatureHeader(header, prefix, encoding), content,
                tolerance.orElse(GenericHmac.DEFAULT_TOLERANCE));
    }

    private static String parsePublicUrl(JsonNode node) {
        if (!node.isTextual()) throw invalid("webhook.publicUrl", "must be a string");
        String url = node.asText();
        try {
            var uri = new URI(url);
            if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getRawAuthority() == null
                    || uri.getRawQuery() != null || uri.getRawFragment() != null || url.length() > 2048) {
                throw invalid("webhook.publicUrl", "must be an absolute http or https URL without query or fragment");
            }
        } catch (java.net.URISyntaxException e) {
            throw invalid("webhook.publicUrl", "is not a URL");
        }
        return url;
    }

    private static IpRules parseAllowedIps(JsonNode node) {
        if (node == null) return IpRules.NONE;
        if (!node.isArray()) throw invalid("webhook.allowedIps", "must be an array");
        if (node.size() > MAX_ALLOWED_IPS) throw invalid("webhook.allowedIps", "has more than " + MAX_ALLOWED_IPS + " entries");
        var rules = new ArrayList<IpRules.Rule>();
        for (int i = 0; i < node.size(); i++) {
            String at = "webhook.allowedIps[" + i + "]";
            if (!node.get(i).isTextual()) throw invalid(at, "must be a string");
            switch (IpRules.parse("allowedIps[" + i + "]", node.get(i).asText(), "allow")) {
                case IpRules.Parsed.Valid valid -> rules.add(valid.rule());
                case IpRules.Parsed.Invalid bad -> throw invalid(at, bad.reason());
            }
        }
        return IpRules.of(rules);
    }

    private static RateLimit parseRateLimit(JsonNode node) {
        if (!node.isObject()) throw invalid("webhook.rateLimit", "must be an object");
        for (var name : (Iterable<String>) node::fieldNames) {
            if (!name.equals("perMinute") && !name.equals("burst")) {
                throw invalid("webhook.rateLimit." + printable(name), "is not a known field (known: burst, perMinute)");
            }
        }
        if (!node.has("perMinute")) throw invalid("webhook.rateLimit.perMinute", "is required");
        long perMinute = whole(node.get("perMinute"), "webhook.rateLimit.perMinute", 1, MAX_PER_MINUTE);
        long burst = node.has("burst") ? whole(node.get("burst"), "webhook.rateLimit.burst", 1, MAX_PER_MINUTE) : perMinute;
        return new RateLimit(perMinute, burst);
    }

    private static long whole(JsonNode node, String at, long min, long max) {
        if (!node.isIntegralNumber() || !node.canConvertToLong()) throw invalid(at, "must be a whole number");
        long n = node.asLong();
        if (n < min || n > max) throw invalid(at, "must be between " + min + " and " + max);
        return n;
    }

    private static Optional<String> text(JsonNode entry, String at, String field, boolean required) {
        JsonNode node = entry.get(field);
        if (node == null) {
            if (required) throw invalid(at + "." + field, "is required");
            return Optional.empty();
        }
        if (!node.isTextual()) throw invalid(at + "." + field, "must be a string");
        if (required && node.asText().isEmpty()) throw invalid(at + "." + field, "must not be empty");
        return Optional.of(node.asText());
    }

    private static Optional<String> header(JsonNode entry, String at, String field, boolean required) {
        var name = text(entry, at, field, required);
        if (name.isPresent() && !HEADER_NAME.matcher(name.get()).matches()) {
            throw invalid(at + "." + field, "must be an HTTP header name");
        }
        return name.map(n -> n.toLowerCase(Locale.ROOT));
    }

    private static ApiException invalid(String at, String why) {
        return ApiException.badRequest("webhook.invalid-settings", "Invalid " + at + ": " + why).at(at);
    }

    private static String printable(String s) {
        String clean = s.replaceAll("[^\\x20-\\x7e]", "?");
        return clean.length() > 60 ? clean.substring(0, 60) + "..." : clean;
    }
}
