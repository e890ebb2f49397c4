package io.sqsbrowser.deadletter;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Something the job could not deliver, with the reason and the original payload, for an operator to
 * inspect and replay. Never carries key material: events hold none, and deliveries keep the plaintext,
 * not the session key. A Flink POJO.
 */
public class DeadLetter {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where it was given up: {@code event}, {@code session-change} or {@code delivery}. */
    public String stage;
    public String reason;
    public String messageId;
    public String userId;
    public String sessionId;
    public String queueUrl;
    /** Stream, shard and sequence number of the source record, when it came from Kinesis. */
    public String source;
    public String payload;
    /** {@code utf-8}, or {@code base64} when the original bytes were not valid UTF-8. */
    public String payloadEncoding;
    public long timeMillis;

    public DeadLetter() {}

    public static DeadLetter of(String stage, String reason, byte[] payload) {
        DeadLetter d = new DeadLetter();
        d.stage = stage;
        d.reason = reason;
        d.timeMillis = System.currentTimeMillis();
        try {
            d.payload = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(payload))
                    .toString();
            d.payloadEncoding = "utf-8";
        } catch (CharacterCodingException e) {
            d.payload = Base64.getEncoder().encodeToString(payload);
            d.payloadEncoding = "base64";
        }
        return d;
    }

    public DeadLetter withSource(String stream, String shardId, String sequenceNumber) {
        source = stream + "/" + shardId + "/" + sequenceNumber;
        return this;
    }

    /** The JSON written to the dead-letter destination. */
    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("stage", stage);
        o.put("reason", reason);
        putIfPresent(o, "messageId", messageId);
        putIfPresent(o, "userId", userId);
        putIfPresent(o, "sessionId", sessionId);
        putIfPresent(o, "queueUrl", queueUrl);
        putIfPresent(o, "source", source);
        o.put("payload", payload);
        o.put("payloadEncoding", payloadEncoding);
        o.put("timeMillis", timeMillis);
        return o.toString();
    }

    private static void putIfPresent(ObjectNode o, String field, String value) {
        if (value != null) {
            o.put(field, value);
        }
    }

    @Override
    public String toString() {
        return "DeadLetter{" + stage + ": " + reason + (messageId == null ? "" : ", messageId=" + messageId) + "}";
    }
}
