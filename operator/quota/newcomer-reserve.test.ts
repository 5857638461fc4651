import { describe, expect, it } from '@jest/globals';
import { INITIAL_RESERVE_STATE, newcomerReserve, type ReserveState } from './newcomer-reserve.ts';

/** Runs rounds with these connected sidecars (and newcomer flags); returns whether each round held the reserve. */
function rounds(steps: readonly { connected: string[]; newcomers?: boolean }[]): boolean[] {
  let state: ReserveState = INITIAL_RESERVE_STATE;
  return steps.map(({ connected, newcomers = false }) => {
    const next = newcomerReserve(state, connected, newcomers, 3);
    state = next.state;
    return next.hold;
  });
}

describe('the newcomers’ quota reserve', () => {
  it.each<{ name: string; steps: { connected: string[]; newcomers?: boolean }[]; held: boolean[] }>([
    {
      name: 'is held while the fleet forms, and released after three rounds without a join',
      steps: [
        { connected: ['a', 'b'] },
        { connected: ['a', 'b'] },
        { connected: ['a', 'b'] },
        { connected: ['a', 'b'] },
      ],
      held: [true, true, true, false],
    },
    {
      name: 'comes back when a sidecar joins, for three more rounds',
      steps: [
        { connected: ['a'] },
        { connected: ['a'] },
        { connected: ['a'] },
        { connected: ['a'] },
        { connected: ['a', 'b'] },
        { connected: ['a', 'b'] },
        { connected: ['a', 'b'] },
        { connected: ['a', 'b'] },
      ],
      held: [true, true, true, false, true, true, true, false],
    },
    {
      name: 'stays released when a sidecar leaves (its share goes to the others)',
      steps: [
        { connected: ['a', 'b'] },
        { connected: ['a', 'b'] },
        { connected: ['a', 'b'] },
        { connected: ['a', 'b'] },
        { connected: ['a'] },
      ],
      held: [true, true, true, false, false],
    },
    {
      name: 'is held while a newcomer has not reported, however quiet the fleet',
      steps: [
        { connected: ['a', 'b'] },
        { connected: ['a', 'b'] },
        { connected: ['a', 'b'] },
        { connected: ['a', 'b'], newcomers: true },
      ],
      held: [true, true, true, true],
    },
  ])('$name', ({ steps, held }) => {
    expect(rounds(steps)).toEqual(held);
  });
});
