// The native CRC32C binary of @node-rs/crc32 for a Lambda architecture, pinned and checked (issue 15).
//
// @platformatic/kafka computes record-batch CRCs with @node-rs/crc32; a bundle carries the binary for the function's
// `architecture` (scripts/build.mjs). npm installs only the host's binary, so for another architecture (arm64 on an
// x86_64 build machine) the package comes from the registry. What is fetched is pinned twice:
//   - the version is the exact one the installed @node-rs/crc32 names in its optionalDependencies (the loader and its
//     binary are released in lockstep; a range is refused);
//   - the tarball must match the `integrity` (SRI sha512) that package-lock.json records for that package and version:
//     the same check `npm ci` applies to what it installs, so the binary is the one the lockfile reviewed.
// The verified tarball is kept in <cache>/native/<package>@<version>/ (cache = KBRIDGE_CACHE_DIR or
// ~/.cache/kbridge, like the Kafka jars) and checked again at every build; with it there, a build never calls npm and
// works offline. A tarball that fails the check is deleted and fetched once more; a second mismatch fails the build.
// The binary is read out of the verified tarball at every build (never from an unpacked copy another process or a
// person could have changed), and a fetched tarball lands in the cache by an atomic rename once verified, so builds
// running at the same time on one machine never see a partial file.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The glibc binary name @node-rs/crc32 publishes per Node architecture (Lambda's Amazon Linux 2023 is glibc). */
export const crc32BinaryName = (arch) => `crc32.linux-${arch}-gnu.node`;

/** npm package of that binary. */
export const crc32PackageName = (arch) => `@node-rs/crc32-linux-${arch}-gnu`;

/** ELF machine of a shared object: 183 = AArch64, 62 = x86-64. */
export const ELF_MACHINE = { arm64: 183, x64: 62 };

export class NativeBinaryError extends Error {
  name = 'NativeBinaryError';
}

/**
 * The pinned version and integrity of the binary package for `arch`: version from the installed loader's
 * optionalDependencies (exact), integrity from package-lock.json for that same version.
 *
 * @example
 * ```js
 * pinnedCrc32Package('/repo', 'arm64'); // { name: '@node-rs/crc32-linux-arm64-gnu', version: '1.10.8', integrity: 'sha512-…' }
 * ```
 */
export function pinnedCrc32Package(root, arch) {
  const name = crc32PackageName(arch);
  const loaderFile = join(root, 'node_modules', '@node-rs', 'crc32', 'package.json');
  if (!existsSync(loaderFile)) throw new NativeBinaryError(`${loaderFile} is missing: run npm ci`);
  const loader = JSON.parse(readFileSync(loaderFile, 'utf8'));
  const version = loader.optionalDependencies?.[name];
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new NativeBinaryError(`@node-rs/crc32@${loader.version} does not pin ${name} to an exact version (optionalDependencies: ${JSON.stringify(version)})`);
  }
  const lockFile = join(root, 'package-lock.json');
  const lock = existsSync(lockFile) ? JSON.parse(readFileSync(lockFile, 'utf8')) : undefined;
  const locked = lock?.packages?.[`node_modules/${name}`];
  if (!locked || locked.version !== version || typeof locked.integrity !== 'string' || !locked.integrity.startsWith('sha512-')) {
    throw new NativeBinaryError(
      `package-lock.json has no sha512 integrity for ${name}@${version} (found ${locked ? `${locked.version} ${locked.integrity ?? 'without integrity'}` : 'no entry'}): run npm install to update the lockfile`,
    );
  }
  return { name, version, integrity: locked.integrity };
}

/** SRI sha512 of a file, as npm writes it. */
const integrityOf = (file) => `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;

/** The npm CLI beside the running node (npm ci installs node with npm), else `npm` on PATH. */
function npmCommand() {
  const cli = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  return existsSync(cli) ? [process.execPath, [cli]] : ['npm', []];
}

/** `npm pack name@version` into `dir` (the registry's tarball, unchanged): the path of the .tgz written. */
function fetchTarball(pkg, dir) {
  const [command, prefix] = npmCommand();
  const packed = spawnSync(command, [...prefix, 'pack', `${pkg.name}@${pkg.version}`, '--silent', '--pack-destination', dir], { encoding: 'utf8', timeout: 120_000 });
  const file = packed.stdout?.trim().split('\n').pop();
  if (packed.status !== 0 || !file || !existsSync(join(dir, file))) {
    throw new NativeBinaryError(`cannot fetch ${pkg.name}@${pkg.version} with npm pack (no cached copy in ${dir}): ${(packed.stderr || packed.stdout || String(packed.error ?? '')).trim().slice(-500)}`);
  }
  return join(dir, file);
}

/**
 * The CRC32C binary for `arch`, as bytes. When npm installed that architecture's package (the build machine's own),
 * it is read from node_modules (npm ci checked it against the lockfile), provided its version is the pinned one.
 * Otherwise from the verified tarball in the cache, fetched with `npm pack` only when the cache has none.
 *
 * @example
 * ```js
 * const { bytes, source, from } = crc32Binary({ root: '/repo', arch: 'arm64' }); // source: node_modules | cache | registry
 * ```
 */
export function crc32Binary({ root, arch, cacheDir = defaultCacheDir(), fetch = fetchTarball }) {
  const pkg = pinnedCrc32Package(root, arch);
  const installedDir = join(root, 'node_modules', pkg.name);
  if (existsSync(join(installedDir, crc32BinaryName(arch)))) {
    const installed = JSON.parse(readFileSync(join(installedDir, 'package.json'), 'utf8')).version;
    if (installed !== pkg.version) throw new NativeBinaryError(`node_modules has ${pkg.name}@${installed}, the lockfile pins ${pkg.version}: run npm ci`);
    const file = join(installedDir, crc32BinaryName(arch));
    return { bytes: checkedElf(readFileSync(file), arch, file), source: 'node_modules', from: file, ...pkg };
  }

  const dir = join(cacheDir, 'native', `${pkg.name.replace('/', '+')}@${pkg.version}`);
  const tarball = join(dir, `${pkg.name.slice(1).replace('/', '-')}-${pkg.version}.tgz`);
  let source = 'cache';
  if (existsSync(tarball) && integrityOf(tarball) !== pkg.integrity) rmSync(tarball, { force: true }); // corrupt or tampered: fetch again
  if (!existsSync(tarball)) {
    mkdirSync(dir, { recursive: true });
    const staging = mkdtempSync(join(dir, '.fetch-'));
    try {
      const fetched = fetch(pkg, staging);
      const actual = integrityOf(fetched);
      if (actual !== pkg.integrity) {
        throw new NativeBinaryError(`${pkg.name}@${pkg.version} from the registry has integrity ${actual}, package-lock.json pins ${pkg.integrity}: refusing it`);
      }
      renameSync(fetched, tarball);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    source = 'registry';
  }
  const member = `package/${crc32BinaryName(arch)}`;
  const untar = spawnSync('tar', ['-xzOf', tarball, member], { maxBuffer: 64 * 1024 * 1024 });
  if (untar.status !== 0 || !untar.stdout?.length) throw new NativeBinaryError(`cannot read ${member} from ${tarball}: ${untar.stderr?.toString() ?? untar.error}`);
  return { bytes: checkedElf(untar.stdout, arch, `${tarball}:${member}`), source, from: tarball, ...pkg };
}

function checkedElf(bytes, arch, from) {
  if (bytes.length < 20 || bytes.readUInt32BE(0) !== 0x7f454c46 || bytes.readUInt16LE(18) !== ELF_MACHINE[arch]) {
    throw new NativeBinaryError(`${from} is not a ${arch} ELF shared object`);
  }
  return bytes;
}

/** KBRIDGE_CACHE_DIR, else ~/.cache/kbridge (where the local Kafka jars are cached too). */
export function defaultCacheDir() {
  return process.env.KBRIDGE_CACHE_DIR ?? join(process.env.HOME ?? tmpdir(), '.cache', 'kbridge');
}
