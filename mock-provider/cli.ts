import { parseArgs } from 'node:util';
import type { MockBehaviour } from './behaviour.ts';
import { MOCK_DIALECT_NAMES } from './dialects/registry.ts';
import { KEY_ECHOES, type KeyEcho } from './key-echo.ts';
import { startMockProvider } from './server.ts';

const USAGE = `usage: switchboard mock-provider [options]

Runs a mock LLM provider API and prints one JSON line with its URL, then serves until SIGINT/SIGTERM.

  --dialect NAME              wire dialect: ${MOCK_DIALECT_NAMES.join(', ')} (default openai)
  --host HOST                 listen address (default 127.0.0.1)
  --port P                    listen port (default 0: any free port)
  --name N                    name used in replies and the x-mock-provider header (default mock)
  --api-key KEY               require this API key
  --models A,B                models to list (default gpt-4o-mini,gpt-4o,text-embedding-3-small)
  --strict-models             refuse models not listed
  --seed S                    seed the random source, so faults repeat
  --latency-ms MS             delay before answering
  --latency-jitter-ms MS      extra random delay in [0, MS)
  --error-rate F              fraction of requests answered 500
  --rate-limit-rate F         fraction of requests answered 429
  --retry-after-s S           wait announced on 429 answers (default 1)
  --insufficient-quota        answer every request 429 insufficient_quota
  --stream-chunks N           content pieces per streamed reply (default 8)
  --chunk-interval-ms MS      pause between streamed events
  --cut-after-chunks N        end the connection after N streamed events, before the end
  --cut-stream-rate F         fraction of streams --cut-after-chunks cuts (default 1)
  --stall-after-chunks N      stop streaming after N events, keeping the connection open
  --hang                      accept requests and never answer
  --requests-per-minute N     request limit in rate-limit headers (default 10000)
  --tokens-per-minute N       token limit in rate-limit headers (default 2000000)
  --enforce-rate-limits       answer 429 once a limit is used up
  --reply-text TEXT           fixed reply instead of the echo
  --stream-error-after N      end streams after N events with the dialect's mid-stream server error
  --error-message TEXT        wording of server errors instead of the dialect's own
  --omit-stream-end           end streams cleanly without [DONE] / message_stop (as some servers do)
  --echo-key HOW              quote the presented API key in server errors: ${KEY_ECHOES.join(', ')}
  --continue-final-message    openai: honour vLLM's continue_final_message (else refused as unknown, as OpenAI does)
  --reject-prefill            anthropic: refuse a final assistant turn (a model without prefill)
`;

const OPTIONS = {
  dialect: { type: 'string', default: 'openai' },
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '0' },
  name: { type: 'string', default: 'mock' },
  'api-key': { type: 'string' },
  models: { type: 'string' },
  'strict-models': { type: 'boolean', default: false },
  seed: { type: 'string' },
  'latency-ms': { type: 'string' },
  'latency-jitter-ms': { type: 'string' },
  'error-rate': { type: 'string' },
  'rate-limit-rate': { type: 'string' },
  'retry-after-s': { type: 'string' },
  'insufficient-quota': { type: 'boolean', default: false },
  'stream-chunks': { type: 'string' },
  'chunk-interval-ms': { type: 'string' },
  'cut-after-chunks': { type: 'string' },
  'cut-stream-rate': { type: 'string' },
  'stall-after-chunks': { type: 'string' },
  hang: { type: 'boolean', default: false },
  'requests-per-minute': { type: 'string' },
  'tokens-per-minute': { type: 'string' },
  'enforce-rate-limits': { type: 'boolean', default: false },
  'reply-text': { type: 'string' },
  'stream-error-after': { type: 'string' },
  'error-message': { type: 'string' },
  'omit-stream-end': { type: 'boolean' },
  'echo-key': { type: 'string' },
  'continue-final-message': { type: 'boolean' },
  'reject-prefill': { type: 'boolean' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Where the command writes and when it stops; the default is the process (stdout, SIGINT/SIGTERM). */
export interface MockProviderCliIo {
  write(text: string): void;
  /** Resolves when the provider should shut down. */
  stopRequested(): Promise<void>;
}

const processIo: MockProviderCliIo = {
  write: (text) => {
    process.stdout.write(text);
  },
  stopRequested: () =>
    new Promise((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }),
};

/**
 * `switchboard mock-provider`: starts a mock provider, prints
 * `{"event":"listening","dialect","name","url","port"}` as one line, serves until asked to stop,
 * then closes. Invalid flags throw before anything listens.
 */
export async function runMockProviderCli(argv: string[], io: MockProviderCliIo = processIo): Promise<void> {
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  if (values.help) {
    io.write(USAGE);
    return;
  }
  const behaviour: Partial<MockBehaviour> = {
    latencyMs: optionalNumber(values['latency-ms'], '--latency-ms'),
    latencyJitterMs: optionalNumber(values['latency-jitter-ms'], '--latency-jitter-ms'),
    errorRate: optionalNumber(values['error-rate'], '--error-rate'),
    rateLimitRate: optionalNumber(values['rate-limit-rate'], '--rate-limit-rate'),
    retryAfterS: optionalNumber(values['retry-after-s'], '--retry-after-s'),
    insufficientQuota: values['insufficient-quota'],
    streamChunks: optionalNumber(values['stream-chunks'], '--stream-chunks'),
    chunkIntervalMs: optionalNumber(values['chunk-interval-ms'], '--chunk-interval-ms'),
    cutStreamAfterChunks: optionalNumber(values['cut-after-chunks'], '--cut-after-chunks'),
    cutStreamRate: optionalNumber(values['cut-stream-rate'], '--cut-stream-rate'),
    stallStreamAfterChunks: optionalNumber(values['stall-after-chunks'], '--stall-after-chunks'),
    hang: values.hang,
    requestsPerMinute: optionalNumber(values['requests-per-minute'], '--requests-per-minute'),
    tokensPerMinute: optionalNumber(values['tokens-per-minute'], '--tokens-per-minute'),
    enforceRateLimits: values['enforce-rate-limits'],
    replyText: values['reply-text'],
    streamErrorAfterEvents: optionalNumber(values['stream-error-after'], '--stream-error-after'),
    errorMessage: values['error-message'],
    omitStreamEnd: values['omit-stream-end'],
    echoKey: optionalKeyEcho(values['echo-key']),
    continueFinalMessage: values['continue-final-message'],
    rejectPrefill: values['reject-prefill'],
  };
  const port = optionalNumber(values.port, '--port') ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`--port must be a port number, not "${values.port}"`);
  }
  const provider = await startMockProvider({
    dialect: values.dialect,
    host: values.host,
    port,
    name: values.name,
    apiKey: values['api-key'],
    models: values.models
      ?.split(',')
      .map((m) => m.trim())
      .filter((m) => m !== ''),
    strictModels: values['strict-models'],
    seed: optionalNumber(values.seed, '--seed'),
    behaviour,
  });
  io.write(
    `${JSON.stringify({ event: 'listening', dialect: provider.dialect, name: provider.name, url: provider.url, port: provider.port })}\n`,
  );
  await io.stopRequested();
  await provider.close();
}

function optionalNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) {
    throw new RangeError(`${flag} must be a number, not "${value}"`);
  }
  return number;
}

function optionalKeyEcho(value: string | undefined): KeyEcho | undefined {
  if (value === undefined) return undefined;
  const known = KEY_ECHOES.find((how) => how === value);
  if (known === undefined) throw new RangeError(`--echo-key must be one of ${KEY_ECHOES.join(', ')}`);
  return known;
}
