package io.sqsbrowser.local;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * LOCAL ONLY: a Kinesis request (JSON 1.1, {@code X-Amz-Target: Kinesis_20131202.<Operation>}), authorized on the
 * stream it names (by {@code StreamName} or {@code StreamARN}), the stream its shard iterator was issued for
 * ({@code GetRecords}), or the consumer it names.
 */
final class KinesisRequest extends JsonProtocolRequest {
    static final Protocol PROTOCOL = new Protocol("kinesis", "Kinesis_20131202", "application/x-amz-json-1.1");
    /** kinesalite encrypts its shard iterators with a key of its source ({@code db/index.js}); the stream is inside. */
    private static final byte[] ITERATOR_KEY = hex("1133a5a833666b49abf28c8ba302930f0b2fb240dccd43cf4dfbc0ca91f17751");
    private static final byte[] ITERATOR_IV = hex("7bf139dbabbea2d9995d6fcae1dff7da");

    private KinesisRequest(Map<String, String> headers, byte[] raw) {
        super(PROTOCOL, headers, raw);
    }

    static KinesisRequest read(Map<String, String> headers, byte[] raw) {
        return new KinesisRequest(headers, raw);
    }

    @Override
    List<String> resources() {
        if (operation.equals("ListStreams") || operation.equals("DescribeLimits")) {
            return List.of("*");
        }
        if (operation.equals("GetRecords")) {
            return List.of(stream(iteratorStream(text(body, "ShardIterator"))));
        }
        if (body.has("ConsumerARN")) {
            return List.of(text(body, "ConsumerARN"));
        }
        String byName = body.has("StreamName") ? stream(text(body, "StreamName")) : null;
        String byArn = body.has("StreamARN") ? text(body, "StreamARN") : null;
        if (byName == null && byArn == null || byName != null && byArn != null && !byName.equals(byArn)) {
            throw new IllegalArgumentException(operation + " must name one stream, by StreamName or StreamARN");
        }
        return List.of(byName != null ? byName : byArn);
    }

    private static String stream(String name) {
        if (!name.matches("[A-Za-z0-9_.-]{1,128}")) {
            throw new IllegalArgumentException("not a stream name: " + name);
        }
        return arn("kinesis", "stream/" + name);
    }

    /** The stream a kinesalite shard iterator was issued for: {@code <time>/<stream>/<shard>/<sequence>/<padding>}. */
    static String iteratorStream(String iterator) {
        try {
            byte[] raw = Base64.getDecoder().decode(iterator);
            Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(ITERATOR_KEY, "AES"), new IvParameterSpec(ITERATOR_IV));
            String[] parts = new String(cipher.doFinal(Arrays.copyOfRange(raw, 8, raw.length)), StandardCharsets.UTF_8).split("/");
            if (parts.length != 5) {
                throw new IllegalArgumentException("not a shard iterator");
            }
            return parts[1];
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("not a shard iterator this Kinesis issued");
        }
    }

    private static byte[] hex(String hex) {
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }
}
