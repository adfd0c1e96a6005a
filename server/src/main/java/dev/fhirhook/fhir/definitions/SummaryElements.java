package dev.fhirhook.fhir.definitions;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * The top-level elements marked {@code isSummary} in each R4 resource's StructureDefinition, read from the
 * official {@code profiles-resources.xml} the first time {@code _summary=true} is asked for (it is 19 MB;
 * most servers never need it). Thread-safe.
 */
public final class SummaryElements {
    static final String PROFILES = "/org/hl7/fhir/r4/model/profile/profiles-resources.xml";

    private volatile Map<String, Set<String>> byType;

    /** The summary element names of {@code type} (choice elements without {@code [x]}), empty when unknown. */
    public Optional<Set<String>> of(String type) {
        var map = byType;
        if (map == null) {
            synchronized (this) {
                if (byType == null) byType = load();
                map = byType;
            }
        }
        return Optional.ofNullable(map.get(type));
    }

    private static Map<String, Set<String>> load() {
        var result = new HashMap<String, Set<String>>();
        var factory = XMLInputFactory.newFactory();
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        try (InputStream in = Objects.requireNonNull(SummaryElements.class.getResourceAsStream(PROFILES), PROFILES)) {
            XMLStreamReader xml = factory.createXMLStreamReader(in);
            boolean inSnapshot = false;
            String path = null;
            while (xml.hasNext()) {
                int event = xml.next();
                if (event == XMLStreamReader.START_ELEMENT) {
                    switch (xml.getLocalName()) {
                        case "snapshot" -> inSnapshot = true;
                        case "element" -> path = null;
                        case "path" -> {
                            if (inSnapshot && path == null) path = xml.getAttributeValue(null, "value");
                        }
                        case "isSummary" -> {
                            if (inSnapshot && path != null && "true".equals(xml.getAttributeValue(null, "value"))) {
                                int dot = path.indexOf('.');
                                if (dot > 0 && path.indexOf('.', dot + 1) < 0) {
                                    String name = path.substring(dot + 1).replace("[x]", "");
                                    result.computeIfAbsent(path.substring(0, dot), k -> new HashSet<>()).add(name);
                                }
                            }
                        }
                        default -> { }
                    }
                } else if (event == XMLStreamReader.END_ELEMENT && xml.getLocalName().equals("snapshot")) {
                    inSnapshot = false;
                }
            }
        } catch (IOException | XMLStreamException e) {
            throw new IllegalStateException("cannot read " + PROFILES, e);
        }
        result.replaceAll((k, v) -> Set.copyOf(v));
        return Map.copyOf(result);
    }
}
