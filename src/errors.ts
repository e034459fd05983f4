/**
 * The one error taxonomy of kafka-msk-bridge.
 *
 * Error `name`s are an API: Step Functions `Retry`/`Catch` blocks match on them (`ErrorEquals`), the CLI
 * maps them to exit codes, and `test/unit/errors.test.ts` lists them so a rename is a visible change.
 * Context goes into fields (topic, partition, offset, cluster, field), not only into the message.
 * Messages never contain secret values: callers pass the secret's *name/ARN*, never its content.
 *
 * @example
 * ```ts
 * throw new ConfigError('TARGET_BOOTSTRAP_SERVERS is missing; expected "host:port[,host:port...]"', {
 *   field: 'TARGET_BOOTSTRAP_SERVERS',
 * });
 * ```
 */

/** Fields that locate an error in Kafka or in configuration. All optional. */
export interface ErrorContext {
  /** Configuration field or environment variable that was wrong. */
  field?: string;
  /** Which cluster: `source`, `target`, or a bootstrap string. */
  cluster?: string;
  topic?: string;
  partition?: number;
  /** Offset as a decimal string (offsets are never `number`). */
  offset?: string;
  /** Consumer group id. */
  group?: string;
  /** Anything else worth a field; never a secret value. */
  [key: string]: unknown;
}

export interface KBridgeErrorOptions extends ErrorContext {
  cause?: unknown;
  retriable?: boolean;
}

/**
 * Base of every error this project throws on purpose.
 * `retriable` says whether the same call may succeed if tried again (a broker restart, a throttle);
 * programmer errors and bad input are never retriable.
 */
export class KBridgeError extends Error {
  public readonly retriable: boolean;
  public readonly context: ErrorContext;

  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    const { cause, retriable, ...context } = options;
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'KBridgeError';
    this.retriable = retriable ?? false;
    this.context = context;
  }

  /** A JSON-safe view for logs, reports and Step Functions error causes. */
  public toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      retriable: this.retriable,
      ...this.context,
      ...(this.cause instanceof Error ? { cause: `${this.cause.name}: ${this.cause.message}` } : {}),
    };
  }
}

/** Configuration (environment, config file, CLI flag) is missing, malformed or has an unknown key. */
export class ConfigError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, { ...options, retriable: false });
    this.name = 'ConfigError';
  }
}

/** A secret is missing, unreadable, or not of the expected shape. The message names the secret, never its value. */
export class SecretError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, { retriable: false, ...options });
    this.name = 'SecretError';
  }
}

/** A Lambda Kafka event (or one of its records) is malformed. Names the record and the field. */
export class EventDecodeError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, { ...options, retriable: false });
    this.name = 'EventDecodeError';
  }
}

/** Could not reach a Kafka cluster (network, broker down, timeout). Usually retriable. */
export class KafkaConnectionError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, { retriable: true, ...options });
    this.name = 'KafkaConnectionError';
  }
}

/** The cluster rejected our credentials (SASL/mTLS). Not retriable: fix the secret. */
export class KafkaAuthError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, { ...options, retriable: false });
    this.name = 'KafkaAuthError';
  }
}

/** A Kafka request failed for another reason; `retriable` follows the broker's error code. */
export class KafkaRequestError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, options);
    this.name = 'KafkaRequestError';
  }
}

/** A topic is missing, or the target topic's shape (partition count) differs from the source. */
export class TopicMismatchError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, { ...options, retriable: false });
    this.name = 'TopicMismatchError';
  }
}

/** Another bridge instance took over this transactional id (zombie fencing). The batch must not be retried here. */
export class ProducerFencedError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, { ...options, retriable: false });
    this.name = 'ProducerFencedError';
  }
}

/** A transaction could not be committed; the whole batch is retried by the trigger. */
export class TransactionError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, { retriable: true, ...options });
    this.name = 'TransactionError';
  }
}

/** A source offset cannot be translated exactly (no offset-map entry covers it, or repartitioning is on). */
export class OffsetTranslationError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, { ...options, retriable: false });
    this.name = 'OffsetTranslationError';
  }
}

/** Source and target disagree (missing, extra, reordered or altered records). */
export class VerificationError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, { ...options, retriable: false });
    this.name = 'VerificationError';
  }
}

/** A consumer group that must be empty (e.g. before seeding offsets) has active members. */
export class GroupNotEmptyError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, { retriable: true, ...options });
    this.name = 'GroupNotEmptyError';
  }
}

/** A wait (drain, disable, catch-up) did not reach its condition yet. Step Functions retries on it. */
export class NotReadyError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, { retriable: true, ...options });
    this.name = 'NotReadyError';
  }
}

/** A wait gave up after its timeout. */
export class WaitTimeoutError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, { ...options, retriable: false });
    this.name = 'WaitTimeoutError';
  }
}

/** A preflight check of the cutover failed; nothing was changed. */
export class PreflightError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, { ...options, retriable: false });
    this.name = 'PreflightError';
  }
}

/** A handler module (emulator, `invoke local`) cannot be loaded or does not export the named function. */
export class HandlerLoadError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, { ...options, retriable: false });
    this.name = 'HandlerLoadError';
  }
}

/** A record cannot be delivered to a sink and was (or must be) dead-lettered. */
export class DeliveryError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}

/** A call to an AWS service failed; `retriable` follows the SDK's classification. */
export class AwsServiceError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, options);
    this.name = 'AwsServiceError';
  }
}

/** A local component (broker, moto, Java, Maven) is missing or did not start. */
export class LocalEnvironmentError extends KBridgeError {
  public constructor(message: string, options: KBridgeErrorOptions = {}) {
    super(message, { ...options, retriable: false });
    this.name = 'LocalEnvironmentError';
  }
}

/**
 * Every error name this project throws, as `as const` so Step Functions definitions and tests can
 * refer to them. Keep in sync with the classes above (a unit test checks).
 */
export const ErrorNames = {
  KBridgeError: 'KBridgeError',
  ConfigError: 'ConfigError',
  SecretError: 'SecretError',
  EventDecodeError: 'EventDecodeError',
  KafkaConnectionError: 'KafkaConnectionError',
  KafkaAuthError: 'KafkaAuthError',
  KafkaRequestError: 'KafkaRequestError',
  TopicMismatchError: 'TopicMismatchError',
  ProducerFencedError: 'ProducerFencedError',
  TransactionError: 'TransactionError',
  OffsetTranslationError: 'OffsetTranslationError',
  VerificationError: 'VerificationError',
  GroupNotEmptyError: 'GroupNotEmptyError',
  NotReadyError: 'NotReadyError',
  WaitTimeoutError: 'WaitTimeoutError',
  PreflightError: 'PreflightError',
  HandlerLoadError: 'HandlerLoadError',
  DeliveryError: 'DeliveryError',
  AwsServiceError: 'AwsServiceError',
  LocalEnvironmentError: 'LocalEnvironmentError',
} as const;

export type ErrorName = (typeof ErrorNames)[keyof typeof ErrorNames];

/** True when `err` is one of ours and says a retry may help. Programmer errors (TypeError…) never are. */
export function isRetriable(err: unknown): boolean {
  return err instanceof KBridgeError && err.retriable;
}

/** A one-line description of any thrown value, safe for logs (no stack, no secrets added). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
