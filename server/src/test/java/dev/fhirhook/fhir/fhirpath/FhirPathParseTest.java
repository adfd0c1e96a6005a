package dev.fhirhook.fhir.fhirpath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What parse refuses, and where it says the problem is. */
class FhirPathParseTest {

    private static AbstractThrowableAssert<?, ? extends Throwable> rejects(String expression, String message, int position) {
        return assertThatThrownBy(() -> FhirPath.parse(expression))
                .isInstanceOf(FhirPathException.class)
                .hasMessageContaining(message)
                .hasMessageEndingWith("at position " + position)
                .satisfies(e -> assertThat(((FhirPathException) e).position()).isEqualTo(position));
    }

    @Test
    void an_unknown_function_is_rejected_at_its_name() {
        rejects("Patient.name.foo()", "function 'foo' is not supported", 13);
        rejects("Patient.name.where(given.matches('J.*'))", "function 'matches' is not supported", 25);
        rejects("today()", "function 'today' is not supported", 0);
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', quoteCharacter = '"', value = {
        "Patient.birthDate > '2000';       operator '>' is not supported;       18",
        "Patient.birthDate >= '2000';      operator '>=' is not supported;      18",
        "Patient.name ~ Patient.name;      operator '~' is not supported;       13",
        "Patient.active implies true;      operator 'implies' is not supported; 15",
        "Patient.active xor true;          operator 'xor' is not supported;     15",
        "'a' in Patient.name.given;        operator 'in' is not supported;      4",
        "Patient.name.given contains 'J';  operator 'contains' is not supported; 19",
        "1 + 1;                            operator '+' is not supported;       2",
        "-1;                               operator '-' is not supported;       0",
        "Patient.name & 'x';               operator '&' is not supported;       13",
        "2 * 3;                            operator '*' is not supported;       2",
    })
    void operators_outside_the_subset_are_named(String expression, String message, int position) {
        rejects(expression, message, position);
    }

    @Test
    void unsupported_literals_and_variables_are_named() {
        rejects("Patient.birthDate = @2000-01-01", "date/time literals (@...) are not supported", 20);
        rejects("Patient.name.where($index = 0)", "'$index' is not supported", 19);
        rejects("%ucum", "unknown variable '%ucum'", 0);
        rejects("Patient.name = {}", "expected an expression but found '{'", 15);
    }

    @Test
    void syntax_errors_point_at_the_offending_token() {
        rejects("Patient.name.", "expected a name after '.' but found end of expression", 13);
        rejects("Patient..name", "expected a name after '.' but found '.'", 8);
        rejects("(Patient.name", "expected ')' but found end of expression", 13);
        rejects("Patient.name)", "expected an operator or the end of the expression but found ')'", 12);
        rejects("Patient.name 'x'", "found string 'x'", 13);
        rejects("Patient.name.where()", "missing argument", 19);
        rejects("Patient.name.where(a, b)", "too many arguments to where()", 20);
        rejects("Patient.name.first(1)", "first() takes no arguments", 19);
        rejects("Patient.name.where(use = 'official'", "expected ')' but found end of expression", 35);
        rejects("Patient.name.where(use = 'official)", "unterminated string", 25);
        rejects("Patient.name['0']", "an indexer must be a non-negative integer literal", 13);
        rejects("Patient.name[1.5]", "an indexer must be a non-negative integer literal", 13);
        rejects("Patient.name[99999999999]", "indexer 99999999999 is too large", 13);
        rejects("Patient.extension(url)", "extension() takes a string literal url", 18);
        rejects("Patient.name#", "unexpected character '#'", 12);
        rejects("'\\q'", "invalid escape '\\q'", 1);
        rejects("Patient /* open", "unterminated comment", 8);
        rejects("Patient.``", "empty identifier", 8);
    }

    @Test
    void type_names_must_be_types() {
        rejects("Observation.value.as(quantity)", "unknown type 'quantity'", 21);
        rejects("Observation.value as Foo.Bar", "unknown type namespace 'Foo'", 21);
        rejects("Observation.value as System.Foo", "unknown System type 'Foo'", 21);
        rejects("Observation.value as CodeableConcept.text", "unknown type namespace 'CodeableConcept'", 21);
        rejects("Observation.value as 'Quantity'", "expected a type name but found string 'Quantity'", 21);
    }

    @Test
    void empty_and_blank_expressions_are_rejected() {
        rejects("", "empty expression", 0);
        rejects("   ", "empty expression", 0);
        rejects("// only a comment", "empty expression", 0);
    }

    @Test
    void an_expression_longer_than_four_kilobytes_is_rejected_before_it_is_read() {
        String tenKilobytes = "Patient.name | ".repeat(700) + "Patient.name";
        assertThat(tenKilobytes.length()).isGreaterThan(10_000);
        rejects(tenKilobytes, "expression is longer than 4096 characters", 4096);
    }

    @Test
    void an_expression_of_exactly_the_maximum_length_is_accepted() {
        String body = "Patient.name | ".repeat(272) + "Patient.name";
        String padded = body + " ".repeat(FhirPath.MAX_LENGTH - body.length());
        assertThat(padded).hasSize(FhirPath.MAX_LENGTH);
        assertThat(FhirPath.parse(padded).expression()).isEqualTo(padded);
    }

    @Test
    void nesting_is_bounded() {
        assertThat(FhirPath.parse("(".repeat(32) + "Patient.name" + ")".repeat(32))).isNotNull();
        rejects("(".repeat(33) + "Patient.name" + ")".repeat(33), "nests deeper than 32 parentheses or function calls", 32);
        rejects("(".repeat(2000) + "a" + ")".repeat(2000), "nests deeper than 32", 32);
        rejects("a" + ".where(a".repeat(40) + ")".repeat(40), "nests deeper than 32", 1 + 32 * 8 + 6); // the 33rd "("
        assertThat(FhirPath.parse("a" + ".b".repeat(62))).isNotNull();
        rejects("a" + ".b".repeat(63), "expression nests deeper than 64 levels", 0);
        rejects("a" + ".b".repeat(2000), "expression nests deeper than 64 levels", 0);
    }

    @Test
    void parsing_is_cheap() {
        // clinical-patient is the longest R4 expression (1.4 KB); it parses in well under 0.1 ms once warm, so this
        // bound only catches a blow-up (backtracking, quadratic scans), not ordinary noise on a busy machine
        String clinicalPatient = OfficialSearchParameters.require("Observation", "patient").path("expression").asText();
        for (int i = 0; i < 1_000; i++) FhirPath.parse(clinicalPatient);
        long start = System.nanoTime();
        for (int i = 0; i < 1_000; i++) FhirPath.parse(clinicalPatient);
        long averageMicros = (System.nanoTime() - start) / 1_000 / 1_000;
        assertThat(averageMicros).isLessThan(5_000);
    }
}
