/**
 * Load-on-first-use for AWS SDK clients (issue 15, lean Lambdas). A client module imported with `import()` is a
 * separate chunk in a function's bundle (scripts/build.mjs splits on dynamic imports): module init never reads
 * or evaluates it, and a function pays for it only when the path that needs it runs (the bridge's S3 client for
 * oversized dead letters, the MSK broker lookup, a secret read). Evaluating one SDK client and its share of
 * `@smithy/*` costs 50–80 ms of init on a Lambda-sized CPU; see docs/deploy.md "Bundles".
 *
 * Import a module of named re-exports (`./sdk/<service>.ts`) rather than the SDK package: esbuild bundles every
 * export of a module loaded with `import()`, so `import('@aws-sdk/client-dynamodb')` would carry all of DynamoDB's
 * commands (99 KiB instead of about half that, read at the first call).
 *
 * @example
 * ```ts
 * const sqsSdk = lazyModule(() => import('./sdk/sqs'));
 * const sqs = lazyClient(async () => new (await sqsSdk()).SQSClient(aws.client));
 * await (await sqs.get()).send(new (await sqsSdk()).SendMessageBatchCommand({ QueueUrl, Entries }));
 * sqs.destroy();
 * ```
 */
export function lazyModule<M>(load: () => Promise<M>): () => Promise<M> {
  let loaded: Promise<M> | undefined;
  return () => {
    if (!loaded) {
      const attempt = load();
      loaded = attempt;
      // A failed load (e.g. a missing chunk) is retried by the next caller instead of being cached.
      attempt.catch(() => {
        if (loaded === attempt) loaded = undefined;
      });
    }
    return loaded;
  };
}

/** An SDK client created on first `get()` (or the one given, e.g. a stub in tests); `destroy()` only if created. */
export interface LazyClient<C> {
  get(): Promise<C>;
  destroy(): void;
}

/**
 * @example
 * ```ts
 * const s3 = lazyClient(async () => new (await s3Sdk()).S3Client(aws.s3), options.client);
 * ```
 */
export function lazyClient<C extends { destroy(): void }>(create: () => Promise<C>, given?: C): LazyClient<C> {
  if (given) return { get: () => Promise.resolve(given), destroy: () => undefined };
  let created: C | undefined;
  const get = lazyModule(async () => {
    created = await create();
    return created;
  });
  return { get, destroy: () => created?.destroy() };
}

/**
 * An SDK client, or a getter that gives it (a {@link LazyClient}'s `get`): what adapters take, so that a function
 * creates the client when the adapter first sends, not at module init.
 */
export type ClientSource<C> = C | (() => Promise<C>);

/**
 * @example
 * ```ts
 * const sqs = await clientOf(client); // the client given, or the one the getter creates
 * ```
 */
export function clientOf<C extends object>(source: ClientSource<C>): Promise<C> {
  return typeof source === 'function' ? (source as () => Promise<C>)() : Promise.resolve(source);
}
