package dev.fhirhook.fhir.search;

import java.math.BigDecimal;
import java.time.Instant;

/** One extracted search value of a resource, destined for the index table of its parameter type. */
sealed interface IndexRow {
    String param();

    record Token(String param, String system, String code, String text, String typeSystem, String typeCode) implements IndexRow {}

    record Str(String param, String value, String exact) implements IndexRow {}

    record Reference(String param, String targetType, String targetId, String url) implements IndexRow {}

    record Date(String param, Instant low, Instant high) implements IndexRow {}

    record Number(String param, BigDecimal value) implements IndexRow {}

    record Quantity(String param, BigDecimal value, String system, String code) implements IndexRow {}

    record Uri(String param, String value) implements IndexRow {}

    /** A component value of a composite parameter, numbered by the composite item it came from. */
    record InGroup(IndexRow row, int group) implements IndexRow {
        @Override
        public String param() {
            return row.param();
        }
    }
}
