import { describe, expect, test } from '@jest/globals';
import {
  decide,
  isExpired,
  microTime,
  nextSpec,
  releasedSpec,
  type LeaseSpec,
  type Observation,
} from './decide.ts';

const SECOND = 1000;
const seen = (spec: LeaseSpec, observedAt: number): Observation => ({ spec, observedAt });

describe('decide', () => {
  test.each<[string, Observation | undefined, number, string]>([
    ['creates the lease when none exists', undefined, 0, 'create'],
    [
      'renews a lease it holds',
      seen({ holderIdentity: 'me', leaseDurationSeconds: 15 }, 0),
      1 * SECOND,
      'renew',
    ],
    [
      'renews a lease it holds even when it looks expired (it may still write; the update is guarded by resourceVersion)',
      seen({ holderIdentity: 'me', leaseDurationSeconds: 15 }, 0),
      60 * SECOND,
      'renew',
    ],
    [
      'takes a released lease at once',
      seen({ holderIdentity: null, leaseDurationSeconds: 1 }, 0),
      0,
      'acquire',
    ],
    ['takes a lease whose holder is an empty string', seen({ holderIdentity: '' }, 0), 0, 'acquire'],
    [
      'waits while another holder renews in time',
      seen({ holderIdentity: 'peer', leaseDurationSeconds: 15 }, 10 * SECOND),
      24 * SECOND,
      'wait',
    ],
    [
      'takes a lease not renewed within its duration',
      seen({ holderIdentity: 'peer', leaseDurationSeconds: 15 }, 10 * SECOND),
      25 * SECOND,
      'acquire',
    ],
    [
      'uses the lease own duration over the default',
      seen({ holderIdentity: 'peer', leaseDurationSeconds: 2 }, 0),
      2 * SECOND,
      'acquire',
    ],
    [
      'falls back to the default duration when the lease has none',
      seen({ holderIdentity: 'peer' }, 0),
      14 * SECOND,
      'wait',
    ],
  ])('%s', (_sentence, observed, now, action) => {
    expect(decide({ identity: 'me', observed, now, leaseDurationMs: 15 * SECOND }).action).toBe(action);
  });

  test('a waiting verdict names the holder', () => {
    const verdict = decide({
      identity: 'me',
      observed: seen({ holderIdentity: 'peer' }, 0),
      now: 0,
      leaseDurationMs: 15 * SECOND,
    });
    expect(verdict).toMatchObject({ action: 'wait', holder: 'peer' });
  });
});

describe('isExpired', () => {
  test.each([
    ['is live just before observedAt + duration', 10_999, false],
    ['expires exactly at observedAt + duration', 11_000, true],
  ])('%s', (_sentence, now, expired) => {
    expect(isExpired(seen({ holderIdentity: 'peer', leaseDurationSeconds: 1 }, 10_000), now, 15_000)).toBe(
      expired,
    );
  });
});

describe('nextSpec', () => {
  const now = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
  const held: LeaseSpec = {
    holderIdentity: 'peer',
    leaseDurationSeconds: 15,
    acquireTime: '2026-01-01T00:00:00.000000Z',
    renewTime: '2026-01-01T00:00:10.000000Z',
    leaseTransitions: 4,
  };

  test.each<[string, 'create' | 'acquire' | 'renew', LeaseSpec | undefined, LeaseSpec]>([
    [
      'a created lease starts with no transitions',
      'create',
      undefined,
      {
        holderIdentity: 'me',
        leaseDurationSeconds: 2,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      },
    ],
    [
      'taking over counts a transition and resets acquireTime',
      'acquire',
      held,
      {
        holderIdentity: 'me',
        leaseDurationSeconds: 2,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 5,
      },
    ],
    [
      'renewing keeps acquireTime and transitions',
      'renew',
      { ...held, holderIdentity: 'me' },
      {
        holderIdentity: 'me',
        leaseDurationSeconds: 2,
        acquireTime: held.acquireTime,
        renewTime: microTime(now),
        leaseTransitions: 4,
      },
    ],
  ])('%s', (_sentence, action, current, expected) => {
    expect(nextSpec(current, { action, reason: '' }, 'me', now, 1500)).toEqual(expected);
  });

  test('releasing clears the holder and shortens the lease', () => {
    expect(releasedSpec({ ...held, holderIdentity: 'me' }, now)).toEqual({
      ...held,
      holderIdentity: null,
      leaseDurationSeconds: 1,
      renewTime: microTime(now),
    });
  });
});

describe('microTime', () => {
  test('has six fractional digits', () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05.678000Z');
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678) + 0.25)).toBe('2026-01-02T03:04:05.678250Z');
  });
});
