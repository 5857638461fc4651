/**
 * What express costs per request against node:http routing, alone: the same endpoint table and trivial handler
 * (routing-server.ts) in a child pinned to one core, loaded at saturation from this process on the other core,
 * alternating the two for `--rounds`. CPU time per request is read from the child itself, so other work on a
 * shared machine disturbs it much less than throughput. Prints medians as one JSON object.
 *
 *   taskset -c 0 node bench/data-plane/routing-overhead.ts --rounds 7 --duration 3
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    duration: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    'sut-core': { type: 'string', default: '1' },
  },
});
const BODY = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });

async function measure(http: 'node' | 'express'): Promise<{ rps: number; cpuUsPerRequest: number }> {
  const child = spawn(
    'taskset',
    [
      '-c',
      values['sut-core'],
      process.execPath,
      new URL('./routing-server.ts', import.meta.url).pathname,
      `--http=${http}`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(String((await lines.next()).value)) as Record<string, number | string>;
  const { url } = await next();
  const cpu = async () => {
    child.stdin.write('cpu\n');
    return Number((await next()).cpuUs);
  };
  const load = (duration: number) =>
    new Promise<number>((resolve, reject) =>
      autocannon(
        {
          url: String(url),
          method: 'POST',
          body: BODY,
          headers: { 'content-type': 'application/json' },
          connections: Number(values.connections),
          duration,
        },
        (err, result) =>
          err ? reject(err) : resolve((result.requests.total - result.non2xx) / result.duration),
      ),
    );
  await load(1); // warm-up: JIT
  const before = await cpu();
  const rps = await load(Number(values.duration));
  const used = (await cpu()) - before;
  child.kill();
  return { rps, cpuUsPerRequest: used / (rps * Number(values.duration)) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const runs: Record<'node' | 'express', { rps: number; cpuUsPerRequest: number }[]> = {
  node: [],
  express: [],
};
for (let round = 0; round < Number(values.rounds); round++) {
  for (const http of ['node', 'express'] as const) runs[http].push(await measure(http));
}
const summary = (http: 'node' | 'express') => ({
  rps: Math.round(median(runs[http].map((r) => r.rps))),
  cpuUsPerRequest: Number(median(runs[http].map((r) => r.cpuUsPerRequest)).toFixed(1)),
});
const node = summary('node');
const expressResult = summary('express');
process.stdout.write(
  JSON.stringify(
    {
      rounds: Number(values.rounds),
      node,
      express: expressResult,
      expressAddsCpuUsPerRequest: Number((expressResult.cpuUsPerRequest - node.cpuUsPerRequest).toFixed(1)),
      runs,
    },
    null,
    2,
  ) + '\n',
);
