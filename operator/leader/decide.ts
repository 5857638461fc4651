/**
 * Leader-election decisions as pure functions of what the Lease says, when this elector last saw it change,
 * and the time: no I/O, table-tested. As client-go does, expiry is judged by the local time at which the
 * record was last seen to change (not the holder's renewTime), so clock skew between nodes cannot make a
 * follower take a lease early.
 */

/** The spec of a coordination.k8s.io/v1 Lease. */
export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number | null;
  /** MicroTime (RFC 3339 with microseconds). */
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number | null;
}

/** The record as last seen, and the local time it was first seen in that state. */
export interface Observation {
  readonly spec: LeaseSpec;
  readonly observedAt: number;
}

export type Verdict =
  /** No Lease exists: create it, holding it. */
  | { readonly action: 'create'; readonly reason: string }
  /** Take the Lease (free, released or expired): a transition. */
  | { readonly action: 'acquire'; readonly reason: string }
  /** We hold it: renew. */
  | { readonly action: 'renew'; readonly reason: string }
  /** Someone else holds a live lease: follow. */
  | { readonly action: 'wait'; readonly reason: string; readonly holder: string };

/** Whether the lease in `observed` has run out at `now`; its own duration wins over `defaultDurationMs`. */
export function isExpired(observed: Observation, now: number, defaultDurationMs: number): boolean {
  const seconds = observed.spec.leaseDurationSeconds;
  const durationMs = seconds && seconds > 0 ? seconds * 1000 : defaultDurationMs;
  return now >= observed.observedAt + durationMs;
}

export function decide(input: {
  readonly identity: string;
  /** undefined: there is no Lease object. */
  readonly observed: Observation | undefined;
  readonly now: number;
  readonly leaseDurationMs: number;
}): Verdict {
  const { identity, observed, now, leaseDurationMs } = input;
  if (!observed) return { action: 'create', reason: 'no lease exists' };
  const holder = observed.spec.holderIdentity ?? '';
  if (holder === identity) return { action: 'renew', reason: 'we hold the lease' };
  if (holder === '') return { action: 'acquire', reason: 'the lease is free (released)' };
  if (isExpired(observed, now, leaseDurationMs))
    return { action: 'acquire', reason: `the lease of ${holder} expired` };
  return { action: 'wait', reason: `${holder} holds the lease`, holder };
}

/** The spec to write for a create, acquire or renew verdict. */
export function nextSpec(
  current: LeaseSpec | undefined,
  verdict: Verdict,
  identity: string,
  now: number,
  leaseDurationMs: number,
): LeaseSpec {
  const time = microTime(now);
  const base: LeaseSpec = {
    holderIdentity: identity,
    leaseDurationSeconds: Math.max(1, Math.ceil(leaseDurationMs / 1000)),
    renewTime: time,
  };
  switch (verdict.action) {
    case 'create':
      return { ...base, acquireTime: time, leaseTransitions: 0 };
    case 'acquire':
      return {
        ...base,
        acquireTime: time,
        // Taking over from someone else is a transition; re-taking a lease we released ourselves is too.
        leaseTransitions: (current?.leaseTransitions ?? 0) + 1,
      };
    case 'renew':
      return {
        ...base,
        acquireTime: current?.acquireTime ?? time,
        leaseTransitions: current?.leaseTransitions ?? 0,
      };
    case 'wait':
      throw new Error('nextSpec: nothing to write when waiting');
  }
}

/** What a leader writes when it steps down gracefully: no holder, so a peer can take over at once. */
export function releasedSpec(current: LeaseSpec, now: number): LeaseSpec {
  return {
    ...current,
    holderIdentity: null,
    leaseDurationSeconds: 1,
    renewTime: microTime(now),
  };
}

/** A metav1.MicroTime: RFC 3339 with six fractional digits, UTC. */
export function microTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-01-02T03:04:05.678Z
  const whole = Math.floor(ms);
  const micros = Math.round((ms - whole) * 1000)
    .toString()
    .padStart(3, '0')
    .slice(0, 3);
  return iso.replace(/\.(\d{3})Z$/, `.$1${micros}Z`);
}
