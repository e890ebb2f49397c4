// The two SQS calls the client makes, over the SQS JSON protocol, signed by aws4fetch.
import { AwsClient } from 'aws4fetch';
/** @import { Session } from '../index.js' */

/**
 * One message of a `ReceiveMessage` answer.
 * @typedef {object} SqsMessage
 * @property {string} [MessageId]
 * @property {string} [ReceiptHandle]
 * @property {string} [Body]
 * @property {Record<string, string>} [Attributes]
 * @property {Record<string, { StringValue?: string }>} [MessageAttributes]
 */

/**
 * What the client reads of SQS's answers: `ReceiveMessage`'s messages, `DeleteMessageBatch`'s failures.
 * @typedef {object} SqsAnswer
 * @property {SqsMessage[]} [Messages]
 * @property {{ Id?: string, Code?: string, Message?: string }[]} [Failed]
 */

/**
 * One SQS action on the session's queue, with the session's credentials.
 * @typedef {(action: string, params: Record<string, unknown>, signal?: AbortSignal) => Promise<SqsAnswer>} SqsCall
 */

const GONE = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue']);
const AUTH = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'AccessDenied',
  'AccessDeniedException',
]);

/** An error answer from SQS. `kind`: 'gone' (the queue, so the session, is no more), 'auth' (renew the credentials) or 'retry'. */
export class SqsError extends Error {
  /** @override @readonly @type {'SqsError'} */
  name = 'SqsError';

  /**
   * @param {number} status
   * @param {string[]} codes the answer's error codes, most precise first
   * @param {string} [message]
   */
  constructor(status, codes, message) {
    super(`${codes[0] || 'HTTP ' + status}${message ? ': ' + message : ''}`);
    /** @readonly */
    this.status = status;
    /** @readonly */
    this.code = codes[0];
    /** @readonly @type {'gone' | 'auth' | 'retry'} */
    this.kind = codes.some((c) => GONE.has(c))
      ? 'gone'
      : codes.some((c) => AUTH.has(c)) || (status === 403 && !codes.some((c) => /Throttl|OverLimit/.test(c)))
        ? 'auth'
        : 'retry';
  }
}

/**
 * Returns `(action, params, signal?) => Promise<answer>` for one session's queue and credentials.
 * @param {Session} session
 * @param {string} endpoint
 * @param {string} region
 * @returns {SqsCall}
 */
export function sqsClient(session, endpoint, region) {
  const aws = new AwsClient({
    accessKeyId: session.accessKey,
    secretAccessKey: session.secretKey,
    sessionToken: session.sessionToken,
    service: 'sqs',
    region,
    retries: 0, // the client's own loop backs off; retrying here too would multiply the waits
  });
  return async (action, params, signal) => {
    const res = await aws.fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'AmazonSQS.' + action },
      body: JSON.stringify({ QueueUrl: session.sqsUrl, ...params }),
      signal,
    });
    const body = await res.text();
    /** @type {SqsAnswer & { __type?: string, message?: string, Message?: string }} */
    let json = {};
    try {
      json = JSON.parse(body) ?? {};
    } catch {}
    if (res.ok) return json;
    // "com.amazonaws.sqs#QueueDoesNotExist" and "AWS.SimpleQueueService.NonExistentQueue;Sender"
    const codes = [json.__type?.split('#').pop(), res.headers.get('x-amzn-query-error')?.split(';')[0]].filter(
      /** @type {(c: string | undefined) => c is string} */ (c) => !!c,
    );
    throw new SqsError(res.status, codes, json.message ?? json.Message);
  };
}
