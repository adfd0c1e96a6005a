package dev.fhirhook.webhook.signature;

import java.security.GeneralSecurityException;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The HMAC variants providers use. */
public enum MacAlgorithm {
    SHA1("HmacSHA1"),
    SHA256("HmacSHA256"),
    SHA512("HmacSHA512");

    private final String jcaName;

    MacAlgorithm(String jcaName) {
        this.jcaName = jcaName;
    }

    /**
     * HMAC over the concatenation of {@code parts}; fed part by part so a large body is never copied.
     * A new {@link Mac} per call because Mac instances are not thread-safe and creating one costs microseconds.
     *
     * @param key non-empty key bytes (the JDK refuses empty keys; callers skip empty secrets)
     */
    public byte[] sign(byte[] key, List<byte[]> parts) {
        try {
            var mac = Mac.getInstance(jcaName);
            mac.init(new SecretKeySpec(key, jcaName));
            for (var part : parts) {
                mac.update(part);
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            // Every JDK ships these three algorithms; reaching this is a broken runtime, not a bad request.
            throw new IllegalStateException(jcaName + " is not available", e);
        }
    }

    public byte[] sign(byte[] key, byte[]... parts) {
        return sign(key, List.of(parts));
    }
}
