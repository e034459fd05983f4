import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { BridgeConnections } from '../bridge/cliClients';
import { ConfigError } from '../errors';
import { KafkaAuthModes, kafkaEnvNames, parseKafkaConnectionEnv } from '../kafka/env';
import type { KafkaLogLevelName } from '../kafka/logging';
import type { SecretReader } from '../kafka/secrets';
import type { KafkaConnectionConfig } from '../kafka/types';

/**
 * One side of a CLI connection: its flag prefix, its environment prefix (the names the Lambda functions read,
 * see {@link parseKafkaConnectionEnv}) and the flag that takes its bootstrap list.
 */
export interface ConnectionSide {
  /** Cluster name in messages and client logs. */
  name: string;
  /** `SOURCE` → `SOURCE_AUTH`, `SOURCE_SECRET_ARN`, … */
  envPrefix: string;
  /** `source` → `--source-auth`, …; empty → `--auth`, … */
  flagPrefix: string;
  /** The flag of the bootstrap list, e.g. `--source` or `--bootstrap`. */
  bootstrapFlag: string;
  /** Heading of this side's options in `--help`. */
  helpGroup: string;
}

/** The bridge's source cluster (`--source`, `--source-auth`, …, `SOURCE_*`). */
export const SOURCE_SIDE: ConnectionSide = { name: 'source', envPrefix: 'SOURCE', flagPrefix: 'source', bootstrapFlag: '--source', helpGroup: 'Source cluster connection:' };
/** The bridge's target cluster (`--target`, `--target-auth`, …, `TARGET_*`). */
export const TARGET_SIDE: ConnectionSide = { name: 'target', envPrefix: 'TARGET', flagPrefix: 'target', bootstrapFlag: '--target', helpGroup: 'Target cluster connection:' };
/** A single cluster (`kbridge lag`: `--bootstrap`, `--auth`, …, `KAFKA_*`). */
export const SINGLE_SIDE: ConnectionSide = { name: 'kafka', envPrefix: 'KAFKA', flagPrefix: '', bootstrapFlag: '--bootstrap', helpGroup: 'Cluster connection:' };

type EnvKey = keyof ReturnType<typeof kafkaEnvNames>;
/** Settings a flag can give; the rest (`_PASSWORD`, `_CLIENT_ID`, timeouts) come only from the environment. */
type FlagKey = Extract<EnvKey, 'bootstrapServers' | 'auth' | 'secretArn' | 'username' | 'tls' | 'rootCaSecretArn' | 'tlsRejectUnauthorized' | 'iamRegion'> | 'caFile';
type Env = Record<string, string | undefined>;

/** Given instead of the value of a `--…-password` flag, so the password is never kept or echoed. */
const PASSWORD_FLAG_USED = Symbol('password flag used');

function flagOf(side: ConnectionSide, suffix: string): string {
  return side.flagPrefix === '' ? `--${suffix}` : `--${side.flagPrefix}-${suffix}`;
}

function envOf(side: ConnectionSide, key: FlagKey): string {
  return key === 'caFile' ? `${side.envPrefix}_CA_FILE` : kafkaEnvNames(side.envPrefix)[key];
}

function parseBool(flag: string) {
  return (value: string): string => {
    const v = value.trim().toLowerCase();
    if (v !== 'true' && v !== 'false') throw new InvalidArgumentError(`${flag} expects true or false.`);
    return v;
  };
}

function parseAuthMode(value: string): string {
  const v = value.trim().toLowerCase();
  if (!(KafkaAuthModes as readonly string[]).includes(v)) throw new InvalidArgumentError(`Allowed choices are ${KafkaAuthModes.join(', ')}.`);
  return v;
}

function optionsOf(side: ConnectionSide): Array<{ key: FlagKey; option: Option }> {
  const f = (suffix: string) => flagOf(side, suffix);
  const password = kafkaEnvNames(side.envPrefix).password;
  const specs: Array<{ key: FlagKey; option: Option }> = [
    { key: 'bootstrapServers', option: new Option(`${side.bootstrapFlag} <servers>`, `${side.flagPrefix === '' ? '' : `${side.name} `}bootstrap servers "host:port[,host:port]"`).makeOptionMandatory() },
    {
      key: 'auth',
      // choices() for the help text; the parser also accepts any case, as the Lambda variables do.
      option: new Option(`${f('auth')} <mode>`, 'authentication (TLS is on by default for mtls and iam)').choices(KafkaAuthModes).argParser(parseAuthMode),
    },
    { key: 'secretArn', option: new Option(`${f('secret-arn')} <arn>`, 'Secrets Manager secret: {"username","password"} for SASL, {"certificate","privateKey"} for mtls (Lambda\'s formats)') },
    { key: 'username', option: new Option(`${f('username')} <name>`, `SASL user name; the password is read from ${password} only (never a flag)`) },
    { key: 'tls', option: new Option(`${f('tls')} [true|false]`, 'TLS to the brokers (bare flag: true; default false for none/SASL, true for mtls/iam or with a root CA)').preset('true').argParser(parseBool(f('tls'))) },
    { key: 'caFile', option: new Option(`${f('ca-file')} <pem>`, 'PEM file with the root CA that signed the broker certificates (implies TLS)') },
    { key: 'rootCaSecretArn', option: new Option(`${f('root-ca-secret-arn')} <arn>`, 'Secrets Manager secret {"certificate": PEM} with the root CA (implies TLS)') },
    { key: 'tlsRejectUnauthorized', option: new Option(`${f('tls-reject-unauthorized')} <true|false>`, 'false skips broker certificate checks (self-signed test brokers only)').argParser(parseBool(f('tls-reject-unauthorized'))) },
    { key: 'iamRegion', option: new Option(`${f('iam-region')} <region>`, 'AWS region of the MSK cluster for iam (default AWS_REGION)') },
  ];
  for (const { key, option } of specs) option.env(envOf(side, key)).helpGroup(side.helpGroup);
  return specs;
}

function passwordOption(side: ConnectionSide): Option {
  // Hidden and value-swallowing: a password typed as a flag gets a clear refusal (in the action), not
  // "unknown option" with the value left to be echoed as a stray argument.
  return new Option(`${flagOf(side, 'password')} [value]`).hideHelp().argParser(() => PASSWORD_FLAG_USED as unknown as string);
}

/**
 * Add the connection options of one or more sides to a command: the bootstrap list, `--<side>-auth`,
 * `--<side>-secret-arn`, `--<side>-username` (password from `<PREFIX>_PASSWORD` only), `--<side>-tls`,
 * `--<side>-ca-file`, `--<side>-root-ca-secret-arn`, `--<side>-tls-reject-unauthorized`, `--<side>-iam-region`.
 * Each also reads the environment variable the Lambda functions use (`SOURCE_AUTH`, …); a flag wins over its
 * variable. Read them back with {@link resolveConnection}.
 *
 * @example
 * ```ts
 * addConnectionOptions(program.command('lag'), SINGLE_SIDE).action(async (opts) => {
 *   const config = await resolveConnection(opts, SINGLE_SIDE, process.env);
 * });
 * ```
 */
export function addConnectionOptions(command: Command, ...sides: ConnectionSide[]): Command {
  for (const side of sides) {
    for (const { option } of optionsOf(side)) command.addOption(option);
    command.addOption(passwordOption(side));
  }
  const passwords = sides.map((side) => kafkaEnvNames(side.envPrefix).password).join(', ');
  return command.addHelpText(
    'after',
    `\nPasswords are read from ${passwords} only, never from a flag. Secrets Manager is reached with the usual AWS\n` +
      'settings (AWS_REGION, AWS_PROFILE or keys, AWS_ENDPOINT_URL). See docs/connecting.md.\n',
  );
}

/** Env names → their flags, e.g. `SOURCE_AUTH` → `--source-auth`. */
function flagsByEnv(side: ConnectionSide): Map<string, string> {
  return new Map(optionsOf(side).map(({ key, option }) => [envOf(side, key), option.long ?? option.flags]));
}

/** Re-word a ConfigError from {@link parseKafkaConnectionEnv} so it names the flags as well as the variables. */
function withFlagNames(err: ConfigError, side: ConnectionSide): ConfigError {
  const flags = flagsByEnv(side);
  const names = [...flags.keys()].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(`(?<![A-Z0-9_])(${names.join('|')})(?![A-Z0-9_])`, 'g');
  const options = side.flagPrefix === '' ? 'connection options' : `--${side.flagPrefix}-* options`;
  const reword = (text: string): string =>
    text.replace(`(${side.envPrefix}_* variables)`, `(${options} or ${side.envPrefix}_* variables)`).replace(pattern, (name) => `${flags.get(name)}/${name}`);
  const { field, problems, ...context } = err.context;
  const variable = typeof field === 'string' ? field : undefined;
  return new ConfigError(reword(err.message), {
    ...context,
    cluster: side.name,
    ...(variable ? { field: flags.get(variable) ?? variable, variable } : {}),
    ...(Array.isArray(problems) ? { problems: problems.map((p) => reword(String(p))) } : {}),
  });
}

/**
 * Turn one side's parsed options (flags merged with their environment variables by commander) into a
 * {@link KafkaConnectionConfig}, validated by {@link parseKafkaConnectionEnv} so the CLI and the Lambda
 * functions accept exactly the same settings. The password comes from `env` (`<PREFIX>_PASSWORD`) only; a
 * `--<side>-ca-file` is read here. Bad input → {@link ConfigError} naming the flag and its variable, never a
 * password.
 *
 * @example
 * ```ts
 * const source = await resolveConnection(opts, SOURCE_SIDE, process.env);
 * ```
 */
export async function resolveConnection(opts: object, side: ConnectionSide, env: Env): Promise<KafkaConnectionConfig> {
  const values = opts as Record<string, unknown>;
  const n = kafkaEnvNames(side.envPrefix);
  const specs = optionsOf(side);
  const valueOf = (key: FlagKey): string | undefined => {
    const spec = specs.find((s) => s.key === key);
    const value = spec ? values[spec.option.attributeName()] : undefined;
    return typeof value === 'string' ? value : undefined;
  };
  const passwordFlag = flagOf(side, 'password');
  if (values[passwordOption(side).attributeName()] !== undefined) {
    throw new ConfigError(
      `${passwordFlag} is not accepted: a password on the command line ends up in shell history and process lists; set ${n.password} in the environment (with ${flagOf(side, 'username')}) or use ${flagOf(side, 'secret-arn')}`,
      { field: passwordFlag, cluster: side.name },
    );
  }
  const input: Env = {
    [n.password]: env[n.password],
    [n.clientId]: env[n.clientId],
    [n.connectionTimeoutMs]: env[n.connectionTimeoutMs],
    [n.requestTimeoutMs]: env[n.requestTimeoutMs],
    AWS_REGION: env.AWS_REGION,
  };
  for (const { key } of specs) if (key !== 'caFile') input[n[key]] = valueOf(key);

  let config: KafkaConnectionConfig;
  try {
    config = parseKafkaConnectionEnv(side.envPrefix, input, { name: side.name });
  } catch (err) {
    throw err instanceof ConfigError ? withFlagNames(err, side) : err;
  }

  const caFile = valueOf('caFile');
  if (caFile === undefined) return config;
  const caFlag = `${flagOf(side, 'ca-file')}/${envOf(side, 'caFile')}`;
  if (config.tls?.rootCaSecretArn !== undefined) {
    throw new ConfigError(`Give the root CA of "${side.name}" either as ${caFlag} or as ${flagOf(side, 'root-ca-secret-arn')}/${n.rootCaSecretArn}, not both`, { field: flagOf(side, 'ca-file'), cluster: side.name });
  }
  if (valueOf('tls') === 'false') {
    throw new ConfigError(`${flagOf(side, 'tls')}/${n.tls} is false but ${caFlag} is set; a root CA needs TLS`, { field: flagOf(side, 'tls'), cluster: side.name });
  }
  let pem: string;
  try {
    pem = await readFile(caFile, 'utf8');
  } catch (err) {
    throw new ConfigError(`${caFlag} "${caFile}" cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); expected a PEM file with the root CA`, {
      field: flagOf(side, 'ca-file'),
      cluster: side.name,
      cause: err,
    });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(`${caFlag} "${caFile}" holds no PEM certificate; expected "-----BEGIN CERTIFICATE-----..."`, { field: flagOf(side, 'ca-file'), cluster: side.name });
  }
  return { ...config, tls: { ...config.tls, enabled: true, rootCaPem: pem } };
}

/**
 * Kafka client log level of the one-shot CLI commands: `nothing` by default — every failure is reported once by
 * the command itself as a named error (the raw client lines repeated each retry); `KBRIDGE_KAFKA_LOG_LEVEL=warn`
 * (or `error`, `info`, `debug`) shows them on stderr for troubleshooting.
 *
 * @example
 * ```ts
 * const kafka = await createKafkaClient(connection, { logLevel: cliKafkaLogLevel(process.env) });
 * ```
 */
export function cliKafkaLogLevel(env: Env): KafkaLogLevelName {
  const raw = (env.KBRIDGE_KAFKA_LOG_LEVEL ?? '').trim().toLowerCase();
  if (raw === '') return 'nothing';
  if (!(KAFKA_LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError(`KBRIDGE_KAFKA_LOG_LEVEL: "${raw}" is not a log level; expected one of ${KAFKA_LOG_LEVELS.join(', ')}`, { field: 'KBRIDGE_KAFKA_LOG_LEVEL' });
  }
  return raw as KafkaLogLevelName;
}

const KAFKA_LOG_LEVELS = ['nothing', 'error', 'warn', 'info', 'debug'] as const satisfies readonly KafkaLogLevelName[];

/** True when connecting needs Secrets Manager (a SASL or mTLS secret, or a root CA secret). */
export function needsSecrets(configs: KafkaConnectionConfig[]): boolean {
  return configs.some((c) => c.auth.type === 'sasl' || c.auth.type === 'mtls' || c.tls?.rootCaSecretArn !== undefined);
}

/**
 * The Secrets Manager reader for the CLI's connections, or `undefined` when none references a secret (so the
 * AWS SDK is loaded only when used). Region and endpoint come from the usual AWS variables in `env`.
 *
 * @example
 * ```ts
 * const secrets = await createCliSecretReader([source, target], process.env);
 * const kafka = await createKafkaClient(source, { secrets });
 * ```
 */
export async function createCliSecretReader(configs: KafkaConnectionConfig[], env: Env): Promise<SecretReader | undefined> {
  if (!needsSecrets(configs)) return undefined;
  const [{ createAwsSecretReader }, { resolveAwsClientConfig }] = await Promise.all([import('../adapters/aws/secrets'), import('../adapters/aws/clientConfig')]);
  return createAwsSecretReader({ clientConfig: resolveAwsClientConfig(env) });
}

/**
 * The source and target options of the bridge's two-cluster commands (`verify`, `offsets translate`,
 * `topics sync`), added in one call.
 *
 * @example
 * ```ts
 * addBridgeConnectionOptions(program.command('verify'));
 * ```
 */
export function addBridgeConnectionOptions(command: Command): Command {
  return addConnectionOptions(command, SOURCE_SIDE, TARGET_SIDE);
}

/**
 * Resolve both sides added by {@link addBridgeConnectionOptions}, and the secret reader they need (if any).
 *
 * @example
 * ```ts
 * const clusters = await connectBridgeClusters(await resolveBridgeConnections(opts, process.env));
 * ```
 */
export async function resolveBridgeConnections(opts: object, env: Env): Promise<BridgeConnections> {
  const source = await resolveConnection(opts, SOURCE_SIDE, env);
  const target = await resolveConnection(opts, TARGET_SIDE, env);
  const secrets = await createCliSecretReader([source, target], env);
  const logLevel = cliKafkaLogLevel(env);
  return secrets ? { source, target, secrets, logLevel } : { source, target, logLevel };
}
