package dev.fhirhook.fhir.search;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.testing.Api;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Batch and transaction Bundles: urn:uuid references, atomicity, per-entry outcomes, every entry method. */
class BundleTest {

    @Test
    void transaction_resolves_urn_uuid_references_between_entries_to_real_ids() {
        var fhir = FhirClient.inNewProject();
        var reply = post(fhir, """
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"fullUrl":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a",
                   "resource":{"resourceType":"Invoice","status":"issued",
                               "subject":{"reference":"urn:uuid:88f151c0-a954-468a-88bd-5ae15c08e059"},
                               "account":{"reference":"urn:uuid:3c7e2b7a-0c0e-4d7e-9d55-1f3b2a9c4e11"}},
                   "request":{"method":"POST","url":"Invoice"}},
                  {"fullUrl":"urn:uuid:88f151c0-a954-468a-88bd-5ae15c08e059",
                   "resource":{"resourceType":"Patient","name":[{"family":"Bundled"}]},
                   "request":{"method":"POST","url":"Patient"}},
                  {"fullUrl":"urn:uuid:3c7e2b7a-0c0e-4d7e-9d55-1f3b2a9c4e11",
                   "resource":{"resourceType":"Account","status":"active",
                               "subject":[{"reference":"urn:uuid:88f151c0-a954-468a-88bd-5ae15c08e059"}]},
                   "request":{"method":"POST","url":"Account"}}]}""");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        var bundle = reply.json();
        assertThat(bundle.path("type").asText()).isEqualTo("transaction-response");
        assertThat(bundle.path("entry")).hasSize(3);
        for (JsonNode entry : bundle.path("entry")) {
            assertThat(entry.path("response").path("status").asText()).startsWith("201");
            assertThat(entry.path("response").path("location").asText()).contains("/fhir/R4/");
        }
        String invoice = bundle.path("entry").path(0).path("resource").path("id").asText();
        String patient = bundle.path("entry").path(1).path("resource").path("id").asText();
        String account = bundle.path("entry").path(2).path("resource").path("id").asText();
        assertThat(bundle.path("entry").path(1).path("resource").path("resourceType").asText()).isEqualTo("Patient");

        var storedInvoice = fhir.api().get("/fhir/R4/Invoice/" + invoice).json();
        assertThat(storedInvoice.path("subject").path("reference").asText()).isEqualTo("Patient/" + patient);
        assertThat(storedInvoice.path("account").path("reference").asText()).isEqualTo("Account/" + account);
        var storedAccount = fhir.api().get("/fhir/R4/Account/" + account).json();
        assertThat(storedAccount.path("subject").path(0).path("reference").asText()).isEqualTo("Patient/" + patient);
        assertThat(fhir.api().get("/fhir/R4/Patient/" + patient).status()).isEqualTo(200);
        assertThat(fhir.ids("Invoice", "subject", "Patient/" + patient)).containsExactly(invoice);
        assertThat(fhir.ids("Invoice", "account:Account.subject", patient)).containsExactly(invoice);
        assertThat(bundle.toString()).doesNotContain("urn:uuid");
    }

    @Test
    void transaction_resolves_references_to_a_put_entry_by_its_full_url() {
        var fhir = FhirClient.inNewProject();
        var reply = post(fhir, """
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"fullUrl":"urn:uuid:0f3e1a52-6a35-4a4f-9c55-0a4b7c2d9e01",
                   "resource":{"resourceType":"Patient","id":"put-patient-1"},
                   "request":{"method":"PUT","url":"Patient/put-patient-1"}},
                  {"resource":{"resourceType":"Account","status":"active",
                               "subject":[{"reference":"urn:uuid:0f3e1a52-6a35-4a4f-9c55-0a4b7c2d9e01"}]},
                   "request":{"method":"POST","url":"Account"}}]}""");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        String account = reply.json().path("entry").path(1).path("resource").path("id").asText();
        assertThat(fhir.api().get("/fhir/R4/Account/" + account).json().path("subject").path(0).path("reference").asText())
                .isEqualTo("Patient/put-patient-1");
    }

    @Test
    void transaction_with_an_unknown_resource_type_changes_nothing() {
        assertFailingTransactionChangesNothing(fhir -> """
                {"resource":{"resourceType":"NoSuchType"},"request":{"method":"POST","url":"NoSuchType"}}""", 400);
    }

    @Test
    void transaction_with_a_bad_json_patch_changes_nothing() {
        assertFailingTransactionChangesNothing(fhir -> {
            String target = fhir.create("{\"resourceType\":\"Invoice\",\"status\":\"draft\"}");
            String patch = base64("[{\"op\":\"frobnicate\",\"path\":\"/status\",\"value\":\"issued\"}]");
            return """
                    {"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"%s"},
                     "request":{"method":"PATCH","url":"Invoice/%s"}}""".formatted(patch, target);
        }, 400);
    }

    @Test
    void transaction_with_a_failing_patch_test_changes_nothing() {
        assertFailingTransactionChangesNothing(fhir -> {
            String target = fhir.create("{\"resourceType\":\"Invoice\",\"status\":\"draft\"}");
            String patch = base64("[{\"op\":\"replace\",\"path\":\"/status\",\"value\":\"issued\"},{\"op\":\"test\",\"path\":\"/status\",\"value\":\"draft\"}]");
            return """
                    {"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"%s"},
                     "request":{"method":"PATCH","url":"Invoice/%s"}}""".formatted(patch, target);
        }, 400);
    }

    @Test
    void transaction_with_a_reference_to_no_entry_changes_nothing() {
        assertFailingTransactionChangesNothing(fhir -> """
                {"resource":{"resourceType":"Account","status":"active",
                             "subject":[{"reference":"urn:uuid:ffffffff-0000-4000-8000-000000000000"}]},
                 "request":{"method":"POST","url":"Account"}}""", 400);
    }

    @Test
    void transaction_with_a_stale_if_match_changes_nothing() {
        assertFailingTransactionChangesNothing(fhir -> {
            var created = fhir.createJson("{\"resourceType\":\"Invoice\",\"status\":\"draft\"}");
            String id = created.get("id").asText();
            String v1 = created.path("meta").path("versionId").asText();
            var put = fhir.api().put("/fhir/R4/Invoice/" + id, "{\"resourceType\":\"Invoice\",\"id\":\"" + id + "\",\"status\":\"issued\"}");
            assertThat(put.status()).isEqualTo(200);
            return """
                    {"resource":{"resourceType":"Invoice","id":"%1$s","status":"cancelled"},
                     "request":{"method":"PUT","url":"Invoice/%1$s","ifMatch":"W/\\"%2$s\\""}}""".formatted(id, v1);
        }, 412);
    }

    @Test
    void transaction_deleting_a_missing_resource_changes_nothing() {
        assertFailingTransactionChangesNothing(fhir -> """
                {"request":{"method":"DELETE","url":"Invoice/does-not-exist"}}""", 404);
    }

    /** A transaction of valid entries plus {@code badEntry} (last) must answer 4xx naming that entry and write nothing. */
    private static void assertFailingTransactionChangesNothing(java.util.function.Function<FhirClient, String> badEntry, int status) {
        var fhir = FhirClient.inNewProject();
        String existing = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Existing\"}]}");
        String existingVersion = fhir.api().get("/fhir/R4/Patient/" + existing).json().path("meta").path("versionId").asText();
        String bad = badEntry.apply(fhir);
        var invoicesBefore = fhir.api().get("/fhir/R4/Invoice/_history").json().path("entry").size();

        var reply = post(fhir, """
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"fullUrl":"urn:uuid:5b1c7a0e-8d9e-4a5f-b2c3-d4e5f6a7b8c9",
                   "resource":{"resourceType":"Patient","name":[{"family":"Atomic"}]},
                   "request":{"method":"POST","url":"Patient"}},
                  {"resource":{"resourceType":"Account","status":"active","name":"Atomic",
                               "subject":[{"reference":"urn:uuid:5b1c7a0e-8d9e-4a5f-b2c3-d4e5f6a7b8c9"}]},
                   "request":{"method":"POST","url":"Account"}},
                  {"resource":{"resourceType":"Patient","id":"%1$s","name":[{"family":"Overwritten"}]},
                   "request":{"method":"PUT","url":"Patient/%1$s"}},
                  %2$s]}""".formatted(existing, bad));

        assertThat(reply.status()).as(reply.toString()).isEqualTo(status);
        assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(reply.json().path("issue").path(0).path("expression").path(0).asText()).as(reply.toString()).startsWith("entry[3]");
        assertThat(fhir.ids("Patient", "family", "atomic")).isEmpty();
        assertThat(fhir.ids("Account")).isEmpty();
        assertThat(fhir.api().get("/fhir/R4/Account/_history").json().path("entry")).isEmpty();
        assertThat(fhir.api().get("/fhir/R4/Patient/_history").json().path("entry")).hasSize(1);
        assertThat(fhir.api().get("/fhir/R4/Invoice/_history").json().path("entry")).hasSize(invoicesBefore);
        var patient = fhir.api().get("/fhir/R4/Patient/" + existing).json();
        assertThat(patient.path("meta").path("versionId").asText()).isEqualTo(existingVersion);
        assertThat(patient.path("name").path(0).path("family").asText()).isEqualTo("Existing");
        assertThat(fhir.api().get("/healthcheck").status()).isEqualTo(200);
    }

    @Test
    void batch_reports_each_entry_and_keeps_the_good_ones() {
        var fhir = FhirClient.inNewProject();
        var reply = post(fhir, """
                {"resourceType":"Bundle","type":"batch","entry":[
                  {"resource":{"resourceType":"Patient","name":[{"family":"Good"}]},"request":{"method":"POST","url":"Patient"}},
                  {"resource":{"resourceType":"NoSuchType"},"request":{"method":"POST","url":"NoSuchType"}},
                  {"request":{"method":"GET","url":"Patient/does-not-exist"}},
                  {"resource":{"resourceType":"Patient","id":"batch-put","name":[{"family":"AlsoGood"}]},"request":{"method":"PUT","url":"Patient/batch-put"}},
                  {"request":{"method":"GET","url":"Patient?family=good"}}]}""");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        var entries = reply.json().path("entry");
        assertThat(reply.json().path("type").asText()).isEqualTo("batch-response");
        assertThat(entries).hasSize(5);
        assertThat(entries.get(0).path("response").path("status").asText()).startsWith("201");
        assertThat(entries.get(1).path("response").path("status").asText()).startsWith("400");
        assertThat(entries.get(1).path("response").path("outcome").path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(entries.get(2).path("response").path("status").asText()).startsWith("404");
        assertThat(entries.get(3).path("response").path("status").asText()).startsWith("201");
        assertThat(entries.get(4).path("response").path("status").asText()).startsWith("200");
        assertThat(entries.get(4).path("resource").path("type").asText()).isEqualTo("searchset");

        String good = entries.get(0).path("resource").path("id").asText();
        assertThat(fhir.ids("Patient", "family", "good")).containsExactly(good);
        assertThat(fhir.api().get("/fhir/R4/Patient/batch-put").status()).isEqualTo(200);
    }

    @Test
    void transaction_if_none_exist_reuses_the_match_and_references_point_to_it() {
        var fhir = FhirClient.inNewProject();
        String existing = fhir.create("{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"http://ids.example\",\"value\":\"known\"}]}");

        var reply = post(fhir, """
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"fullUrl":"urn:uuid:aaaaaaaa-1111-4111-8111-111111111111",
                   "resource":{"resourceType":"Patient","identifier":[{"system":"http://ids.example","value":"known"}]},
                   "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=http://ids.example|known"}},
                  {"fullUrl":"urn:uuid:bbbbbbbb-2222-4222-8222-222222222222",
                   "resource":{"resourceType":"Patient","identifier":[{"system":"http://ids.example","value":"new"}]},
                   "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=http://ids.example|new"}},
                  {"resource":{"resourceType":"Account","status":"active","subject":[
                     {"reference":"urn:uuid:aaaaaaaa-1111-4111-8111-111111111111"},
                     {"reference":"urn:uuid:bbbbbbbb-2222-4222-8222-222222222222"}]},
                   "request":{"method":"POST","url":"Account"}}]}""");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        var entries = reply.json().path("entry");
        assertThat(entries.get(0).path("response").path("status").asText()).startsWith("200");
        assertThat(entries.get(0).path("resource").path("id").asText()).isEqualTo(existing);
        assertThat(entries.get(1).path("response").path("status").asText()).startsWith("201");
        String created = entries.get(1).path("resource").path("id").asText();
        String account = entries.get(2).path("resource").path("id").asText();

        var subjects = fhir.api().get("/fhir/R4/Account/" + account).json().path("subject");
        assertThat(subjects.get(0).path("reference").asText()).isEqualTo("Patient/" + existing);
        assertThat(subjects.get(1).path("reference").asText()).isEqualTo("Patient/" + created);
        assertThat(fhir.ids("Patient", "identifier", "http://ids.example|known")).containsExactly(existing);
        assertThat(fhir.api().get("/fhir/R4/Patient/" + existing + "/_history").json().path("total").asInt()).isEqualTo(1);
    }

    @Test
    void transaction_resolves_references_to_a_conditional_put_entry_whether_it_updates_or_creates() {
        var fhir = FhirClient.inNewProject();
        String existing = fhir.create("{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"http://ids.example\",\"value\":\"known\"}]}");
        var reply = post(fhir, """
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"resource":{"resourceType":"Account","status":"active","subject":[
                     {"reference":"urn:uuid:cccccccc-1111-4111-8111-111111111111"},
                     {"reference":"urn:uuid:dddddddd-2222-4222-8222-222222222222"}]},
                   "request":{"method":"POST","url":"Account"}},
                  {"fullUrl":"urn:uuid:cccccccc-1111-4111-8111-111111111111",
                   "resource":{"resourceType":"Patient","active":true,"identifier":[{"system":"http://ids.example","value":"known"}]},
                   "request":{"method":"PUT","url":"Patient?identifier=http://ids.example|known"}},
                  {"fullUrl":"urn:uuid:dddddddd-2222-4222-8222-222222222222",
                   "resource":{"resourceType":"Patient","identifier":[{"system":"http://ids.example","value":"new"}]},
                   "request":{"method":"PUT","url":"Patient?identifier=http://ids.example|new"}}]}""");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        var entries = reply.json().path("entry");
        assertThat(entries.get(1).path("response").path("status").asText()).startsWith("200");
        assertThat(entries.get(1).path("resource").path("id").asText()).isEqualTo(existing);
        assertThat(entries.get(2).path("response").path("status").asText()).startsWith("201");
        String created = entries.get(2).path("resource").path("id").asText();
        String account = entries.get(0).path("resource").path("id").asText();

        var subjects = fhir.api().get("/fhir/R4/Account/" + account).json().path("subject");
        assertThat(subjects.get(0).path("reference").asText()).isEqualTo("Patient/" + existing);
        assertThat(subjects.get(1).path("reference").asText()).isEqualTo("Patient/" + created);
        assertThat(fhir.api().get("/fhir/R4/Patient/" + existing).json().path("active").asBoolean()).isTrue();
        assertThat(fhir.ids("Patient", "identifier", "http://ids.example|new")).containsExactly(created);
        assertThat(reply.body()).doesNotContain("urn:uuid");
    }

    @Test
    void transaction_refers_to_a_conditional_put_with_several_matches_by_failing_whole() {
        var fhir = FhirClient.inNewProject();
        fhir.create("{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"http://ids.example\",\"value\":\"twice\"}]}");
        fhir.create("{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"http://ids.example\",\"value\":\"twice\"}]}");
        var reply = post(fhir, """
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"resource":{"resourceType":"Account","status":"active","subject":[
                     {"reference":"urn:uuid:eeeeeeee-1111-4111-8111-111111111111"}]},
                   "request":{"method":"POST","url":"Account"}},
                  {"fullUrl":"urn:uuid:eeeeeeee-1111-4111-8111-111111111111",
                   "resource":{"resourceType":"Patient","identifier":[{"system":"http://ids.example","value":"twice"}]},
                   "request":{"method":"PUT","url":"Patient?identifier=http://ids.example|twice"}}]}""");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(412);
        assertThat(fhir.api().get("/fhir/R4/Account").json().path("entry")).isEmpty();
    }

    @Test
    void transaction_runs_put_delete_get_and_patch_entries() {
        var fhir = FhirClient.inNewProject();
        String updated = fhir.create("{\"resourceType\":\"Invoice\",\"status\":\"draft\"}");
        String deleted = fhir.create("{\"resourceType\":\"Invoice\",\"status\":\"draft\"}");
        String patched = fhir.create("{\"resourceType\":\"Invoice\",\"status\":\"draft\"}");
        String patch = base64("[{\"op\":\"replace\",\"path\":\"/status\",\"value\":\"balanced\"}]");

        var reply = post(fhir, """
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"request":{"method":"GET","url":"Invoice?status=issued,balanced"}},
                  {"resource":{"resourceType":"Invoice","id":"%1$s","status":"issued"},"request":{"method":"PUT","url":"Invoice/%1$s"}},
                  {"request":{"method":"DELETE","url":"Invoice/%2$s"}},
                  {"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"%4$s"},
                   "request":{"method":"PATCH","url":"Invoice/%3$s"}},
                  {"resource":{"resourceType":"Invoice","status":"issued","identifier":[{"system":"http://ids.example","value":"cond"}]},
                   "request":{"method":"PUT","url":"Invoice?identifier=http://ids.example|cond"}}]}"""
                .formatted(updated, deleted, patched, patch));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        var entries = reply.json().path("entry");
        assertThat(entries).hasSize(5);
        assertThat(entries.get(1).path("response").path("status").asText()).startsWith("200");
        assertThat(entries.get(2).path("response").path("status").asText()).startsWith("200");
        assertThat(entries.get(3).path("response").path("status").asText()).startsWith("200");
        assertThat(entries.get(4).path("response").path("status").asText()).startsWith("201");
        String conditional = entries.get(4).path("resource").path("id").asText();

        assertThat(fhir.ids("Invoice", "status", "issued,balanced")).containsExactlyInAnyOrder(updated, patched, conditional);
        // GET entries run after the writes, inside the transaction, and see them
        var search = entries.get(0).path("resource");
        assertThat(search.path("type").asText()).isEqualTo("searchset");
        assertThat(FhirClient.matchIds(search)).containsExactlyInAnyOrder(updated, patched, conditional);

        assertThat(fhir.api().get("/fhir/R4/Invoice/" + updated).json().path("status").asText()).isEqualTo("issued");
        assertThat(fhir.api().get("/fhir/R4/Invoice/" + deleted).status()).isEqualTo(410);
        assertThat(fhir.api().get("/fhir/R4/Invoice/" + patched).json().path("status").asText()).isEqualTo("balanced");
        assertThat(fhir.ids("Invoice", "identifier", "http://ids.example|cond")).containsExactly(conditional);
    }

    @Test
    void batch_patch_carries_a_base64_json_patch_in_a_binary() {
        var fhir = FhirClient.inNewProject();
        String id = fhir.create("{\"resourceType\":\"Patient\",\"active\":false}");
        var reply = post(fhir, """
                {"resourceType":"Bundle","type":"batch","entry":[
                  {"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"%s"},
                   "request":{"method":"PATCH","url":"Patient/%s"}},
                  {"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"%%%%not base64%%%%"},
                   "request":{"method":"PATCH","url":"Patient/%2$s"}},
                  {"resource":{"resourceType":"Patient"},"request":{"method":"PATCH","url":"Patient/%2$s"}}]}"""
                .formatted(base64("[{\"op\":\"replace\",\"path\":\"/active\",\"value\":true}]"), id));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        var entries = reply.json().path("entry");
        assertThat(entries.get(0).path("response").path("status").asText()).startsWith("200");
        assertThat(entries.get(1).path("response").path("status").asText()).startsWith("400");
        assertThat(entries.get(2).path("response").path("status").asText()).startsWith("400");
        assertThat(fhir.api().get("/fhir/R4/Patient/" + id).json().path("active").asBoolean()).isTrue();
        assertThat(fhir.ids("Patient", "active", "true")).containsExactly(id);
    }

    @Test
    void more_than_a_thousand_entries_is_400() {
        var fhir = FhirClient.inNewProject();
        var body = new StringBuilder("{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":[");
        for (int i = 0; i < 1001; i++) {
            if (i > 0) body.append(',');
            body.append("{\"resource\":{\"resourceType\":\"Patient\"},\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}}");
        }
        body.append("]}");
        var reply = post(fhir, body.toString());
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(reply.outcomeText()).contains("1000");
        assertThat(fhir.ids("Patient", "_count", "1")).isEmpty();
    }

    @Test
    void a_body_that_is_not_a_batch_or_transaction_bundle_is_400() {
        var fhir = FhirClient.inNewProject();
        for (String body : new String[] {
                "{\"resourceType\":\"Patient\"}",
                "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[]}",
                "{\"resourceType\":\"Bundle\"}",
                "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":{}}",
                "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"resource\":{\"resourceType\":\"Patient\"}}]}",
                "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"request\":{\"method\":\"FROB\",\"url\":\"Patient\"}}]}",
                "[1,2,3]",
                "not json"}) {
            var reply = post(fhir, body);
            assertThat(reply.status()).as(body + " -> " + reply).isEqualTo(400);
            assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        }
    }

    // --- helpers ----------------------------------------------------------------------------------

    private static Api.Reply post(FhirClient fhir, String bundle) {
        return fhir.api().post("/fhir/R4", bundle);
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
