#!/usr/bin/env node
// The `kbridge` CLI runs the TypeScript sources directly through tsx's loader, so there is no build step
// between editing the project and using it. Lambda bundles are built separately (npm run build).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
