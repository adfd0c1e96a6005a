package dev.fhirhook.webhook.signature;

import java.util.Base64;
import java.util.Optional;

/** How a provider writes a digest into a header. */
public enum DigestEncoding {
    HEX,
    BASE64;

    // Far above any real digest (SHA-512 is 128 hex chars); bounds the work a hostile header can cause.
    private static final int MAX_LENGTH = 1024;

    /** The digest bytes, or empty when the text is not valid in this encoding. Never throws. */
    public Optional<byte[]> decode(String text) {
        if (text.isEmpty() || text.length() > MAX_LENGTH) {
            return Optional.empty();
        }
        return switch (this) {
            case HEX -> decodeHex(text);
            case BASE64 -> decodeBase64(text);
        };
    }

    private static Optional<byte[]> decodeHex(String text) {
        if (text.length() % 2 != 0) {
            return Optional.empty();
        }
        var out = new byte[text.length() / 2];
        for (int i = 0; i < out.length; i++) {
            int hi = Character.digit(text.charAt(2 * i), 16);
            int lo = Character.digit(text.charAt(2 * i + 1), 16);
            // Character.digit also accepts non-ASCII digits (e.g. fullwidth), which no provider sends.
            if (hi < 0 || lo < 0 || text.charAt(2 * i) > 'f' || text.charAt(2 * i + 1) > 'f') {
                return Optional.empty();
            }
            out[i] = (byte) ((hi << 4) | lo);
        }
        return Optional.of(out);
    }

    private static Optional<byte[]> decodeBase64(String text) {
        try {
            var bytes = Base64.getDecoder().decode(text);
            return bytes.length == 0 ? Optional.empty() : Optional.of(bytes);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
