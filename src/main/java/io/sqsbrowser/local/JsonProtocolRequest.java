package io.sqsbrowser.local;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * LOCAL ONLY: a request of an AWS JSON protocol (DynamoDB's, Kinesis's): the operation named by {@code X-Amz-Target},
 * one JSON object as its body, forwarded as read with the protocol's own Content-Type and target.
 */
abstract class JsonProtocolRequest extends ServiceRequest {
    /** What names a service's JSON protocol: the IAM service prefix, the target's prefix and the Content-Type. */
    static final class Protocol {
        final String service;
        final String targetPrefix;
        final String contentType;

        Protocol(String service, String targetPrefix, String contentType) {
            this.service = service;
            this.targetPrefix = targetPrefix;
            this.contentType = contentType;
        }

        String target(String operation) {
            return targetPrefix + "." + operation;
        }
    }

    final Protocol protocol;
    final String operation;
    final JsonNode body;

    JsonProtocolRequest(Protocol protocol, Map<String, String> headers, byte[] raw) {
        this.protocol = protocol;
        this.operation = operation(headers.get("x-amz-target"), protocol.targetPrefix);
        this.body = jsonObject(raw);
    }

    @Override
    String operation() {
        return operation;
    }

    @Override
    String action() {
        return protocol.service + ":" + operation;
    }

    @Override
    byte[] forwardedBody() {
        return bytes(body);
    }

    @Override
    String contentType() {
        return protocol.contentType;
    }

    @Override
    String target() {
        return protocol.target(operation);
    }
}
