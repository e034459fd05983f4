import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  addBridgeConnectionOptions,
  addConnectionOptions,
  cliKafkaLogLevel,
  createCliSecretReader,
  resolveBridgeConnections,
  resolveConnection,
  SINGLE_SIDE,
  SOURCE_SIDE,
  TARGET_SIDE,
} from '../../../src/cli/connectionOptions';
import { ConfigError } from '../../../src/errors';
import { kafkaEnvNames } from '../../../src/kafka/env';

const CA_PEM = fileURLToPath(new URL('../kafka/fixtures/ca.pem', import.meta.url));
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:source-scram-AbCdEf';
const PASSWORD = 'pa55-w0rd-never-printed';

/** Parse `args` as `kbridge verify` (or `lag` with `single`) would, with commander reading `process.env`. */
function parse(args: string[], { single = false }: { single?: boolean } = {}): Record<string, unknown> {
  const command = new Command('test').exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  if (single) addConnectionOptions(command, SINGLE_SIDE);
  else addBridgeConnectionOptions(command);
  command.parse(args, { from: 'user' });
  return command.opts();
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

beforeEach(() => {
  // Commander reads the real environment: start every test from a clean one.
  for (const prefix of ['SOURCE', 'TARGET', 'KAFKA']) {
    for (const name of [...Object.values(kafkaEnvNames(prefix)), `${prefix}_CA_FILE`]) vi.stubEnv(name, undefined);
  }
  vi.stubEnv('AWS_REGION', undefined);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('connection options (flags)', () => {
  it('connects in PLAINTEXT with no auth when only bootstrap lists are given', async () => {
    // Prepare
    const opts = parse(['--source', 'a:9092', '--target', 'b:9092,c:9092']);

    // Act
    const { source, target, secrets } = await resolveBridgeConnections(opts, {});

    // Assess
    expect(source).toEqual({ name: 'source', bootstrapServers: ['a:9092'], tls: { enabled: false }, auth: { type: 'none' } });
    expect(target).toEqual({ name: 'target', bootstrapServers: ['b:9092', 'c:9092'], tls: { enabled: false }, auth: { type: 'none' } });
    expect(secrets).toBeUndefined();
  });

  it('reads SCRAM from a Secrets Manager ARN over TLS, each side on its own', async () => {
    // Prepare
    const opts = parse(['--source', 'a:9096', '--source-auth', 'scram-sha-512', '--source-secret-arn', ARN, '--source-tls', '--target', 'b:9098', '--target-auth', 'iam', '--target-iam-region', 'eu-west-1']);

    // Act
    const { source, target, secrets } = await resolveBridgeConnections(opts, {});

    // Assess
    expect(source).toEqual({ name: 'source', bootstrapServers: ['a:9096'], tls: { enabled: true }, auth: { type: 'sasl', mechanism: 'scram-sha-512', secretArn: ARN } });
    expect(target).toEqual({ name: 'target', bootstrapServers: ['b:9098'], tls: { enabled: true }, auth: { type: 'iam', region: 'eu-west-1' } });
    expect(secrets).toBeDefined();
  });

  it('takes the SASL user from a flag and the password from <PREFIX>_PASSWORD', async () => {
    // Prepare
    const opts = parse(['--source', 'a:9093', '--source-auth', 'plain', '--source-username', 'alice', '--target', 'b:9092']);

    // Act
    const source = await resolveConnection(opts, SOURCE_SIDE, { SOURCE_PASSWORD: PASSWORD });

    // Assess
    expect(source.auth).toEqual({ type: 'sasl-inline', mechanism: 'plain', username: 'alice', password: PASSWORD });
    expect(source.tls).toEqual({ enabled: false });
  });

  it('turns TLS on for mtls and reads a root CA file (any case of the auth mode)', async () => {
    // Prepare
    const opts = parse(['--source', 'a:9094', '--source-auth', 'MTLS', '--source-secret-arn', ARN, '--source-ca-file', CA_PEM, '--target', 'b:9092']);

    // Act
    const source = await resolveConnection(opts, SOURCE_SIDE, {});

    // Assess
    expect(source.auth).toEqual({ type: 'mtls', secretArn: ARN });
    expect(source.tls?.enabled).toBe(true);
    expect(source.tls?.rootCaPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('uses unprefixed flags and KAFKA_* variables for a single cluster (kbridge lag)', async () => {
    // Prepare
    vi.stubEnv('KAFKA_BOOTSTRAP_SERVERS', 'k:9096');
    const opts = parse(['--auth', 'scram-sha-256', '--username', 'bob', '--tls', 'false'], { single: true });

    // Act
    const config = await resolveConnection(opts, SINGLE_SIDE, { KAFKA_PASSWORD: PASSWORD });

    // Assess
    expect(config).toEqual({ name: 'kafka', bootstrapServers: ['k:9096'], tls: { enabled: false }, auth: { type: 'sasl-inline', mechanism: 'scram-sha-256', username: 'bob', password: PASSWORD } });
  });
});

describe('connection options (environment)', () => {
  it('reads the Lambda functions\' variable names, and a flag wins over its variable', async () => {
    // Prepare
    vi.stubEnv('SOURCE_BOOTSTRAP_SERVERS', 'env-a:9096');
    vi.stubEnv('SOURCE_AUTH', 'SCRAM-SHA-512');
    vi.stubEnv('SOURCE_SECRET_ARN', ARN);
    vi.stubEnv('SOURCE_TLS', 'TRUE');
    vi.stubEnv('TARGET_BOOTSTRAP_SERVERS', 'env-b:9092');
    const opts = parse(['--source', 'flag-a:9096']);

    // Act
    const { source, target } = await resolveBridgeConnections(opts, process.env);

    // Assess
    expect(source).toEqual({ name: 'source', bootstrapServers: ['flag-a:9096'], tls: { enabled: true }, auth: { type: 'sasl', mechanism: 'scram-sha-512', secretArn: ARN } });
    expect(target.bootstrapServers).toEqual(['env-b:9092']);
  });

  it('takes the IAM region from AWS_REGION', async () => {
    // Prepare
    const opts = parse(['--bootstrap', 'b-1:9098', '--auth', 'iam'], { single: true });

    // Act
    const config = await resolveConnection(opts, SINGLE_SIDE, { AWS_REGION: 'us-west-2' });

    // Assess
    expect(config.auth).toEqual({ type: 'iam', region: 'us-west-2' });
    expect(config.tls).toEqual({ enabled: true });
  });
});

describe('connection options (errors)', () => {
  it('names the flag and the variable when scram has no secret ARN, and never prints the password', async () => {
    // Prepare
    const opts = parse(['--source', 'a:9096', '--source-auth', 'scram-sha-512', '--target', 'b:9092']);

    // Act
    const err = await configError(resolveConnection(opts, SOURCE_SIDE, {}));

    // Assess
    expect(err.message).toContain('--source-secret-arn/SOURCE_SECRET_ARN');
    expect(err.message).toContain('is missing');
    expect(err.message).toContain('--source-auth/SOURCE_AUTH=scram-sha-512');
    expect(err.message).toContain('(--source-* options or SOURCE_* variables)');
    expect(err.context).toMatchObject({ field: '--source-secret-arn', variable: 'SOURCE_SECRET_ARN', cluster: 'source' });
  });

  it('says the user name is missing when only a password is set, without echoing it', async () => {
    // Prepare
    const opts = parse(['--bootstrap', 'a:9096', '--auth', 'scram-sha-512'], { single: true });

    // Act
    const err = await configError(resolveConnection(opts, SINGLE_SIDE, { KAFKA_PASSWORD: PASSWORD }));

    // Assess
    expect(err.message).toContain('--username/KAFKA_USERNAME');
    expect(JSON.stringify({ message: err.message, context: err.context })).not.toContain(PASSWORD);
  });

  it('refuses a password given as a flag without keeping or echoing it', async () => {
    // Prepare
    const opts = parse(['--source', 'a:9096', '--source-auth', 'plain', '--source-username', 'u', '--source-password', PASSWORD, '--target', 'b:9092']);

    // Act
    const err = await configError(resolveConnection(opts, SOURCE_SIDE, {}));

    // Assess
    expect(err.message).toContain('--source-password is not accepted');
    expect(err.message).toContain('SOURCE_PASSWORD');
    expect(JSON.stringify(opts)).not.toContain(PASSWORD);
    expect(err.message).not.toContain(PASSWORD);
  });

  it('rejects an unknown auth mode with the allowed choices (from a flag or a variable)', () => {
    // Prepare
    vi.stubEnv('TARGET_AUTH', 'kerberos');

    // Act
    const fromFlag = (() => {
      try {
        parse(['--source', 'a:1', '--source-auth', 'ldap', '--target', 'b:1']);
      } catch (e) {
        return e;
      }
    })();
    const fromEnv = (() => {
      try {
        parse(['--source', 'a:1', '--target', 'b:1']);
      } catch (e) {
        return e;
      }
    })();

    // Assess
    expect(fromFlag).toBeInstanceOf(CommanderError);
    expect((fromFlag as CommanderError).message).toMatch(/--source-auth <mode>.*Allowed choices are none, scram-sha-256, scram-sha-512, plain, mtls, iam/);
    expect((fromEnv as CommanderError).message).toMatch(/TARGET_AUTH/);
  });

  it('requires the bootstrap list from the flag or its variable', () => {
    // Act
    const missing = (() => {
      try {
        parse(['--source', 'a:1']);
      } catch (e) {
        return e as CommanderError;
      }
    })();

    // Assess
    expect(missing?.code).toBe('commander.missingMandatoryOptionValue');
    expect(missing?.message).toContain('--target');
  });

  it('rejects a CA file with TLS off, a CA given twice, an unreadable file and a file with no certificate', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'kbridge-ca-'));
    const notPem = join(dir, 'ca.txt');
    await writeFile(notPem, 'not a certificate');
    const base = ['--target', 'b:9092', '--source', 'a:9093'];

    // Act
    const tlsOff = await configError(resolveConnection(parse([...base, '--source-ca-file', CA_PEM, '--source-tls', 'false']), SOURCE_SIDE, {}));
    const twice = await configError(resolveConnection(parse([...base, '--source-ca-file', CA_PEM, '--source-root-ca-secret-arn', ARN]), SOURCE_SIDE, {}));
    const missing = await configError(resolveConnection(parse([...base, '--source-ca-file', join(dir, 'absent.pem')]), SOURCE_SIDE, {}));
    const empty = await configError(resolveConnection(parse([...base, '--source-ca-file', notPem]), SOURCE_SIDE, {}));

    // Assess
    expect(tlsOff.message).toContain('--source-tls/SOURCE_TLS is false but --source-ca-file/SOURCE_CA_FILE is set');
    expect(twice.message).toContain('either as --source-ca-file/SOURCE_CA_FILE or as --source-root-ca-secret-arn/SOURCE_ROOT_CA_SECRET_ARN');
    expect(missing.message).toMatch(/--source-ca-file\/SOURCE_CA_FILE ".*absent\.pem" cannot be read \(ENOENT\)/);
    expect(empty.message).toContain('holds no PEM certificate');
  });

  it('rejects a non-boolean --tls and mtls with TLS turned off', async () => {
    // Act
    const notBool = (() => {
      try {
        parse(['--bootstrap', 'a:1', '--tls', 'yes'], { single: true });
      } catch (e) {
        return e as CommanderError;
      }
    })();
    const mtlsNoTls = await configError(resolveConnection(parse(['--bootstrap', 'a:1', '--auth', 'mtls', '--secret-arn', ARN, '--tls', 'false'], { single: true }), SINGLE_SIDE, {}));

    // Assess
    expect(notBool?.message).toContain('--tls expects true or false');
    expect(mtlsNoTls.message).toContain('--tls/KAFKA_TLS: must be true (or unset) with --auth/KAFKA_AUTH=mtls');
  });
});

describe('help and secrets', () => {
  it('lists each option with its variable and hides the password flag', () => {
    // Prepare
    const command = addBridgeConnectionOptions(new Command('verify'));

    // Act
    const help = command.helpInformation();

    // Assess
    expect(help).toContain('Source cluster connection:');
    expect(help).toContain('Target cluster connection:');
    expect(help).toMatch(/--source-auth <mode>.*env: SOURCE_AUTH/);
    expect(help).toMatch(/--target-secret-arn <arn>.*env: TARGET_SECRET_ARN/);
    expect(help).not.toContain('--source-password');
  });

  it('creates a secret reader only when a connection references a secret', async () => {
    // Prepare
    const plain = { name: 'a', bootstrapServers: ['a:1'], auth: { type: 'none' as const } };
    const inline = { name: 'b', bootstrapServers: ['b:1'], auth: { type: 'sasl-inline' as const, mechanism: 'plain' as const, username: 'u', password: 'p' } };
    const caSecret = { ...plain, tls: { enabled: true, rootCaSecretArn: ARN } };

    // Act
    const none = await createCliSecretReader([plain, inline], {});
    const some = await createCliSecretReader([plain, caSecret], { AWS_REGION: 'eu-west-1' });

    // Assess
    expect(none).toBeUndefined();
    expect(typeof some?.readSecretString).toBe('function');
  });

  it('gives target options their own names', () => {
    // Prepare
    const command = addConnectionOptions(new Command('x').exitOverride(), TARGET_SIDE);

    // Act
    command.parse(['--target', 't:1', '--target-auth', 'plain'], { from: 'user' });

    // Assess
    expect(command.opts()).toMatchObject({ target: 't:1', targetAuth: 'plain' });
  });
});

describe('cliKafkaLogLevel', () => {
  it('is quiet by default, takes a level from KBRIDGE_KAFKA_LOG_LEVEL and names the variable for a bad one', () => {
    // Act / Assess
    expect(cliKafkaLogLevel({})).toBe('nothing');
    expect(cliKafkaLogLevel({ KBRIDGE_KAFKA_LOG_LEVEL: ' WARN ' })).toBe('warn');
    expect(() => cliKafkaLogLevel({ KBRIDGE_KAFKA_LOG_LEVEL: 'loud' })).toThrow(/KBRIDGE_KAFKA_LOG_LEVEL: "loud" is not a log level; expected one of nothing, error, warn, info, debug/);
  });
});
