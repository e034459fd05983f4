import { WaitTimeoutError, type ErrorContext } from '../errors';

// What every adapter's error mapping shares: the context an adapter adds, the message prefix, and the TLS
// and authentication facts that do not depend on the client library. Each adapter maps its own library's
// errors into src/errors.ts (kafkajs/errors.ts, platformatic/errors.ts).

/** Where a Kafka error happened, for the message and the error's context fields. */
export interface KafkaErrorContext extends ErrorContext {
  /** Cluster name ("source", "target") or bootstrap string. */
  cluster: string;
  /** Auth mechanism in use, e.g. "SCRAM-SHA-512", "mTLS", "AWS_MSK_IAM", "none". */
  mechanism?: string;
  /** What we were doing, e.g. "connect admin", "send". */
  operation?: string;
}

/** Protocol error types that mean "the broker rejected who we are", not "the request failed". */
export const AUTH_PROTOCOL_TYPES = new Set(['SASL_AUTHENTICATION_FAILED', 'UNSUPPORTED_SASL_MECHANISM', 'ILLEGAL_SASL_STATE']);

/** Broker answers that mean another producer instance took over the transactional id (INVALID_PRODUCER_EPOCH 47, PRODUCER_FENCED 90). */
export const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);
export const FENCED_CODES = new Set([47, 90]);

/** TLS verification failures: retrying reaches the same certificate, so they are not retriable. */
export const TLS_PERMANENT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * TLS alerts a broker sends when it refuses our client certificate (no certificate, unknown CA, bad one):
 * the mTLS counterpart of a SASL failure. Node names them `ERR_SSL_<version>_ALERT_<alert>`.
 */
export const CLIENT_CERT_REJECTED = /ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN|CERTIFICATE_REVOKED|CERTIFICATE_EXPIRED|ACCESS_DENIED)$/;
export const CLIENT_CERT_REJECTED_TEXT = /alert (bad certificate|certificate required|unknown ca|certificate unknown|certificate revoked|certificate expired|access denied)/i;

/**
 * Where a Kafka error happened, as every adapter's messages start: `Kafka cluster "target" during connect admin`.
 *
 * @example
 * ```ts
 * kafkaErrorWhere({ cluster: 'target', operation: 'send' }); // 'Kafka cluster "target" during send'
 * ```
 */
export function kafkaErrorWhere(context: KafkaErrorContext): string {
  const op = context.operation ? ` during ${context.operation}` : '';
  return `Kafka cluster "${context.cluster}"${op}`;
}

/**
 * The error of a range read that did not reach the end of every range in time (both adapters): each unfinished
 * partition with its position, and at read_committed the usual cause.
 *
 * @example
 * ```ts
 * throw readRangesTimeoutError('target', 'orders', 60_000, [{ partition: 0, at: 12n, from: 0n, to: 40n }], true);
 * ```
 */
export function readRangesTimeoutError(cluster: string, topic: string, timeoutMs: number, unfinished: ReadonlyArray<{ partition: number; at: bigint; from: bigint; to: bigint }>, readCommitted: boolean): WaitTimeoutError {
  const list = unfinished.map((u) => `${topic}[${u.partition}] at ${u.at} of [${u.from}, ${u.to})`).join(', ');
  return new WaitTimeoutError(
    `Reading ranges of ${topic} on cluster "${cluster}" did not finish within ${timeoutMs} ms: ${list}. Expected every record below each range's end to be readable${readCommitted ? ' at read_committed (an open transaction holds the last stable offset back)' : ''}`,
    { cluster, topic },
  );
}
