/**
 * Whether a round holds back the quota reserve for newcomers (pure). A sidecar that connects between two rounds has
 * no share yet and starts at a tenth of each limit (sidecar/quota/quota-rates.ts); the reserve keeps room for it.
 * Held while the fleet changes: a newcomer that has not reported yet, or a sidecar that joined within the last
 * `quietRounds` rounds (joins come in bursts: a rollout, a scale-up). Once the fleet has been stable that long the
 * reserve goes to the current sidecars, so a saturated limit is used whole; the next join brings it back in the
 * round after (until then the newcomer's tenth may run over the limit for a few seconds: under 1 % of a minute at
 * rounds of 5 s).
 */

export interface ReserveState {
  /** The connected sidecars at the last round. */
  readonly members: ReadonlySet<string>;
  /** Rounds since a sidecar last joined. */
  readonly quietRounds: number;
}

export const INITIAL_RESERVE_STATE: ReserveState = { members: new Set(), quietRounds: 0 };

/** Rounds without a join after which the reserve is released. */
export const RESERVE_QUIET_ROUNDS = 3;

export function newcomerReserve(
  state: ReserveState,
  connected: readonly string[],
  hasNewcomers: boolean,
  quietRoundsToRelease = RESERVE_QUIET_ROUNDS,
): { readonly state: ReserveState; readonly hold: boolean } {
  const joined = connected.some((id) => !state.members.has(id));
  const quietRounds = joined ? 0 : state.quietRounds + 1;
  return {
    state: { members: new Set(connected), quietRounds },
    hold: hasNewcomers || quietRounds < quietRoundsToRelease,
  };
}
