import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import OpenAI, { RateLimitError } from 'openai';
import { runMockProviderCli, type MockProviderCliIo } from './cli.ts';
import { rejectionOf } from './test-support.ts';

/** Runs the command in-process; `stop()` plays the part of SIGTERM. */
function runInProcess(argv: string[]): { lines: Promise<string>; done: Promise<void>; stop: () => void } {
  let stop = (): void => undefined;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  let firstLine = (_line: string): void => undefined;
  const lines = new Promise<string>((resolve) => {
    firstLine = resolve;
  });
  const io: MockProviderCliIo = { write: (text) => firstLine(text), stopRequested: () => stopped };
  return { lines, done: runMockProviderCli(argv, io), stop };
}

describe('mock-provider command', () => {
  it('prints one JSON line with the URL and serves with the given knobs until stopped', async () => {
    const run = runInProcess([
      '--name',
      'cli-mock',
      '--api-key',
      'sk-cli',
      '--rate-limit-rate',
      '1',
      '--retry-after-s',
      '4',
      '--seed',
      '3',
    ]);
    const line = await run.lines;
    expect(line.endsWith('\n')).toBe(true);
    const info = JSON.parse(line) as {
      event: string;
      dialect: string;
      name: string;
      url: string;
      port: number;
    };
    expect(info).toMatchObject({ event: 'listening', dialect: 'openai', name: 'cli-mock' });
    expect(info.url).toBe(`http://127.0.0.1:${info.port}/v1`);

    const sdk = new OpenAI({ baseURL: info.url, apiKey: 'sk-cli', maxRetries: 0 });
    const error = await rejectionOf(
      sdk.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).headers.get('retry-after')).toBe('4');

    run.stop();
    await run.done;
    await expect(fetch(`${info.url}/models`)).rejects.toThrow();
  });

  it('words server errors as --error-message says, with the key quoted as --echo-key says', async () => {
    const run = runInProcess([
      '--api-key',
      'sk-cli',
      '--error-rate',
      '1',
      '--error-message',
      'Boom',
      '--echo-key',
      'exact',
    ]);
    const info = JSON.parse(await run.lines) as { url: string };
    const sdk = new OpenAI({ baseURL: info.url, apiKey: 'sk-cli', maxRetries: 0 });
    const error = await rejectionOf(
      sdk.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect((error as { error?: { message?: string } }).error?.message).toBe('Boom (API key sk-cli)');
    run.stop();
    await run.done;
  });

  it.each([
    {
      name: 'refuses a number flag that is not a number',
      argv: ['--latency-ms', 'soon'],
      message: /--latency-ms/,
    },
    { name: 'refuses an out-of-range rate', argv: ['--error-rate', '1.5'], message: /errorRate/ },
    { name: 'refuses a cut rate above one', argv: ['--cut-stream-rate', '2'], message: /cutStreamRate/ },
    { name: 'refuses an unknown flag', argv: ['--latency', '5'], message: /latency/ },
    {
      name: 'refuses an unknown dialect',
      argv: ['--dialect', 'cobol'],
      message: /unknown mock dialect "cobol"/,
    },
    { name: 'refuses a port out of range', argv: ['--port', '70000'], message: /--port/ },
    {
      name: 'refuses an unknown way of quoting the key',
      argv: ['--echo-key', 'loud'],
      message: /--echo-key/,
    },
  ])('$name', async ({ argv, message }) => {
    const run = runInProcess(argv);
    await expect(run.done).rejects.toThrow(message);
  });

  it('prints usage for --help without listening', async () => {
    const run = runInProcess(['--help']);
    await run.done;
    expect(await run.lines).toContain('--cut-after-chunks');
  });

  it('runs as a process and exits cleanly on SIGTERM', async () => {
    const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
    const script = `import(${JSON.stringify(cli)}).then((m) => m.runMockProviderCli(process.argv.slice(1)))`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', '--name', 'proc'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const firstLine = new Promise<string>((resolve) => {
      child.stdout.on('data', (text: string) => {
        stdout += text;
        if (stdout.includes('\n')) resolve(stdout);
      });
    });
    const info = JSON.parse(await firstLine) as { url: string };
    const models = (await (await fetch(`${info.url}/models`)).json()) as { object: string };
    expect(models.object).toBe('list');
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
    expect(stdout.trim().split('\n')).toHaveLength(1);
  });
});
