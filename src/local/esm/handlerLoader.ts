import { access } from 'node:fs/promises';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HandlerLoadError } from '../../errors';

/** A Lambda handler as users write them: async `(event, context)` or callback-style `(event, context, callback)`. */
export type LambdaHandler = (event: unknown, context: unknown, callback?: (err?: unknown, result?: unknown) => void) => unknown;

// Lambda's Node.js runtime tries these extensions for a handler module; TypeScript is ours (run through tsx).
const EXTENSIONS = ['', '.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/**
 * Load `exportName` from a handler module given without extension (as in serverless.yml's `handler`).
 * TypeScript modules go through tsx's loader when the process has none registered.
 * A missing module or export is a {@link HandlerLoadError} naming both.
 *
 * @example
 * ```ts
 * const handler = await loadHandler('/srv/app/src/handler', 'main');
 * ```
 */
export async function loadHandler(modulePath: string, exportName: string): Promise<LambdaHandler> {
  const file = await findModuleFile(modulePath);
  if (file === undefined) {
    throw new HandlerLoadError(`Handler module ${modulePath} not found (tried ${EXTENSIONS.map((e) => e || '(as is)').join(', ')})`, {
      module: modulePath,
      exportName,
    });
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (err) {
    throw new HandlerLoadError(`Handler module ${file} failed to load: ${(err as Error).message}`, { module: file, exportName, cause: err });
  }
  // CommonJS modules imported from ESM expose module.exports as `default`.
  const fromDefault = mod.default !== null && typeof mod.default === 'object' ? (mod.default as Record<string, unknown>)[exportName] : undefined;
  const fn = mod[exportName] ?? fromDefault;
  if (typeof fn !== 'function') {
    const exported = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    throw new HandlerLoadError(
      `Handler module ${file} has no function export "${exportName}"${exported.length > 0 ? ` (function exports: ${exported.join(', ')})` : ''}`,
      { module: file, exportName },
    );
  }
  return fn as LambdaHandler;
}

async function findModuleFile(modulePath: string): Promise<string | undefined> {
  for (const ext of EXTENSIONS) {
    if (ext === '' && extname(modulePath) === '') continue;
    try {
      await access(modulePath + ext);
      return modulePath + ext;
    } catch {
      // try the next extension
    }
  }
  return undefined;
}

async function importModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    // Plain Node cannot import .ts; tsx's API loads it in its own namespace.
    if ((err as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
}
