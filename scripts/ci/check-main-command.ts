/**
 * CI check of the README's main command, run the way a new user runs it: `npm start` from the clean clone
 * (through npm, so a script that only works inside the dev tree fails here). While it runs, an app calls the
 * sidecar with the official OpenAI SDK, plain and streaming, and the dashboard page is fetched from the operator;
 * the command must then stop by itself (`--duration`) with exit code 0, having served its own demo traffic too.
 *
 * Usage: node scripts/ci/check-main-command.ts [seconds]   (default 20)
 */
import { spawn } from 'node:child_process';
import OpenAI from 'openai';

const SIDECAR = 'http://127.0.0.1:4000';
const DASHBOARD = 'http://127.0.0.1:8080/';
const seconds = Number(process.argv[2] ?? '20');
const started = Date.now();

const child = spawn('npm', ['start', '--', '--duration', String(seconds)], {
  stdio: ['ignore', 'pipe', 'pipe'],
});
let output = '';
child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

function fail(message: string): never {
  process.stderr.write(`main command check FAILED: ${message}\n--- npm start output ---\n${output}\n`);
  child.kill('SIGKILL');
  process.exit(1);
}

async function waitUntilReady(deadlineMs: number): Promise<void> {
  while (Date.now() < deadlineMs) {
    const ready = await fetch(`${SIDECAR}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  fail(`the sidecar was not ready at ${SIDECAR}/readyz within ${(deadlineMs - started) / 1000} s`);
}

await waitUntilReady(started + 60_000);
const client = new OpenAI({ baseURL: `${SIDECAR}/v1`, apiKey: 'any', maxRetries: 2 });
const messages = [{ role: 'user' as const, content: 'Say hello.' }];

const { data: answer, response } = await client.chat.completions
  .create({ model: 'chat', messages })
  .withResponse();
const text = answer.choices[0]?.message.content ?? '';
if (text.length === 0) fail('the chat completion had no content');
const provider = response.headers.get('x-switchboard-provider');
if (!provider) fail('the answer did not say which provider served it (x-switchboard-provider)');

let streamed = '';
for await (const chunk of await client.chat.completions.create({ model: 'chat', messages, stream: true }))
  streamed += chunk.choices[0]?.delta.content ?? '';
if (streamed.length === 0) fail('the streamed chat completion had no content');

const page = await fetch(DASHBOARD).catch((err: unknown) =>
  fail(`the dashboard did not answer at ${DASHBOARD}: ${String(err)}`),
);
const html = await page.text();
if (page.status !== 200 || !html.includes('<title>Switchboard dashboard</title>'))
  fail(`the dashboard at ${DASHBOARD} answered ${page.status} without the page`);
const state = await fetch(new URL('api/state', DASHBOARD)).then(
  (r) => r.json() as Promise<{ pools?: unknown[] }>,
);
if (!Array.isArray(state.pools) || state.pools.length === 0) fail("the dashboard's state has no pool");

const code = await Promise.race([
  exited,
  new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), (seconds + 45) * 1000)),
]);
if (code === 'timeout') fail(`npm start did not stop after --duration ${seconds}`);
if (code !== 0) fail(`npm start exited with code ${code}`);
if (!output.includes('OpenAI base URL')) fail('npm start did not print where the sidecar is');
if (!output.includes(DASHBOARD)) fail('npm start did not print where the dashboard is');
process.stdout.write(
  `main command check passed: npm start served a chat completion (by ${provider}) and a stream ` +
    `(${streamed.length} characters) and the dashboard, then stopped cleanly after ${seconds} s\n`,
);
