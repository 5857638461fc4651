import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import OpenAI from 'openai';
import { manifest } from './support/sidecar-harness.ts';
import { waitFor } from './support/wait.ts';

const BIN = new URL('../bin/switchboard.js', import.meta.url).pathname;

/** Runs the real CLI as a user would, on the Node that runs the tests (Node 24 via npm). */
function run(args: string[]): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** How the child ended; its stderr comes along so a failed expectation shows what it said. */
function exitOf(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}

async function firstLine(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) return line;
  throw new Error('no output');
}

describe('the switchboard command', () => {
  const children: ChildProcess[] = [];
  let dir: string | undefined;
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs a mock provider and a sidecar as processes that serve the OpenAI SDK and stop cleanly on SIGTERM', async () => {
    const mock = run(['mock-provider', '--name', 'proc-mock']);
    children.push(mock);
    const { url } = JSON.parse(await firstLine(mock)) as { url: string };
    dir = await mkdtemp(join(tmpdir(), 'switchboard-cli-'));
    const pool = join(dir, 'pool.yaml');
    await writeFile(
      pool,
      manifest({
        providers: [
          { name: 'm', type: 'openai', baseURL: url, models: [{ name: 'chat', model: 'gpt-4o-mini' }] },
        ],
      }),
    );
    const sidecar = run(['sidecar', '--pool', pool, '--port', '0', '--metrics-port', '0']);
    children.push(sidecar);
    const sidecarExit = exitOf(sidecar);
    let listening: { url?: string } = {};
    const lines = createInterface({ input: sidecar.stderr! });
    lines.on('line', (line) => {
      // Log lines are JSON; bin/switchboard.js may first note in plain text that a stale bundle was passed over.
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as { msg: string; url?: string };
      if (entry.msg === 'sidecar listening') listening = entry;
    });
    await waitFor('the sidecar to listen', () => listening.url !== undefined, 15_000);
    const client = new OpenAI({ baseURL: listening.url, apiKey: 'x', maxRetries: 0 });
    const answer = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(answer.choices[0]?.message.content).toContain('proc-mock');
    sidecar.kill('SIGTERM');
    mock.kill('SIGTERM');
    expect((await sidecarExit).code).toBe(0);
  });

  it('refuses a bad pool file at start, listing every problem by field path', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-cli-'));
    const pool = join(dir, 'bad.yaml');
    await writeFile(
      pool,
      manifest({
        providers: [{ name: 'p', type: 'openai', baseURL: 'http://x/v1', weight: -1, models: [] }],
      }),
    );
    const { code, stderr } = await exitOf(
      run(['sidecar', '--pool', pool, '--port', '0', '--metrics-port', '0']),
    );
    expect(code).toBe(2);
    expect(stderr).toContain('spec.providers[0].weight: must be ≥ 0');
    expect(stderr).toContain('spec.providers[0].models: must have at least 1 item(s)');
  });

  it('explains an unknown command and lists the known ones', async () => {
    const { code, stderr } = await exitOf(run(['frobnicate']));
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "frobnicate"');
    expect(stderr).toMatch(/sidecar\s+run the data plane/);
  });

  it('runs the whole demo for a few seconds, prints where everything is and who served the traffic, and exits 0', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-demo-'));
    const demo = run([
      'demo',
      '--port',
      '0',
      '--metrics-port',
      '0',
      '--dashboard-port',
      '0',
      '--duration',
      '4',
      '--rps',
      '10',
      '--dir',
      dir,
    ]);
    children.push(demo);
    let stdout = '';
    demo.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    const { code } = await exitOf(demo);
    expect(code).toBe(0);
    expect(stdout).toMatch(/dashboard +http:\/\/127\.0\.0\.1:\d+\//);
    expect(stdout).toMatch(/OpenAI base URL +http:\/\/127\.0\.0\.1:\d+\/v1/);
    expect(stdout).toMatch(/sidecar 2 +http:/);
    const last = stdout.slice(stdout.lastIndexOf('the demo app:'));
    expect(Number(/(\d+) answered/.exec(last)?.[1])).toBeGreaterThanOrEqual(15);
    expect(last).toMatch(/fast-pricey +\w+ +\d+\.\d+ +\d+\.\d %/);
  });

  it('stops the whole demo cleanly on Ctrl-C (SIGINT) with exit code 0', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-demo-'));
    const demo = run(['demo', '--port', '0', '--metrics-port', '0', '--dashboard-port', '0', '--dir', dir]);
    children.push(demo);
    const exited = exitOf(demo);
    let stdout = '';
    demo.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    await waitFor('the demo to print its URLs', () => stdout.includes('OpenAI base URL'), 20_000);
    demo.kill('SIGINT');
    expect(await exited).toMatchObject({ code: 0, signal: null });
  });

  it('stops cleanly when Ctrl-C arrives while the demo is still starting', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-demo-'));
    const demo = run([
      'demo',
      ...['--port', '0', '--metrics-port', '0', '--dashboard-port', '0', '--dir', dir, '--log-level', 'info'],
    ]);
    children.push(demo);
    const exited = exitOf(demo);
    // The operator's first log line: start-up is under way, the sidecars and the app are not up yet.
    const lines = createInterface({ input: demo.stderr! });
    await new Promise<void>((resolve) => lines.once('line', () => resolve()));
    demo.kill('SIGINT');
    expect(await exited).toMatchObject({ code: 0, signal: null });
  });
});
