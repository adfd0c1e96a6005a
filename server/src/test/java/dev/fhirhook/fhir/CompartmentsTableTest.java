package dev.fhirhook.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.fhirhook.fhir.definitions.SearchParameters;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamReader;
import org.junit.jupiter.api.Test;

/** The committed Patient compartment table is the R4 CompartmentDefinition, and every parameter it names exists. */
class CompartmentsTableTest {

    /** CompartmentDefinition/patient from the official profiles-resources.xml: type to params, types without none. */
    private static Map<String, List<String>> fromTheSpecification() throws Exception {
        var table = new LinkedHashMap<String, List<String>>();
        var factory = XMLInputFactory.newFactory();
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        try (InputStream in = CompartmentsTableTest.class.getResourceAsStream("/org/hl7/fhir/r4/model/profile/profiles-resources.xml")) {
            XMLStreamReader xml = factory.createXMLStreamReader(in);
            boolean inPatient = false;
            String type = null;
            List<String> params = null;
            while (xml.hasNext()) {
                int event = xml.next();
                if (event == XMLStreamReader.START_ELEMENT) {
                    String name = xml.getLocalName();
                    if (name.equals("CompartmentDefinition")) {
                        inPatient = false;
                    }
                    if (!inPatient && name.equals("url")
                            && "http://hl7.org/fhir/CompartmentDefinition/patient".equals(xml.getAttributeValue(null, "value"))) {
                        inPatient = true;
                    }
                    if (!inPatient) continue;
                    switch (name) {
                        case "resource" -> params = new ArrayList<>();
                        case "code" -> {
                            if (params != null && type == null) type = xml.getAttributeValue(null, "value");
                        }
                        case "param" -> params.add(xml.getAttributeValue(null, "value"));
                        default -> { }
                    }
                } else if (event == XMLStreamReader.END_ELEMENT && inPatient) {
                    switch (xml.getLocalName()) {
                        case "resource" -> {
                            if (!params.isEmpty()) table.put(type, params);
                            type = null;
                            params = null;
                        }
                        case "CompartmentDefinition" -> {
                            return table;
                        }
                        default -> { }
                    }
                }
            }
        }
        throw new AssertionError("no CompartmentDefinition/patient in profiles-resources.xml");
    }

    @Test
    void the_table_is_the_r4_patient_compartment_definition() throws Exception {
        var expected = fromTheSpecification();
        assertThat(expected).hasSize(66).containsEntry("Observation", List.of("subject", "performer"))
                .containsEntry("Patient", List.of("link"));
        assertThat(Compartments.table()).containsExactlyEntriesOf(expected);
    }

    @Test
    void every_parameter_the_table_names_is_a_search_parameter_of_its_type() {
        var parameters = SearchParameters.load(ResourceTypes.load());
        Compartments.table().forEach((type, codes) -> codes.forEach(code ->
                assertThat(parameters.find(type, code)).as(type + "." + code).isPresent()));
        assertThatCode(() -> new Compartments(parameters)).doesNotThrowAnyException();
    }
}
