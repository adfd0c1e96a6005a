package dev.fhirhook.fhir.search;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.ResourceTypes;
import dev.fhirhook.fhir.definitions.SearchParameters;
import dev.fhirhook.fhir.fhirpath.FhirPath;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a writer already evaluated on a resource is indexed as it is, not evaluated again. Pure. */
class IndexExtractorTest {
    private static final SearchParameters PARAMETERS = SearchParameters.load(ResourceTypes.load());
    private final IndexExtractor extractor = new IndexExtractor(PARAMETERS);

    private static JsonNode json(String text) {
        return FhirJson.parse(text.getBytes(StandardCharsets.UTF_8));
    }

    private List<String> subjects(java.util.Set<IndexRow> rows) {
        return rows.stream().filter(r -> r instanceof IndexRow.Reference ref && ref.param().equals("subject"))
                .map(r -> ((IndexRow.Reference) r).targetId()).toList();
    }

    @Test
    void an_expression_already_evaluated_is_taken_as_it_is() {
        var invoice = json("""
                {"resourceType":"Invoice","status":"issued","subject":{"reference":"Patient/p1"}}""");
        assertThat(subjects(extractor.extract("Invoice", invoice))).containsExactly("p1");
        // the writer's evaluation is used even where it differs from the resource: the expression did not run again
        var subject = PARAMETERS.find("Invoice", "subject").orElseThrow();
        var elsewhere = new FhirPath.Item(json("{\"reference\":\"Patient/p2\"}"), "Reference");
        var rows = extractor.extract("Invoice", invoice, Map.of(subject, List.of(elsewhere)));
        assertThat(subjects(rows)).containsExactly("p2");
        assertThat(rows).anyMatch(r -> r instanceof IndexRow.Token t && t.param().equals("status"));
    }
}
