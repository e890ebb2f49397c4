package io.sqsbrowser.local;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * LOCAL ONLY: checks an AWS Signature Version 4 {@code Authorization} header the way AWS does, so the local
 * stand-ins accept a request only from whoever holds the secret of the access key it names: canonical request
 * over exactly the headers the client signed, credential scope (date, region, service), a clock skew of at most
 * 15 minutes, and a constant-time comparison of the signature. (This verifies signatures made by the SDKs and
 * by aws4fetch; it signs nothing.)
 */
final class SigV4Verifier {
    private static final Pattern AUTHORIZATION = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})");
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final Duration MAX_SKEW = Duration.ofMinutes(15);

    /** What was verified: who signed, and the session token sent with it (null for long-term keys). */
    static final class Signed {
        final String accessKeyId;
        final String sessionToken;

        Signed(String accessKeyId, String sessionToken) {
            this.accessKeyId = accessKeyId;
            this.sessionToken = sessionToken;
        }
    }

    private SigV4Verifier() {}

    /**
     * @param headers the request's headers, names in lower case
     * @param secrets the secret of an access key, or null for an unknown key
     */
    static Signed verify(String method, String rawPath, String rawQuery, Map<String, String> headers, byte[] body,
            String region, String service, Function<String, String> secrets) throws LocalIam.Refusal {
        String authorization = headers.get("authorization");
        if (authorization == null) {
            throw new LocalIam.Refusal("MissingAuthenticationToken", 403, "Request is missing Authentication Token");
        }
        Matcher m = AUTHORIZATION.matcher(authorization.trim());
        if (!m.matches()) {
            throw new LocalIam.Refusal("IncompleteSignature", 403, "Authorization header is not a valid SigV4 signature");
        }
        String accessKeyId = m.group(1);
        String date = m.group(2);
        if (!m.group(3).equals(region) || !m.group(4).equals(service)) {
            throw new LocalIam.Refusal("SignatureDoesNotMatch", 403, "Credential should be scoped to a valid region and service ("
                    + region + "/" + service + ")");
        }
        String amzDate = headers.get("x-amz-date");
        Instant signedAt;
        try {
            signedAt = Instant.from(AMZ_DATE.parse(amzDate == null ? "" : amzDate));
        } catch (DateTimeParseException e) {
            throw new LocalIam.Refusal("IncompleteSignature", 403, "Missing or malformed X-Amz-Date");
        }
        if (!amzDate.startsWith(date) || Duration.between(signedAt, Instant.now()).abs().compareTo(MAX_SKEW) > 0) {
            throw new LocalIam.Refusal("SignatureDoesNotMatch", 403, "Signature expired or not yet valid: " + amzDate);
        }
        String secret = secrets.apply(accessKeyId);
        if (secret == null) {
            throw new LocalIam.Refusal("InvalidClientTokenId", 403, "The security token included in the request is invalid.");
        }
        List<String> signedHeaders = List.of(m.group(5).split(";"));
        if (!signedHeaders.contains("host")) {
            throw new LocalIam.Refusal("SignatureDoesNotMatch", 403, "The host header must be signed");
        }
        StringBuilder canonical = new StringBuilder().append(method).append('\n')
                .append(canonicalPath(rawPath, service)).append('\n')
                .append(canonicalQuery(rawQuery)).append('\n');
        for (String name : signedHeaders) {
            String value = headers.get(name);
            if (value == null) {
                throw new LocalIam.Refusal("SignatureDoesNotMatch", 403, "Signed header " + name + " is missing");
            }
            canonical.append(name).append(':').append(value.trim().replaceAll(" +", " ")).append('\n');
        }
        String payloadHash = headers.getOrDefault("x-amz-content-sha256", hex(sha256(body)));
        canonical.append('\n').append(m.group(5)).append('\n').append(payloadHash);
        String scope = date + "/" + region + "/" + service + "/aws4_request";
        String toSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n"
                + hex(sha256(canonical.toString().getBytes(StandardCharsets.UTF_8)));
        byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), date);
        key = hmac(key, region);
        key = hmac(key, service);
        key = hmac(key, "aws4_request");
        byte[] expected = hex(hmac(key, toSign)).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, m.group(6).getBytes(StandardCharsets.US_ASCII))) {
            throw new LocalIam.Refusal("SignatureDoesNotMatch", 403, "The request signature we calculated does not match the "
                    + "signature you provided.");
        }
        return new Signed(accessKeyId, headers.get("x-amz-security-token"));
    }

    /** Each segment URI-encoded; services other than S3 encode the already-encoded path once more. */
    private static String canonicalPath(String rawPath, String service) {
        String path = rawPath == null || rawPath.isEmpty() ? "/" : rawPath;
        List<String> segments = new ArrayList<>();
        for (String segment : path.split("/", -1)) {
            String once = encode(URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8));
            segments.add(service.equals("s3") ? once : encode(once));
        }
        return String.join("/", segments);
    }

    private static String canonicalQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        TreeMap<String, List<String>> sorted = new TreeMap<>();
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            sorted.computeIfAbsent(encode(name), k -> new ArrayList<>()).add(encode(value));
        }
        List<String> parts = new ArrayList<>();
        sorted.forEach((name, values) -> values.stream().sorted().forEach(v -> parts.add(name + "=" + v)));
        return String.join("&", parts);
    }

    /** RFC 3986 unreserved characters stay; everything else is %XX with upper-case hex. */
    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            out.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return out.toString().toLowerCase(Locale.ROOT);
    }
}
