import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main';
import { getDefaultKafkaClient, setDefaultKafkaClient } from '../../../src/kafka';

describe('kbridge --kafka-client', () => {
  const saved = { KAFKA_CLIENT: process.env.KAFKA_CLIENT, KBRIDGE_HOME: process.env.KBRIDGE_HOME };
  let home: string;
  let stderr: string;

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'kbridge-cli-client-'));
    process.env.KBRIDGE_HOME = home;
    stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    setDefaultKafkaClient('kafkajs');
    await rm(home, { recursive: true, force: true });
  });

  it('makes the named adapter the default of the process and of the processes it starts', async () => {
    // Prepare
    delete process.env.KAFKA_CLIENT;

    // Act
    const code = await main(['node', 'kbridge', '--kafka-client', 'platformatic', 'local', 'status', '--json']);

    // Assess
    expect(code, stderr).toBe(0);
    expect(getDefaultKafkaClient()).toBe('platformatic');
    expect(process.env.KAFKA_CLIENT).toBe('platformatic');
  });

  it('falls back to KAFKA_CLIENT when the option is not given', async () => {
    // Prepare
    process.env.KAFKA_CLIENT = 'platformatic';
    setDefaultKafkaClient('kafkajs');

    // Act
    const code = await main(['node', 'kbridge', 'local', 'status', '--json']);

    // Assess
    expect(code, stderr).toBe(0);
    expect(getDefaultKafkaClient()).toBe('platformatic');
  });

  it('refuses an unknown client with exit code 2, naming the option and the accepted values', async () => {
    // Act
    const code = await main(['node', 'kbridge', '--kafka-client', 'rdkafka', 'local', 'status']);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toMatch(/ConfigError: --kafka-client is "rdkafka"; expected one of kafkajs, platformatic/);
  });

  it('refuses an unknown KAFKA_CLIENT with exit code 2, naming the variable', async () => {
    // Prepare
    process.env.KAFKA_CLIENT = 'librdkafka';

    // Act
    const code = await main(['node', 'kbridge', 'local', 'status']);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toMatch(/KAFKA_CLIENT is "librdkafka"; expected one of kafkajs, platformatic/);
  });
});
