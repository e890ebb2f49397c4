package io.sqsbrowser.crypto;

import java.util.Locale;

/** How a session's messages are encrypted; chosen per session by its {@code cipher} attribute. */
public enum CipherFormat {
    /** The original system's envelope: {@code <counter>|<base64 AES-256-CTR ciphertext>}. */
    CTR,
    /** Authenticated envelope: {@code g1|<base64 of nonce(12) ‖ ciphertext ‖ tag(16)>}, AES-256-GCM. */
    GCM;

    /** The default for sessions that do not name a cipher: items written by the original system used CTR. */
    public static final CipherFormat LEGACY_DEFAULT = CTR;

    /**
     * Parses the session item's {@code cipher} attribute; absent means the original system's CTR. Exactly the names the
     * clients know ({@code ctr}, {@code gcm}): a client pins its session's cipher by this name, so a job that took
     * another spelling for one of them would send what the client refuses, or the other way round.
     */
    public static CipherFormat fromAttribute(String value) {
        if (value == null || value.isEmpty()) {
            return LEGACY_DEFAULT;
        }
        switch (value) {
            case "ctr":
                return CTR;
            case "gcm":
                return GCM;
            default:
                throw new IllegalArgumentException("unknown cipher '" + value + "' (the clients know ctr and gcm only)");
        }
    }

    /** The attribute value written to the session item. */
    public String attributeValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
