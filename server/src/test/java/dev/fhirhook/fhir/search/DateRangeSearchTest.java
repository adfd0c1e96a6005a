package dev.fhirhook.fhir.search;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Date criteria on one parameter are judged together, as one range overlap (the GiST path). */
class DateRangeSearchTest {

    @Test
    void a_two_sided_range_finds_exactly_the_resources_inside_it() {
        var fhir = FhirClient.inNewProject();
        String before = fhir.create("{\"resourceType\":\"Invoice\",\"status\":\"issued\",\"date\":\"2024-03-03T23:59:59Z\"}");
        String inside = fhir.create("{\"resourceType\":\"Invoice\",\"status\":\"issued\",\"date\":\"2024-03-04T12:00:00Z\"}");
        String after = fhir.create("{\"resourceType\":\"Invoice\",\"status\":\"issued\",\"date\":\"2024-03-05T00:00:00Z\"}");
        assertThat(fhir.ids("Invoice", "date", "ge2024-03-04", "date", "lt2024-03-05")).containsExactly(inside);
        assertThat(fhir.ids("Invoice", "date", "ge2024-03-04T00:00:00Z", "date", "le2024-03-05T00:00:00Z"))
                .containsExactlyInAnyOrder(inside, after);
        assertThat(fhir.ids("Invoice", "date", "lt2024-03-04,ge2024-03-05", "date", "ge2024-03-01"))
                .containsExactlyInAnyOrder(before, after);
        assertThat(fhir.ids("Invoice", "date", "ne2024-03-04", "date", "ge2024-03-03")).containsExactlyInAnyOrder(before, after);
    }

    @Test
    void criteria_that_exclude_each_other_match_nothing_without_error() {
        var fhir = FhirClient.inNewProject();
        fhir.create("{\"resourceType\":\"Invoice\",\"status\":\"issued\",\"date\":\"2024-03-04T12:00:00Z\"}");
        var reply = fhir.search("Invoice", "date", "ge2025", "date", "lt2024");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.json().path("entry").size()).isZero();
    }

    @Test
    void a_period_that_ends_before_it_starts_is_stored_and_searching_it_is_not_an_error() {
        var fhir = FhirClient.inNewProject();
        String account = fhir.create("{\"resourceType\":\"Account\",\"status\":\"active\","
                + "\"servicePeriod\":{\"start\":\"2024-06-01\",\"end\":\"2024-01-01\"}}");
        String open = fhir.create("{\"resourceType\":\"Account\",\"status\":\"active\",\"servicePeriod\":{\"start\":\"2024-01-01\"}}");
        var reply = fhir.search("Account", "period", "ge2024-03-01");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(fhir.ids("Account", "period", "ge2030-01-01")).contains(open).doesNotContain(account);
    }
}
