import { describe, expect, it } from 'vitest';
import { KafkaAuthError, KafkaConnectionError, KafkaRequestError, ProducerFencedError, TopicMismatchError } from '../../../../src/errors';
import { toKafkajsKBridgeError as toKBridgeError } from '../../../../src/kafka/kafkajs/errors';

// The mapping recognises kafkajs errors by name and fields (a bundle may hold more than one copy of kafkajs,
// so never by class): these are errors of exactly the shape kafkajs 2.2 throws, built without importing it.
type Fields = { retriable?: boolean; type?: string; code?: number | string; broker?: string; cause?: unknown; originalError?: unknown };
function kafkajsError(name: string, message: string, fields: Fields = {}): Error {
  const err = Object.assign(new Error(message), fields);
  err.name = name;
  return err;
}
const KafkaJSSASLAuthenticationError = (message: string) => kafkajsError('KafkaJSSASLAuthenticationError', message, { retriable: false });
const KafkaJSProtocolError = (f: { message: string; type: string; code: number; retriable: boolean }) =>
  kafkajsError('KafkaJSProtocolError', f.message, { type: f.type, code: f.code, retriable: f.retriable });
const KafkaJSConnectionError = (message: string, f: { broker: string; code?: string }) => kafkajsError('KafkaJSConnectionError', message, { retriable: true, ...f });
const KafkaJSNumberOfRetriesExceeded = (cause: Error) => kafkajsError('KafkaJSNumberOfRetriesExceeded', cause.message, { retriable: false, cause, originalError: cause });
const KafkaJSRequestTimeoutError = (message: string, f: { broker: string }) => kafkajsError('KafkaJSRequestTimeoutError', message, { retriable: true, ...f });
const KafkaJSError = (message: string) => kafkajsError('KafkaJSError', message, { retriable: true });

const context = { cluster: 'target', mechanism: 'SCRAM-SHA-512', operation: 'connect admin' };

describe('toKafkajsKBridgeError', () => {
  it('maps a SASL failure to KafkaAuthError naming cluster and mechanism', () => {
    // Prepare
    const err = KafkaJSSASLAuthenticationError(
      'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
    );

    // Act
    const mapped = toKBridgeError(err, context);

    // Assess
    expect(mapped).toBeInstanceOf(KafkaAuthError);
    expect(mapped.retriable).toBe(false);
    expect(mapped.message).toMatch(/^Kafka cluster "target" during connect admin rejected SCRAM-SHA-512 authentication: SASL SCRAM SHA512/);
    expect(mapped.context).toMatchObject({ cluster: 'target', mechanism: 'SCRAM-SHA-512' });
    expect(mapped.cause).toBe(err);
  });

  it('maps a SASL_AUTHENTICATION_FAILED protocol error to KafkaAuthError', () => {
    // Prepare
    const err = KafkaJSProtocolError({ message: 'auth failed', type: 'SASL_AUTHENTICATION_FAILED', code: 58, retriable: false });

    // Act
    const mapped = toKBridgeError(err, context);

    // Assess
    expect(mapped).toBeInstanceOf(KafkaAuthError);
  });

  it('maps refused connections behind retries-exceeded to a retriable KafkaConnectionError', () => {
    // Prepare
    const refused = KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1', { broker: '127.0.0.1:1', code: 'ECONNREFUSED' });
    const err = KafkaJSNumberOfRetriesExceeded(refused);

    // Act
    const mapped = toKBridgeError(err, context);

    // Assess
    expect(mapped).toBeInstanceOf(KafkaConnectionError);
    expect(mapped.retriable).toBe(true);
    expect(mapped.message).toBe(
      'Kafka cluster "target" during connect admin is unreachable (broker 127.0.0.1:1): Connection error: connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(mapped.context).toMatchObject({ broker: '127.0.0.1:1', code: 'ECONNREFUSED' });
  });

  it('maps request timeouts to KafkaConnectionError', () => {
    // Act
    const mapped = toKBridgeError(KafkaJSRequestTimeoutError('Request Metadata(key: 3, version: 6) timed out', { broker: 'b:9092' }), context);

    // Assess
    expect(mapped).toBeInstanceOf(KafkaConnectionError);
    expect(mapped.retriable).toBe(true);
  });

  it('makes a certificate verification failure non-retriable', () => {
    // Act
    const mapped = toKBridgeError(
      KafkaJSConnectionError('Connection error: self-signed certificate', { broker: 'b:9094', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      context,
    );

    // Assess
    expect(mapped).toBeInstanceOf(KafkaConnectionError);
    expect(mapped.retriable).toBe(false);
  });

  it('maps a broker refusing the client certificate to KafkaAuthError (the mTLS auth failure)', () => {
    // Act
    const mapped = toKBridgeError(
      KafkaJSConnectionError('Connection error: SSL routines:ssl3_read_bytes:sslv3 alert bad certificate\n', {
        broker: 'b:9094',
        code: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
      }),
      { cluster: 'target', mechanism: 'mTLS', operation: 'connect admin' },
    );

    // Assess
    expect(mapped).toBeInstanceOf(KafkaAuthError);
    expect(mapped.retriable).toBe(false);
    expect(mapped.message).toMatch(/^Kafka cluster "target" during connect admin rejected the TLS client certificate: Connection error: .*alert bad certificate\. Check/);
  });

  it('maps other protocol errors to KafkaRequestError keeping type, code and retriability', () => {
    // Prepare
    const retriable = KafkaJSProtocolError({ message: 'not leader', type: 'NOT_LEADER_FOR_PARTITION', code: 6, retriable: true });
    const fatal = KafkaJSProtocolError({ message: 'denied', type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false });

    // Act
    const a = toKBridgeError(retriable, { cluster: 'source' });
    const b = toKBridgeError(fatal, { cluster: 'source' });

    // Assess
    expect(a).toBeInstanceOf(KafkaRequestError);
    expect(a.retriable).toBe(true);
    expect(a.context).toMatchObject({ type: 'NOT_LEADER_FOR_PARTITION', code: 6 });
    expect(a.message).toBe('Kafka cluster "source": NOT_LEADER_FOR_PARTITION: not leader');
    expect(b.retriable).toBe(false);
  });

  it('keeps a generic kafkajs error retriable when kafkajs says so', () => {
    // Act
    const mapped = toKBridgeError(KafkaJSError('something transient'), { cluster: 'source' });

    // Assess
    expect(mapped).toBeInstanceOf(KafkaRequestError);
    expect(mapped.retriable).toBe(true);
  });

  it.each([
    ['INVALID_PRODUCER_EPOCH', 47],
    ['PRODUCER_FENCED', 90],
  ])('maps a fenced transactional producer (%s) to a non-retriable ProducerFencedError', (type, code) => {
    // Prepare
    const err = KafkaJSProtocolError({ message: 'Producer attempted an operation with an old epoch', type, code, retriable: false });

    // Act
    const mapped = toKBridgeError(err, { cluster: 'target', mechanism: 'none', operation: 'commit transaction t-1' });

    // Assess
    expect(mapped).toBeInstanceOf(ProducerFencedError);
    expect(mapped.retriable).toBe(false);
    expect(mapped.context).toMatchObject({ cluster: 'target', mechanism: 'none', operation: 'commit transaction t-1', type: 'PRODUCER_FENCED', code });
    expect(mapped.message).toMatch(/^Kafka cluster "target" during commit transaction t-1: the transactional producer was fenced/);
  });

  it('passes our own errors through and never retries programmer errors', () => {
    // Prepare
    const ours = new TopicMismatchError('no topic');

    // Act
    const same = toKBridgeError(ours, context);
    const typeError = toKBridgeError(new TypeError('x is undefined'), context);

    // Assess
    expect(same).toBe(ours);
    expect(typeError).toBeInstanceOf(KafkaRequestError);
    expect(typeError.retriable).toBe(false);
    expect(typeError.message).toContain('TypeError: x is undefined');
  });
});
