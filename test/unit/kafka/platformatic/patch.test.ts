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

// The same patch: the native CRC32C checksummed a record batch by Buffer.concat-ing all its chunks first (a copy of
// every batch the bridge writes); it now runs chunk by chunk with the running CRC as the initial state.
describe('@platformatic/kafka native CRC32C over chunks (patched)', () => {
  it('equals the JavaScript CRC32C of the concatenated bytes, for chunked, single and empty buffers', async () => {
    const { crc32c, jsCRC32C } = await import('@platformatic/kafka');
    const { DynamicBuffer } = await import('@platformatic/dynamic-buffer');
    expect(crc32c.name).toBe('nativeCRC32C');
    const chunks = [0, 1, 7, 64, 1000, 3].map((n, i) => Buffer.from(Array.from({ length: n }, (_, j) => (i * 31 + j * 7) & 0xff)));
    const whole = Buffer.concat(chunks);
    expect(crc32c(new DynamicBuffer(chunks))).toBe(jsCRC32C(whole));
    expect(crc32c(whole)).toBe(jsCRC32C(whole));
    expect(crc32c(new DynamicBuffer())).toBe(0);
    expect(crc32c(new DynamicBuffer([Buffer.from('123456789')]))).toBe(0xe3069283); // the CRC-32C check value
  });
});
