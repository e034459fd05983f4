import { X509Certificate, createPrivateKey } from 'node:crypto';
import { SecretError } from '../errors';

/**
 * Port: reads the `SecretString` of a secret by ARN or name. The AWS adapter
 * (`src/adapters/aws/secrets.ts`) reads Secrets Manager; {@link createStaticSecretReader} serves local runs.
 * Implementations throw {@link SecretError} (naming the secret, never its value) when it is missing or unreadable.
 */
export interface SecretReader {
  readSecretString(secretId: string): Promise<string>;
}

/** `{"username","password"}` — Lambda's BASIC_AUTH / SASL_SCRAM_256_AUTH / SASL_SCRAM_512_AUTH secret. */
export interface SaslSecret {
  username: string;
  password: string;
}

/** Lambda's CLIENT_CERTIFICATE_TLS_AUTH secret: PEM chain (client first), PEM key, optional key password. */
export interface ClientCertificateSecret {
  certificate: string;
  privateKey: string;
  privateKeyPassword?: string;
}

/** Lambda's SERVER_ROOT_CA_CERTIFICATE secret. */
export interface RootCaSecret {
  certificate: string;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const PEM_PRIVATE_KEY = /-----BEGIN (?:ENCRYPTED |RSA |EC |DSA )?PRIVATE KEY-----[\s\S]+?-----END (?:ENCRYPTED |RSA |EC |DSA )?PRIVATE KEY-----/;

/**
 * A {@link SecretReader} over an in-memory map (local runs, tests). Values are JSON strings or objects.
 *
 * @example
 * ```ts
 * const secrets = createStaticSecretReader({ 'local/scram': { username: 'kbridge', password: 'pw' } });
 * ```
 */
export function createStaticSecretReader(values: Record<string, string | object>): SecretReader {
  return {
    readSecretString(secretId: string): Promise<string> {
      const value = values[secretId];
      if (value === undefined) {
        return Promise.reject(new SecretError(`Secret "${secretId}" not found`, { field: 'secretArn', secretId }));
      }
      return Promise.resolve(typeof value === 'string' ? value : JSON.stringify(value));
    },
  };
}

/**
 * Wrap a {@link SecretReader} with a per-secret cache that lives as long as the Lambda container
 * (or CLI process), each entry for `ttlMs`. Concurrent reads of one secret share one request; a
 * failed read is not cached, so the next call tries again.
 *
 * @example
 * ```ts
 * const secrets = withSecretCache(awsReader, { ttlMs: 5 * 60_000 });
 * ```
 */
export function withSecretCache(
  reader: SecretReader,
  { ttlMs = 5 * 60_000, now = Date.now }: { ttlMs?: number; now?: () => number } = {},
): SecretReader & { clear(): void } {
  const cache = new Map<string, { expiresAt: number; value: Promise<string> }>();
  return {
    readSecretString(secretId: string): Promise<string> {
      const hit = cache.get(secretId);
      if (hit && hit.expiresAt > now()) return hit.value;
      const value = reader.readSecretString(secretId);
      cache.set(secretId, { expiresAt: now() + ttlMs, value });
      value.catch(() => {
        if (cache.get(secretId)?.value === value) cache.delete(secretId);
      });
      return value;
    },
    clear(): void {
      cache.clear();
    },
  };
}

/**
 * Read a secret and parse its `SecretString` as a JSON object. Malformed JSON becomes a
 * {@link SecretError} that names the secret and says where it broke, without quoting it (V8's
 * `JSON.parse` messages quote the input, so the parse error is deliberately not kept as `cause`).
 *
 * @example
 * ```ts
 * const json = await readJsonSecret(secrets, arn, 'SASL credentials');
 * ```
 */
export async function readJsonSecret(reader: SecretReader, secretId: string, purpose: string): Promise<Record<string, unknown>> {
  const raw = await reader.readSecretString(secretId);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    const position = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new SecretError(
      `Secret "${secretId}" (${purpose}) is not valid JSON${position ? ` (near character ${position})` : ''}; expected a JSON object`,
      { field: 'SecretString', secretId },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SecretError(`Secret "${secretId}" (${purpose}) is not a JSON object; expected a JSON object`, {
      field: 'SecretString',
      secretId,
    });
  }
  return parsed as Record<string, unknown>;
}

function requireString(json: Record<string, unknown>, key: string, secretId: string, purpose: string, expected: string): string {
  const value = json[key];
  if (value === undefined || value === null) {
    throw new SecretError(`Secret "${secretId}" (${purpose}) has no "${key}" field; expected ${expected}`, { field: key, secretId });
  }
  if (typeof value !== 'string' || value.trim() === '') {
    // Say only the type: the value itself may be the secret.
    const kind = Array.isArray(value) ? 'array' : typeof value;
    const got = typeof value === 'string' ? 'an empty string' : `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
    throw new SecretError(`Secret "${secretId}" (${purpose}) field "${key}" is ${got}; expected ${expected}`, { field: key, secretId });
  }
  return value;
}

/**
 * Validate a SASL secret (`{"username","password"}`, the shape Lambda's Kafka trigger reads).
 * Errors name the secret and the field, never a value.
 *
 * @example
 * ```ts
 * const { username, password } = parseSaslSecret(await readJsonSecret(secrets, arn, 'SASL'), arn);
 * ```
 */
export function parseSaslSecret(json: Record<string, unknown>, secretId: string): SaslSecret {
  const purpose = 'SASL credentials';
  return {
    username: requireString(json, 'username', secretId, purpose, 'a non-empty string'),
    password: requireString(json, 'password', secretId, purpose, 'a non-empty string'),
  };
}

/**
 * Validate a server root CA secret (`{"certificate": PEM}`): at least one parseable X.509 certificate.
 *
 * @example
 * ```ts
 * const { certificate } = parseRootCaSecret(await readJsonSecret(secrets, arn, 'root CA'), arn);
 * ```
 */
export function parseRootCaSecret(json: Record<string, unknown>, secretId: string): RootCaSecret {
  const purpose = 'server root CA';
  const certificate = requireString(json, 'certificate', secretId, purpose, 'a PEM certificate');
  assertCertificates(certificate, secretId, purpose);
  return { certificate };
}

/**
 * Validate a client certificate secret (`certificate` chain PEM, `privateKey` PEM, optional
 * `privateKeyPassword` for an encrypted key). The key is test-decrypted here so a wrong or missing
 * password fails at start-up with a clear message instead of as an opaque TLS error later.
 *
 * @example
 * ```ts
 * const tls = parseClientCertificateSecret(await readJsonSecret(secrets, arn, 'mTLS'), arn);
 * ```
 */
export function parseClientCertificateSecret(json: Record<string, unknown>, secretId: string): ClientCertificateSecret {
  const purpose = 'mTLS client certificate';
  const certificate = requireString(json, 'certificate', secretId, purpose, 'a PEM certificate chain, client certificate first');
  const privateKey = requireString(json, 'privateKey', secretId, purpose, 'a PEM private key');
  const passwordValue = json.privateKeyPassword;
  if (passwordValue !== undefined && passwordValue !== null && typeof passwordValue !== 'string') {
    throw new SecretError(`Secret "${secretId}" (${purpose}) field "privateKeyPassword" is not a string (${typeof passwordValue}); expected a string`, {
      field: 'privateKeyPassword',
      secretId,
    });
  }
  const privateKeyPassword = typeof passwordValue === 'string' && passwordValue !== '' ? passwordValue : undefined;
  assertCertificates(certificate, secretId, purpose);
  if (!PEM_PRIVATE_KEY.test(privateKey)) {
    throw new SecretError(`Secret "${secretId}" (${purpose}) field "privateKey" is not a PEM private key; expected "-----BEGIN [ENCRYPTED ]PRIVATE KEY-----..."`, {
      field: 'privateKey',
      secretId,
    });
  }
  try {
    createPrivateKey(privateKeyPassword === undefined ? { key: privateKey } : { key: privateKey, passphrase: privateKeyPassword });
  } catch (err) {
    const encrypted = /ENCRYPTED/.test(privateKey);
    const reason = !encrypted
      ? 'cannot be read as a private key'
      : privateKeyPassword === undefined
        ? 'is encrypted but the secret has no "privateKeyPassword"'
        : 'cannot be decrypted with "privateKeyPassword"';
    // OpenSSL's reason (no key material in it) is kept as a code only, not as `cause`.
    throw new SecretError(`Secret "${secretId}" (${purpose}) field "privateKey" ${reason}`, {
      field: 'privateKey',
      secretId,
      reason: (err as { code?: string }).code,
    });
  }
  return privateKeyPassword === undefined ? { certificate, privateKey } : { certificate, privateKey, privateKeyPassword };
}

function assertCertificates(pem: string, secretId: string, purpose: string): void {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new SecretError(`Secret "${secretId}" (${purpose}) field "certificate" holds no PEM certificate; expected "-----BEGIN CERTIFICATE-----..."`, {
      field: 'certificate',
      secretId,
    });
  }
  blocks.forEach((block, index) => {
    try {
      new X509Certificate(block);
    } catch {
      throw new SecretError(`Secret "${secretId}" (${purpose}) field "certificate": PEM block ${index + 1} is not a valid X.509 certificate`, {
        field: 'certificate',
        secretId,
      });
    }
  });
}
