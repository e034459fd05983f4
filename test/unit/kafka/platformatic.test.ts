import { readFileSync } from 'node:fs';
import { AuthenticationError, MultipleErrors, NetworkError, ProtocolError, ResponseError, saslOAuthBearer, UserError, type RecordsBatch } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { KafkaAuthError, KafkaConnectionError, KafkaRequestError, ProducerFencedError } from '../../../src/errors';
import type { ResolvedConnection } from '../../../src/kafka/connection';
import { resolveConnection } from '../../../src/kafka/factory';
import { javaPartitionForKey, murmur2 } from '../../../src/kafka/murmur2';
import { toPlatformaticKBridgeError } from '../../../src/kafka/platformatic/errors';
import { adapterLogger, CONCURRENT_TRANSACTIONS_RETRY_DELAY_MS, platformaticBaseOptions, platformaticCrc32cImplementation, retryDelayFor } from '../../../src/kafka/platformatic/options';
import { assignPartitions, decodePartition, toLibraryMessage } from '../../../src/kafka/platformatic/records';
import { createStaticSecretReader } from '../../../src/kafka/secrets';

// No broker here: the @platformatic/kafka adapter's option mapping, error mapping, retry delay, partitioning and
// read_committed decoding. The same connections run against real listeners in test/integration/kafka.
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const CA = fixture('ca.pem');
const CLIENT_CERT = fixture('client.pem');
const CLIENT_KEY_ENCRYPTED = fixture('client-encrypted.key');
const base = { name: 'target', bootstrapServers: ['b-1:9096', 'b-2:9096'] };
const secrets = createStaticSecretReader({
  scram: { username: 'bridge', password: 'scram-pw' },
  ca: { certificate: CA },
  mtls: { certificate: CLIENT_CERT + CA, privateKey: CLIENT_KEY_ENCRYPTED, privateKeyPassword: 'test-key-password' },
});
const context = { cluster: 'target', mechanism: 'SCRAM-SHA-512', operation: 'send' };

describe('platformaticBaseOptions', () => {
  it('maps a plaintext connection: bootstrap list, client id, retries, the retry delay hook, no topic auto-creation', async () => {
    // Act
    const options = platformaticBaseOptions(await resolveConnection({ ...base, clientId: 'kbridge-x', auth: { type: 'none' }, connectionTimeoutMs: 3000, requestTimeoutMs: 7000 }, { retries: 0 }));

    // Assess
    expect(options).toMatchObject({ clientId: 'kbridge-x', bootstrapBrokers: ['b-1:9096', 'b-2:9096'], retries: 0, retryDelay: retryDelayFor, autocreateTopics: false, connectTimeout: 3000, timeout: 7000, requestTimeout: 7000 });
    expect(options.tls).toBeUndefined();
    expect(options.sasl).toBeUndefined();
  });

  it.each([
    ['scram-sha-512', 'SCRAM-SHA-512'],
    ['scram-sha-256', 'SCRAM-SHA-256'],
    ['plain', 'PLAIN'],
  ] as const)('maps SASL %s from a secret to the library mechanism %s, over TLS with Node trust store', async (mechanism, expected) => {
    // Act
    const options = platformaticBaseOptions(await resolveConnection({ ...base, tls: { enabled: true }, auth: { type: 'sasl', mechanism, secretArn: 'scram' } }, { secrets }));

    // Assess
    expect(options.sasl).toEqual({ mechanism: expected, username: 'bridge', password: 'scram-pw' });
    expect(options.tls).toEqual({});
  });

  it('maps TLS with a custom root CA and mTLS with an encrypted client key', async () => {
    // Act
    const ca = platformaticBaseOptions(await resolveConnection({ ...base, tls: { enabled: true, rootCaSecretArn: 'ca' }, auth: { type: 'none' } }, { secrets }));
    const mtls = platformaticBaseOptions(await resolveConnection({ ...base, tls: { enabled: true, rootCaPem: CA }, auth: { type: 'mtls', secretArn: 'mtls' } }, { secrets }));

    // Assess
    expect(ca.tls).toEqual({ ca: [CA] });
    expect(mtls.tls).toMatchObject({ ca: [CA], cert: CLIENT_CERT + CA, key: CLIENT_KEY_ENCRYPTED, passphrase: 'test-key-password' });
    expect(mtls.sasl).toBeUndefined();
  });

  it('maps MSK IAM to SASL/OAUTHBEARER with a token asked of the signer at each authentication, sent as the GS2 bearer message', async () => {
    // Prepare
    const connection = await resolveConnection(
      { ...base, auth: { type: 'iam', region: 'eu-west-1' } },
      { awsCredentials: () => Promise.resolve({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session' }) },
    );
    const options = platformaticBaseOptions(connection);
    const sent: Buffer[] = [];
    const authenticateApi = (_connection: unknown, bytes: Buffer, callback: (error: Error | null, response?: unknown) => void): void => {
      sent.push(bytes);
      callback(null, { errorCode: 0, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n });
    };

    // Act
    const token = await (options.sasl?.token as () => Promise<string>)();
    await new Promise<void>((resolve, reject) =>
      saslOAuthBearer.authenticate(authenticateApi as never, {} as never, options.sasl?.token as never, {}, (error: Error | null) => (error ? reject(error) : resolve())),
    );

    // Assess
    expect(options.sasl?.mechanism).toBe('OAUTHBEARER');
    expect(options.tls).toEqual({});
    const url = new URL(Buffer.from(token, 'base64url').toString('utf8'));
    expect(url.host).toBe('kafka.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('kafka-cluster:Connect');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/);
    expect(sent).toHaveLength(1);
    // RFC 7628's client first message: fields separated by ^A (0x01).
    const SEP = '\u0001';
    expect(sent[0]?.toString()).toMatch(new RegExp(`^n,,${SEP}auth=Bearer [A-Za-z0-9_-]+${SEP}${SEP}$`));
  });
});

describe('retryDelayFor', () => {
  it('waits 20 ms after CONCURRENT_TRANSACTIONS (the library default is 1 s), anywhere in the error chain, then backs off to 500 ms', () => {
    // Prepare
    const concurrent = new ResponseError(24, 5, { '/': [51, null] }, {});

    // Act & Assess
    expect(CONCURRENT_TRANSACTIONS_RETRY_DELAY_MS).toBe(20);
    expect([1, 2, 3, 4].map((attempt) => retryDelayFor({}, 'addPartitionsToTransaction', attempt, 16, concurrent))).toEqual([20, 20, 20, 20]);
    expect(retryDelayFor({}, 'addPartitionsToTransaction', 7, 16, new MultipleErrors('failed', [concurrent]))).toBe(160);
    expect([8, 9, 16].map((attempt) => retryDelayFor({}, 'addPartitionsToTransaction', attempt, 16, concurrent))).toEqual([320, 500, 500]);
  });

  it('backs off from 100 ms to at most 1 s for other errors', () => {
    const notLeader = new ProtocolError('NOT_LEADER_OR_FOLLOWER');
    expect([1, 2, 3, 4, 5, 9].map((attempt) => retryDelayFor({}, 'produce', attempt, 10, notLeader))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});

describe('toPlatformaticKBridgeError', () => {
  it('maps fencing (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH) to a non-retriable ProducerFencedError', () => {
    for (const code of [90, 47]) {
      // Act
      const error = toPlatformaticKBridgeError(new MultipleErrors('endTransaction failed 1 times.', [new ResponseError(26, 4, { '/': [code, null] }, {})]), context);

      // Assess
      expect(error).toBeInstanceOf(ProducerFencedError);
      expect(error.retriable).toBe(false);
      expect(error.context).toMatchObject({ cluster: 'target', mechanism: 'SCRAM-SHA-512', operation: 'send', type: 'PRODUCER_FENCED', code });
    }
  });

  it('maps a retry chain that ends fenced to ProducerFencedError, not to its first (retriable) answer', () => {
    // Kafka 4.1 answers CONCURRENT_TRANSACTIONS (51) to a fenced instance while the new one's markers are written,
    // then PRODUCER_FENCED (90): the library's retries gather both.
    const chain = new MultipleErrors('addPartitionsToTransaction failed 2 times.', [
      new ResponseError(24, 5, { '/results/0': [51, null] }, {}),
      new ResponseError(24, 5, { '/results/0': [90, null] }, {}),
    ]);

    // Act
    const error = toPlatformaticKBridgeError(chain, context);

    // Assess
    expect(error).toBeInstanceOf(ProducerFencedError);
    expect(error.retriable).toBe(false);
    expect(error.context).toMatchObject({ type: 'PRODUCER_FENCED', code: 90 });
  });

  it('maps a protocol error to KafkaRequestError with its name, number and retriability', () => {
    // Act
    const tooLarge = toPlatformaticKBridgeError(new ResponseError(0, 11, { '/responses/0/partitions/0': [10, 'too big'] }, {}), context);
    const notLeader = toPlatformaticKBridgeError(new MultipleErrors('produce failed 3 times.', [new ProtocolError('NOT_LEADER_OR_FOLLOWER')]), context);

    // Assess
    expect(tooLarge).toBeInstanceOf(KafkaRequestError);
    expect(tooLarge.context).toMatchObject({ type: 'MESSAGE_TOO_LARGE', code: 10 });
    expect(tooLarge.retriable).toBe(false);
    expect(tooLarge.message).toBe('Kafka cluster "target" during send: MESSAGE_TOO_LARGE: too big');
    expect(notLeader.retriable).toBe(true);
    expect(notLeader.context.type).toBe('NOT_LEADER_OR_FOLLOWER');
  });

  it("names a rejected record by the partition's code, not UNKNOWN_SERVER_ERROR, keeping the broker's text (the bridge dead-letters by type)", () => {
    // Prepare: a Produce answer lists the record error (code -1 with the text) before the partition's code.
    const answer = new ResponseError(0, 11, { '/responses/0/partition_responses/0/record_errors/0': [-1, 'Timestamp 1 of message with offset 3 is out of range'], '/responses/0/partition_responses/0': [32, null] }, {});

    // Act
    const error = toPlatformaticKBridgeError(new MultipleErrors('Producing messages failed.', [answer]), context);

    // Assess
    expect(error.context).toMatchObject({ type: 'INVALID_TIMESTAMP', code: 32 });
    expect(error.message).toBe('Kafka cluster "target" during send: INVALID_TIMESTAMP: Timestamp 1 of message with offset 3 is out of range');
  });

  it('maps the library\'s "Unknown topic" to a retriable UNKNOWN_TOPIC_OR_PARTITION', () => {
    const error = toPlatformaticKBridgeError(new MultipleErrors('Producing messages failed.', [new UserError('Unknown topic orders.')]), context);
    expect(error).toBeInstanceOf(KafkaRequestError);
    expect(error.context).toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3 });
    expect(error.retriable).toBe(true);
    expect(error.message).toBe('Kafka cluster "target" during send: UNKNOWN_TOPIC_OR_PARTITION: Unknown topic orders; expected the topic to exist');
  });

  it('maps SASL failures to KafkaAuthError and scrubs secret values from the message', () => {
    // Act
    const error = toPlatformaticKBridgeError(new AuthenticationError('SASL authentication failed for user bridge with password scram-pw'), context, ['scram-pw']);
    const broker = toPlatformaticKBridgeError(new ResponseError(36, 2, { '/': [58, 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512'] }, {}), context);

    // Assess
    expect(error).toBeInstanceOf(KafkaAuthError);
    expect(error.message).not.toContain('scram-pw');
    expect(error.message).toContain('rejected SCRAM-SHA-512 authentication');
    expect(broker).toBeInstanceOf(KafkaAuthError);
    expect(broker.context.type).toBe('SASL_AUTHENTICATION_FAILED');
  });

  it('maps network failures to a retriable KafkaConnectionError, and certificate verification failures to a non-retriable one', () => {
    // Act
    const refused = toPlatformaticKBridgeError(new NetworkError('Connection to 127.0.0.1:1 failed.', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) }), context);
    const selfSigned = toPlatformaticKBridgeError(new NetworkError('Connection to b-1:9094 failed.', { cause: Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }) }), context);

    // Assess
    expect(refused).toBeInstanceOf(KafkaConnectionError);
    expect(refused.retriable).toBe(true);
    expect(refused.message).toContain('ECONNREFUSED');
    expect(selfSigned).toBeInstanceOf(KafkaConnectionError);
    expect(selfSigned.retriable).toBe(false);
    expect(selfSigned.context.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('maps a refused client certificate to KafkaAuthError', () => {
    const error = toPlatformaticKBridgeError(
      new NetworkError('Connection to b-1:9094 failed.', { cause: Object.assign(new Error('tlsv13 alert certificate required'), { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' }) }),
      { ...context, mechanism: 'none' },
    );
    expect(error).toBeInstanceOf(KafkaAuthError);
    expect(error.message).toContain('no client certificate is configured');
  });
});

describe('adapterLogger', () => {
  it('writes at or below the level with secret values scrubbed from message and fields', () => {
    // Prepare
    const lines: unknown[] = [];
    const logger = { error: (m: string, ...e: unknown[]) => lines.push(['error', m, ...e]), warn: (m: string, ...e: unknown[]) => lines.push(['warn', m, ...e]), info: (m: string, ...e: unknown[]) => lines.push(['info', m, ...e]), debug: (m: string, ...e: unknown[]) => lines.push(['debug', m, ...e]) };
    const connection = { info: { cluster: 'target', mechanism: 'PLAIN', bootstrapServers: [], tls: false }, logger, logLevel: 'warn', redact: ['s3cret'] } as unknown as ResolvedConnection;

    // Act
    const log = adapterLogger(connection);
    log.warn('auth with s3cret failed', { detail: 'pw=s3cret' });
    log.info('not written');

    // Assess
    expect(JSON.stringify(lines)).not.toContain('s3cret');
    expect(lines).toEqual([['warn', 'auth with [redacted] failed', { kafka: { cluster: 'target', client: 'platformatic' }, detail: 'pw=[redacted]' }]]);
  });
});

describe('platformaticCrc32cImplementation', () => {
  it('names the native @node-rs/crc32 when it is installed (it is, for this platform)', () => {
    expect(platformaticCrc32cImplementation()).toBe('native @node-rs/crc32');
  });
});

describe('records', () => {
  it("partitions keyed records as the Java client (toPositive(murmur2) % n) and keyless ones round robin", () => {
    // Prepare
    const messages = ['foobar', 'a', 'order-42', ''].map((key) => toLibraryMessage('t', { key, value: 'v' }));
    const keyless = [0, 1, 2, 3].map(() => toLibraryMessage('t', { key: null, value: 'v' }));

    // Act
    assignPartitions([...messages, ...keyless], 3, new Map());

    // Assess
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(messages.map((m) => m.partition)).toEqual(['foobar', 'a', 'order-42', ''].map((k) => javaPartitionForKey(Buffer.from(k), 3)));
    const spread = keyless.map((m) => m.partition as number);
    expect(new Set(spread.slice(0, 3)).size).toBe(3);
  });

  it('keeps repeated and interleaved header keys in order, strings as UTF-8, null values as null', () => {
    // Act
    const message = toLibraryMessage('t', { key: 'k', value: null, headers: [{ key: 'a', value: Buffer.from('1') }, { key: 'b', value: Buffer.from('2') }, { key: 'a', value: Buffer.from('3') }], timestamp: '1700000000000' });

    // Assess
    expect([...(message.headers as Map<Buffer, Buffer>)].map(([k, v]) => `${k}=${v}`)).toEqual(['a=1', 'b=2', 'a=3']);
    expect(message.value).toBeNull();
    expect(message.timestamp).toBe(1700000000000n);
  });

  const record = (offsetDelta: number, value: string) => ({ length: 0, attributes: 0, timestampDelta: BigInt(offsetDelta), offsetDelta, key: null, value: Buffer.from(value), headers: [] as [Buffer, Buffer][] });
  const batch = (firstOffset: bigint, producerId: bigint, attributes: number, values: string[]): RecordsBatch =>
    ({ firstOffset, length: 0, partitionLeaderEpoch: 0, magic: 2, crc: 0, attributes, lastOffsetDelta: values.length - 1, firstTimestamp: 1000n, maxTimestamp: 2000n, producerId, producerEpoch: 0, firstSequence: 0, records: values.map((v, i) => record(i, v)) }) as RecordsBatch;
  const marker = (offset: bigint, producerId: bigint, type: 0 | 1): RecordsBatch => {
    const key = Buffer.alloc(4);
    key.writeInt16BE(type, 2);
    return { ...batch(offset, producerId, 0x30, ['']), records: [{ ...record(0, ''), key }] } as RecordsBatch;
  };

  it('gives exact offsets on both sides of 2^53 and up to the largest Kafka offset, without headers shared or mutable', () => {
    // Prepare: batches that end below, at and above Number.MAX_SAFE_INTEGER, and one at the very end of int64.
    const safe = BigInt(Number.MAX_SAFE_INTEGER);
    const firsts = [safe - 3n, safe - 2n, safe - 1n, 2n ** 63n - 3n];

    // Act
    const decoded = firsts.map((first) => decodePartition('t', 0, [batch(first, -1n, 0, ['x', 'y', 'z'])], [], first, false));

    // Assess
    decoded.forEach((d, i) => {
      const first = firsts[i] as bigint;
      expect(d.records.map((r) => r.offset)).toEqual([first, first + 1n, first + 2n]);
      expect(d.nextOffset).toBe(first + 3n);
    });
    const headers = decoded[0]?.records[0]?.headers as unknown[];
    expect(headers).toEqual([]);
    expect(() => headers.push({})).toThrow(TypeError);
  });

  it('drops aborted batches at read_committed even when the ABORT marker comes in a later fetch, and moves the position over them', () => {
    // Prepare: producer 7 aborted from offset 0; this answer holds its data but not its marker.
    const batches = [batch(0n, 7n, 0x10, ['a0', 'a1']), batch(2n, 8n, 0x10, ['c0']), batch(3n, 7n, 0x10, ['a2'])];

    // Act
    const committed = decodePartition('t', 0, batches, [{ producerId: 7n, firstOffset: 0n }], 0n, true);
    const uncommitted = decodePartition('t', 0, batches, [{ producerId: 7n, firstOffset: 0n }], 0n, false);

    // Assess
    expect(committed.records.map((r) => r.value?.toString())).toEqual(['c0']);
    expect(committed.nextOffset).toBe(4n);
    expect(uncommitted.records.map((r) => r.value?.toString())).toEqual(['a0', 'a1', 'c0', 'a2']);
  });

  it('stops dropping a producer after its ABORT marker, delivers no control record, and skips records before the fetch offset', () => {
    // Prepare: producer 7 aborts (marker at 2), then writes a committed transaction (marker at 4).
    const batches = [batch(0n, 7n, 0x10, ['a0', 'a1']), marker(2n, 7n, 0), batch(3n, 7n, 0x10, ['b0']), marker(4n, 7n, 1), batch(5n, -1n, 0x08, ['n0', 'n1'])];

    // Act
    const decoded = decodePartition('t', 0, batches, [{ producerId: 7n, firstOffset: 0n }], 1n, true);
    const onlyMarkers = decodePartition('t', 0, [marker(4n, 7n, 1)], [], 4n, true);

    // Assess
    expect(decoded.records.map((r) => [r.offset, r.value?.toString(), r.timestampType, r.timestamp])).toEqual([
      [3n, 'b0', 'CREATE_TIME', 1000],
      [5n, 'n0', 'LOG_APPEND_TIME', 2000],
      [6n, 'n1', 'LOG_APPEND_TIME', 2000],
    ]);
    expect(decoded.nextOffset).toBe(7n);
    expect(onlyMarkers).toEqual({ records: [], nextOffset: 5n });
  });
});
