import { describe, expect, it } from '@jest/globals';
import {
  RelayMembersSchema,
  RelaySnapshotSchema,
  ReportSchema,
  SnapshotSchema,
  SlowdownSchema,
  SYNC_PROTOCOL,
} from './sync-protocol.ts';
import { BUCKET_COUNT } from './histogram.ts';
import { targetReport } from '../../test/support/sync-reports.ts';

const spec = {
  providers: [
    { name: 'a', type: 'openai', baseURL: 'http://a.test/v1', models: [{ name: 'chat', model: 'm' }] },
  ],
};
const snapshot = {
  protocol: SYNC_PROTOCOL,
  namespace: 'default',
  pool: 'chat',
  configVersion: '0123456789abcdef',
  revision: 3,
  issuedAt: 1_800_000_000_000,
  spec,
  weights: { a: 1 },
  cooldowns: [{ provider: 'a', until: 1_800_000_002_000, reason: 'RateLimited' }],
  quotas: [{ provider: 'a', requestsPerMinute: 120 }],
};
const report = {
  sidecar: 'app-7d9f-x2',
  windowStart: 1,
  windowEnd: 2,
  targets: [],
  cooldowns: [],
};

describe('sync protocol messages', () => {
  it('accepts a full snapshot and fills the spec’s defaults, as a sidecar loading a file would', () => {
    const parsed = SnapshotSchema.parse(snapshot);
    expect(parsed.spec.strategy.type).toBe('weighted-round-robin');
  });

  it.each<[string, Record<string, unknown>]>([
    ['refuses a snapshot of another protocol version', { protocol: 'switchboard.dev/sync/v0' }],
    ['refuses a snapshot whose spec is invalid', { spec: { providers: [] } }],
    ['refuses a negative weight', { weights: { a: -1 } }],
    ['refuses an unknown cool-down reason', { cooldowns: [{ provider: 'a', until: 1, reason: 'Bored' }] }],
  ])('%s', (_name, change) => {
    expect(SnapshotSchema.safeParse({ ...snapshot, ...change }).success).toBe(false);
  });

  it('reads a newer operator’s snapshot, ignoring envelope fields it does not know, but not an unknown spec field', () => {
    const newer = { ...snapshot, hint: 'later', cooldowns: [{ ...snapshot.cooldowns[0], scope: 'region' }] };
    expect(SnapshotSchema.parse(newer)).not.toHaveProperty('hint');
    expect(SnapshotSchema.parse(newer).cooldowns[0]).not.toHaveProperty('scope');
    expect(SnapshotSchema.safeParse({ ...snapshot, spec: { ...spec, later: true } }).success).toBe(false);
  });

  it('reads a newer sidecar’s report, ignoring the fields it does not know', () => {
    const target = { ...targetReport('a', { attempts: 1, successes: 1 }), somethingNew: 3 };
    const parsed = ReportSchema.parse({ ...report, targets: [target], somethingElse: [] });
    expect(parsed).not.toHaveProperty('somethingElse');
    expect(parsed.targets[0]).not.toHaveProperty('somethingNew');
  });

  it.each<[string, Record<string, unknown>, boolean]>([
    ['accepts a report with no traffic', {}, true],
    ['refuses a sidecar id with a slash (ids name pods)', { sidecar: 'a/b' }, false],
    [
      'refuses a histogram with more buckets than the layout has',
      {
        targets: [
          {
            ...targetReport('a', { attempts: 1, successes: 1 }),
            latency: Array<number>(BUCKET_COUNT + 1).fill(0),
          },
        ],
      },
      false,
    ],
  ])('%s', (_name, change, ok) => {
    expect(ReportSchema.safeParse({ ...report, ...change }).success).toBe(ok);
  });
});

describe('slowdown probes and recoveries between neighbouring versions', () => {
  const slowdown = { provider: 'a', model: 'chat', factor: 4, until: 2_000 };
  const recovery = { provider: 'a', model: 'chat', at: 1_500 };
  // What an older peer's schema keeps: the same objects without the new fields (zod drops unknown keys).
  const OlderSlowdown = SlowdownSchema.omit({ probeEveryMs: true });
  const OlderSnapshot = SnapshotSchema.omit({ recoveries: true }).extend({
    slowdowns: OlderSlowdown.array().optional(),
  });
  const OlderReport = ReportSchema.omit({ recoveries: true });
  it.each<[string, () => unknown, unknown]>([
    [
      'an older sidecar reads a snapshot with probes and recoveries as one with the slowdown alone',
      () => {
        const parsed = OlderSnapshot.parse({
          ...snapshot,
          slowdowns: [{ ...slowdown, probeEveryMs: 90_000 }],
          recoveries: [recovery],
        });
        return [parsed.slowdowns, 'recoveries' in parsed];
      },
      [[slowdown], false],
    ],
    [
      'an older operator reads a report with recoveries as one without',
      () => 'recoveries' in OlderReport.parse({ ...report, recoveries: [recovery] }),
      false,
    ],
    [
      'a newer sidecar reads an older operator’s slowdown as one without probes',
      () => SnapshotSchema.parse({ ...snapshot, slowdowns: [slowdown] }).slowdowns?.[0]?.probeEveryMs,
      undefined,
    ],
    [
      'a newer operator reads an older sidecar’s report as one without recoveries',
      () => ReportSchema.parse(report).recoveries,
      undefined,
    ],
    [
      'a probe interval of zero is refused',
      () => SlowdownSchema.safeParse({ ...slowdown, probeEveryMs: 0 }).success,
      false,
    ],
    [
      'a recovery without its time is refused',
      () => ReportSchema.safeParse({ ...report, recoveries: [{ provider: 'a', model: 'chat' }] }).success,
      false,
    ],
  ])('%s', (_sentence, read, expected) => {
    expect(read()).toEqual(expected);
  });
});

describe('the relay messages between operator replicas', () => {
  const relayed = {
    ...snapshot,
    quotas: { 'app-1': [{ provider: 'a', requestsPerMinute: 60 }], 'app-2': [] },
  };
  it.each<[string, () => boolean, boolean]>([
    [
      'a relay snapshot carries shares by sidecar',
      () => RelaySnapshotSchema.safeParse(relayed).success,
      true,
    ],
    [
      'a relay snapshot with one list of shares (a sidecar’s snapshot) is refused',
      () => RelaySnapshotSchema.safeParse(snapshot).success,
      false,
    ],
    [
      'a relay snapshot naming a sidecar that is no valid id is refused',
      () => RelaySnapshotSchema.safeParse({ ...relayed, quotas: { 'not a name': [] } }).success,
      false,
    ],
    [
      'members name the replica and its sidecars',
      () => RelayMembersSchema.safeParse({ replica: 'op-2', sidecars: ['app-1', 'app-2'] }).success,
      true,
    ],
    [
      'members without the replica are refused',
      () => RelayMembersSchema.safeParse({ sidecars: ['app-1'] }).success,
      false,
    ],
  ])('%s', (_sentence, parse, ok) => {
    expect(parse()).toBe(ok);
  });
});
