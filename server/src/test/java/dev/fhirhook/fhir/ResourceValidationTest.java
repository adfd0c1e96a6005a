package dev.fhirhook.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import java.math.BigDecimal;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/**
 * What ResourceValidation refuses so that everything stored reads back: checked here on trees built in code,
 * which reach it without the parser's limits (resources that features build). Pure.
 */
class ResourceValidationTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

    /** A Basic whose {@code x} holds arrays nested so that the resource has {@code depth} levels in all. */
    private static ObjectNode nested(int depth) {
        var resource = NODES.objectNode().put("resourceType", "Basic");
        var array = resource.putArray("x");
        for (int level = 3; level <= depth; level++) array = array.addArray();
        return resource;
    }

    private static void assertRefused(ObjectNode resource, String code, String text) {
        assertThatThrownBy(() -> ResourceValidation.check(resource)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.text()).isEqualTo(text);
        });
    }

    @Test
    void a_resource_may_nest_as_deep_as_a_request_and_no_deeper() {
        ResourceValidation.check(nested(FhirJson.MAX_DEPTH));
        FhirJson.parseStored(FhirJson.text(nested(FhirJson.MAX_DEPTH)));
        assertRefused(nested(FhirJson.MAX_DEPTH + 1), "fhir.too-deep", "Invalid value: nested deeper than 200 levels");
    }

    @Test
    void numbers_are_checked_as_they_will_be_written() {
        var resource = NODES.objectNode().put("resourceType", "Basic");
        resource.put("n", new BigDecimal(BigInteger.ONE, Integer.MIN_VALUE));
        assertRefused(resource, "fhir.invalid-number", "Invalid number: out of range");
        resource.put("n", new BigInteger("9".repeat(65)));
        assertRefused(resource, "fhir.invalid-number", "Invalid number: more than 64 digits when written out");
        resource.put("n", new BigDecimal(new BigInteger("1".repeat(63)), -2)); // 1.11...e+64: 65 digits
        assertRefused(resource, "fhir.invalid-number", "Invalid number: more than 64 digits when written out");
        resource.put("n", new BigDecimal(new BigInteger("1".repeat(62)), -2));
        ResourceValidation.check(resource);
        assertThat(FhirJson.parseStored(FhirJson.text(resource)).get("n").decimalValue()).isEqualTo(resource.get("n").decimalValue());
    }
}
