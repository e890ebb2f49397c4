package io.sqsbrowser.aws;

import java.io.Serializable;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Region, credentials and endpoint overrides shared by every AWS client of the job and the Lambda. On AWS
 * only the region is set and credentials come from the default chain; against emulators every endpoint is
 * overridden and static credentials are given. {@link #toString()} never shows the secret.
 */
public final class AwsSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Property keys of the {@code Aws} group. */
    public static final String REGION = "region";
    public static final String CREDENTIALS = "credentials";
    public static final String ACCESS_KEY_ID = "accessKeyId";
    public static final String SECRET_ACCESS_KEY = "secretAccessKey";
    public static final String ENDPOINT_PREFIX = "endpoint.";
    /** The keys of the {@code Aws} group; endpoints as {@code endpoint.*}. */
    public static final List<String> KEYS = List.of(REGION, CREDENTIALS, ACCESS_KEY_ID, SECRET_ACCESS_KEY,
            ENDPOINT_PREFIX + "*");

    /** Where credentials come from: the default provider chain, or the static keys given (emulators). */
    public enum Credentials { DEFAULT, STATIC }

    private final String region;
    private final Credentials credentials;
    private final String accessKeyId;
    private final String secretAccessKey;
    private final Properties endpoints;

    public AwsSettings(String region, Credentials credentials, String accessKeyId, String secretAccessKey,
            Map<String, String> endpoints) {
        this.region = region;
        this.credentials = credentials;
        this.accessKeyId = accessKeyId;
        this.secretAccessKey = secretAccessKey;
        this.endpoints = new Properties();
        this.endpoints.putAll(endpoints);
        if (credentials == Credentials.STATIC && (accessKeyId == null || secretAccessKey == null)) {
            throw new IllegalArgumentException("Aws.credentials=STATIC needs Aws.accessKeyId and Aws.secretAccessKey");
        }
    }

    /** Reads the {@code Aws} property group. */
    public static AwsSettings fromProperties(Properties p) {
        Map<String, String> endpoints = new HashMap<>();
        for (String name : p.stringPropertyNames()) {
            if (name.startsWith(ENDPOINT_PREFIX)) {
                endpoints.put(name.substring(ENDPOINT_PREFIX.length()), p.getProperty(name));
            }
        }
        Credentials credentials;
        try {
            credentials = Credentials.valueOf(p.getProperty(CREDENTIALS, "DEFAULT").trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Aws.credentials must be DEFAULT or STATIC, got " + p.getProperty(CREDENTIALS));
        }
        return new AwsSettings(p.getProperty(REGION, "us-east-1"), credentials, p.getProperty(ACCESS_KEY_ID),
                p.getProperty(SECRET_ACCESS_KEY), endpoints);
    }

    public String region() {
        return region;
    }

    public Credentials credentials() {
        return credentials;
    }

    public String accessKeyId() {
        return accessKeyId;
    }

    public String secretAccessKey() {
        return secretAccessKey;
    }

    /** The endpoint override for a service ({@code sqs}, {@code kinesis}, {@code dynamodb}, ...), or null. */
    public URI endpoint(String service) {
        String value = endpoints.getProperty(service);
        return value == null || value.isEmpty() ? null : URI.create(value);
    }

    @Override
    public String toString() {
        return "AwsSettings{region=" + region + ", credentials=" + credentials + ", endpoints=" + endpoints + "}";
    }
}
