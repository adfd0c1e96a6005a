package dev.fhirhook.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestServer;

/** The reads one stored resource could break for all of its type, checked after tests that write odd ones. */
final class ReadPaths {
    private ReadPaths() {}

    /** Search and type history of {@code type} answer 200, and the server is healthy. */
    static void assertAnswer(Api api, String type) {
        for (String path : new String[] {"/fhir/R4/" + type + "?_count=1000", "/fhir/R4/" + type + "/_history?_count=1000"}) {
            var reply = api.get(path);
            String shown = reply.toString();
            assertThat(reply.status()).as(path + ": " + (shown.length() > 400 ? shown.substring(0, 400) + "..." : shown))
                    .isEqualTo(200);
        }
        var health = TestServer.get().anonymous().get("/healthcheck");
        assertThat(health.status()).as(health.toString()).isEqualTo(200);
    }
}
