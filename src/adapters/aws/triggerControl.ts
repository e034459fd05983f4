import type { EventSourceMappingConfiguration, SourceAccessType } from '@aws-sdk/client-lambda';
import type { TriggerCreateSpec, TriggerRef } from '../../cutover/plan';
import type { TriggerControl, TriggerStatus } from '../../ports/triggerControl';
import type { AwsClientConfig } from './clientConfig';
import { awsCallError } from './configStore';
import { lazyClient, lazyModule } from './lazy';

const lambdaSdk = lazyModule(() => import('./sdk/lambda'));
type LambdaSdk = Awaited<ReturnType<typeof lambdaSdk>>;

function toStatus(id: string, out: EventSourceMappingConfiguration): TriggerStatus {
  const group =
    out.SelfManagedKafkaEventSourceConfig?.ConsumerGroupId ?? out.AmazonManagedKafkaEventSourceConfig?.ConsumerGroupId ?? undefined;
  return { id: out.UUID ?? id, state: out.State ?? 'Unknown', ...(group ? { consumerGroupId: group } : {}) };
}

/**
 * The AWS {@link TriggerControl} over Lambda's event source mapping API: `Enabled=false/true` with
 * UpdateEventSourceMapping (answers `Disabling`/`Enabling`; poll {@link TriggerControl.status} until it settles),
 * GetEventSourceMapping for the state, CreateEventSourceMapping for a new target mapping with the same consumer
 * group id (self-managed: `SelfManagedEventSource.Endpoints.KAFKA_BOOTSTRAP_SERVERS`; MSK: `EventSourceArn`).
 * Moto does not implement Kafka mappings, so `test/unit/cutover/awsTriggerControl.test.ts` checks the requests.
 *
 * @example
 * ```ts
 * const triggers = createLambdaTriggerControl(resolveAwsClientConfig(process.env));
 * await triggers.disable({ id: '14e0db71-5d35-4eb5-b481-8945cf9d10c2' });
 * ```
 */
export function createLambdaTriggerControl(config: AwsClientConfig, client?: { send(command: never): Promise<unknown>; destroy?(): void }): TriggerControl & { close(): void } {
  const lambda = lazyClient<{ send(command: never): Promise<unknown>; destroy(): void }>(
    async () => new (await lambdaSdk()).LambdaClient(config.client),
    client ? { send: (c) => client.send(c), destroy: () => undefined } : undefined,
  );
  const send = async (operation: string, id: string, command: (sdk: LambdaSdk) => object): Promise<EventSourceMappingConfiguration> => {
    try {
      const [sdk, c] = await Promise.all([lambdaSdk(), lambda.get()]);
      return (await (c as { send(c: object): Promise<unknown> }).send(command(sdk))) as EventSourceMappingConfiguration;
    } catch (err) {
      throw awsCallError('lambda', operation, id, err);
    }
  };
  return {
    close: () => (client ? client.destroy?.() : lambda.destroy()),
    status: async (ref: TriggerRef) => toStatus(ref.id, await send('GetEventSourceMapping', ref.id, (sdk) => new sdk.GetEventSourceMappingCommand({ UUID: ref.id }))),
    disable: async (ref: TriggerRef) =>
      toStatus(ref.id, await send('UpdateEventSourceMapping', ref.id, (sdk) => new sdk.UpdateEventSourceMappingCommand({ UUID: ref.id, Enabled: false }))),
    enable: async (ref: TriggerRef) =>
      toStatus(ref.id, await send('UpdateEventSourceMapping', ref.id, (sdk) => new sdk.UpdateEventSourceMappingCommand({ UUID: ref.id, Enabled: true }))),
    create: async (spec: TriggerCreateSpec, consumerGroupId: string) => {
      const msk = spec.eventSourceArn !== undefined;
      const out = await send(
        'CreateEventSourceMapping',
        spec.functionName,
        (sdk) => new sdk.CreateEventSourceMappingCommand({
          FunctionName: spec.functionName,
          Topics: [spec.topic],
          Enabled: true,
          // Only applies when the group has no committed offset; the cutover seeded one, so Lambda resumes there.
          StartingPosition: 'TRIM_HORIZON',
          ...(spec.batchSize !== undefined ? { BatchSize: spec.batchSize } : {}),
          ...(msk
            ? { EventSourceArn: spec.eventSourceArn, AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: consumerGroupId } }
            : {
                SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: (spec.bootstrapServers ?? '').split(',') } },
                SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: consumerGroupId },
              }),
          ...(spec.sourceAccessConfigurations
            ? { SourceAccessConfigurations: spec.sourceAccessConfigurations.map((c) => ({ Type: c.Type as SourceAccessType, URI: c.URI })) }
            : {}),
        }),
      );
      return toStatus(out.UUID ?? '', out);
    },
  };
}
