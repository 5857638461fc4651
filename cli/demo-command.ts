/**
 * `switchboard demo` (`npm start`): the whole system on one machine with no keys and no cluster. Four mock
 * providers of different dialects and characters, the operator in local mode with the live dashboard, two
 * sidecars fed by it, and (unless --no-traffic) a gentle app sending requests through the official OpenAI SDK.
 */
import { parseArgs } from 'node:util';
import { DEMO_PROVIDERS } from './demo/demo-providers.ts';
import { renderTable } from './demo/demo-table.ts';
import { startDemo } from './demo/start-demo.ts';
import { poolFromView } from '../operator/dashboard/dashboard-state.ts';
import { loggerFromFlag, parsePort, stopOnSignal } from './cli-support.ts';

export const DEMO_USAGE = `switchboard demo [options]

Starts four mock providers (OpenAI, Anthropic, Gemini and OpenAI-compatible dialects: fast and pricey, cheap and
slow, flaky, rate limited after a while), the operator in local mode with the live dashboard, two sidecars it
configures, and an app sending traffic through the OpenAI SDK. Open the dashboard to watch the fleet, change the
strategy or weights, and inject faults into the mocks. Edit the pool file it prints: changes apply live.

  --dashboard-port P  the operator's dashboard and sync channel (default 8080; 0 picks a free port)
  --port P            the first sidecar's API port (default 4000; 0 picks a free port)
  --metrics-port M    the first sidecar's Prometheus /metrics port (default 9464)
  --sidecars N        number of sidecars (default 2)
  --rps N             requests per second the demo app sends, over all sidecars (default 6)
  --duration S        stop after S seconds (default: run until Ctrl-C)
  --no-traffic        no built-in app: send your own requests
  --dir DIR           where the pool file is written (default .switchboard/demo)
  --log-level L       debug | info | warn | error (default error; logs go to stderr)
`;

const TABLE_INTERVAL_MS = 5_000;

export async function runDemoCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'dashboard-port': { type: 'string', default: '8080' },
      port: { type: 'string', default: '4000' },
      'metrics-port': { type: 'string', default: '9464' },
      sidecars: { type: 'string', default: '2' },
      rps: { type: 'string', default: '6' },
      duration: { type: 'string' },
      'no-traffic': { type: 'boolean', default: false },
      dir: { type: 'string', default: '.switchboard/demo' },
      'log-level': { type: 'string', default: 'error' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(DEMO_USAGE);
    return;
  }
  // Before anything starts: a signal during start-up then stops the command cleanly instead of killing it.
  const onShutdown = stopOnSignal();
  const rps = Number(values.rps);
  if (!(rps > 0 && rps <= 1000)) throw new Error(`--rps must be a number in (0, 1000], not "${values.rps}"`);
  const sidecarCount = Number(values.sidecars);
  if (!Number.isInteger(sidecarCount) || sidecarCount < 1 || sidecarCount > 16)
    throw new Error(`--sidecars must be a whole number from 1 to 16, not "${values.sidecars}"`);
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && !(duration > 0))
    throw new Error(`--duration must be a positive number of seconds`);

  const demo = await startDemo({
    dir: values.dir,
    port: parsePort(values['dashboard-port'], '--dashboard-port'),
    sidecarPort: parsePort(values.port, '--port'),
    metricsPort: parsePort(values['metrics-port'], '--metrics-port'),
    sidecars: sidecarCount,
    rps: values['no-traffic'] ? undefined : rps,
    logger: loggerFromFlag(values['log-level']),
  });
  const started = Date.now();
  const print = () =>
    process.stdout.write(
      renderTable(demo.operator.views().map(poolFromView), demo.load?.tally, (Date.now() - started) / 1000) +
        '\n',
    );
  // The first table comes one interval from now, after the URLs below.
  const table = setInterval(print, TABLE_INTERVAL_MS);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(table);
      await demo.load?.stop();
      print();
      await demo.close();
    })());
  // Ctrl-C (or SIGTERM) stops everything cleanly, also before --duration is up; named before the URLs are printed,
  // since whoever reads them may press Ctrl-C at once.
  onShutdown(stop);
  const [first, ...others] = demo.sidecars;
  process.stdout.write(
    [
      'Switchboard demo: the whole system on this machine (no keys, no cluster)',
      `  dashboard         ${demo.dashboardUrl}   (live; controls for strategy, weights and faults)`,
      `  OpenAI base URL   ${first?.url}   (any API key; model "chat")`,
      ...others.map((s, i) => `  sidecar ${i + 2}         ${s.url}`),
      `  metrics           ${first?.metricsUrl ?? '-'}`,
      `  operator sync     ${demo.operator.url}/sync/v1   (local mode: pool status in ${demo.operator.statuses.dir})`,
      `  pool file         ${demo.poolFile}   (edit it: changes apply live)`,
      ...DEMO_PROVIDERS.map(
        (p) => `  mock ${p.name.padEnd(12)} ${demo.mocks.get(p.name)?.url}   ${p.character}`,
      ),
      `  try: curl -s ${first?.url}/chat/completions -H 'content-type: application/json' -d '{"model":"chat","messages":[{"role":"user","content":"hi"}]}'`,
      '',
    ].join('\n'),
  );

  if (duration === undefined) return;
  await new Promise((r) => setTimeout(r, duration * 1000));
  await stop();
  if (demo.load !== undefined && demo.load.tally.ok === 0) throw new Error('the demo served no request');
}
