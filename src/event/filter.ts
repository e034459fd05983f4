/**
 * Lambda event filtering for Kafka event sources (`FilterCriteria` / serverless.yml `filterPatterns`).
 *
 * Semantics follow the AWS Lambda docs ("Control which events Lambda sends to your function", "Filtering
 * events from Amazon MSK and self-managed Apache Kafka event sources") and the EventBridge pattern
 * syntax they defer to:
 * - Several patterns are ORed; inside one pattern every field is ANDed; a leaf array ORs its rules.
 * - A record is seen as `{ topic, partition, offset, timestamp, timestampType, key, value }`. AWS documents
 *   filtering on `value` (older docs also on `key`); the metadata fields are accepted here as extras.
 * - `key`/`value` bytes are decoded as UTF-8. A JSON object is matched by an object pattern
 *   (`"value": { "device_ID": [...] }`); anything else is a plain string, matched by a rule list
 *   (`"value": [ { "anything-but": ["error"] } ]`). A null key/value (tombstone) is an absent field.
 * - When the record's format does not fit the pattern's (plain string vs JSON, or bytes that are not
 *   UTF-8), the docs' table says Lambda "filters on the other metadata properties only": that part of the
 *   pattern is skipped. `onFormatMismatch: 'drop'` rejects such records instead.
 * - Operators: exact (string, number, boolean, null, `""`), `prefix`, `suffix` (both also with
 *   `equals-ignore-case`), `anything-but` (values, `prefix`, `suffix`, `equals-ignore-case`, `wildcard`),
 *   `numeric`, `exists`, `equals-ignore-case`, `wildcard`, `$or`.
 * Known difference: numbers are compared by value, where AWS compares their text (`300` vs `300.0`).
 */
import { ConfigError } from '../errors';
import type { SourceRecord } from './types';

/** One filter as accepted from config: the pattern JSON text, `{ pattern }`/`{ Pattern }` wrappers, or a parsed pattern object. */
export type FilterPatternInput = string | { pattern: string } | { Pattern: string } | Record<string, unknown>;

export interface FilterOptions {
  /** What to do when a record's key/value format does not fit the pattern (see module doc). Default `'metadata-only'`. */
  onFormatMismatch?: 'metadata-only' | 'drop';
}

/** A compiled filter: true when the record is delivered to the function. */
export type RecordFilter = (record: SourceRecord) => boolean;

const RECORD_FIELDS = ['topic', 'partition', 'offset', 'timestamp', 'timestampType', 'key', 'value'] as const;
const DATA_FIELDS = new Set(['key', 'value']);
const OPERATORS = ['prefix', 'suffix', 'anything-but', 'numeric', 'exists', 'equals-ignore-case', 'wildcard'];

type Scalar = string | number | boolean | null;
type ScalarTest = (v: unknown) => boolean;
/** A pattern node over one field's value (`undefined` = the field is absent). */
type FieldTest = (v: unknown) => boolean;

/** A decoded key/value as the filter sees it. */
type Data = { kind: 'absent' } | { kind: 'json'; data: Record<string, unknown> } | { kind: 'string'; data: string } | { kind: 'binary' };

interface RecordView {
  meta: Record<string, unknown>;
  data: (field: 'key' | 'value') => Data;
}

type ViewTest = (view: RecordView) => boolean;

class PatternError extends Error {
  public constructor(
    public readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

const foldCase = (s: string): string => s.toLowerCase();

function stringOperand(path: string, op: string, raw: unknown): string {
  if (typeof raw !== 'string') throw new PatternError(path, `"${op}" expects a string, got ${JSON.stringify(raw)}`);
  return raw;
}

/** A string operand that may be wrapped as `{ "equals-ignore-case": "..." }` (prefix/suffix). */
function caseAwareOperand(path: string, op: string, raw: unknown): { text: string; ignoreCase: boolean } {
  if (isPlainObject(raw)) {
    const keys = Object.keys(raw);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
      throw new PatternError(path, `"${op}" expects a string or { "equals-ignore-case": "..." }, got ${JSON.stringify(raw)}`);
    }
    return { text: stringOperand(path, `${op}.equals-ignore-case`, raw['equals-ignore-case']), ignoreCase: true };
  }
  return { text: stringOperand(path, op, raw), ignoreCase: false };
}

function compileWildcard(path: string, pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') throw new PatternError(path, `"wildcard" ${JSON.stringify(pattern)}: "\\" may only escape "*" or "\\"`);
      source += next === '*' ? '\\*' : '\\\\';
      i++;
    } else if (c === '*') {
      if (pattern[i + 1] === '*') throw new PatternError(path, `"wildcard" ${JSON.stringify(pattern)}: consecutive "*" are not allowed`);
      source += '.*';
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 's');
}

function listOf(raw: unknown): unknown[] {
  return Array.isArray(raw) ? raw : [raw];
}

function nonEmptyList(path: string, op: string, raw: unknown): unknown[] {
  const list = listOf(raw);
  if (list.length === 0) throw new PatternError(path, `"${op}" needs at least one value`);
  return list;
}

function isScalar(v: unknown): v is Scalar {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function compileAnythingBut(path: string, raw: unknown): ScalarTest {
  if (isPlainObject(raw)) {
    const keys = Object.keys(raw);
    const op = keys[0];
    if (keys.length !== 1 || op === undefined) throw new PatternError(path, `"anything-but" object must have exactly one operator, got ${JSON.stringify(raw)}`);
    const operand = raw[op];
    switch (op) {
      case 'prefix': {
        const p = stringOperand(path, 'anything-but.prefix', operand);
        return (v) => typeof v === 'string' && !v.startsWith(p);
      }
      case 'suffix': {
        const s = stringOperand(path, 'anything-but.suffix', operand);
        return (v) => typeof v === 'string' && !v.endsWith(s);
      }
      case 'equals-ignore-case': {
        const folded = new Set(nonEmptyList(path, op, operand).map((x) => foldCase(stringOperand(path, 'anything-but.equals-ignore-case', x))));
        return (v) => typeof v === 'string' && !folded.has(foldCase(v));
      }
      case 'wildcard': {
        const res = nonEmptyList(path, op, operand).map((x) => compileWildcard(path, stringOperand(path, 'anything-but.wildcard', x)));
        return (v) => typeof v === 'string' && !res.some((re) => re.test(v));
      }
      default:
        throw new PatternError(path, `"anything-but" does not support "${op}"; expected values, prefix, suffix, equals-ignore-case or wildcard`);
    }
  }
  const values = nonEmptyList(path, 'anything-but', raw);
  for (const x of values) {
    if (typeof x !== 'string' && typeof x !== 'number') throw new PatternError(path, `"anything-but" values must be strings or numbers, got ${JSON.stringify(x)}`);
  }
  return (v) => (typeof v === 'string' || typeof v === 'number') && !values.includes(v);
}

function compileNumeric(path: string, raw: unknown): ScalarTest {
  if (!Array.isArray(raw) || (raw.length !== 2 && raw.length !== 4)) {
    throw new PatternError(path, `"numeric" expects [op, number] or [">"|">=", number, "<"|"<=", number], got ${JSON.stringify(raw)}`);
  }
  const checks: Array<(n: number) => boolean> = [];
  for (let i = 0; i < raw.length; i += 2) {
    const op: unknown = raw[i];
    const bound: unknown = raw[i + 1];
    if (typeof bound !== 'number' || !Number.isFinite(bound)) throw new PatternError(path, `"numeric" bound must be a number, got ${JSON.stringify(bound)}`);
    const allowed = raw.length === 2 ? ['=', '<', '<=', '>', '>='] : i === 0 ? ['>', '>='] : ['<', '<='];
    if (typeof op !== 'string' || !allowed.includes(op)) {
      throw new PatternError(path, `"numeric" operator ${JSON.stringify(op)} not allowed here; expected one of ${allowed.join(' ')}`);
    }
    checks.push(
      op === '=' ? (n) => n === bound : op === '<' ? (n) => n < bound : op === '<=' ? (n) => n <= bound : op === '>' ? (n) => n > bound : (n) => n >= bound,
    );
  }
  return (v) => typeof v === 'number' && checks.every((c) => c(v));
}

/** Compile a leaf rule list (`"field": [ rule, ... ]`). */
function compileLeaf(path: string, rules: unknown[]): FieldTest {
  if (rules.length === 0) throw new PatternError(path, 'a rule list must not be empty');
  const tests: ScalarTest[] = [];
  const exists: boolean[] = [];
  rules.forEach((rule, i) => {
    const at = `${path}[${i}]`;
    if (isScalar(rule)) {
      tests.push((v) => v === rule);
      return;
    }
    if (!isPlainObject(rule)) throw new PatternError(at, `expected a value (string, number, boolean, null) or an operator object, got ${JSON.stringify(rule)}`);
    const keys = Object.keys(rule);
    const op = keys[0];
    if (keys.length !== 1 || op === undefined) throw new PatternError(at, `an operator object has exactly one key, got ${JSON.stringify(rule)}`);
    const operand = rule[op];
    switch (op) {
      case 'prefix': {
        const { text, ignoreCase } = caseAwareOperand(at, op, operand);
        tests.push(ignoreCase ? (v) => typeof v === 'string' && foldCase(v).startsWith(foldCase(text)) : (v) => typeof v === 'string' && v.startsWith(text));
        return;
      }
      case 'suffix': {
        const { text, ignoreCase } = caseAwareOperand(at, op, operand);
        tests.push(ignoreCase ? (v) => typeof v === 'string' && foldCase(v).endsWith(foldCase(text)) : (v) => typeof v === 'string' && v.endsWith(text));
        return;
      }
      case 'equals-ignore-case': {
        const folded = foldCase(stringOperand(at, op, operand));
        tests.push((v) => typeof v === 'string' && foldCase(v) === folded);
        return;
      }
      case 'wildcard': {
        const re = compileWildcard(at, stringOperand(at, op, operand));
        tests.push((v) => typeof v === 'string' && re.test(v));
        return;
      }
      case 'anything-but':
        tests.push(compileAnythingBut(at, operand));
        return;
      case 'numeric':
        tests.push(compileNumeric(at, operand));
        return;
      case 'exists':
        if (typeof operand !== 'boolean') throw new PatternError(at, `"exists" expects true or false, got ${JSON.stringify(operand)}`);
        exists.push(operand);
        return;
      default:
        throw new PatternError(at, `unknown operator "${op}"; expected one of ${OPERATORS.join(', ')}`);
    }
  });
  return (value) => {
    if (value === undefined) return exists.includes(false);
    if (exists.includes(true)) return true;
    // A field holding an array matches when any element does (EventBridge semantics).
    const candidates = Array.isArray(value) ? value : [value];
    return candidates.some((c) => tests.some((t) => t(c)));
  };
}

function compileOr<T>(path: string, raw: unknown, compileBranch: (path: string, branch: Record<string, unknown>) => T): T[] {
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every(isPlainObject)) {
    throw new PatternError(path, `"$or" expects a non-empty array of pattern objects, got ${JSON.stringify(raw)}`);
  }
  return raw.map((branch, i) => compileBranch(`${path}[${i}]`, branch));
}

/** Compile a nested object pattern over JSON data. */
function compileObject(path: string, pattern: Record<string, unknown>): FieldTest {
  const tests: FieldTest[] = [];
  for (const [key, sub] of Object.entries(pattern)) {
    const at = fieldPath(path, key);
    if (key === '$or') {
      const branches = compileOr(at, sub, compileObject);
      tests.push((v) => branches.some((b) => b(v)));
    } else if (Array.isArray(sub)) {
      const leaf = compileLeaf(at, sub);
      tests.push((v) => leaf(childOf(v, key)));
    } else if (isPlainObject(sub)) {
      const nested = compileObject(at, sub);
      tests.push((v) => {
        const child = childOf(v, key);
        // An array of objects matches when any element does.
        return Array.isArray(child) ? child.some((c) => isPlainObject(c) && nested(c)) : nested(isPlainObject(child) ? child : undefined);
      });
    } else {
      throw new PatternError(at, `expected a rule list [...] or a nested object {...}, got ${JSON.stringify(sub)}`);
    }
  }
  return (v) => tests.every((t) => t(v));
}

function childOf(v: unknown, key: string): unknown {
  return isPlainObject(v) && Object.prototype.hasOwnProperty.call(v, key) ? v[key] : undefined;
}

/** Compile the top level: record metadata, plus `key`/`value` with Lambda's data-format rules. */
function compileRecordPattern(path: string, pattern: Record<string, unknown>, options: Required<FilterOptions>): ViewTest {
  const keys = Object.keys(pattern);
  if (keys.length === 0) throw new PatternError(path, 'a pattern needs at least one field');
  const tests: ViewTest[] = [];
  for (const key of keys) {
    const sub = pattern[key];
    const at = fieldPath(path, key);
    if (key === '$or') {
      const branches = compileOr(at, sub, (p, b) => compileRecordPattern(p, b, options));
      tests.push((view) => branches.some((b) => b(view)));
      continue;
    }
    if (!(RECORD_FIELDS as readonly string[]).includes(key)) {
      throw new PatternError(at, `unknown record field "${key}"; a Kafka record has ${RECORD_FIELDS.join(', ')}`);
    }
    if (DATA_FIELDS.has(key)) {
      tests.push(compileDataField(at, key as 'key' | 'value', sub, options));
    } else if (Array.isArray(sub)) {
      const leaf = compileLeaf(at, sub);
      tests.push((view) => leaf(view.meta[key]));
    } else {
      throw new PatternError(at, `"${key}" is a scalar field; expected a rule list [...], got ${JSON.stringify(sub)}`);
    }
  }
  return (view) => tests.every((t) => t(view));
}

function compileDataField(path: string, field: 'key' | 'value', sub: unknown, options: Required<FilterOptions>): ViewTest {
  const mismatch = options.onFormatMismatch !== 'drop';
  if (Array.isArray(sub)) {
    const leaf = compileLeaf(path, sub);
    return (view) => {
      const d = view.data(field);
      if (d.kind === 'absent') return leaf(undefined);
      return d.kind === 'string' ? leaf(d.data) : mismatch;
    };
  }
  if (isPlainObject(sub)) {
    const obj = compileObject(path, sub);
    return (view) => {
      const d = view.data(field);
      if (d.kind === 'absent') return obj(undefined);
      return d.kind === 'json' ? obj(d.data) : mismatch;
    };
  }
  throw new PatternError(path, `expected a rule list [...] (plain-string ${field}) or an object {...} (JSON ${field}), got ${JSON.stringify(sub)}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeData(bytes: Uint8Array | null): Data {
  if (bytes === null) return { kind: 'absent' };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { kind: 'binary' };
  }
  const first = text.trimStart()[0];
  if (first === '{') {
    try {
      const parsed: unknown = JSON.parse(text);
      if (isPlainObject(parsed)) return { kind: 'json', data: parsed };
    } catch {
      // not JSON: a plain string that happens to start with "{"
    }
  }
  return { kind: 'string', data: text };
}

function viewOf(record: SourceRecord): RecordView {
  const cache: Partial<Record<'key' | 'value', Data>> = {};
  return {
    meta: {
      topic: record.topic,
      partition: record.partition,
      // Numeric rules need a number; beyond 2^53 the comparison is approximate.
      offset: Number(record.offset),
      timestamp: record.timestamp,
      timestampType: record.timestampType,
    },
    data: (field) => (cache[field] ??= decodeData(record[field])),
  };
}

function parseInput(input: FilterPatternInput, index: number): Record<string, unknown> {
  const field = `filterPatterns[${index}]`;
  let text: string | undefined;
  if (typeof input === 'string') text = input;
  else if (isPlainObject(input)) {
    const obj: Record<string, unknown> = input;
    const keys = Object.keys(obj);
    const only = keys.length === 1 ? keys[0] : undefined;
    const wrapped = only === 'pattern' || only === 'Pattern' ? obj[only] : undefined;
    if (typeof wrapped === 'string') text = wrapped;
    else return obj;
  } else {
    throw new ConfigError(`${field}: expected a pattern (JSON text, { "pattern": "..." } or an object), got ${JSON.stringify(input)}`, { field });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`${field}: the pattern is not valid JSON: ${JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text)}`, { field });
  }
  if (!isPlainObject(parsed)) throw new ConfigError(`${field}: a pattern must be a JSON object, got ${text}`, { field });
  return parsed;
}

/**
 * Compile Lambda filter patterns into one predicate. No patterns → every record passes; several →
 * a record passes when any pattern matches (filters are ORed). An invalid pattern throws
 * {@link ConfigError} naming it (`filterPatterns[1]`) and the offending place inside it.
 *
 * @example
 * ```ts
 * const keep = compileFilterCriteria(['{ "value": { "device_ID": [ { "prefix": "AB" } ] } }']);
 * const delivered = records.filter(keep); // the rest are committed without invoking the handler
 * ```
 */
export function compileFilterCriteria(patterns: ReadonlyArray<FilterPatternInput>, options: FilterOptions = {}): RecordFilter {
  const resolved: Required<FilterOptions> = { onFormatMismatch: options.onFormatMismatch ?? 'metadata-only' };
  const compiled = patterns.map((input, index) => {
    const pattern = parseInput(input, index);
    try {
      return compileRecordPattern('', pattern, resolved);
    } catch (err) {
      if (!(err instanceof PatternError)) throw err;
      const field = `filterPatterns[${index}]`;
      throw new ConfigError(`${field}${err.path === '' ? '' : ` at ${err.path}`}: ${err.message}`, { field, patternPath: err.path });
    }
  });
  if (compiled.length === 0) return () => true;
  return (record) => {
    const view = viewOf(record);
    return compiled.some((test) => test(view));
  };
}
