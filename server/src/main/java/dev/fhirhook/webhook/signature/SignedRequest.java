package dev.fhirhook.webhook.signature;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a signature check may look at: the request exactly as received.
 *
 * @param method  the HTTP method, e.g. {@code POST}
 * @param url     the full URL as the provider called it: the public URL configured for the webhook (never rebuilt
 *                from {@code Host} or {@code X-Forwarded-*}) followed by the raw query string as received. Only
 *                URL-signing schemes (Twilio, Square, {@code {url}} in a generic template) read it; may be empty
 * @param headers header values by name; names are matched case-insensitively, repeated headers keep every value
 * @param body    the raw body bytes before any decoding or parsing. Not copied, so the caller must not change
 *                the array afterwards (copying every body would make refusing forged requests slower)
 */
public record SignedRequest(String method, String url, Map<String, List<String>> headers, byte[] body) {

    public SignedRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(body, "body");
        var lower = new LinkedHashMap<String, List<String>>();
        headers.forEach((name, values) -> lower.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                .addAll(values));
        lower.replaceAll((name, values) -> List.copyOf(values));
        headers = Map.copyOf(lower);
    }

    /** Convenience for a request whose headers each have one value. */
    public static SignedRequest of(String method, String url, Map<String, String> headers, byte[] body) {
        var multi = new LinkedHashMap<String, List<String>>();
        headers.forEach((name, value) -> multi.computeIfAbsent(name, k -> new ArrayList<>()).add(value));
        return new SignedRequest(method, url, multi, body);
    }

    /**
     * The header's value, or empty when it is absent or blank. Repeated headers are combined with {@code ", "} as
     * HTTP allows, which makes a doubled signature header malformed for every scheme instead of picking one value.
     */
    public Optional<String> header(String name) {
        var values = headers.get(name.toLowerCase(Locale.ROOT));
        if (values == null || values.isEmpty()) {
            return Optional.empty();
        }
        var value = values.size() == 1 ? values.getFirst() : String.join(", ", values);
        return value.isBlank() ? Optional.empty() : Optional.of(value);
    }

    /**
     * A delivery id from a header, only when it looks like one: visible ASCII, at most 256 characters. Ids go into
     * the dedupe table and the audit trail, so hostile values are dropped rather than stored.
     */
    Optional<String> deliveryId(String headerName) {
        return header(headerName).filter(SignedRequest::looksLikeId);
    }

    private static boolean looksLikeId(String value) {
        if (value.length() > 256) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
