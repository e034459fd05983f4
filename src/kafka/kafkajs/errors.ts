import { KafkaAuthError, KafkaConnectionError, KafkaRequestError, KBridgeError, ProducerFencedError, describeError } from '../../errors';
import {
  AUTH_PROTOCOL_TYPES,
  CLIENT_CERT_REJECTED,
  CLIENT_CERT_REJECTED_TEXT,
  FENCED_CODES,
  FENCED_TYPES,
  TLS_PERMANENT_CODES,
  kafkaErrorWhere as where,
  type KafkaErrorContext,
} from '../errors';

interface KafkaJsLikeError {
  name: string;
  message: string;
  retriable?: boolean;
  type?: string;
  code?: number | string;
  broker?: string;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown[];
}

const CONNECTION_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSBrokerNotFound',
]);

function isKafkaJsLike(err: unknown): err is KafkaJsLikeError {
  // By name, not instanceof: a bundle may hold more than one copy of kafkajs.
  return err instanceof Error && err.name.startsWith('KafkaJS');
}

/** The error chain kafkajs builds: retries-exceeded → cause → … ; aggregate errors fan out. */
function chainOf(err: unknown): KafkaJsLikeError[] {
  const out: KafkaJsLikeError[] = [];
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 20) {
    const next = queue.shift();
    if (!(next instanceof Error) || seen.has(next)) continue;
    seen.add(next);
    out.push(next as unknown as KafkaJsLikeError);
    const e = next as unknown as KafkaJsLikeError;
    queue.push(e.cause, e.originalError, ...(Array.isArray(e.errors) ? e.errors : []));
  }
  return out;
}

/**
 * Map any error thrown by kafkajs into the project's taxonomy:
 * - SASL authentication failure → {@link KafkaAuthError} (names the cluster and mechanism; kafkajs never puts
 *   the password in its messages and neither do we);
 * - refused/closed connections, TLS failures and request timeouts → {@link KafkaConnectionError}
 *   (retriable, except certificate verification failures);
 * - a fenced transactional producer (INVALID_PRODUCER_EPOCH, PRODUCER_FENCED) → {@link ProducerFencedError}
 *   (context.type `PRODUCER_FENCED`);
 * - other protocol errors → {@link KafkaRequestError} with `retriable` taken from kafkajs (and `type`/`code` kept).
 *
 * Our own errors pass through unchanged; anything else becomes a non-retriable KafkaRequestError with `cause`.
 *
 * @example
 * ```ts
 * try { await admin.connect(); } catch (err) { throw toKafkajsKBridgeError(err, { cluster: 'target', mechanism: 'SCRAM-SHA-512' }); }
 * ```
 */
export function toKafkajsKBridgeError(err: unknown, context: KafkaErrorContext): KBridgeError {
  if (err instanceof KBridgeError) return err;
  const { mechanism, operation, ...fields } = context;
  const base = { ...fields, ...(mechanism ? { mechanism } : {}), ...(operation ? { operation } : {}), cause: err };
  const chain = chainOf(err);

  const auth = chain.find((e) => e.name === 'KafkaJSSASLAuthenticationError' || (e.type !== undefined && AUTH_PROTOCOL_TYPES.has(e.type)));
  if (auth) {
    return new KafkaAuthError(
      `${where(context)} rejected ${mechanism ?? 'SASL'} authentication: ${auth.message}. Check the credentials (the secret, or the password variable for the CLI) and the mechanism the listener expects`,
      base,
    );
  }

  const connection = chain.find((e) => CONNECTION_NAMES.has(e.name));
  if (connection) {
    const code = typeof connection.code === 'string' ? connection.code : undefined;
    const message = connection.message.trim();
    if ((code !== undefined && CLIENT_CERT_REJECTED.test(code)) || CLIENT_CERT_REJECTED_TEXT.test(message)) {
      return new KafkaAuthError(
        `${where(context)} rejected the TLS client${mechanism === 'none' ? ' (no client certificate is configured)' : ' certificate'}: ${message}. Check that the certificate in the secret is signed by a CA the broker trusts and that the listener expects it`,
        { ...base, ...(code ? { code } : {}) },
      );
    }
    const tlsPermanent = code !== undefined && TLS_PERMANENT_CODES.has(code);
    const brokers = chain.map((e) => e.broker).filter((b): b is string => typeof b === 'string');
    const broker = brokers[0];
    return new KafkaConnectionError(`${where(context)} is unreachable${broker ? ` (broker ${broker})` : ''}: ${message}`, {
      ...base,
      ...(broker ? { broker } : {}),
      ...(code ? { code } : {}),
      retriable: !tlsPermanent,
    });
  }

  const fenced = chain.find((e) => (e.type !== undefined && FENCED_TYPES.has(e.type)) || (typeof e.code === 'number' && FENCED_CODES.has(e.code)));
  if (fenced) {
    return new ProducerFencedError(
      `${where(context)}: the transactional producer was fenced (${fenced.type ?? fenced.code}): another instance with the same transactional id took over; this transaction was not committed here`,
      { ...base, type: 'PRODUCER_FENCED', ...(fenced.code !== undefined ? { code: fenced.code } : {}) },
    );
  }

  if (isKafkaJsLike(err)) {
    const protocol = chain.find((e) => e.type !== undefined) ?? chain[chain.length - 1] ?? err;
    const retriable = protocol.retriable ?? err.retriable ?? false;
    return new KafkaRequestError(`${where(context)}: ${protocol.type ? `${protocol.type}: ` : ''}${protocol.message}`, {
      ...base,
      retriable,
      ...(protocol.type ? { type: protocol.type } : {}),
      ...(protocol.code !== undefined ? { code: protocol.code } : {}),
    });
  }

  return new KafkaRequestError(`${where(context)}: ${describeError(err)}`, { ...base, retriable: false });
}

/** True when `err` came from kafkajs (so mapping it is ours to do); programmer errors are left alone. */
export function isKafkajsError(err: unknown): boolean {
  return isKafkaJsLike(err);
}
