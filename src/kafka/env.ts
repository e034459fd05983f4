import { z } from 'zod';
import { BooleanStringSchema, BootstrapServersSchema, parseConfig } from '../config/parse';
import { ConfigError } from '../errors';
import type { KafkaAuth, KafkaConnectionConfig, KafkaTls } from './types';

/** Values of `<PREFIX>_AUTH`. */
export const KafkaAuthModes = ['none', 'scram-sha-256', 'scram-sha-512', 'plain', 'mtls', 'iam'] as const;
export type KafkaAuthMode = (typeof KafkaAuthModes)[number];

const Bool = BooleanStringSchema;

const PositiveInt = z
  .string()
  .trim()
  .regex(/^\d+$/, 'expected a whole number of milliseconds')
  .transform((v) => Number(v))
  .refine((v) => v > 0 && v <= 600_000, { message: 'expected 1..600000 milliseconds' });

const NonEmpty = z.string().trim().min(1, 'expected a non-empty value');

/** The variable names for one prefix, e.g. `TARGET` → `TARGET_BOOTSTRAP_SERVERS`, … */
export function kafkaEnvNames(prefix: string) {
  return {
    bootstrapServers: `${prefix}_BOOTSTRAP_SERVERS`,
    auth: `${prefix}_AUTH`,
    secretArn: `${prefix}_SECRET_ARN`,
    username: `${prefix}_USERNAME`,
    password: `${prefix}_PASSWORD`,
    tls: `${prefix}_TLS`,
    rootCaSecretArn: `${prefix}_ROOT_CA_SECRET_ARN`,
    tlsRejectUnauthorized: `${prefix}_TLS_REJECT_UNAUTHORIZED`,
    iamRegion: `${prefix}_IAM_REGION`,
    clientId: `${prefix}_CLIENT_ID`,
    connectionTimeoutMs: `${prefix}_CONNECTION_TIMEOUT_MS`,
    requestTimeoutMs: `${prefix}_REQUEST_TIMEOUT_MS`,
  } as const;
}

/**
 * Parse a Kafka connection from environment-style input with a prefix, at the edge (handler module
 * start, CLI). Variables (for prefix `TARGET`):
 * - `TARGET_BOOTSTRAP_SERVERS` (required) — "host:port[,host:port...]"
 * - `TARGET_AUTH` — `none` (default) | `scram-sha-256` | `scram-sha-512` | `plain` | `mtls` | `iam`
 * - `TARGET_SECRET_ARN` — Secrets Manager secret for SASL (`{"username","password"}`) or mTLS
 *   (`{"certificate","privateKey","privateKeyPassword"?}`); for SASL, `TARGET_USERNAME` + `TARGET_PASSWORD`
 *   may be given instead (local clusters)
 * - `TARGET_TLS` — `true|false`; default `true` for `mtls`/`iam` or when a root CA is set, else `false`
 * - `TARGET_ROOT_CA_SECRET_ARN` — `{"certificate": PEM}` secret with the server root CA
 * - `TARGET_TLS_REJECT_UNAUTHORIZED` — `false` only for local self-signed brokers
 * - `TARGET_IAM_REGION` — region for `iam` (default `AWS_REGION`)
 * - `TARGET_CLIENT_ID`, `TARGET_CONNECTION_TIMEOUT_MS`, `TARGET_REQUEST_TIMEOUT_MS` — optional
 *
 * Every problem is reported at once in one {@link ConfigError} that names the variable and the
 * expected values; secret-bearing values (`_PASSWORD`) are never echoed.
 *
 * @example
 * ```ts
 * const target = parseKafkaConnectionEnv('TARGET', process.env);
 * const kafka = await createKafkaClient(target, { secrets });
 * ```
 */
export function parseKafkaConnectionEnv(
  prefix: string,
  env: Record<string, string | undefined>,
  { name = prefix.toLowerCase() }: { name?: string } = {},
): KafkaConnectionConfig {
  if (!/^[A-Z][A-Z0-9_]*$/.test(prefix)) {
    throw new ConfigError(`Invalid Kafka variable prefix "${prefix}"; expected upper-case letters, digits and "_"`, { field: 'prefix' });
  }
  const n = kafkaEnvNames(prefix);
  const schema = z
    .object({
      [n.bootstrapServers]: BootstrapServersSchema,
      [n.auth]: z
        .string()
        .trim()
        .toLowerCase()
        .pipe(z.enum(KafkaAuthModes, { errorMap: () => ({ message: `expected one of ${KafkaAuthModes.join('|')}` }) }))
        .default('none'),
      [n.secretArn]: NonEmpty.optional(),
      [n.username]: NonEmpty.optional(),
      [n.password]: z.string().min(1, 'expected a non-empty value').optional(),
      [n.tls]: Bool.optional(),
      [n.rootCaSecretArn]: NonEmpty.optional(),
      [n.tlsRejectUnauthorized]: Bool.optional(),
      [n.iamRegion]: NonEmpty.optional(),
      AWS_REGION: z.string().optional(),
      [n.clientId]: NonEmpty.optional(),
      [n.connectionTimeoutMs]: PositiveInt.optional(),
      [n.requestTimeoutMs]: PositiveInt.optional(),
    })
    .superRefine((v, ctx) => {
      const auth = v[n.auth] as KafkaAuthMode;
      const problem = (path: string, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
      const sasl = auth === 'scram-sha-256' || auth === 'scram-sha-512' || auth === 'plain';
      const inline = v[n.username] !== undefined || v[n.password] !== undefined;
      if (sasl) {
        if (v[n.secretArn] !== undefined && inline) {
          problem(n.secretArn, `give either ${n.secretArn} or ${n.username}+${n.password}, not both`);
        } else if (v[n.secretArn] === undefined && !inline) {
          problem(n.secretArn, `is missing (expected the ARN of a {"username","password"} secret for ${n.auth}=${auth}, or ${n.username}+${n.password})`);
        } else if (inline && (v[n.username] === undefined || v[n.password] === undefined)) {
          problem(v[n.username] === undefined ? n.username : n.password, `is missing (${n.username} and ${n.password} go together)`);
        }
      } else if (inline) {
        problem(n.username, `is only used with ${n.auth}=scram-sha-256|scram-sha-512|plain (got ${auth})`);
      }
      if (auth === 'mtls' && v[n.secretArn] === undefined) {
        problem(n.secretArn, `is missing (expected the ARN of a {"certificate","privateKey"} secret for ${n.auth}=mtls)`);
      }
      if ((auth === 'none' || auth === 'iam') && v[n.secretArn] !== undefined) {
        problem(n.secretArn, `is not used with ${n.auth}=${auth}; remove it or set ${n.auth}`);
      }
      if ((auth === 'mtls' || auth === 'iam') && v[n.tls] === false) {
        problem(n.tls, `must be true (or unset) with ${n.auth}=${auth}: that listener is TLS-only`);
      }
      if (v[n.rootCaSecretArn] !== undefined && v[n.tls] === false) {
        problem(n.tls, `is false but ${n.rootCaSecretArn} is set; a root CA needs TLS`);
      }
      if (auth === 'iam' && v[n.iamRegion] === undefined && !v.AWS_REGION) {
        problem(n.iamRegion, `is missing (expected the MSK cluster's region for ${n.auth}=iam; AWS_REGION is not set either)`);
      }
    });

  const input: Record<string, string | undefined> = {};
  for (const key of [...Object.values(n), 'AWS_REGION']) {
    const value = env[key];
    if (value !== undefined && !(key !== n.bootstrapServers && value.trim() === '')) input[key] = value;
  }
  const v = parseConfig(schema, input, `Kafka connection "${name}" (${prefix}_* variables)`) as Record<string, unknown>;

  const authMode = v[n.auth] as KafkaAuthMode;
  const secretArn = v[n.secretArn] as string | undefined;
  let auth: KafkaAuth;
  switch (authMode) {
    case 'none':
      auth = { type: 'none' };
      break;
    case 'mtls':
      auth = { type: 'mtls', secretArn: secretArn as string };
      break;
    case 'iam':
      auth = { type: 'iam', region: (v[n.iamRegion] as string | undefined) ?? (v.AWS_REGION as string) };
      break;
    default:
      auth =
        secretArn !== undefined
          ? { type: 'sasl', mechanism: authMode, secretArn }
          : { type: 'sasl-inline', mechanism: authMode, username: v[n.username] as string, password: v[n.password] as string };
  }

  const rootCaSecretArn = v[n.rootCaSecretArn] as string | undefined;
  const tlsFlag = v[n.tls] as boolean | undefined;
  const tls: KafkaTls = { enabled: tlsFlag ?? (authMode === 'mtls' || authMode === 'iam' || rootCaSecretArn !== undefined) };
  if (rootCaSecretArn !== undefined) tls.rootCaSecretArn = rootCaSecretArn;
  if (v[n.tlsRejectUnauthorized] === false) tls.rejectUnauthorized = false;

  const config: KafkaConnectionConfig = { name, bootstrapServers: v[n.bootstrapServers] as string[], tls, auth };
  if (v[n.clientId] !== undefined) config.clientId = v[n.clientId] as string;
  if (v[n.connectionTimeoutMs] !== undefined) config.connectionTimeoutMs = v[n.connectionTimeoutMs] as number;
  if (v[n.requestTimeoutMs] !== undefined) config.requestTimeoutMs = v[n.requestTimeoutMs] as number;
  return config;
}
