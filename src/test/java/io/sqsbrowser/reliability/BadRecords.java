package io.sqsbrowser.reliability;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What a careless or hostile producer puts on the event stream: random bytes, invalid UTF-8, absurd nesting,
 * huge strings, every field with a wrong type, routing keys spelt almost right, numbers out of range, and more.
 * Every record here must become a dead letter; none may reach a session. Each carries a marker
 * ({@code bad-<n>}) where it has room for one, so a delivery of it would be noticed.
 */
final class BadRecords {
    private static final String[] NEAR_MISSES = {"userid", "user_id", "UserId", "USERID", "user-id", "Userid", "accountid",
        "account_id", "AccountID", "Account-Id", "sessionid", "session_id", "SessionId", "_userId", "userId_",
        // What a person reads as the field: spaces, invisible characters, other scripts, one letter off.
        "userId ", " userId", "user\u200bId", "user\u00adId", "us\u0435rId", "\u0430ccountId", "userld", "acountId", "usreId",
        "sesionId", "\uff55serId"};
    private static final String[] WRONG_VALUES = {"{\"x\":1}", "[1,2]", "true", "false", "null", "1.5", "-7", "\"\"",
        "\"a b\"", "\"x/y\"", "\"*\"", "1e400", "99999999999999999999", "\"" + "u".repeat(300) + "\""};
    private final Random random;
    private final int hugeStringBytes;

    /**
     * @param hugeStringBytes the size of the few huge strings: too large for SQS (over 256 KiB), within the
     *     record limit of the local Kinesis (5 MiB)
     */
    BadRecords(long seed, int hugeStringBytes) {
        this.random = new Random(seed);
        this.hugeStringBytes = hugeStringBytes;
    }

    /** {@code count} bad records of every kind in turn; a few (one in 2,000, at least one) carry a huge string. */
    List<byte[]> make(int count) {
        List<byte[]> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            records.add(record(i, count));
        }
        return records;
    }

    private byte[] record(int i, int count) {
        String id = "bad-" + i;
        int hugeEvery = Math.max(1, Math.min(count, 2000));
        if (i % hugeEvery == hugeEvery - 1) {
            return ("{\"userId\":1,\"messageId\":\"" + id + "\",\"message\":\"" + "z".repeat(hugeStringBytes) + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
        }
        switch (i % 12) {
            case 0:
                byte[] noise = new byte[1 + random.nextInt(2000)];
                random.nextBytes(noise);
                noise[0] = (byte) (0x80 | noise[0]); // never by chance a JSON object
                return noise;
            case 1:
                return utf8("{\"messageId\":\"" + id + "\",\"message\":\"", new byte[] {(byte) 0xC3, 0x28, (byte) 0xFF, (byte) 0x80}, "\"}");
            case 2:
                return ("{\"messageId\":\"" + id + "\",\"a\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}")
                        .getBytes(StandardCharsets.UTF_8);
            case 3:
                String field = new String[] {"userId", "accountId", "sessionId"}[random.nextInt(3)];
                String value = WRONG_VALUES[random.nextInt(WRONG_VALUES.length)];
                return json("\"" + field + "\":" + value + ",\"userId2\":1,\"messageId\":\"" + id + "\"", field.equals("sessionId"));
            case 4:
                return json("\"" + NEAR_MISSES[random.nextInt(NEAR_MISSES.length)] + "\":\"1\",\"messageId\":\"" + id + "\"", false);
            case 5:
                return json("\"_sqs_only\":" + new String[] {"\"yes\"", "2", "[true]", "null", "{}"}[random.nextInt(5)]
                        + ",\"userId\":1,\"messageId\":\"" + id + "\"", false);
            case 6:
                return json("\"messageId\":" + new String[] {"7", "\"\"", "\"has space\"", "\"" + "m".repeat(300) + "\"", "null"}
                        [random.nextInt(5)] + ",\"marker\":\"" + id + "\",\"userId\":1", false);
            case 7:
                return json("\"_type\":" + new String[] {"7", "[]", "{}", "true"}[random.nextInt(4)] + ",\"userId\":1,\"messageId\":\""
                        + id + "\"", false);
            case 8:
                return json("\"sessionId\":\"s-1\",\"messageId\":\"" + id + "\"", false);
            case 9:
                return new String[] {"[1,2,3]", "\"a string\"", "42", "null", "", "   ", "{", "{\"a\":1,}", "{'a':1}"}
                        [random.nextInt(9)].getBytes(StandardCharsets.UTF_8);
            case 10:
                return ("{\"userId\":\"1\",\"userId\":\"2\",\"messageId\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8);
            default:
                if (i % 100 == 11) {
                    // Too large for SQS once encrypted, though the record itself is allowed.
                    return ("{\"_everyone\":true,\"messageId\":\"" + id + "\",\"message\":\"" + "y".repeat(200_000 + random.nextInt(60_000)) + "\"}")
                            .getBytes(StandardCharsets.UTF_8);
                }
                return ("{\"messageId\":\"" + id + "\"} trailing").getBytes(StandardCharsets.UTF_8);
        }
    }

    private static byte[] json(String fields, boolean withUser) {
        return ("{" + fields + (withUser ? ",\"userId\":1" : "") + "}").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String before, byte[] middle, String after) {
        byte[] a = before.getBytes(StandardCharsets.UTF_8);
        byte[] c = after.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[a.length + middle.length + c.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(middle, 0, out, a.length, middle.length);
        System.arraycopy(c, 0, out, a.length + middle.length, c.length);
        return out;
    }
}
