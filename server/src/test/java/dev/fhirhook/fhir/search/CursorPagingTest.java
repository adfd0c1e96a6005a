package dev.fhirhook.fhir.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import org.junit.jupiter.api.Test;

/** Next links in the default order carry a cursor, so writes between pages neither skip nor repeat resources. */
class CursorPagingTest {

    @Test
    void next_links_use_a_cursor_that_does_not_shift_when_resources_are_added_or_updated_between_pages() {
        var client = FhirClient.inNewProject();
        var originals = new ArrayList<String>();
        for (int i = 0; i < 6; i++) {
            originals.add(client.create("{\"resourceType\":\"Account\",\"status\":\"active\",\"name\":\"cursor-" + i + "\"}"));
        }
        var first = client.search("Account", "status", "active", "_count", "2");
        assertThat(first.status()).isEqualTo(200);
        String next = link(first, "next");
        assertThat(next).contains("_cursor=").doesNotContain("_offset");

        // Newer resources arrive while the client pages; an offset would now repeat the first page's last rows.
        client.create("{\"resourceType\":\"Account\",\"status\":\"active\",\"name\":\"late-1\"}");
        client.create("{\"resourceType\":\"Account\",\"status\":\"active\",\"name\":\"late-2\"}");

        var seen = new LinkedHashSet<String>();
        first.json().path("entry").forEach(e -> seen.add(e.path("resource").path("id").asText()));
        int pages = 1;
        while (next != null && pages < 10) {
            var page = client.api().get(next.substring(FhirClient.baseUrl().length()));
            assertThat(page.status()).as(page.toString()).isEqualTo(200);
            for (var e : page.json().path("entry")) {
                assertThat(seen.add(e.path("resource").path("id").asText())).as("seen once").isTrue();
            }
            next = link(page, "next");
            pages++;
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(originals);
    }

    @Test
    void a_forged_cursor_or_a_cursor_with_sort_or_offset_is_400() {
        var client = FhirClient.inNewProject();
        for (String bad : new String[] {"not-a-cursor", "!!!", "MTIzNA", "eHx5fHo"}) {
            var reply = client.search("Account", "_cursor", bad);
            assertThat(reply.status()).as(bad).isEqualTo(400);
            assertThat(reply.outcomeText()).contains("_cursor");
        }
        String cursor = new SearchQuery.Cursor(java.time.Instant.now(), "abc").encode();
        assertThat(client.search("Account", "_cursor", cursor, "_sort", "name").status()).isEqualTo(400);
        assertThat(client.search("Account", "_cursor", cursor, "_offset", "5").status()).isEqualTo(400);
        assertThat(client.search("Account", "_cursor", cursor).status()).isEqualTo(200);
    }

    private static String link(dev.fhirhook.testing.Api.Reply reply, String relation) {
        for (var l : reply.json().path("link")) {
            if (l.path("relation").asText().equals(relation)) return l.path("url").asText();
        }
        return null;
    }
}
