import type { TriggerCreateSpec, TriggerRef } from '../cutover/plan';

/** Lambda's `State` of an event source mapping, as far as the cutover cares. */
export type TriggerState = 'Enabled' | 'Enabling' | 'Disabled' | 'Disabling' | 'Creating' | 'Updating' | 'Deleting' | string;

export interface TriggerStatus {
  id: string;
  state: TriggerState;
  /** The consumer group the mapping uses, when the API reports it. */
  consumerGroupId?: string;
}

/**
 * Switches event source mappings (Lambda's Kafka triggers) on and off. `disable`/`enable` only ask;
 * callers poll `status` until the state is really `Disabled`/`Enabled` (Lambda answers `Disabling`/`Enabling`
 * first). AWS adapter: `src/adapters/aws/triggerControl.ts` (Lambda UpdateEventSourceMapping…); local
 * adapter: `src/adapters/local/triggerControl.ts` (the ESM emulator's HTTP control API).
 */
export interface TriggerControl {
  status(ref: TriggerRef): Promise<TriggerStatus>;
  disable(ref: TriggerRef): Promise<TriggerStatus>;
  enable(ref: TriggerRef): Promise<TriggerStatus>;
  /** Create a mapping (Enabled) with the given consumer group id; resolves to its id. */
  create(spec: TriggerCreateSpec, consumerGroupId: string): Promise<TriggerStatus>;
}
