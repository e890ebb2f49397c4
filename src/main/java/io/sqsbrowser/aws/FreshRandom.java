package io.sqsbrowser.aws;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * The one source of the session Lambda's random values: AES keys, queue names, message ids. With SnapStart, Lambda
 * resumes many execution environments from one snapshot of an initialized one, so whatever random state init made is
 * in all of them. AWS: "Software that always gets random numbers from /dev/random or /dev/urandom also maintains
 * randomness with SnapStart", and lists {@code java.security.SecureRandom} among the generators that do
 * (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-uniqueness.html). This one is {@code NativePRNGNonBlocking}
 * where the platform has it (Linux, as Lambda): every draw reads /dev/urandom, which the resumed environment's kernel
 * reseeds. No value is drawn at init: every draw happens while a request is handled. Backoff jitter too: environments
 * resumed from one snapshot with one seed would retry in step, the very thing jitter is for.
 */
public final class FreshRandom {
    private static final SecureRandom URANDOM = urandom();

    private FreshRandom() {}

    public static byte[] bytes(int count) {
        byte[] out = new byte[count];
        URANDOM.nextBytes(out);
        return out;
    }

    /** A fraction in [0, 1), for jitter. */
    public static double fraction() {
        return URANDOM.nextDouble();
    }

    /** The algorithm in use, for the tests and the logs. */
    public static String algorithm() {
        return URANDOM.getAlgorithm();
    }

    private static SecureRandom urandom() {
        try {
            return SecureRandom.getInstance("NativePRNGNonBlocking");
        } catch (NoSuchAlgorithmException notOnThisPlatform) {
            return new SecureRandom();
        }
    }
}
