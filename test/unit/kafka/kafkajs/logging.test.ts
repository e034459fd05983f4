import { describe, expect, it } from 'vitest';
import { createKafkaLogCreator, toKafkaLogLevel } from '../../../../src/kafka/kafkajs/logging';
import type { StructuredLogger } from '../../../../src/kafka/logging';

type LogEntry = Parameters<ReturnType<ReturnType<typeof createKafkaLogCreator>>>[0];
type Level = ReturnType<typeof toKafkaLogLevel>;
const logLevel = { ERROR: toKafkaLogLevel('error'), WARN: toKafkaLogLevel('warn') } as const;

function recordingLogger(): StructuredLogger & { lines: { level: string; message: string; extra: Record<string, unknown>[] }[] } {
  const lines: { level: string; message: string; extra: Record<string, unknown>[] }[] = [];
  const at = (level: string) => (message: string, ...extra: Record<string, unknown>[]) => lines.push({ level, message, extra });
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

function entry(level: Level, message: string, extra: Record<string, unknown> = {}): LogEntry {
  return { namespace: 'Connection', level, label: 'ERROR', log: { timestamp: '2025-01-01T00:00:00.000Z', logger: 'kafkajs', message, ...extra } };
}

describe('createKafkaLogCreator', () => {
  it('routes kafkajs entries to the structured logger at the same level, with cluster and namespace', () => {
    // Prepare
    const logger = recordingLogger();
    const log = createKafkaLogCreator(logger, { cluster: 'source' })(logLevel.WARN);

    // Act
    log(entry(logLevel.ERROR, 'Connection error: connect ECONNREFUSED', { broker: '127.0.0.1:1', retryCount: 2 }));
    log(entry(logLevel.WARN, 'slow'));

    // Assess
    expect(logger.lines).toEqual([
      {
        level: 'error',
        message: 'Connection error: connect ECONNREFUSED',
        extra: [{ kafka: { cluster: 'source', namespace: 'Connection', broker: '127.0.0.1:1', retryCount: 2 } }],
      },
      { level: 'warn', message: 'slow', extra: [{ kafka: { cluster: 'source', namespace: 'Connection' } }] },
    ]);
  });

  it('never lets a secret through: known values scrubbed, sensitive keys and stacks dropped', () => {
    // Prepare
    const password = 'Hunter2-Very-Secret';
    const logger = recordingLogger();
    const log = createKafkaLogCreator(logger, { cluster: 'target', redact: [password] })(logLevel.WARN);

    // Act
    log(
      entry(logLevel.ERROR, `auth failed for ${password}`, {
        sasl: { mechanism: 'plain', username: 'u', password },
        nested: { note: `pw=${password}` },
        error: new Error(`boom ${password}`),
        stack: `at ${password}`,
      }),
    );

    // Assess
    const text = JSON.stringify(logger.lines);
    expect(text).not.toContain(password);
    expect(logger.lines[0]?.message).toBe('auth failed for [redacted]');
    expect(logger.lines[0]?.extra[0]).toEqual({
      kafka: { cluster: 'target', namespace: 'Connection', sasl: '[redacted]', nested: { note: 'pw=[redacted]' }, error: 'Error: boom [redacted]' },
    });
  });

  it('logs error responses kafkajs retries itself as WARN, not ERROR', () => {
    // Prepare
    const logger = recordingLogger();
    const log = createKafkaLogCreator(logger, { cluster: 'target' })(logLevel.WARN);

    // Act
    log(entry(logLevel.ERROR, 'Response Metadata(key: 3, version: 6)', { error: 'There is no leader for this topic-partition' }));

    // Assess
    expect(logger.lines.map((l) => l.level)).toEqual(['warn']);
  });

  it("drops kafkajs' one-off partitioner notice", () => {
    // Prepare
    const logger = recordingLogger();
    const log = createKafkaLogCreator(logger, { cluster: 'target' })(logLevel.WARN);

    // Act
    log(entry(logLevel.WARN, 'KafkaJS v2.0.0 switched default partitioner. To retain ...'));

    // Assess
    expect(logger.lines).toEqual([]);
  });
});
