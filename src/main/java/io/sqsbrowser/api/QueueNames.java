package io.sqsbrowser.api;

import java.net.URI;
import java.security.SecureRandom;
import java.util.Base64;

/** Session queue names and the ARNs that session policies name. */
final class QueueNames {
    private static final SecureRandom RANDOM = new SecureRandom();

    private QueueNames() {}

    /** {@code <prefix>-<43 chars of base64url of 256 random bits>}: unguessable, at most 80 characters. */
    static String newName(String prefix) {
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        return prefix + "-" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    /** The last path segment of a queue URL. */
    static String name(String queueUrl) {
        return queueUrl.substring(queueUrl.lastIndexOf('/') + 1);
    }

    /** {@code https://sqs.<region>.amazonaws.com/<account>/<name>} to {@code arn:<partition>:sqs:<region>:<account>:<name>}. */
    static String arn(String queueUrl, String region) {
        String[] path = URI.create(queueUrl).getPath().split("/");
        if (path.length != 3) {
            throw new IllegalArgumentException("not a queue URL: " + queueUrl);
        }
        String partition = region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
        return "arn:" + partition + ":sqs:" + region + ":" + path[1] + ":" + path[2];
    }
}
