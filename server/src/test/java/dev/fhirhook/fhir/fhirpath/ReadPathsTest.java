package dev.fhirhook.fhir.fhirpath;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What an expression reads: the paths of its results and of whatever its criteria and tests look at. */
class ReadPathsTest {
    private static Set<String> reads(String expression) {
        return FhirPath.parse(expression).readPaths(List.of(List.of())).stream().map(p -> String.join(".", p))
                .collect(Collectors.toSet());
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "Patient.birthDate; birthDate",
            "Patient.name.family | Patient.name.given; name.family,name.given",
            "(Observation.value as Quantity); value",
            "Observation.value.ofType(Quantity).unit; value.unit",
            "Patient.deceased.exists() and Patient.deceased != false; deceased",
            "Patient.telecom.where(system='phone'); telecom,telecom.system",
            "Observation.subject.where(resolve() is Patient); subject",
            "Patient.extension('http://example.org/x').value; extension.value",
            "Patient.name[0].given.first(); name.given",
            "Patient.active.not(); active"})
    void paths_are_read_from_results_criteria_and_tests(String expression, String expected) {
        assertThat(reads(expression)).containsExactlyInAnyOrderElementsOf(List.of(expected.split(",")));
    }
}
