// kafkajs 2.2 internal modules the adapter reaches into (they ship no types). Imported with their `.js` path so
// Node's ESM loader, vitest and esbuild all resolve them, and a Lambda bundle includes them like the rest of
// kafkajs (a createRequire at run time would look for node_modules, which a bundle does not have).
declare module 'kafkajs/src/protocol/requests/apiKeys.js' {
  const apiKeys: Record<string, number>;
  export default apiKeys;
}
declare module 'kafkajs/src/protocol/requests/index.js' {
  export const requests: Record<string, unknown>;
}
declare module 'kafkajs/src/protocol/error.js' {
  export const errorCodes: Array<{ type: string; code: number; retriable: boolean; message: string }>;
}
declare module 'kafkajs/src/consumer/batch.js' {
  const Batch: new (
    topic: string,
    fetchedOffset: string,
    data: unknown,
  ) => {
    messages: { offset: string; timestamp: string }[];
    messagesWithinOffset: { offset: string }[];
  };
  export default Batch;
}
