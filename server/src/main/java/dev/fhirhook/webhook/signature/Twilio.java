package dev.fhirhook.webhook.signature;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Twilio: {@code X-Twilio-Signature}, base64 HMAC-SHA1 keyed with the Auth Token over the full URL as Twilio
 * requested it ({@link SignedRequest#url()}: scheme, host as written, port, path, query), then:
 * <ul>
 *   <li>form POSTs: every parameter sorted by name and appended as name + value, repeated values de-duplicated
 *       and sorted (twilio-php and twilio-python behaviour);</li>
 *   <li>URLs carrying {@code bodySHA256} (JSON bodies): nothing appended, and the body's SHA-256 must equal it;</li>
 *   <li>anything else (GET): the URL alone.</li>
 * </ul>
 * As the official validators do, the signature may be over the URL as received, with its port removed, or with
 * the scheme's default port added. Twilio signs no timestamp; {@code I-Twilio-Idempotency-Token} is reported as
 * the delivery id.
 */
public record Twilio() implements SignatureScheme {

    static final String HEADER = "x-twilio-signature";
    static final String DELIVERY_HEADER = "i-twilio-idempotency-token";
    private static final String FORM = "application/x-www-form-urlencoded";

    @Override
    public String name() {
        return "twilio";
    }

    @Override
    public Verification verify(SignedRequest request, List<String> secrets, Clock clock) {
        var header = request.header(HEADER);
        if (header.isEmpty()) {
            return Verification.missing("X-Twilio-Signature is absent");
        }
        var given = DigestEncoding.BASE64.decode(header.get());
        if (given.isEmpty()) {
            return Verification.malformed("X-Twilio-Signature is not base64");
        }
        var bodyHashes = queryValues(request.url(), "bodySHA256");
        byte[] appended;
        if (!bodyHashes.isEmpty()) {
            if (bodyHashes.size() > 1) {
                return Verification.malformed("the URL carries bodySHA256 more than once");
            }
            appended = new byte[0];
        } else if (isForm(request)) {
            var params = formParams(request.body());
            if (params.isEmpty()) {
                return new Verification.Rejected(Verification.Reason.UNPARSABLE_BODY,
                        "form body is not valid x-www-form-urlencoded");
            }
            appended = Matching.utf8(sortedParams(params.get()));
        } else {
            appended = new byte[0];
        }
        var urls = urlVariants(request.url());
        var match = Matching.firstSecret(secrets, Matching::utf8Key, key -> {
            boolean any = false;
            for (var url : urls) {
                any |= Matching.anyEqual(MacAlgorithm.SHA1.sign(key, Matching.utf8(url), appended),
                        List.of(given.get()));
            }
            return any;
        });
        if (match.isEmpty()) {
            return Verification.mismatch("signature does not match the URL and parameters");
        }
        if (!bodyHashes.isEmpty()) {
            var actual = Matching.utf8(HexFormat.of().formatHex(Matching.sha256(request.body())));
            var claimed = Matching.utf8(bodyHashes.getFirst().toLowerCase(Locale.ROOT));
            if (!Matching.anyEqual(actual, List.of(claimed))) {
                return Verification.mismatch("body does not match bodySHA256");
            }
        }
        return new Verification.Verified(match.getAsInt(), request.deliveryId(DELIVERY_HEADER));
    }

    private static boolean isForm(SignedRequest request) {
        return request.header("content-type")
                .map(type -> type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT).equals(FORM))
                .orElse(false);
    }

    /** Raw (undecoded) values of a query parameter; hex digests need no decoding. */
    static List<String> queryValues(String url, String name) {
        int query = url.indexOf('?');
        if (query < 0) {
            return List.of();
        }
        int fragment = url.indexOf('#', query);
        var values = new ArrayList<String>();
        for (var pair : url.substring(query + 1, fragment < 0 ? url.length() : fragment).split("&")) {
            int eq = pair.indexOf('=');
            if (eq >= 0 && pair.substring(0, eq).equals(name)) {
                values.add(pair.substring(eq + 1));
            }
        }
        return values;
    }

    /** Name → distinct values, both sorted; empty when the body is not valid form encoding. */
    static Optional<TreeMap<String, TreeSet<String>>> formParams(byte[] body) {
        var params = new TreeMap<String, TreeSet<String>>();
        try {
            for (var pair : new String(body, StandardCharsets.UTF_8).split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                var name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                var value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                params.computeIfAbsent(name, k -> new TreeSet<>()).add(value);
            }
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return Optional.of(params);
    }

    private static String sortedParams(TreeMap<String, TreeSet<String>> params) {
        var out = new StringBuilder();
        params.forEach((name, values) -> values.forEach(value -> out.append(name).append(value)));
        return out.toString();
    }

    /** The URL as received, plus its port-stripped form or its form with the scheme's default port added. */
    static List<String> urlVariants(String url) {
        int schemeEnd = url.indexOf("://");
        if (schemeEnd < 0) {
            return List.of(url);
        }
        int authorityStart = schemeEnd + 3;
        int authorityEnd = url.length();
        for (int i = authorityStart; i < url.length(); i++) {
            char c = url.charAt(i);
            if (c == '/' || c == '?' || c == '#') {
                authorityEnd = i;
                break;
            }
        }
        var authority = url.substring(authorityStart, authorityEnd);
        int colon = authority.lastIndexOf(':');
        var port = colon < 0 ? "" : authority.substring(colon + 1);
        boolean hasPort = colon >= 0 && !authority.endsWith("]") && !port.isEmpty()
                && port.chars().allMatch(c -> c >= '0' && c <= '9');
        if (hasPort) {
            int portStart = authorityStart + colon;
            return List.of(url, url.substring(0, portStart) + url.substring(authorityEnd));
        }
        var defaultPort = switch (url.substring(0, schemeEnd).toLowerCase(Locale.ROOT)) {
            case "https" -> ":443";
            case "http" -> ":80";
            default -> "";
        };
        return defaultPort.isEmpty()
                ? List.of(url)
                : List.of(url, url.substring(0, authorityEnd) + defaultPort + url.substring(authorityEnd));
    }
}
