import { crc32c, type BaseOptions, type SASLOptions } from '@platformatic/kafka';
import type { ResolvedConnection } from '../connection';
import type { StructuredLogger } from '../logging';
import { hasProtocolError } from './errors';

/**
 * Delay before retrying after CONCURRENT_TRANSACTIONS. The broker answers it to AddPartitionsToTxn (and
 * InitProducerId) while the previous transaction's markers are still being written: a few milliseconds. The
 * library's default 1 s delay took a one-producer-per-partition transactional writer from ~50k to 3.4k records/s.
 * After the first few attempts the delay doubles up to {@link CONCURRENT_TRANSACTIONS_MAX_DELAY_MS}: Kafka 4.1
 * answers it for most of a second to a fenced instance (whose epoch another instance bumped) before
 * PRODUCER_FENCED, and a flat 20 ms spent the retries before the fencing could be reported as such.
 */
export const CONCURRENT_TRANSACTIONS_RETRY_DELAY_MS = 20;
const CONCURRENT_TRANSACTIONS_FAST_ATTEMPTS = 4;
const CONCURRENT_TRANSACTIONS_MAX_DELAY_MS = 500;
/** Backoff for every other retriable error: 100 ms, doubling, at most 1 s (the library's flat default is 1 s). */
const BASE_RETRY_DELAY_MS = 100;
const MAX_RETRY_DELAY_MS = 1_000;
/** Client-level retries when the connection does not say (kafkajs' default is 5; ours back off from 100 ms). */
export const DEFAULT_RETRIES = 8;

/**
 * The library's `retryDelay` hook: 20 ms after CONCURRENT_TRANSACTIONS (doubling after the fourth attempt, at most
 * 500 ms), exponential backoff otherwise.
 *
 * @example
 * ```ts
 * new Producer({ ...options, retryDelay: retryDelayFor });
 * ```
 */
export function retryDelayFor(_client: unknown, _operationId: string, attempt: number, _retries: number, error: Error): number {
  if (hasProtocolError(error, 'CONCURRENT_TRANSACTIONS')) {
    const slow = Math.max(0, attempt - CONCURRENT_TRANSACTIONS_FAST_ATTEMPTS);
    return Math.min(CONCURRENT_TRANSACTIONS_RETRY_DELAY_MS * 2 ** slow, CONCURRENT_TRANSACTIONS_MAX_DELAY_MS);
  }
  return Math.min(BASE_RETRY_DELAY_MS * 2 ** Math.max(0, attempt - 1), MAX_RETRY_DELAY_MS);
}

const SASL_MECHANISMS = { 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512', plain: 'PLAIN' } as const;

/**
 * The library's client options for a resolved connection: bootstrap list, client id, TLS (Node's trust store
 * for `true`, else the CA / client certificate given), SASL (SCRAM-SHA-256/512, PLAIN, or OAUTHBEARER with a
 * token asked of the provider at every authentication: MSK IAM), timeouts, retries and the retry delay.
 *
 * @example
 * ```ts
 * const admin = new Admin(platformaticBaseOptions(connection));
 * ```
 */
export function platformaticBaseOptions(connection: ResolvedConnection): BaseOptions {
  const options: BaseOptions = {
    clientId: connection.clientId,
    bootstrapBrokers: [...connection.bootstrapServers],
    retries: connection.retries ?? DEFAULT_RETRIES,
    retryDelay: retryDelayFor,
    // Topics are created on purpose only (kafkajs' allowAutoTopicCreation: false in our clients).
    autocreateTopics: false,
  };
  if (connection.connectionTimeoutMs !== undefined) options.connectTimeout = connection.connectionTimeoutMs;
  if (connection.requestTimeoutMs !== undefined) {
    options.timeout = connection.requestTimeoutMs;
    options.requestTimeout = connection.requestTimeoutMs;
  }
  if (connection.tls !== undefined) options.tls = connection.tls === true ? {} : { ...connection.tls };
  const sasl = connection.sasl;
  if (sasl !== undefined) {
    if (sasl.mechanism === 'oauthbearer') {
      const provider = sasl.token;
      options.sasl = { mechanism: 'OAUTHBEARER', token: async () => (await provider()).value } satisfies SASLOptions;
    } else {
      options.sasl = { mechanism: SASL_MECHANISMS[sasl.mechanism], username: sasl.username, password: sasl.password } satisfies SASLOptions;
    }
  }
  return options;
}

export type Crc32cImplementation = 'native @node-rs/crc32' | 'wasm' | 'js';

/**
 * Which CRC32C the library computes record-batch checksums with. It loads `@node-rs/crc32` (native) when it
 * can be required next to the package, and otherwise falls back to its WebAssembly build (`native.wasm` of
 * `@platformatic/wasm-utils`); the pure-JS table version is exported but never the default.
 *
 * @example
 * ```ts
 * platformaticCrc32cImplementation(); // 'native @node-rs/crc32'
 * ```
 */
export function platformaticCrc32cImplementation(): Crc32cImplementation {
  const name = (crc32c as { name?: string }).name ?? '';
  if (name === 'nativeCRC32C') return 'native @node-rs/crc32';
  if (name === 'jsCRC32C') return 'js';
  return 'wasm';
}

let crcLogged = false;

/**
 * Log once per process which CRC32C implementation is active: one INFO line at a function's cold start (the
 * functions' Kafka log level is `warn`; the logger's own LOG_LEVEL then decides). A connection at `error` or
 * `nothing` (the CLI's one-shot commands) does not print it; a fallback (WASM or JavaScript, slower) is a WARN
 * at any level but `nothing`.
 */
export function logCrc32cImplementationOnce(connection: Pick<ResolvedConnection, 'logger' | 'logLevel'>): void {
  if (crcLogged) return;
  const implementation = platformaticCrc32cImplementation();
  const fallback = !implementation.startsWith('native');
  const rank = LEVEL_RANK[connection.logLevel];
  if (rank < (fallback ? LEVEL_RANK.error : LEVEL_RANK.warn)) return;
  crcLogged = true;
  const line = `@platformatic/kafka CRC32C: ${implementation}`;
  const fields = { kafka: { client: 'platformatic', crc32c: implementation } };
  if (fallback) connection.logger.warn(`${line} (no native @node-rs/crc32 for this platform: every produce pays for it)`, fields);
  else connection.logger.info(line, fields);
}

const LEVEL_RANK = { nothing: 0, error: 1, warn: 2, info: 3, debug: 4 } as const;

/**
 * A logger that writes at or below `connection.logLevel` with every known secret value replaced. The adapter
 * logs through it; the library itself only logs through the `debug` package and diagnostics channels.
 */
export function adapterLogger(connection: ResolvedConnection): StructuredLogger {
  const rank = LEVEL_RANK[connection.logLevel];
  const secrets = connection.redact.filter((s) => s.length >= 3);
  const scrub = (text: string): string => secrets.reduce((t, s) => t.split(s).join('[redacted]'), text);
  const fields = (extra: Record<string, unknown>[]): Record<string, unknown> => {
    const merged = Object.assign({}, ...extra) as Record<string, unknown>;
    return JSON.parse(scrub(JSON.stringify({ kafka: { cluster: connection.info.cluster, client: 'platformatic' }, ...merged }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))) as Record<string, unknown>;
  };
  const at = (level: keyof typeof LEVEL_RANK & keyof StructuredLogger, min: number) => (message: string, ...extra: Record<string, unknown>[]) => {
    if (rank >= min) connection.logger[level](scrub(message), fields(extra));
  };
  return { error: at('error', 1), warn: at('warn', 2), info: at('info', 3), debug: at('debug', 4) };
}

/**
 * Route the library's connection events to the adapter's logger: a broker that cannot be reached at WARN (the
 * request retries or fails with a mapped error), connects and disconnects at DEBUG.
 *
 * @example
 * ```ts
 * observeConnections(producer, log);
 * ```
 */
export function observeConnections(client: { on(event: string, listener: (payload: { broker?: { host: string; port: number } }) => void): unknown }, log: StructuredLogger): void {
  const where = (payload: { broker?: { host: string; port: number } }): string => (payload.broker ? `${payload.broker.host}:${payload.broker.port}` : 'a broker');
  client.on('client:broker:failed', (payload) => log.warn(`cannot connect to ${where(payload)}`, { kafka: { broker: where(payload) } }));
  client.on('client:broker:connect', (payload) => log.debug(`connected to ${where(payload)}`));
  client.on('client:broker:disconnect', (payload) => log.debug(`disconnected from ${where(payload)}`));
}
