import { KafkaAuthError, KafkaConnectionError, KafkaRequestError, KBridgeError, ProducerFencedError, describeError } from '../../errors';
import { CLIENT_CERT_REJECTED, CLIENT_CERT_REJECTED_TEXT, TLS_PERMANENT_CODES, type KafkaErrorContext } from '../errors';

/** The fields @platformatic/kafka puts on its errors (GenericError, ProtocolError, MultipleErrors, ResponseError). */
interface PlatformaticErrorLike {
  name: string;
  message: string;
  /** `PLT_KFK_NETWORK`, `PLT_KFK_PROTOCOL`, … for the library's errors; a Node code (`ECONNREFUSED`) for socket ones. */
  code?: string;
  /** Protocol error name, e.g. `NOT_LEADER_OR_FOLLOWER`. */
  apiId?: string;
  /** Protocol error number. */
  apiCode?: number;
  canRetry?: boolean;
  serverErrorMessage?: string | null;
  errors?: unknown[];
  cause?: unknown;
}

/** Protocol errors that mean another instance with the same transactional id took over. */
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTION_COORDINATOR_FENCED']);
const AUTH_PROTOCOL = new Set(['SASL_AUTHENTICATION_FAILED', 'UNSUPPORTED_SASL_MECHANISM', 'ILLEGAL_SASL_STATE', 'TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);
/** Every error in the chain (causes, aggregated errors), breadth first, each once. */
function chainOf(err: unknown): PlatformaticErrorLike[] {
  const out: PlatformaticErrorLike[] = [];
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 30) {
    const next = queue.shift();
    if (!(next instanceof Error) || seen.has(next)) continue;
    seen.add(next);
    const e = next as unknown as PlatformaticErrorLike;
    out.push(e);
    queue.push(e.cause, ...(Array.isArray(e.errors) ? e.errors : []));
  }
  return out;
}

function where(context: KafkaErrorContext): string {
  return `Kafka cluster "${context.cluster}"${context.operation ? ` during ${context.operation}` : ''}`;
}

/** True when `err` came from @platformatic/kafka (a `PLT_KFK_*` code), so mapping it is ours to do. */
export function isPlatformaticError(err: unknown): boolean {
  return err instanceof Error && typeof (err as PlatformaticErrorLike).code === 'string' && ((err as PlatformaticErrorLike).code as string).startsWith('PLT_KFK_');
}

/**
 * The most telling protocol error in the chain: a named one before UNKNOWN_SERVER_ERROR (a Produce answer lists a
 * rejected record as UNKNOWN_SERVER_ERROR with the broker's text, then the partition's code, e.g. INVALID_TIMESTAMP),
 * with the broker's text from either.
 */
function bestProtocolError(chain: readonly PlatformaticErrorLike[]): PlatformaticErrorLike | undefined {
  const protocol = chain.filter((e) => typeof e.apiId === 'string');
  const named = protocol.find((e) => e.apiId !== 'UNKNOWN_SERVER_ERROR') ?? protocol[0];
  if (named === undefined) return undefined;
  const text = named.serverErrorMessage || protocol.find((e) => e.serverErrorMessage)?.serverErrorMessage;
  return text && !named.serverErrorMessage ? { ...named, name: named.name, message: named.message, serverErrorMessage: text } : named;
}

/** The most telling protocol error (broker error code) in the chain, if any. */
export function protocolErrorOf(err: unknown): { type: string; code: number; retriable: boolean; message: string } | undefined {
  const found = bestProtocolError(chainOf(err));
  if (found === undefined) return undefined;
  return { type: found.apiId as string, code: found.apiCode ?? -1, retriable: found.canRetry === true, message: found.serverErrorMessage || found.message };
}

/** True when a protocol error named `type` is anywhere in the chain. */
export function hasProtocolError(err: unknown, type: string): boolean {
  return chainOf(err).some((e) => e.apiId === type);
}

/**
 * Map any error @platformatic/kafka throws into the project's taxonomy:
 * - a fenced transactional producer (INVALID_PRODUCER_EPOCH, PRODUCER_FENCED) → {@link ProducerFencedError};
 * - SASL failures, authorization failures and a refused client certificate → {@link KafkaAuthError};
 * - network errors, timeouts and TLS failures → {@link KafkaConnectionError} (retriable unless the certificate
 *   cannot be verified);
 * - any other broker error → {@link KafkaRequestError} with its protocol name in `type`, its number in `code`
 *   and `retriable` from the protocol;
 * - anything else → a non-retriable {@link KafkaRequestError} with `cause`.
 *
 * Our own errors pass through unchanged. Messages name the cluster and the operation; the library never puts
 * credentials in its messages, and the adapter scrubs the known secret values (`redact`) all the same.
 *
 * @example
 * ```ts
 * try { await producer.send(...) } catch (err) { throw toPlatformaticKBridgeError(err, { cluster: 'target', mechanism: 'none', operation: 'send' }); }
 * ```
 */
export function toPlatformaticKBridgeError(err: unknown, context: KafkaErrorContext, redact: readonly string[] = []): KBridgeError {
  if (err instanceof KBridgeError) return err;
  const { mechanism, operation, ...fields } = context;
  const base = { ...fields, ...(mechanism ? { mechanism } : {}), ...(operation ? { operation } : {}), cause: err };
  const scrub = (text: string): string => redact.filter((s) => s.length >= 3).reduce((t, s) => t.split(s).join('[redacted]'), text);
  const chain = chainOf(err);
  const protocol = bestProtocolError(chain);
  // Fencing anywhere in the chain is the outcome: the library's retries gather every answer, and Kafka 4.x answers
  // CONCURRENT_TRANSACTIONS to a fenced instance while the new one's commit markers are written, PRODUCER_FENCED
  // after. Read as the first (retriable) answer, the bridge would retry with a fresh producer and fence the new one.
  const fenced = chain.find((e) => e.apiId !== undefined && FENCED.has(e.apiId));
  if (fenced) {
    return new ProducerFencedError(
      `${where(context)}: the transactional producer was fenced (${fenced.apiId}): another instance with the same transactional id took over; this instance must stop and not retry the batch`,
      { ...base, type: 'PRODUCER_FENCED', code: fenced.apiCode, brokerError: fenced.apiId },
    );
  }
  const auth = chain.find((e) => e.code === 'PLT_KFK_AUTHENTICATION' || (e.apiId !== undefined && AUTH_PROTOCOL.has(e.apiId)));
  if (auth) {
    const detail = scrub(auth.serverErrorMessage || auth.message).replace(/\.+$/, '');
    return new KafkaAuthError(
      `${where(context)} rejected ${mechanism ?? 'SASL'} authentication: ${detail}. Check the credentials (the secret, or the password variable for the CLI) and the mechanism the listener expects`,
      { ...base, ...(auth.apiId ? { type: auth.apiId, code: auth.apiCode } : {}) },
    );
  }
  const socketCode = chain.map((e) => e.code).find((c): c is string => typeof c === 'string' && !c.startsWith('PLT_KFK_'));
  const socketText = chain.map((e) => e.message).join(' | ');
  if ((socketCode !== undefined && CLIENT_CERT_REJECTED.test(socketCode)) || CLIENT_CERT_REJECTED_TEXT.test(socketText)) {
    return new KafkaAuthError(
      `${where(context)} rejected the TLS client${mechanism === 'none' ? ' (no client certificate is configured)' : ' certificate'}: ${scrub(chain[chain.length - 1]?.message ?? '')}. Check that the certificate in the secret is signed by a CA the broker trusts and that the listener expects it`,
      { ...base, ...(socketCode ? { code: socketCode } : {}) },
    );
  }
  const network = chain.find((e) => e.code === 'PLT_KFK_NETWORK' || e.code === 'PLT_KFK_TIMEOUT');
  if (network && protocol === undefined) {
    const detail = scrub([network.message, ...chain.filter((e) => e !== network && !e.code?.startsWith('PLT_KFK_')).map((e) => e.message)].join(': '));
    const tlsPermanent = socketCode !== undefined && TLS_PERMANENT_CODES.has(socketCode);
    return new KafkaConnectionError(`${where(context)} is unreachable: ${detail}`, { ...base, ...(socketCode ? { code: socketCode } : {}), retriable: !tlsPermanent });
  }
  if (protocol) {
    const type = protocol.apiId as string;
    return new KafkaRequestError(`${where(context)}: ${type}: ${scrub(protocol.serverErrorMessage || protocol.message)}`, {
      ...base,
      type,
      code: protocol.apiCode,
      retriable: protocol.canRetry === true,
    });
  }
  // The library turns a metadata answer UNKNOWN_TOPIC_OR_PARTITION into a UserError "Unknown topic <name>.".
  const unknownTopic = chain.find((e) => e.code === 'PLT_KFK_USER' && /^Unknown topic /.test(e.message));
  if (unknownTopic) {
    return new KafkaRequestError(`${where(context)}: UNKNOWN_TOPIC_OR_PARTITION: ${scrub(unknownTopic.message.replace(/\.$/, ''))}; expected the topic to exist`, {
      ...base,
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
      code: 3,
      retriable: true,
    });
  }
  if (isPlatformaticError(err)) {
    const last = chain[chain.length - 1] ?? (err as PlatformaticErrorLike);
    const detail = chain.length > 1 ? `${(err as Error).message} (${last.message})` : (err as Error).message;
    return new KafkaRequestError(`${where(context)}: ${scrub(detail)}`, { ...base, retriable: false });
  }
  return new KafkaRequestError(`${where(context)}: ${scrub(describeError(err))}`, { ...base, retriable: false });
}
