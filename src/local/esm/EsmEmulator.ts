import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, describeError, KBridgeError } from '../../errors';
import type { EsmMappingConfig } from './config';
import { EsmMapping, type EsmRuntimeOptions, type MappingStatus } from './EsmMapping';

/**
 * Several event source mappings in one process (one `kbridge esm run`), plus the local control API the
 * cutover uses to flip Lambda's `Enabled` flag from another process:
 * - `GET  /mappings` → `{ mappings: MappingStatus[] }`
 * - `GET  /mappings/{id}` → `MappingStatus`
 * - `POST /mappings/{id}/disable` | `/enable` → 202 with the state right after the request
 *   (`Disabling`/`Enabling`); add `?wait=true` to answer only once `Disabled`/`Enabled` (200).
 *
 * @example
 * ```ts
 * const emulator = new EsmEmulator(await loadEsmConfigFile('esm.yml'), { logger });
 * await emulator.start();
 * const port = await emulator.listen(0); // 127.0.0.1 only
 * await emulator.stop(5000);
 * ```
 */
export class EsmEmulator {
  private readonly mappings: Map<string, EsmMapping>;
  private server: Server | undefined;

  public constructor(configs: readonly EsmMappingConfig[], options: EsmRuntimeOptions = {}) {
    this.mappings = new Map(configs.map((c) => [c.id, new EsmMapping(c, options)]));
  }

  /** Load every handler first (a broken one fails the run before anything consumes), then start the enabled mappings. */
  public async start(): Promise<void> {
    await Promise.all([...this.mappings.values()].map((m) => m.start()));
  }

  public mapping(id: string): EsmMapping {
    const mapping = this.mappings.get(id);
    if (!mapping) throw new ConfigError(`No event source mapping "${id}"; known: ${[...this.mappings.keys()].join(', ')}`, { field: 'mappingId' });
    return mapping;
  }

  public list(): MappingStatus[] {
    return [...this.mappings.values()].map((m) => m.status());
  }

  public pause(id: string): Promise<void> {
    return this.mapping(id).disable();
  }

  public resume(id: string): Promise<void> {
    return this.mapping(id).enable();
  }

  /** Stop every mapping (in-flight batches get `graceMs` to finish) and close the control API. */
  public async stop(graceMs = 0): Promise<void> {
    await this.closeServer();
    await Promise.all([...this.mappings.values()].map((m) => m.stop(graceMs)));
  }

  /** Start the control API on 127.0.0.1:`port` (0 = any free port); resolves to the port. */
  public listen(port: number): Promise<number> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => sendJson(res, 500, { error: describeError(err) }));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const parts = url.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
    if (parts[0] !== 'mappings') return sendJson(res, 404, { error: `No route ${req.method} ${url.pathname}; try GET /mappings` });
    if (parts.length === 1 && req.method === 'GET') return sendJson(res, 200, { mappings: this.list() });
    const mapping = this.mappings.get(parts[1] ?? '');
    if (!mapping) return sendJson(res, 404, { error: `No event source mapping "${parts[1]}"`, known: [...this.mappings.keys()] });
    if (parts.length === 2 && req.method === 'GET') return sendJson(res, 200, mapping.status());
    const action = parts[2];
    if (parts.length === 3 && req.method === 'POST' && (action === 'enable' || action === 'disable')) {
      const change = action === 'enable' ? mapping.enable() : mapping.disable();
      if (url.searchParams.get('wait') === 'true') {
        try {
          await change;
        } catch (err) {
          return sendJson(res, err instanceof KBridgeError && !err.retriable ? 400 : 500, { error: describeError(err), ...mapping.status() });
        }
        return sendJson(res, 200, mapping.status());
      }
      change.catch(() => undefined);
      // Let the transition begin so the answer shows Enabling/Disabling, as UpdateEventSourceMapping does.
      await new Promise((r) => setImmediate(r));
      return sendJson(res, 202, mapping.status());
    }
    return sendJson(res, 405, { error: `${req.method} ${url.pathname} is not supported; use GET /mappings[/{id}] or POST /mappings/{id}/enable|disable` });
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
