package io.sqsbrowser.aws;

import java.net.URI;
import java.util.Base64;

/** Session queue names, their shape, and the ARNs that session policies name. */
public final class QueueNames {
    /**
     * The principal tag naming a session's queue: set by the Lambda on the session's Cognito token, read by the
     * session role's policy ({@code ${aws:PrincipalTag/sqs-browser-queue}}).
     */
    public static final String SESSION_QUEUE_TAG = "sqs-browser-queue";
    /**
     * The tag on every session queue naming the deployment that created it: clean-up deletes only queues that carry
     * its own deployment's value, so two deployments in one account never delete each other's queues.
     */
    public static final String DEPLOYMENT_TAG = "sqs-browser-deployment";
    /** 256 random bits in unpadded base64url. */
    private static final int RANDOM_CHARS = 43;

    private QueueNames() {}

    /** {@code <prefix>-<43 chars of base64url of 256 random bits>}: unguessable, at most 80 characters. */
    public static String newName(String prefix) {
        return prefix + "-" + Base64.getUrlEncoder().withoutPadding().encodeToString(FreshRandom.bytes(32));
    }

    /** Whether {@code name} has the exact shape {@link #newName} gives: {@code <prefix>-} and 43 base64url characters. */
    public static boolean isSessionQueue(String name, String prefix) {
        return name.length() == prefix.length() + 1 + RANDOM_CHARS && name.startsWith(prefix + "-")
                && name.substring(prefix.length() + 1).chars().allMatch(QueueNames::base64Url);
    }

    private static boolean base64Url(int c) {
        return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_';
    }

    /**
     * The IAM resource pattern (the last segment of a queue ARN) that matches exactly this prefix's session queue
     * names: {@code ?} matches one character in IAM, so a longer prefix that begins with this one (another
     * deployment's) is not matched, as {@code <prefix>-*} would match it.
     */
    public static String iamPattern(String prefix) {
        return prefix + "-" + "?".repeat(RANDOM_CHARS);
    }

    /** The last path segment of a queue URL. */
    public static String name(String queueUrl) {
        return queueUrl.substring(queueUrl.lastIndexOf('/') + 1);
    }

    /** {@code https://sqs.<region>.amazonaws.com/<account>/<name>} to {@code arn:<partition>:sqs:<region>:<account>:<name>}. */
    public static String arn(String queueUrl, String region) {
        String[] path = URI.create(queueUrl).getPath().split("/");
        if (path.length != 3) {
            throw new IllegalArgumentException("not a queue URL: " + queueUrl);
        }
        String partition = region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
        return "arn:" + partition + ":sqs:" + region + ":" + path[1] + ":" + path[2];
    }
}
