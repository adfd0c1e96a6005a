package dev.fhirhook.bench;

import java.nio.charset.StandardCharsets;

/** Patient bodies of about 600 bytes (a little more with an id), varied per worker and operation so that no two writes are identical. */
final class Patients {
    static final String IDENTIFIER_SYSTEM = "urn:oid:2.16.840.1.113883.4.1";

    private Patients() {}

    /** The identifier value of the Patient {@code forCreate(worker, i)} makes. */
    static String identifier(int worker, long i) {
        return "bench-W" + worker + "x" + i;
    }

    static byte[] forCreate(int worker, long i) {
        return json(null, worker, i);
    }

    static byte[] forUpdate(String id, int worker, long i) {
        return json(id, worker, i);
    }

    private static byte[] json(String id, int worker, long i) {
        String given = "W" + worker + "x" + i;
        String text = """
                {"resourceType":"Patient",%s"identifier":[{"system":"%s","value":"%s"}],\
                "active":true,"name":[{"use":"official","family":"Benchmark","given":["%s","Quinn"]}],\
                "telecom":[{"system":"phone","value":"+1-555-0100","use":"home"},\
                {"system":"email","value":"quinn.benchmark@example.org"}],"gender":"female","birthDate":"1984-07-12",\
                "address":[{"use":"home","line":["1200 Load Generator Avenue","Apartment 64"],"city":"Springfield",\
                "state":"IL","postalCode":"62701","country":"US"}],\
                "communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"en-US"}]},"preferred":true}]}"""
                .formatted(id == null ? "" : "\"id\":\"" + id + "\",", IDENTIFIER_SYSTEM, identifier(worker, i), given);
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
