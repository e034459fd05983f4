#!/usr/bin/env node
// The `kbridge` CLI runs the TypeScript sources directly through tsx's loader, so there is no build step
// between editing the project and using it. Lambda bundles are built separately (npm run build).
//
// The project runs on Node 22+ (@platformatic/kafka needs >= 22.22; Node 20 is past end of life). npm scripts
// and `npx kbridge` already run on the `node` devDependency (node_modules/.bin is first on their PATH); a plain
// `node bin/kbridge.mjs` under an older system Node re-runs itself on that binary.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 22)) {
  const local = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(local)) {
    process.stderr.write(`kbridge needs Node >= 22.22 (this is ${process.version}); run "npm ci" to install the project's Node, or use Node 22/24\n`);
    process.exit(1);
  }
  const child = spawnSync(local, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? (child.signal ? 128 : 1));
}

const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
