import { describe, expect, it } from 'vitest';
import * as errors from '../../src/errors';

describe('error taxonomy', () => {
  it('lists every error name (names are an API: Step Functions Retry/Catch match on them)', () => {
    // Prepare
    const classes = Object.entries(errors).filter(
      ([, v]) => typeof v === 'function' && (v === errors.KBridgeError || v.prototype instanceof errors.KBridgeError),
    );

    // Act
    const names = classes.map(([exportName, Cls]) => {
      const instance = new (Cls as typeof errors.KBridgeError)('x');
      expect(instance.name).toBe(exportName);
      return instance.name;
    });

    // Assess
    expect(names.sort()).toEqual(Object.values(errors.ErrorNames).sort());
    expect(Object.values(errors.ErrorNames).sort()).toMatchInlineSnapshot(`
      [
        "AwsServiceError",
        "ConfigError",
        "DeliveryError",
        "EventDecodeError",
        "GroupNotEmptyError",
        "HandlerLoadError",
        "KBridgeError",
        "KafkaAuthError",
        "KafkaConnectionError",
        "KafkaRequestError",
        "LocalEnvironmentError",
        "NotReadyError",
        "OffsetTranslationError",
        "PreflightError",
        "ProducerFencedError",
        "SecretError",
        "TopicMismatchError",
        "TransactionError",
        "VerificationError",
        "WaitTimeoutError",
      ]
    `);
  });

  it('keeps context in fields and the cause attached', () => {
    const cause = new Error('socket hang up');
    const err = new errors.KafkaConnectionError('cannot reach target', { cluster: 'target', cause });

    expect(err.retriable).toBe(true);
    expect(err.context.cluster).toBe('target');
    expect(err.cause).toBe(cause);
    expect(err.toJSON()).toMatchObject({ name: 'KafkaConnectionError', cluster: 'target', cause: 'Error: socket hang up' });
  });

  it('never marks programmer errors as retriable', () => {
    expect(errors.isRetriable(new TypeError('x'))).toBe(false);
    expect(errors.isRetriable(new errors.ConfigError('x', { retriable: true }))).toBe(false);
  });
});
