/**
 * Where the sidecar's CPU time and allocation go under load: the sidecar bundle (built here with a source map,
 * otherwise as `npm run build:sidecar` builds it) runs pinned to one core with the deployed flags and the inspector
 * on; after a warm-up, a CPU profile (`--kind cpu`) or a sampling heap profile that keeps collected objects too
 * (`--kind heap`: every allocation, not only what survives; `--kind promoted`: only what outlived the young
 * generation, the allocations that make full collections) is taken over `--seconds` of autocannon load at 32
 * connections. Prints the top functions by self time (or bytes allocated), mapped to the TypeScript sources and the
 * dependencies, and the totals per request; writes the raw profile to `--out` (open it in Chrome DevTools).
 *
 *   node bench/data-plane/profile-sidecar.ts --mode chat --kind cpu
 *   node bench/data-plane/profile-sidecar.ts --mode stream --kind heap --seconds 6
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon, { type AutocannonResult } from 'autocannon';
import { build } from 'esbuild';
import { SIDECAR_NODE_OPTIONS } from '../../core/sidecar-node-options.ts';
import { SIDECAR_BUILD_OPTIONS } from '../../scripts/build/build-sidecar.ts';
import { startSidecarCommand, startUpstream, writePool, type CaseContext } from './cases.ts';
import { REQUEST_BODY } from './measure.ts';
import { ProcessGroup } from './process-group.ts';
import { freePort } from './peers.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'chat' },
    kind: { type: 'string', default: 'cpu' },
    seconds: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    top: { type: 'string', default: '40' },
    out: { type: 'string', default: join(ROOT, '.switchboard', 'profiles') },
    /** A bundle this script built before (its source map next to it), to compare builds: no build then. */
    bundle: { type: 'string' },
  },
});
const mode = values.mode as keyof typeof REQUEST_BODY;
if (REQUEST_BODY[mode] === undefined) throw new Error(`--mode is chat or stream, not ${values.mode}`);
if (values.kind !== 'cpu' && values.kind !== 'heap' && values.kind !== 'promoted')
  throw new Error(`--kind is cpu, heap or promoted, not ${values.kind}`);
const outDir = resolve(values.out);
await mkdir(outDir, { recursive: true });

// The bundle as build-sidecar.ts makes it, plus a source map, so the profile's positions name the sources.
const bundle = values.bundle === undefined ? join(outDir, 'sidecar.cjs') : resolve(values.bundle);
if (values.bundle === undefined)
  await build({ ...SIDECAR_BUILD_OPTIONS, outfile: bundle, sourcemap: 'external' });
const sourceMap = new SourceMap(JSON.parse(await readFile(`${bundle}.map`, 'utf8')) as SourceMapPayload);

/** A minimal Chrome DevTools Protocol client over the inspector's WebSocket. */
class Inspector {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, (result: unknown) => void>();
  #next = 1;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: unknown };
      if (message.id === undefined) return;
      const resolve = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      resolve?.(message.error === undefined ? message.result : { error: message.error });
    });
  }

  static async connect(port: number): Promise<Inspector> {
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
      webSocketDebuggerUrl: string;
    }>;
    const url = targets[0]?.webSocketDebuggerUrl;
    if (url === undefined) throw new Error('the sidecar announced no inspector target');
    const socket = new WebSocket(url);
    await new Promise((ok, fail) => {
      socket.addEventListener('open', ok, { once: true });
      socket.addEventListener('error', fail, { once: true });
    });
    return new Inspector(socket);
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#next++;
    this.#socket.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve) => this.#pending.set(id, resolve));
  }

  close(): void {
    this.#socket.close();
  }
}

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

/** "function (source:line)" for a frame of the bundle, else the frame's own name and script. */
function place(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url.endsWith('sidecar.cjs')) return frame.url ? `${name} ${frame.url}` : name;
  const entry = sourceMap.findEntry(frame.lineNumber, frame.columnNumber);
  if (!('originalSource' in entry)) return `${name} (bundle)`;
  const source = relative(ROOT, entry.originalSource.replace(/^file:\/\//, ''));
  return `${name} (${source}:${entry.originalLine + 1})`;
}

/** The source file (or package) a frame belongs to. */
function owner(frame: CallFrame): string {
  if (!frame.url.endsWith('sidecar.cjs')) return frame.url ? 'node internals' : frame.functionName;
  const entry = sourceMap.findEntry(frame.lineNumber, frame.columnNumber);
  if (!('originalSource' in entry)) return '(bundle)';
  const source = relative(ROOT, entry.originalSource.replace(/^file:\/\//, ''));
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  return pkg ? (pkg[1] as string) : source;
}

function table(title: string, totals: Map<string, number>, unit: (n: number) => string, all: number): void {
  const rows = [...totals].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
  process.stdout.write(`\n${title}\n`);
  for (const [key, n] of rows)
    process.stdout.write(`${((100 * n) / all).toFixed(1).padStart(5)} %  ${unit(n).padStart(10)}  ${key}\n`);
}

function add(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

const group = new ProcessGroup();
const context: CaseContext = { group, cores: { sut: 1, load: 0 }, workDir: outDir, peersDir: '' };
try {
  const upstream = await startUpstream(context, 1, context.cores.load);
  const poolFile = await writePool(context, 'profile', upstream.urls, [1]);
  const inspectPort = await freePort();
  const sidecar = await startSidecarCommand(
    context,
    'sidecar',
    poolFile,
    [...SIDECAR_NODE_OPTIONS, `--inspect=127.0.0.1:${inspectPort}`],
    bundle,
  );
  const load = (seconds: number): Promise<AutocannonResult> =>
    new Promise((ok, fail) =>
      autocannon(
        {
          url: `${sidecar.baseUrl}/chat/completions`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: REQUEST_BODY[mode],
          connections: Number(values.connections),
          duration: seconds,
        },
        (error, done) => (error ? fail(error) : ok(done)),
      ),
    );
  await load(Number(values.warmup));
  const inspector = await Inspector.connect(inspectPort);
  if (values.kind === 'cpu') {
    await inspector.call('Profiler.enable');
    await inspector.call('Profiler.setSamplingInterval', { interval: 200 });
    await inspector.call('Profiler.start');
  } else {
    await inspector.call('HeapProfiler.enable');
    await inspector.call('HeapProfiler.startSampling', {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      // promoted: what outlived the young generation (live, or collected later by a full collection).
      includeObjectsCollectedByMinorGC: values.kind === 'heap',
    });
  }
  const result = await load(Number(values.seconds));
  const served = result.requests.total - result.non2xx;
  if (result.non2xx > 0 || result.errors > 0)
    process.stderr.write(`${result.non2xx} non-2xx answers, ${result.errors} errors\n`);
  process.stdout.write(
    `${mode}: ${served} requests served in ${values.seconds} s (${result.requests.average}/s)\n`,
  );

  if (values.kind === 'cpu') {
    const { profile } = (await inspector.call('Profiler.stop')) as {
      profile: {
        nodes: Array<{ id: number; callFrame: CallFrame }>;
        samples: number[];
        timeDeltas: number[];
        startTime: number;
        endTime: number;
      };
    };
    await writeFile(join(outDir, `${mode}.cpuprofile`), JSON.stringify(profile));
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    const byFunction = new Map<string, number>();
    const byOwner = new Map<string, number>();
    let busy = 0;
    for (const [id, us] of self) {
      const frame = (byId.get(id) as { callFrame: CallFrame }).callFrame;
      if (frame.functionName === '(idle)') continue;
      busy += us;
      add(byFunction, place(frame), us);
      add(byOwner, owner(frame), us);
    }
    const perRequest = (us: number): string => `${(us / served).toFixed(1)} µs/req`;
    process.stdout.write(`busy (sampled, not idle): ${perRequest(busy)}\n`);
    table('self time by source file or package', byOwner, perRequest, busy);
    table('self time by function', byFunction, perRequest, busy);
  } else {
    interface HeapNode {
      callFrame: CallFrame;
      selfSize: number;
      children: HeapNode[];
    }
    const { profile } = (await inspector.call('HeapProfiler.stopSampling')) as {
      profile: { head: HeapNode };
    };
    await writeFile(join(outDir, `${mode}.${values.kind}.heapprofile`), JSON.stringify(profile));
    const byFunction = new Map<string, number>();
    const byOwner = new Map<string, number>();
    let total = 0;
    const walk = (node: HeapNode): void => {
      total += node.selfSize;
      add(byFunction, place(node.callFrame), node.selfSize);
      add(byOwner, owner(node.callFrame), node.selfSize);
      node.children.forEach(walk);
    };
    walk(profile.head);
    const perRequest = (bytes: number): string => `${(bytes / served / 1024).toFixed(2)} KB/req`;
    process.stdout.write(`allocated: ${perRequest(total)}\n`);
    table('allocation by source file or package', byOwner, perRequest, total);
    table('allocation by function', byFunction, perRequest, total);
  }
  inspector.close();
} finally {
  await group.stopAll();
}
