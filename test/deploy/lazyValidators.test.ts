import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The build makes @platformatic/kafka's ajv option validators compile on their first call (scripts/lazy-validators.mjs).
// A client created with `strict: true` must validate exactly as the library itself does; no broker is needed (a
// client connects on its first request).

const ROOT = resolve(__dirname, '../..');
const OPTIONS_FILES = ['admin', 'base', 'consumer', 'producer'].map((c) => join(ROOT, 'node_modules/@platformatic/kafka/dist/clients', c, 'options.js'));

interface ProducerLike {
  close(): Promise<void>;
}
type Make = (options: Record<string, unknown>) => ProducerLike;

let work: string;
let bundled: { make: Make; code: string };
let library: { make: Make };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kbridge-lazy-validators-'));
  const entry = join(work, 'entry.mjs');
  writeFileSync(entry, "import { Producer } from '@platformatic/kafka';\nexport const make = (options) => new Producer(options);\n");
  const { lazyAjvValidatorsPlugin } = (await import(join(ROOT, 'scripts', 'lazy-validators.mjs'))) as { lazyAjvValidatorsPlugin: (root: string) => esbuild.Plugin };
  await esbuild.build({
    entryPoints: [entry],
    outfile: join(work, 'out.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    nodePaths: [join(ROOT, 'node_modules')],
    alias: { '@platformatic/wasm-utils': '@platformatic/wasm-utils/bundled' },
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    plugins: [lazyAjvValidatorsPlugin(ROOT)],
    logLevel: 'silent',
  });
  bundled = { ...((await import(pathToFileURL(join(work, 'out.mjs')).href)) as { make: Make }), code: readFileSync(join(work, 'out.mjs'), 'utf8') };
  const { Producer } = (await import('@platformatic/kafka')) as unknown as { Producer: new (o: Record<string, unknown>) => ProducerLike };
  library = { make: (options) => new Producer(options) };
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The error a constructor throws, as name + message, or 'ok'. */
async function outcome(make: Make, options: Record<string, unknown>): Promise<string> {
  try {
    await make(options).close();
    return 'ok';
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

describe('@platformatic/kafka option validators compiled on first use (bundle)', () => {
  it('leaves no ajv.compile() that runs when the library loads', () => {
    // Prepare
    const inLibrary = OPTIONS_FILES.reduce((n, f) => n + readFileSync(f, 'utf8').split('ajv.compile(').length - 1, 0);

    // Act
    const all = bundled.code.split('ajv.compile(').length - 1;
    // (Each options module declares the wrapper; esbuild numbers the later ones: __kbridgeLazyValidator2, …)
    const lazy = bundled.code.match(/__kbridgeLazyValidator\d*\(\(\) => ajv\.compile\(/g)?.length ?? 0;

    // Assess
    expect(inLibrary).toBeGreaterThan(0);
    expect(lazy).toBeGreaterThan(0);
    expect(lazy).toBe(all);
  });

  it.each([
    ['valid options', { clientId: 'lazy-validators', bootstrapBrokers: ['127.0.0.1:9'], strict: true }],
    ['a wrong type', { clientId: 'lazy-validators', bootstrapBrokers: ['127.0.0.1:9'], strict: true, retries: 'many' }],
    ['an unknown acks value', { clientId: 'lazy-validators', bootstrapBrokers: ['127.0.0.1:9'], strict: true, acks: 7 }],
    ['a missing bootstrap list', { clientId: 'lazy-validators', strict: true }],
  ])('a strict client with %s: the same outcome as the library unbundled', async (_label, options) => {
    // Act
    const [fromBundle, fromLibrary] = [await outcome(bundled.make, options), await outcome(library.make, options)];

    // Assess
    expect(fromBundle).toBe(fromLibrary);
  });

  it('a strict client with a wrong option is refused (the validator runs and reports its errors)', async () => {
    // Act
    const result = await outcome(bundled.make, { clientId: 'lazy-validators', bootstrapBrokers: ['127.0.0.1:9'], strict: true, retries: 'many' });

    // Assess
    expect(result).toMatch(/retries/);
  });
});
