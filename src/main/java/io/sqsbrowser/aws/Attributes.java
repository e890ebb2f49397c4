package io.sqsbrowser.aws;

import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** DynamoDB attribute values of the two kinds this project writes. */
public final class Attributes {
    private Attributes() {}

    public static AttributeValue s(String value) {
        return AttributeValue.builder().s(value).build();
    }

    public static AttributeValue n(long value) {
        return AttributeValue.builder().n(Long.toString(value)).build();
    }
}
