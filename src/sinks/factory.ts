import type { AwsClientConfig } from '../adapters/aws/clientConfig';
import type { SinkConfig } from './config';
import { sinkDestinations } from './destinations';
import type { SinkClients, SinkDestination } from './types';
import { openSink } from './open';
import type { Sink } from './types';

export type { SinkClients } from './types';

/**
 * Build the sink a configuration describes, of any kind (the CLI and tests; a Lambda handler opens its one
 * destination with {@link openSink} so that its bundle carries one SDK client), with its dead-letter queue when
 * `DLQ_URL` is set.
 *
 * @example
 * ```ts
 * const sink = createSink(parseSinkConfig('sqs', process.env), resolveAwsClientConfig(process.env));
 * const result = await sink.deliver(batch);
 * ```
 */
export function createSink(config: SinkConfig, aws: AwsClientConfig, clients: SinkClients = {}): Sink & { destroy(): void } {
  return openSink(sinkDestinations[config.kind] as SinkDestination, config, aws, clients);
}
