import type { TriggerRef } from '../../cutover/plan';
import type { TriggerControl, TriggerStatus } from '../../ports/triggerControl';

/**
 * A {@link TriggerControl} in which some ids name a group of mappings switched together. The rehearsal's reverse
 * bridge has one mapping per topic (a Kafka trigger reads one topic, as Lambda's does), while a plan names one
 * `reverseBridge.trigger`: that id stands for all of them here. Every other id goes to `inner` unchanged.
 * A group's state is its members' common state, `Updating` while they differ.
 *
 * @example
 * ```ts
 * const triggers = withTriggerGroups(createEmulatorTriggerControl({ defaultControlUrl }), { 'reverse-bridge': [{ id: 'reverse-0' }, { id: 'reverse-1' }] });
 * await triggers.enable({ id: 'reverse-bridge' }); // enables reverse-0 and reverse-1
 * ```
 */
export function withTriggerGroups(inner: TriggerControl, groups: Record<string, readonly TriggerRef[]>): TriggerControl {
  const each = async (ref: TriggerRef, call: (member: TriggerRef) => Promise<TriggerStatus>): Promise<TriggerStatus> => {
    const members = groups[ref.id];
    if (!members) return call(ref);
    const states = await Promise.all(members.map(call));
    return { id: ref.id, state: groupState(states.map((s) => s.state)) };
  };
  return {
    status: (ref) => each(ref, (m) => inner.status(m)),
    enable: (ref) => each(ref, (m) => inner.enable(m)),
    disable: (ref) => each(ref, (m) => inner.disable(m)),
    create: (spec, groupId) => inner.create(spec, groupId),
  };
}

/**
 * The state of a group of mappings: the common state, or `Updating` while they differ.
 *
 * @example
 * ```ts
 * groupState(['Enabled', 'Enabling']); // 'Updating'
 * ```
 */
export function groupState(states: readonly string[]): string {
  const first = states[0];
  if (first === undefined) return 'Disabled';
  return states.every((s) => s === first) ? first : 'Updating';
}
