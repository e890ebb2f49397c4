package io.sqsbrowser.job;

import java.io.Serializable;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.AbstractStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.OneInputStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.SetupableStreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.api.operators.YieldingOperatorFactory;

/**
 * Makes operators that are given their task's mailbox: what they start asynchronously (SQS sends, DynamoDB
 * writes) completes on the AWS SDK's threads and is handed back to the task thread as a mail, where the
 * operator may touch its state and emit. (Flink's own async operator gets its mailbox the same way.)
 */
public final class MailboxOperatorFactory<IN, OUT> extends AbstractStreamOperatorFactory<OUT>
        implements OneInputStreamOperatorFactory<IN, OUT>, YieldingOperatorFactory<OUT> {
    private static final long serialVersionUID = 1L;

    /** Builds the operator from its parameters and mailbox. */
    public interface Constructor<OUT> extends Serializable {
        StreamOperator<OUT> create(StreamOperatorParameters<OUT> parameters, MailboxExecutor mailbox);
    }

    private final Constructor<OUT> constructor;
    private final Class<? extends StreamOperator> operatorClass;

    public MailboxOperatorFactory(Class<? extends StreamOperator> operatorClass, Constructor<OUT> constructor) {
        this.operatorClass = operatorClass;
        this.constructor = constructor;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends StreamOperator<OUT>> T createStreamOperator(StreamOperatorParameters<OUT> parameters) {
        StreamOperator<OUT> operator = constructor.create(parameters, getMailboxExecutor());
        if (operator instanceof AbstractStreamOperator) {
            ((AbstractStreamOperator<OUT>) operator).setProcessingTimeService(processingTimeService);
        }
        if (operator instanceof SetupableStreamOperator) {
            ((SetupableStreamOperator<OUT>) operator).setup(parameters.getContainingTask(), parameters.getStreamConfig(),
                    parameters.getOutput());
        }
        return (T) operator;
    }

    @Override
    public Class<? extends StreamOperator> getStreamOperatorClass(ClassLoader classLoader) {
        return operatorClass;
    }
}
