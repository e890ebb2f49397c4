package io.sqsbrowser.testing;

import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.session.SessionRecord;
import java.security.SecureRandom;

/** Live session records for tests of the state and the expander. */
public final class SessionRecords {
    private static final SecureRandom RANDOM = new SecureRandom();

    private SessionRecords() {}

    /** A live session with a random key, its credentials valid for an hour after {@code nowSeconds}. */
    public static SessionRecord live(String account, String user, String session, CipherFormat cipher, long nowSeconds) {
        SessionRecord r = new SessionRecord();
        r.accountId = account;
        r.userId = user;
        r.sessionId = session;
        r.queueUrl = "http://sqs/q-" + session;
        r.aesKey = new byte[32];
        RANDOM.nextBytes(r.aesKey);
        r.cipher = cipher;
        r.expires = nowSeconds + 3600;
        r.version = 1;
        r.changedMillis = System.currentTimeMillis();
        return r;
    }
}
