package dev.fhirhook.fhir;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.UUID;

/**
 * Version ids ({@code meta.versionId}): UUIDs of version 7 (RFC 9562), the version's time in milliseconds followed
 * by 74 random bits. Versions written one after another therefore sit next to each other in the
 * {@code resource_history.version_id} index, which grows at its right edge instead of at random places: its pages
 * stay in cache and fill up, and a checkpoint is followed by few full-page writes. The time they carry is the
 * version's {@code meta.lastUpdated}, which every reader of the version sees anyway. Thread-safe.
 */
public final class VersionIds {
    private static final SecureRandom RANDOM = new SecureRandom();

    private VersionIds() {}

    /** A new version id for a version written at {@code at}. */
    public static UUID at(Instant at) {
        byte[] random = new byte[10];
        RANDOM.nextBytes(random);
        long millis = at.toEpochMilli() & 0xFFFF_FFFF_FFFFL; // 48 bits: until the year 10889
        long high = millis << 16 | 0x7000L | (random[0] & 0x0FL) << 8 | random[1] & 0xFFL;
        long low = 0;
        for (int i = 2; i < 10; i++) low = low << 8 | random[i] & 0xFFL;
        low = low & 0x3FFF_FFFF_FFFF_FFFFL | 0x8000_0000_0000_0000L; // the RFC 9562 variant
        return new UUID(high, low);
    }
}
