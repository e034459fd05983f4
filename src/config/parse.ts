import { z } from 'zod';
import { ConfigError } from '../errors';

/**
 * Parse `input` with a zod schema and turn every issue into one {@link ConfigError} that names each
 * offending field and what was expected. `source` says where the input came from (e.g. "environment",
 * "config file esm.yml") so the user knows where to fix it. Unknown keys are rejected when the schema
 * is `.strict()`.
 *
 * @example
 * ```ts
 * const cfg = parseConfig(BridgeEnvSchema, process.env, 'environment');
 * ```
 */
export function parseConfig<S extends z.ZodTypeAny>(schema: S, input: unknown, source: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(formatIssue);
  const first = result.error.issues[0];
  throw new ConfigError(`Invalid ${source}: ${problems.join('; ')}`, {
    field: first ? first.path.join('.') || undefined : undefined,
    problems,
  });
}

function formatIssue(issue: z.ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} at ${where}`;
  }
  if (issue.code === 'invalid_type' && issue.received === 'undefined') {
    return `${where} is missing (expected ${issue.expected})`;
  }
  return `${where}: ${issue.message}`;
}

/**
 * Read a JSON-valued environment variable (e.g. `TOPIC_MAPPING`). Malformed JSON becomes a
 * {@link ConfigError} naming the variable; the value itself is not echoed (it may hold secrets).
 */
export function parseJsonVariable(name: string, raw: string | undefined): unknown {
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    // JSON.parse messages quote the input on newer V8s, and the input may hold secrets: say only where.
    const position = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new ConfigError(`${name} is not valid JSON${position ? ` (near character ${position})` : ''}`, { field: name });
  }
}

/** Comma-separated "host:port" list, as Lambda's `bootstrapServers` and Kafka's own tools use it. */
export const BootstrapServersSchema = z
  .string()
  .trim()
  .min(1, 'expected "host:port[,host:port...]"')
  .transform((s) => s.split(',').map((b) => b.trim()).filter((b) => b.length > 0))
  .refine((list) => list.length > 0 && list.every((b) => /^[^\s:]+:\d{1,5}$/.test(b) || /^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(b)), {
    message: 'expected "host:port[,host:port...]"',
  });

/** An environment flag: "true" or "false" (any case, trimmed) → boolean. */
export const BooleanStringSchema = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => v === 'true' || v === 'false', { message: 'expected "true" or "false"' })
  .transform((v) => v === 'true');
