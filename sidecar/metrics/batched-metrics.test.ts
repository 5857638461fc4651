import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { Counter, Gauge, Registry } from 'prom-client';
import { BatchedCounter, BatchedGauge } from './batched-metrics.ts';

const LABELS = ['provider', 'model'] as const;
type Label = (typeof LABELS)[number];
const labelSet = fc.record({
  provider: fc.constantFrom('a', 'b', 'c'),
  model: fc.constantFrom('chat', 'embed'),
});

/** The same metric twice: prom-client's own in one registry, the batched one in another. */
function counters() {
  const plainRegistry = new Registry();
  const batchedRegistry = new Registry();
  const config = { name: 'x_total', help: 'x', labelNames: LABELS };
  const plain = new Counter({ ...config, registers: [plainRegistry] });
  const batched = new BatchedCounter<Label>({ ...config, registers: [batchedRegistry] });
  return { plain, batched, plainRegistry, batchedRegistry };
}

describe('batched counters and gauges', () => {
  test('a scrape after N increments shows N, and the next scrape N more', async () => {
    const { batched, batchedRegistry } = counters();
    for (let i = 0; i < 1000; i++) batched.inc({ provider: 'a', model: 'chat' });
    expect(await batchedRegistry.metrics()).toContain('x_total{provider="a",model="chat"} 1000');
    const cell = batched.cell({ provider: 'a', model: 'chat' });
    for (let i = 0; i < 500; i++) batched.add(cell);
    expect(await batchedRegistry.metrics()).toContain('x_total{provider="a",model="chat"} 1500');
    expect((await batched.metric.get()).values).toEqual([
      { labels: { provider: 'a', model: 'chat' }, value: 1500 },
    ]);
  });

  test('every scrape of a counter reads as prom-client would, whatever the increments and scrapes between', async () => {
    const step = fc.oneof(
      fc.record({ labels: labelSet, by: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }) }),
      fc.constant('scrape' as const),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const { plain, batched, plainRegistry, batchedRegistry } = counters();
        for (const s of [...steps, 'scrape' as const]) {
          if (s === 'scrape') expect(await batchedRegistry.metrics()).toBe(await plainRegistry.metrics());
          else if (s.by === undefined) {
            plain.inc(s.labels);
            batched.inc(s.labels);
          } else {
            plain.inc(s.labels, s.by);
            batched.inc(s.labels, s.by);
          }
        }
      }),
    );
  });

  test('every scrape of a gauge reads as prom-client would, across increments, decrements and removals', async () => {
    const step = fc.oneof(
      fc.record({ op: fc.constantFrom('inc' as const, 'dec' as const, 'remove' as const), labels: labelSet }),
      fc.constant('scrape' as const),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const plainRegistry = new Registry();
        const batchedRegistry = new Registry();
        const config = { name: 'g', help: 'g', labelNames: LABELS };
        const plain = new Gauge({ ...config, registers: [plainRegistry] });
        const batched = new BatchedGauge<Label>({ ...config, registers: [batchedRegistry] });
        for (const s of [...steps, 'scrape' as const]) {
          if (s === 'scrape') expect(await batchedRegistry.metrics()).toBe(await plainRegistry.metrics());
          else if (s.op === 'remove') {
            plain.remove(s.labels);
            batched.remove(s.labels);
          } else {
            plain[s.op](s.labels);
            batched[s.op](s.labels);
          }
        }
      }),
    );
  });

  test.each([
    ['a decrease', -1, 'It is not possible to decrease a counter'],
    ['infinity', Number.POSITIVE_INFINITY, 'Value is not a valid number: Infinity'],
  ])('a counter refuses %s at once, as prom-client does', (_, by, message) => {
    const { plain, batched } = counters();
    expect(() => plain.inc({ provider: 'a', model: 'chat' }, by)).toThrow(message);
    expect(() => batched.inc({ provider: 'a', model: 'chat' }, by)).toThrow(message);
  });

  test('a counter refuses a label it was not declared with, as prom-client does', () => {
    const { batched } = counters();
    const wrong = { provider: 'a', model: 'chat', region: 'eu' } as unknown as Record<Label, string>;
    expect(() => batched.inc(wrong)).toThrow('Added label "region" is not included in initial labelset');
  });
});
