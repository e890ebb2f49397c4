// The two SQS calls the client makes, over the SQS JSON protocol, signed by aws4fetch.
import { AwsClient } from 'aws4fetch';

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
  constructor(status, codes, message) {
    super(`${codes[0] || 'HTTP ' + status}${message ? ': ' + message : ''}`);
    this.name = 'SqsError';
    this.status = status;
    this.code = codes[0];
    this.kind = codes.some((c) => GONE.has(c))
      ? 'gone'
      : codes.some((c) => AUTH.has(c)) || (status === 403 && !codes.some((c) => /Throttl|OverLimit/.test(c)))
        ? 'auth'
        : 'retry';
  }
}

/** Returns `(action, params, signal?) => Promise<answer>` for one session's queue and credentials. */
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
    let json = {};
    try {
      json = JSON.parse(body) ?? {};
    } catch {}
    if (res.ok) return json;
    // "com.amazonaws.sqs#QueueDoesNotExist" and "AWS.SimpleQueueService.NonExistentQueue;Sender"
    const codes = [json.__type?.split('#').pop(), res.headers.get('x-amzn-query-error')?.split(';')[0]].filter(Boolean);
    throw new SqsError(res.status, codes, json.message ?? json.Message);
  };
}
