import { logLevel as KafkaLogLevel, type logCreator, type LogEntry } from 'kafkajs';
import { createLogScrubber, type KafkaLogLevelName, type StructuredLogger } from '../logging';

const LEVELS: Record<KafkaLogLevelName, KafkaLogLevel> = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
};

/** kafkajs numeric level for a level name. */
export function toKafkaLogLevel(name: KafkaLogLevelName): KafkaLogLevel {
  return LEVELS[name];
}

/**
 * A kafkajs `logCreator` that routes kafkajs logs into `logger`, keeping only structure we choose:
 * no stacks, sensitive keys dropped, and every occurrence of a known secret value (`redact`, e.g. the
 * SASL password) replaced, so a secret can reach no log line even if kafkajs put it in a message.
 * kafkajs' one-off "switched default partitioner" notice is dropped: it is advice for upgraders, not a fault.
 *
 * @example
 * ```ts
 * new Kafka({ brokers, logLevel: logLevel.WARN, logCreator: createKafkaLogCreator(logger, { cluster: 'target' }) });
 * ```
 */
export function createKafkaLogCreator(logger: StructuredLogger, { cluster, redact = [] }: { cluster: string; redact?: string[] }): logCreator {
  const scrub = createLogScrubber(redact);
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...extra } = log;
      if (typeof message === 'string' && message.startsWith('KafkaJS v2.0.0 switched default partitioner')) return;
      const fields = { kafka: { cluster, namespace, ...(scrub(extra) as Record<string, unknown>) } };
      const text = scrub(String(message)) as string;
      // kafkajs' Connection logs every error response at ERROR, though it retries the retriable ones and
      // throws what finally fails; as WARN they stay visible without paging anyone on a leader move.
      const benign = namespace === 'Connection' && text.startsWith('Response ');
      if (level === KafkaLogLevel.ERROR && !benign) logger.error(text, fields);
      else if (level === KafkaLogLevel.ERROR || level === KafkaLogLevel.WARN) logger.warn(text, fields);
      else if (level === KafkaLogLevel.INFO) logger.info(text, fields);
      else logger.debug(text, fields);
    };
}
