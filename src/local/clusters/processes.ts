import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { LocalEnvironmentError } from '../../errors';

/** True when a process with this pid exists (signal 0 probes without delivering anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when `pid` is alive and its command line contains `marker`. Pid files outlive their processes and
 * pids are reused, so a bare "is alive" would let us signal an unrelated process.
 */
export function isOurProcess(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    // No /proc (macOS): fall back to liveness.
    return process.platform !== 'linux';
  }
}

/** The pid in a pid file, or undefined when the file is missing or garbled. */
export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Stop a process: SIGTERM (Kafka shuts down cleanly on it), then SIGKILL after `graceMs`.
 * Resolves once the process is gone.
 */
export async function stopProcess(pid: number, graceMs = 20_000): Promise<'terminated' | 'killed' | 'not-running'> {
  if (!isAlive(pid)) return 'not-running';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'not-running';
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid) || isZombie(pid)) return 'terminated';
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'terminated';
  }
  while (isAlive(pid) && !isZombie(pid)) await sleep(50);
  return 'killed';
}

function isZombie(pid: number): boolean {
  try {
    // Field 3 of /proc/<pid>/stat is the state; a child of ours that exited stays "Z" until reaped.
    return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * True when we can bind `host:port` (then release it). A port inside the kernel's ephemeral range can be
 * briefly busy as the local end of some outgoing connection without anyone listening on it, so a failed bind
 * with no listener behind it is retried for a few seconds before the port counts as taken.
 */
export async function isPortFree(port: number, host = '127.0.0.1', settleMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    if (await canBind(port, host)) return true;
    if ((await hasListener(port, host)) || Date.now() > deadline) return false;
    await sleep(250);
  }
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function hasListener(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1_000);
    const done = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Run `fn` holding an exclusive lock file (the state dir is shared by every shell and test run on the
 * machine; two `up`s racing would both try to bind the same ports). A lock left by a dead process is taken over.
 */
export async function withLock<T>(lockFile: string, fn: () => Promise<T>, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readPid(lockFile);
      if (holder === undefined || !isAlive(holder)) {
        try {
          unlinkSync(lockFile);
        } catch {
          // Another waiter removed it first.
        }
        continue;
      }
      if (holder === process.pid) {
        throw new LocalEnvironmentError(`Lock ${lockFile} is already held by this process (nested local operation)`);
      }
      if (Date.now() > deadline) {
        throw new LocalEnvironmentError(
          `Timed out after ${timeoutMs} ms waiting for lock ${lockFile} held by pid ${holder} (another kbridge local command or test run)`,
        );
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(lockFile);
    } catch {
      // Already gone.
    }
  }
}
