import { describe, expect, it } from '@jest/globals';
import { ReportSchema, SnapshotSchema, SYNC_PROTOCOL } from './sync-protocol.ts';
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
