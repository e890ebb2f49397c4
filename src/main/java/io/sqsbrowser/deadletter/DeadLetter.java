package io.sqsbrowser.deadletter;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Something the job could not deliver, with the reason and the original payload, for an operator to
 * inspect and replay. Never carries key material: events hold none, and deliveries keep the plaintext,
 * not the session key. A Flink POJO.
 *
 * <p>Always small enough for its destination: it keeps at most {@link #MAX_KEPT_PAYLOAD_BYTES} of the
 * payload, and {@link #toJson(int)} shortens the payload further until the whole JSON fits. What was cut is
 * stated ({@code payloadTruncated}), with the original size and a SHA-256 of the whole payload, so a replay
 * can tell it has the real thing.
 */
public class DeadLetter {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The most of a payload a dead letter holds in memory and in checkpoints. */
    public static final int MAX_KEPT_PAYLOAD_BYTES = 256 * 1024;
    static final int MAX_REASON_CHARS = 1000;

    /** Where it was given up: {@code event}, {@code session-change}, {@code delivery}, {@code history}... */
    public String stage;
    public String reason;
    public String messageId;
    public String userId;
    public String sessionId;
    public String queueUrl;
    /** Stream, shard and sequence number of the source record, when it came from Kinesis. */
    public String source;
    /** The payload, or its beginning when {@link #payloadTruncated}. */
    public String payload;
    /** {@code utf-8}, or {@code base64} when the original bytes were not valid UTF-8 or not allowed in SQS. */
    public String payloadEncoding;
    /** Size of the whole original payload in bytes. */
    public long payloadBytes;
    /** Hex SHA-256 of the whole original payload. */
    public String payloadSha256;
    public boolean payloadTruncated;
    public long timeMillis;

    public DeadLetter() {}

    public static DeadLetter of(String stage, String reason, byte[] payload) {
        DeadLetter d = new DeadLetter();
        d.stage = stage;
        d.reason = reason.length() <= MAX_REASON_CHARS ? reason : reason.substring(0, MAX_REASON_CHARS) + "...";
        d.timeMillis = System.currentTimeMillis();
        d.payloadBytes = payload.length;
        d.payloadSha256 = sha256(payload);
        int kept = utf8Boundary(payload, Math.min(payload.length, MAX_KEPT_PAYLOAD_BYTES));
        d.payloadTruncated = kept < payload.length;
        String text = strictUtf8(payload, kept);
        if (text != null && allowedInSqs(text)) {
            d.payload = text;
            d.payloadEncoding = "utf-8";
        } else {
            byte[] head = kept == payload.length ? payload : java.util.Arrays.copyOf(payload, kept);
            d.payload = Base64.getEncoder().encodeToString(head);
            d.payloadEncoding = "base64";
        }
        return d;
    }

    public DeadLetter withSource(String stream, String shardId, String sequenceNumber) {
        source = stream + "/" + shardId + "/" + sequenceNumber;
        return this;
    }

    /** The JSON written to the dead-letter destination, whole. */
    public String toJson() {
        return json(payload, payloadTruncated).toString();
    }

    /** The JSON, with the payload shortened as far as needed for the whole to fit in {@code maxBytes} of UTF-8. */
    public String toJson(int maxBytes) {
        String whole = toJson();
        if (utf8Length(whole) <= maxBytes) {
            return whole;
        }
        // The longest payload prefix that fits; escapes and multi-byte characters make the size non-linear.
        int fits = 0;
        int tooLong = payload.length();
        while (tooLong - fits > 1) {
            int middle = (fits + tooLong) >>> 1;
            if (utf8Length(json(prefix(middle), true).toString()) <= maxBytes) {
                fits = middle;
            } else {
                tooLong = middle;
            }
        }
        return json(prefix(fits), true).toString();
    }

    private ObjectNode json(String payloadText, boolean truncated) {
        ObjectNode o = JSON.createObjectNode();
        o.put("stage", stage);
        o.put("reason", reason);
        putIfPresent(o, "messageId", messageId);
        putIfPresent(o, "userId", userId);
        putIfPresent(o, "sessionId", sessionId);
        putIfPresent(o, "queueUrl", queueUrl);
        putIfPresent(o, "source", source);
        o.put("payload", payloadText);
        o.put("payloadEncoding", payloadEncoding);
        o.put("payloadBytes", payloadBytes);
        putIfPresent(o, "payloadSha256", payloadSha256);
        o.put("payloadTruncated", truncated);
        o.put("timeMillis", timeMillis);
        return o;
    }

    /** A prefix of at most {@code length} characters that ends on a whole character (or base64 quantum). */
    private String prefix(int length) {
        int end = length;
        if ("base64".equals(payloadEncoding)) {
            end -= end % 4;
        } else if (end > 0 && Character.isHighSurrogate(payload.charAt(end - 1))) {
            end--;
        }
        return payload.substring(0, end);
    }

    private static void putIfPresent(ObjectNode o, String field, String value) {
        if (value != null) {
            o.put(field, value);
        }
    }

    /** The largest cut at or below {@code limit} that does not split a UTF-8 sequence. */
    private static int utf8Boundary(byte[] bytes, int limit) {
        int cut = limit;
        while (cut > 0 && cut < bytes.length && (bytes[cut] & 0xC0) == 0x80 && limit - cut < 4) {
            cut--;
        }
        return cut;
    }

    private static String strictUtf8(byte[] bytes, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, length))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** SQS refuses U+FFFE and U+FFFF in a body (everything else valid UTF-8 gives is allowed or escaped by JSON). */
    private static boolean allowedInSqs(String text) {
        return text.indexOf('\uFFFE') < 0 && text.indexOf('\uFFFF') < 0;
    }

    private static int utf8Length(String s) {
        int bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private static String sha256(byte[] bytes) {
        try {
            StringBuilder hex = new StringBuilder(64);
            for (byte b : MessageDigest.getInstance("SHA-256").digest(bytes)) {
                hex.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is in every JRE", e);
        }
    }

    @Override
    public String toString() {
        return "DeadLetter{" + stage + ": " + reason + (messageId == null ? "" : ", messageId=" + messageId) + "}";
    }
}
