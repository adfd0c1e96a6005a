package dev.fhirhook.http;

import dev.fhirhook.api.RequestIds;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Request and trace ids, and the client address. The trace id is the first valid one of {@code X-Trace-Id}
 * (a UUID), {@code traceparent} (W3C) and the {@code Root=} part of {@code X-Amzn-Trace-Id}, else a new UUID.
 * {@code X-Forwarded-For} is believed only when the direct peer is a configured trusted proxy.
 */
final class RequestIdentity {
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern TRACEPARENT = Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
    private static final Pattern AMZN_ROOT = Pattern.compile("(?:^|;)\\s*(?:Root|Self)=([0-9A-Za-z\\-]{1,64})");

    private final List<String> trustedProxies;

    RequestIdentity(List<String> trustedProxies) {
        this.trustedProxies = trustedProxies.stream().map(RequestIdentity::canonical).toList();
    }

    RequestIds ids(Map<String, List<String>> headers) {
        return new RequestIds(UUID.randomUUID().toString(), traceId(headers));
    }

    static String traceId(Map<String, List<String>> headers) {
        String xTrace = first(headers, "x-trace-id");
        if (xTrace != null && UUID_TEXT.matcher(xTrace.strip()).matches()) return xTrace.strip();
        String traceparent = first(headers, "traceparent");
        if (traceparent != null && TRACEPARENT.matcher(traceparent.strip()).matches()) return traceparent.strip();
        String amzn = first(headers, "x-amzn-trace-id");
        if (amzn != null) {
            var m = AMZN_ROOT.matcher(amzn);
            if (m.find()) return m.group(1);
        }
        return UUID.randomUUID().toString();
    }

    /** The client address: the peer, or the nearest untrusted hop of X-Forwarded-For when the peer is a trusted proxy. */
    String clientIp(String peer, Map<String, List<String>> headers) {
        if (trustedProxies.isEmpty() || !trustedProxies.contains(canonical(peer))) return peer;
        String forwarded = first(headers, "x-forwarded-for");
        if (forwarded == null) return peer;
        String[] hops = forwarded.split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].strip();
            if (hop.isEmpty() || !hop.matches("[0-9A-Fa-f:.]{2,45}")) return peer;
            if (!trustedProxies.contains(canonical(hop))) return hop;
        }
        return peer;
    }

    /** The canonical text of an address literal (so that ::1 and 0:0:0:0:0:0:0:1 compare equal). */
    private static String canonical(String address) {
        try {
            return java.net.InetAddress.ofLiteral(address).getHostAddress();
        } catch (IllegalArgumentException e) {
            return address;
        }
    }

    private static String first(Map<String, List<String>> headers, String name) {
        var values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }
}
