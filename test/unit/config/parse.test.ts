import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BootstrapServersSchema, parseConfig, parseJsonVariable } from '../../../src/config/parse';
import { ConfigError } from '../../../src/errors';

const Schema = z.object({ TARGET_BOOTSTRAP_SERVERS: BootstrapServersSchema, BATCH: z.coerce.number().int().optional() }).strict();

describe('parseConfig', () => {
  it('returns typed values', () => {
    const cfg = parseConfig(Schema, { TARGET_BOOTSTRAP_SERVERS: 'a:9092, b:9092' }, 'environment');
    expect(cfg.TARGET_BOOTSTRAP_SERVERS).toEqual(['a:9092', 'b:9092']);
  });

  it('names a missing variable and what was expected', () => {
    expect(() => parseConfig(Schema, {}, 'environment')).toThrowError(
      /TARGET_BOOTSTRAP_SERVERS is missing \(expected string\)/,
    );
  });

  it('rejects unknown keys by name', () => {
    try {
      parseConfig(Schema, { TARGET_BOOTSTRAP_SERVERS: 'a:1', TYPO: 'x' }, 'config file esm.yml');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toContain('unknown key "TYPO"');
      expect((err as ConfigError).message).toContain('config file esm.yml');
    }
  });

  it('rejects a malformed bootstrap list', () => {
    expect(() => parseConfig(Schema, { TARGET_BOOTSTRAP_SERVERS: 'nohostport' }, 'environment')).toThrowError(
      /TARGET_BOOTSTRAP_SERVERS: expected "host:port/,
    );
  });

  it('does not echo a malformed JSON variable', () => {
    expect(() => parseJsonVariable('TOPIC_MAPPING', '{"password":"hunter2"')).toThrowError(/TOPIC_MAPPING is not valid JSON/);
    try {
      parseJsonVariable('TOPIC_MAPPING', '{"password":"hunter2"');
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('hunter2');
    }
  });
});
