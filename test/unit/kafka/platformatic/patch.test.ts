import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// patches/@platformatic+kafka+2.12.1.patch (applied by `npm ci` through patch-package): the library's own
// read_committed filter ended an aborted transaction at the producer's LAST abort marker in a fetch answer, so a
// marker-only abort after committed transactions hid all of them (the conformance test "an abort with no data of
// its own" in test/integration/kafka/port.test.ts shows the behaviour against a real broker). Here: the
// installed file is the patched one, the one esbuild bundles.
const root = join(import.meta.dirname, '../../../../node_modules/@platformatic/kafka');

describe('@platformatic/kafka read_committed filter (patched)', () => {
  it('is the patched version', async () => {
    const source = await readFile(join(root, 'dist/clients/consumer/consumer.js'), 'utf8');
    expect(source).toContain('kafka-msk-bridge patch');
    expect(JSON.parse(await readFile(join(root, 'package.json'), 'utf8')).version).toBe('2.12.1');
  });
});
