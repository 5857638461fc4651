/**
 * Child process: the fast upstream. Starts `--count` mock providers (no latency, no faults) in this one process
 * and writes one JSON line with their base URLs, then serves until SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startMockProvider } from '../../mock-provider/server.ts';

const { values } = parseArgs({ options: { count: { type: 'string', default: '1' } } });
const count = Number(values.count);
if (!Number.isInteger(count) || count < 1)
  throw new Error(`--count must be a positive integer, not ${values.count}`);

// Rate limits far above any load here: the default 10 000 requests a minute runs out within a few phases, and
// the sidecar (rightly) stops sending to a provider that announces none left.
const behaviour = { requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000 };
const mocks = await Promise.all(
  Array.from({ length: count }, (_, i) =>
    startMockProvider({ name: `upstream-${i + 1}`, seed: i + 1, behaviour }),
  ),
);
process.stdout.write(JSON.stringify({ urls: mocks.map((m) => m.url) }) + '\n');

const stop = (): void => {
  void Promise.all(mocks.map((m) => m.close())).finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
