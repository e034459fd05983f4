import type { ConfigEntryRef } from '../cutover/plan';

/**
 * How producers are stopped on the source: their client-config entry gets `"paused": true`.
 *
 * The contract a producing service must follow (the cutover cannot stop a process it does not own):
 * 1. read its entry at start and re-read it at least every `pollMs` (the plan's drain window must be longer);
 * 2. when `paused` is true: stop sending, flush and await what is in flight (every `send` acknowledged or
 *    failed), keep new records in its own buffer (or apply back-pressure) — never drop them;
 * 3. when the entry changes to another `bootstrapServers` (the switch): reconnect there and send the buffer
 *    first, in order, then continue;
 * 4. when `paused` goes back to false with the same servers (rollback): resume on the same cluster.
 * The cutover verifies the fence from the outside: source end offsets must stop moving (waitDrained) and stay
 * still after the switch (verify).
 */
export interface ProducerFence {
  fence(ref: ConfigEntryRef): Promise<{ from: unknown; to: unknown; changed: boolean }>;
  unfence(ref: ConfigEntryRef): Promise<{ from: unknown; to: unknown; changed: boolean }>;
}
