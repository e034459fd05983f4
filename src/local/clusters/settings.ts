import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseConfig } from '../../config/parse';
import { ConfigError } from '../../errors';
import type { ClusterName } from '../types';

/** The default Kafka version: the 3.9 line is what MSK runs most; 4.x is selectable with KBRIDGE_KAFKA_VERSION. */
export const DEFAULT_KAFKA_VERSION = '3.9.2';
/** Pinned moto release installed into the venv (moto 5.1 line; 5.x keeps the server API we use). */
export const MOTO_VERSION = '5.1.22';
export const DEFAULT_MOTO_PORT = 4599;
/**
 * Base port per cluster: PLAINTEXT = base, SASL_PLAINTEXT = base + 1, CONTROLLER = base + 2. Kept below Linux's
 * ephemeral port range (32768-60999), where an outgoing connection could be holding the port at start time.
 */
export const DEFAULT_BASE_PORTS: Record<ClusterName, number> = { source: 19092, target: 29092 };
export const CLUSTER_NAMES: readonly ClusterName[] = ['source', 'target'] as const;

export interface ClusterPorts {
  plaintext: number;
  sasl: number;
  controller: number;
}

/** Everything the local environment needs, resolved once at the edge from the environment. */
export interface LocalSettings {
  kafkaVersion: string;
  /** Cache outside the repo: Kafka jars per version and the moto venv. */
  cacheDir: string;
  /** Broker data, logs, pid files, generated credentials. */
  stateDir: string;
  ports: Record<ClusterName, ClusterPorts>;
  motoPort: number;
  /** JVM max heap for each broker, e.g. "384m". */
  brokerHeap: string;
}

const PortSchema = z.coerce
  .number({ invalid_type_error: 'expected a TCP port number' })
  .int('expected an integer port')
  .min(1024, 'expected a port from 1024 to 65533 (three consecutive ports are used)')
  .max(65533, 'expected a port from 1024 to 65533 (three consecutive ports are used)');

const EnvSchema = z.object({
  KBRIDGE_KAFKA_VERSION: z
    .string()
    .trim()
    .regex(/^[34]\.\d+\.\d+$/, 'expected an Apache Kafka release such as "3.9.2" or "4.1.1"')
    .optional(),
  KBRIDGE_CACHE_DIR: z.string().trim().min(1, 'expected a directory path').optional(),
  KBRIDGE_HOME: z.string().trim().min(1, 'expected a directory path').optional(),
  KBRIDGE_SOURCE_PORT: PortSchema.optional(),
  KBRIDGE_TARGET_PORT: PortSchema.optional(),
  KBRIDGE_MOTO_PORT: z.coerce.number().int('expected an integer port').min(1).max(65535).optional(),
  KBRIDGE_BROKER_HEAP: z
    .string()
    .trim()
    .regex(/^\d+[mg]$/, 'expected a JVM heap size such as "384m" or "1g"')
    .optional(),
});

/** Three consecutive ports from a base port. */
export function portsFrom(base: number): ClusterPorts {
  return { plaintext: base, sasl: base + 1, controller: base + 2 };
}

/**
 * Resolve the local environment's settings from environment variables (the caller passes `process.env`).
 * Empty variables count as unset. Two clusters whose port ranges overlap, or that collide with moto, are a
 * ConfigError naming both variables.
 *
 * @example
 * ```ts
 * const settings = resolveLocalSettings(process.env);
 * settings.ports.source.sasl; // 19093 unless KBRIDGE_SOURCE_PORT is set
 * ```
 */
export function resolveLocalSettings(env: Record<string, string | undefined>): LocalSettings {
  const relevant: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') relevant[key] = value;
  }
  const parsed = parseConfig(EnvSchema, relevant, 'environment (local clusters)');
  const sourceBase = parsed.KBRIDGE_SOURCE_PORT ?? DEFAULT_BASE_PORTS.source;
  const targetBase = parsed.KBRIDGE_TARGET_PORT ?? DEFAULT_BASE_PORTS.target;
  const motoPort = parsed.KBRIDGE_MOTO_PORT ?? DEFAULT_MOTO_PORT;
  if (Math.abs(sourceBase - targetBase) < 3) {
    throw configError(
      `KBRIDGE_SOURCE_PORT (${sourceBase}) and KBRIDGE_TARGET_PORT (${targetBase}) overlap; each cluster uses three consecutive ports`,
      'KBRIDGE_TARGET_PORT',
    );
  }
  for (const [name, base] of [['KBRIDGE_SOURCE_PORT', sourceBase], ['KBRIDGE_TARGET_PORT', targetBase]] as const) {
    if (motoPort >= base && motoPort < base + 3) {
      throw configError(`KBRIDGE_MOTO_PORT (${motoPort}) falls inside ${name}'s range ${base}-${base + 2}`, 'KBRIDGE_MOTO_PORT');
    }
  }
  return {
    kafkaVersion: parsed.KBRIDGE_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION,
    cacheDir: parsed.KBRIDGE_CACHE_DIR ?? join(homedir(), '.cache', 'kbridge'),
    stateDir: parsed.KBRIDGE_HOME ?? join(tmpdir(), 'kbridge-local'),
    ports: { source: portsFrom(sourceBase), target: portsFrom(targetBase) },
    motoPort,
    brokerHeap: parsed.KBRIDGE_BROKER_HEAP ?? '384m',
  };
}

function configError(message: string, field: string): ConfigError {
  return new ConfigError(message, { field });
}
