package io.sqsbrowser.deadletter;

import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.aws.AwsFailures;
import io.sqsbrowser.aws.AwsSettings;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/** The two kinds of dead-letter destination, with their size limits and batch calls. */
final class DeadLetterDestinations {
    /** An SQS message body, and a whole SendMessageBatch, may be at most 256 KiB. */
    static final int SQS_MAX_BYTES = 262_144;
    /** A Kinesis record is at most 1 MiB, partition key included (a messageId is at most 256 characters). */
    static final int KINESIS_MAX_BYTES = 1_048_576 - 256;
    private static final int KINESIS_MAX_REQUEST_BYTES = 5 * 1_048_576;

    private DeadLetterDestinations() {}

    static DeadLetterWriter.Destination of(AwsSettings aws, DeadLetterDestination destination) {
        return destination.type == DeadLetterDestination.Type.SQS
                ? new Sqs(AwsClients.sqs(aws), destination.target)
                : new Kinesis(AwsClients.kinesis(aws), destination.target);
    }

    /** How many of {@code jsons} fit in one request of at most {@code maxEntries} and {@code maxBytes}. */
    private static int fitting(List<String> jsons, int maxEntries, int maxBytes) {
        int n = 0;
        long bytes = 0;
        for (String json : jsons) {
            bytes += json.getBytes(StandardCharsets.UTF_8).length;
            if (n == maxEntries || n > 0 && bytes > maxBytes) {
                break;
            }
            n++;
        }
        return Math.max(n, 1);
    }

    static final class Sqs implements DeadLetterWriter.Destination {
        private final SqsClient sqs;
        private final String queueUrl;

        Sqs(SqsClient sqs, String queueUrl) {
            this.sqs = sqs;
            this.queueUrl = queueUrl;
        }

        @Override
        public int maxBytes() {
            return SQS_MAX_BYTES;
        }

        @Override
        public int batchSize(List<String> oldestFirst) {
            return fitting(oldestFirst, 10, SQS_MAX_BYTES);
        }

        @Override
        public List<DeadLetterWriter.Outcome> write(List<String> batch) {
            List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                entries.add(SendMessageBatchRequestEntry.builder().id(Integer.toString(i)).messageBody(batch.get(i)).build());
            }
            SendMessageBatchResponse response = sqs.sendMessageBatch(b -> b.queueUrl(queueUrl).entries(entries));
            List<DeadLetterWriter.Outcome> outcomes = new ArrayList<>(Collections.nCopies(batch.size(), DeadLetterWriter.Outcome.RETRY));
            response.successful().forEach(ok -> outcomes.set(Integer.parseInt(ok.id()), DeadLetterWriter.Outcome.WRITTEN));
            for (BatchResultErrorEntry failed : response.failed()) {
                boolean refused = failed.senderFault() && !AwsFailures.retryableCode(failed.code());
                outcomes.set(Integer.parseInt(failed.id()), refused ? DeadLetterWriter.Outcome.REFUSED : DeadLetterWriter.Outcome.RETRY);
            }
            return outcomes;
        }

        @Override
        public void close() {
            sqs.close();
        }
    }

    static final class Kinesis implements DeadLetterWriter.Destination {
        private final KinesisClient kinesis;
        private final String stream;

        Kinesis(KinesisClient kinesis, String stream) {
            this.kinesis = kinesis;
            this.stream = stream;
        }

        @Override
        public int maxBytes() {
            return KINESIS_MAX_BYTES;
        }

        @Override
        public int batchSize(List<String> oldestFirst) {
            return fitting(oldestFirst, 500, KINESIS_MAX_REQUEST_BYTES);
        }

        @Override
        public List<DeadLetterWriter.Outcome> write(List<String> batch) {
            List<PutRecordsRequestEntry> records = new ArrayList<>();
            for (String json : batch) {
                // Spread over shards; a dead letter's identity is in its JSON.
                records.add(PutRecordsRequestEntry.builder().partitionKey(Integer.toHexString(json.hashCode()))
                        .data(SdkBytes.fromUtf8String(json)).build());
            }
            List<PutRecordsResultEntry> results = kinesis.putRecords(b -> b.streamName(stream).records(records)).records();
            List<DeadLetterWriter.Outcome> outcomes = new ArrayList<>();
            for (PutRecordsResultEntry r : results) {
                // Kinesis fails single records only for throttling or internal errors: both pass.
                outcomes.add(r.errorCode() == null ? DeadLetterWriter.Outcome.WRITTEN : DeadLetterWriter.Outcome.RETRY);
            }
            return outcomes;
        }

        @Override
        public void close() {
            kinesis.close();
        }
    }
}
