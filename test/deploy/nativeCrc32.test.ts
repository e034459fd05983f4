import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

// Issue 15: the arm64 CRC32C binary a bundle carries is the exact version @node-rs/crc32 pins, checked against
// package-lock.json's integrity, and a build with a warm cache needs no network. No registry is used here: the
// "fetch" is a function the test gives (a copy of a tarball, or a tampered one), and an offline build runs with npm
// pointed at an unroutable registry.

interface Pinned {
  name: string;
  version: string;
  integrity: string;
}
interface Native {
  crc32Binary(options: { root: string; arch: string; cacheDir?: string; fetch?: (pkg: Pinned, dir: string) => string }): {
    bytes: Buffer;
    source: 'node_modules' | 'cache' | 'registry';
    from: string;
  } & Pinned;
  pinnedCrc32Package(root: string, arch: string): Pinned;
}

const ROOT = resolve(__dirname, '../..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
// The architecture npm did not install here (arm64 on an x86_64 machine and the reverse): the one fetched.
const foreign = process.arch === 'arm64' ? 'x64' : 'arm64';
const tarballName = (p: Pinned) => `${p.name.slice(1).replace('/', '-')}-${p.version}.tgz`;

let native: Native;
let pinned: Pinned;
let goodTarball: string;
const dirs: string[] = [];
const tempDir = (label: string) => {
  const d = mkdtempSync(join(tmpdir(), `kbridge-native-${label}-`));
  dirs.push(d);
  return d;
};
const refuseNetwork = () => {
  throw new Error('the network was used');
};

beforeAll(async () => {
  native = (await import(join(ROOT, 'scripts', 'native-crc32.mjs'))) as Native;
  pinned = native.pinnedCrc32Package(ROOT, foreign);
  // The tarball the build cached (it fetched it once, integrity-checked, when this machine first built the bundles).
  const cache = process.env.KBRIDGE_CACHE_DIR ?? join(process.env.HOME ?? tmpdir(), '.cache', 'kbridge');
  goodTarball = join(cache, 'native', `${pinned.name.replace('/', '+')}@${pinned.version}`, tarballName(pinned));
  if (!existsSync(goodTarball)) native.crc32Binary({ root: ROOT, arch: foreign }); // first run on this machine: fetch it
});

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A stand-in for `npm pack`: copies `tarball` into the folder it is given, counting the calls. */
function copyingFetch(tarball: string): { fetch: (pkg: Pinned, dir: string) => string; calls: () => number } {
  let calls = 0;
  return {
    fetch: (pkg, dir) => {
      calls += 1;
      cpSync(tarball, join(dir, tarballName(pkg)));
      return join(dir, tarballName(pkg));
    },
    calls: () => calls,
  };
}

/** A cache folder holding `tarball` where the build looks for the pinned package. */
function cacheWith(tarball: Buffer): string {
  const cacheDir = tempDir('cache');
  const dir = join(cacheDir, 'native', `${pinned.name.replace('/', '+')}@${pinned.version}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, tarballName(pinned)), tarball);
  return cacheDir;
}

/** The tarball with one byte of the binary changed (same size, recompressed: a different integrity). */
function tamperedTarball(): string {
  const work = tempDir('tamper');
  expect(spawnSync('tar', ['-xzf', goodTarball, '-C', work]).status).toBe(0);
  const binary = join(work, 'package', `crc32.linux-${foreign}-gnu.node`);
  const bytes = readFileSync(binary);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
  writeFileSync(binary, bytes);
  const out = join(work, 'tampered.tgz');
  expect(spawnSync('tar', ['-czf', out, '-C', work, 'package']).status).toBe(0);
  return out;
}

describe('native CRC32C binary for the Lambda architecture', () => {
  it('pins the exact version @node-rs/crc32 names and the lockfile integrity of that version', () => {
    // Prepare
    const loader = JSON.parse(readFileSync(join(ROOT, 'node_modules', '@node-rs', 'crc32', 'package.json'), 'utf8')) as { optionalDependencies: Record<string, string> };
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string; integrity: string }> };

    // Act
    const pin = native.pinnedCrc32Package(ROOT, 'arm64');

    // Assess
    expect(pin.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pin.version).toBe(loader.optionalDependencies['@node-rs/crc32-linux-arm64-gnu']);
    expect(pin.integrity).toBe(lock.packages['node_modules/@node-rs/crc32-linux-arm64-gnu']?.integrity);
    expect(pin.integrity).toMatch(/^sha512-/);
  });

  it('reads the binary from a warm cache without the network, and checks its ELF machine', () => {
    // Prepare
    const cacheDir = cacheWith(readFileSync(goodTarball));

    // Act
    const got = native.crc32Binary({ root: ROOT, arch: foreign, cacheDir, fetch: refuseNetwork });

    // Assess
    expect(got.source).toBe('cache');
    expect(got.version).toBe(pinned.version);
    expect(got.bytes.readUInt16LE(18)).toBe(foreign === 'arm64' ? 183 : 62);
  });

  it('fetches into an empty cache once, keeps the verified tarball, and uses it next time', () => {
    // Prepare
    const cacheDir = tempDir('cold');
    const registry = copyingFetch(goodTarball);

    // Act
    const first = native.crc32Binary({ root: ROOT, arch: foreign, cacheDir, fetch: registry.fetch });
    const second = native.crc32Binary({ root: ROOT, arch: foreign, cacheDir, fetch: refuseNetwork });

    // Assess
    expect([first.source, second.source, registry.calls()]).toEqual(['registry', 'cache', 1]);
    expect(second.bytes.equals(first.bytes)).toBe(true);
  });

  it('refuses a fetched tarball whose integrity is not the lockfile\'s, and keeps nothing of it', () => {
    // Prepare
    const cacheDir = tempDir('bad-fetch');
    const registry = copyingFetch(tamperedTarball());

    // Act + Assess
    expect(() => native.crc32Binary({ root: ROOT, arch: foreign, cacheDir, fetch: registry.fetch })).toThrow(/integrity .* package-lock\.json pins sha512-/);
    expect(existsSync(join(cacheDir, 'native', `${pinned.name.replace('/', '+')}@${pinned.version}`, tarballName(pinned)))).toBe(false);
  });

  it('replaces a cached tarball that no longer matches the integrity (fetched again, then checked)', () => {
    // Prepare
    const cacheDir = cacheWith(readFileSync(tamperedTarball()));
    const registry = copyingFetch(goodTarball);

    // Act
    const got = native.crc32Binary({ root: ROOT, arch: foreign, cacheDir, fetch: registry.fetch });

    // Assess
    expect([got.source, registry.calls()]).toEqual(['registry', 1]);
  });

  it('a whole build of the bridge works offline with a warm cache and records the pinned package in report.json', () => {
    // Prepare
    const cacheDir = cacheWith(readFileSync(goodTarball));
    const outdir = tempDir('build');

    // Act
    const build = spawnSync(NODE, [join(ROOT, 'scripts', 'build.mjs'), '--only', 'bridge', '--arch', foreign, '--outdir', outdir, '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 300_000,
      maxBuffer: 32 * 1024 * 1024,
      // npm (if it were called) and any HTTP client would fail: nothing listens on port 9.
      env: { ...process.env, KBRIDGE_CACHE_DIR: cacheDir, npm_config_registry: 'http://127.0.0.1:9/', npm_config_offline: 'true', HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' },
    });

    // Assess
    expect(build.status, build.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(outdir, 'report.json'), 'utf8')) as { functions: Array<{ name: string; native: Array<Record<string, unknown>> }> };
    expect(report.functions[0]?.native).toEqual([
      expect.objectContaining({ file: `crc32.linux-${foreign}-gnu.node`, arch: foreign, package: `${pinned.name}@${pinned.version}`, integrity: pinned.integrity, source: 'cache' }),
    ]);
  }, 320_000);
});
