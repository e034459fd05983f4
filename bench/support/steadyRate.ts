/**
 * Progress samples (time in ms, records done so far) → records/s between the samples where 10 % and 90 % of
 * `total` were done: the steady state, without the start (connect, group join) and the tail.
 *
 * @example
 * ```ts
 * steadyRate([[0, 0], [100, 200], [1000, 950]], 1000); // records/s between 10 % and 90 %
 * ```
 */
export function steadyRate(samples: ReadonlyArray<readonly [number, number]>, total: number): number {
  const at = (fraction: number): readonly [number, number] | undefined => samples.find(([, n]) => n >= total * fraction);
  const from = at(0.1);
  const to = at(0.9);
  if (!from || !to || to[0] <= from[0]) return Number.NaN;
  return ((to[1] - from[1]) / (to[0] - from[0])) * 1000;
}
