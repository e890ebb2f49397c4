package io.sqsbrowser.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.TestApi;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every kind of bad input of SPEC §1 gets a JSON error with the right status, and no side effect. */
@ExtendWith(EmulatorsExtension.class)
class ApiInputTest {
    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        "GET  | /create/100/200/has space                          | 400 | invalid sessionId may only contain",
        "GET  | /create/10*0/200/s1                                | 400 | invalid accountId may only contain",
        "GET  | /create/100/us/er/s1                               | 404 | no such endpoint",
        "GET  | /create/100/200                                    | 404 | no such endpoint",
        "GET  | /create/100/200/s1?MessageRetentionPeriod=59       | 400 | invalid MessageRetentionPeriod",
        "GET  | /create/100/200/s1?MessageRetentionPeriod=1209601  | 400 | invalid MessageRetentionPeriod",
        "GET  | /create/100/200/s1?MessageRetentionPeriod=4days    | 400 | invalid MessageRetentionPeriod",
        "GET  | /status?limit=1001                                 | 400 | invalid limit",
        "GET  | /status?next=not-a-token                           | 400 | invalid next token",
        "GET  | /status/100/200/nobody                             | 404 | no session nobody",
        "POST | /create/100/200/s1                                 | 404 | no such endpoint: POST /create/100/200/s1",
        "GET  | /                                                  | 404 | no such endpoint",
        "DELETE | /notify                                          | 404 | no such endpoint",
    })
    void isRefused(String method, String path, int status, String message, TestApi api) {
        TestApi.Response r = api.call(method, path, null);
        assertThat(r.status).isEqualTo(status);
        assertThat(r.body.get("success").asBoolean()).isFalse();
        assertThat(r.body.get("message").asText()).startsWith(message);
        assertThat(api.emulators.sqs().listQueues(b -> b.queueNamePrefix(api.queuePrefix)).queueUrls()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"/create/100/200/s1", "/status"})
    void aFailingBackendAnswers500WithoutDetails(String path, TestApi api) {
        TestApi.Response r = api.with("SESSION_TABLE", "no-such-table").get(path);
        assertThat(r.status).isEqualTo(500);
        assertThat(r.body.toString()).isEqualTo("{\"success\":false,\"message\":\"internal error\"}");
        assertThat(api.emulators.sqs().listQueues(b -> b.queueNamePrefix(api.queuePrefix)).queueUrls())
                .as("a failed create leaves no queue behind").isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"u1", "200"})
    void idsOfTheMaximumLengthAreAccepted(String user, TestApi api) {
        String session = "s".repeat(256);
        assertThat(api.get("/create/" + "a".repeat(128) + "/" + user + "/" + session).status).isEqualTo(200);
        assertThat(api.get("/create/100/" + user + "/" + "s".repeat(257)).status).isEqualTo(400);
    }
}
