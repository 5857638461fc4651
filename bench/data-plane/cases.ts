/**
 * The systems under test. Each case starts its own processes: the upstream mock (on the load core, except in the
 * direct case where the mock is itself the system under test) and the system under test (on its own core).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { SIDECAR_ENVIRONMENT, SIDECAR_NODE_OPTIONS } from '../../core/sidecar-node-options.ts';
import type { BenchChild, ProcessGroup } from './process-group.ts';
import { freePort, startLitellm, startPortkey } from './peers.ts';
import { waitForHttp } from './ready.ts';

const HERE = import.meta.dirname;
export const SWITCHBOARD_BIN = join(HERE, '..', '..', 'bin', 'switchboard.js');
const START_TIMEOUT_MS = 20_000;

export interface Cores {
  /** Where the system under test runs, alone. */
  readonly sut: number;
  /** Where the load generator and the upstream mock run. */
  readonly load: number;
}

export interface CaseContext {
  readonly group: ProcessGroup;
  readonly cores: Cores;
  /** A scratch directory for pool files and peer configs. */
  readonly workDir: string;
  /** Where the peer gateways are installed (git-ignored). */
  readonly peersDir: string;
}

export interface RunningCase {
  /** OpenAI-style base URL, ending in /v1. */
  readonly baseUrl: string;
  /** Extra headers every request carries (a peer's routing headers). */
  readonly headers: Readonly<Record<string, string>>;
  readonly sut: BenchChild;
  /** The mock process; the same child as `sut` in the direct case. */
  readonly upstream: BenchChild;
  /** From spawning the system under test to its first ready answer (or its "listening" line), ms. */
  readonly readyMs?: number;
}

export interface BenchCase {
  readonly id: string;
  readonly description: string;
  start(context: CaseContext): Promise<RunningCase>;
}

/** Node flags and environment variables a case's process starts with, besides the benchmark's own. */
interface NodeSettings {
  readonly flags?: readonly string[];
  readonly environment?: Readonly<Record<string, string>>;
}

/** Starts a Node child running one of this folder's scripts and reads its first JSON line. */
async function startNodeScript(
  context: CaseContext,
  name: string,
  core: number,
  script: string,
  args: readonly string[],
  node: NodeSettings = {},
): Promise<{ child: BenchChild; ready: Record<string, unknown>; readyMs: number }> {
  const started = performance.now();
  const child = context.group.spawn({
    name,
    core,
    command: process.execPath,
    args: [...(node.flags ?? []), join(HERE, script), ...args],
    ...(node.environment === undefined ? {} : { env: { ...process.env, ...node.environment } }),
  });
  const ready = await child.nextJson(START_TIMEOUT_MS);
  return { child, ready, readyMs: performance.now() - started };
}

export async function startUpstream(
  context: CaseContext,
  count: number,
  core: number,
): Promise<{ child: BenchChild; urls: string[] }> {
  const { child, ready } = await startNodeScript(context, 'upstream mock', core, 'upstream.ts', [
    `--count=${count}`,
  ]);
  const urls = ready.urls;
  if (!Array.isArray(urls) || !urls.every((u) => typeof u === 'string')) {
    throw new Error(`upstream mock announced no URLs: ${JSON.stringify(ready)}`);
  }
  return { child, urls };
}

function urlOf(ready: Record<string, unknown>, name: string): string {
  if (typeof ready.url !== 'string') throw new Error(`${name} announced no URL: ${JSON.stringify(ready)}`);
  return ready.url;
}

/** A ProviderPool manifest, as the sidecar reads it from a file. */
function poolManifest(providers: ReadonlyArray<{ name: string; url: string; weight: number }>): string {
  return stringify({
    apiVersion: 'switchboard.dev/v1alpha1',
    kind: 'ProviderPool',
    metadata: { name: 'bench' },
    spec: {
      strategy: { type: 'weighted-round-robin' },
      providers: providers.map((p) => ({
        name: p.name,
        type: 'openai',
        baseURL: p.url,
        weight: p.weight,
        models: [{ name: 'chat', model: 'gpt-4o-mini' }],
      })),
    },
  });
}

/**
 * The sidecar as a pod runs it: `node <SIDECAR_NODE_OPTIONS> bin/switchboard.js sidecar --pool FILE` (the prebuilt
 * bundle when it is fresh; run.ts builds it first) with SIDECAR_ENVIRONMENT added to the environment, metrics port
 * on, logs at warn; ready at its first /readyz 200. `nodeOptions` replaces the flags and `environment` those
 * variables (the same sidecar with Node's defaults); `entry` the script (cli/main.ts: the TypeScript sources, never
 * the bundle).
 */
export async function startSidecarCommand(
  context: CaseContext,
  name: string,
  poolFile: string,
  nodeOptions: readonly string[] = SIDECAR_NODE_OPTIONS,
  entry: string = SWITCHBOARD_BIN,
  environment: Readonly<Record<string, string>> = SIDECAR_ENVIRONMENT,
): Promise<{ child: BenchChild; baseUrl: string; readyMs: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = context.group.spawn({
    name,
    core: context.cores.sut,
    env: { ...process.env, ...environment },
    command: process.execPath,
    args: [
      ...nodeOptions,
      entry,
      'sidecar',
      `--pool=${poolFile}`,
      `--port=${port}`,
      '--metrics-port=0',
      '--log-level=warn',
    ],
  });
  const ready = await waitForHttp(`http://127.0.0.1:${port}/readyz`, child, START_TIMEOUT_MS, {
    intervalMs: 2,
    accept: (status) => status === 200,
  });
  return { child, baseUrl: `http://127.0.0.1:${port}/v1`, readyMs: ready - started };
}

export async function writePool(
  context: CaseContext,
  id: string,
  urls: readonly string[],
  weights: readonly number[],
): Promise<string> {
  const poolFile = join(context.workDir, `${id}.pool.yaml`);
  const providers = weights.map((weight, i) => ({
    name: `upstream-${i + 1}`,
    url: urls[i] as string,
    weight,
  }));
  await writeFile(poolFile, poolManifest(providers));
  return poolFile;
}

function sidecarCommandCase(
  id: string,
  description: string,
  weights: readonly number[],
  nodeOptions: readonly string[] = SIDECAR_NODE_OPTIONS,
  environment: Readonly<Record<string, string>> = SIDECAR_ENVIRONMENT,
): BenchCase {
  return {
    id,
    description,
    async start(context) {
      const upstream = await startUpstream(context, weights.length, context.cores.load);
      const poolFile = await writePool(context, id, upstream.urls, weights);
      const sidecar = await startSidecarCommand(
        context,
        id,
        poolFile,
        nodeOptions,
        SWITCHBOARD_BIN,
        environment,
      );
      return {
        baseUrl: sidecar.baseUrl,
        headers: {},
        sut: sidecar.child,
        upstream: upstream.child,
        readyMs: sidecar.readyMs,
      };
    },
  };
}

/** The featureless forwarder (minimal-forwarder.ts), with Node's defaults unless `node` says otherwise. */
function forwarderCase(id: string, description: string, node: NodeSettings = {}): BenchCase {
  return {
    id,
    description,
    async start(context) {
      const upstream = await startUpstream(context, 1, context.cores.load);
      const origin = new URL(upstream.urls[0] as string);
      const forwarder = await startNodeScript(
        context,
        id,
        context.cores.sut,
        'minimal-forwarder.ts',
        [`--upstream=${origin.href}`],
        node,
      );
      return {
        baseUrl: urlOf(forwarder.ready, id),
        headers: {},
        sut: forwarder.child,
        upstream: upstream.child,
        readyMs: forwarder.readyMs,
      };
    },
  };
}

/** The sidecar's request handler inside a bench wrapper (sidecar-process.ts), from the TypeScript sources. */
function sidecarCase(
  id: string,
  description: string,
  weights: readonly number[],
  http: 'node' | 'express' = 'node',
): BenchCase {
  return {
    id,
    description,
    async start(context) {
      const upstream = await startUpstream(context, weights.length, context.cores.load);
      const poolFile = await writePool(context, id, upstream.urls, weights);
      const sidecar = await startNodeScript(context, id, context.cores.sut, 'sidecar-process.ts', [
        `--pool=${poolFile}`,
        `--http=${http}`,
      ]);
      return { baseUrl: urlOf(sidecar.ready, id), headers: {}, sut: sidecar.child, upstream: upstream.child };
    },
  };
}

export const CASES: readonly BenchCase[] = [
  {
    id: 'direct',
    description: 'load straight at the mock upstream (the mock is the system under test, alone on its core)',
    async start(context) {
      const upstream = await startUpstream(context, 1, context.cores.sut);
      return {
        baseUrl: upstream.urls[0] as string,
        headers: {},
        sut: upstream.child,
        upstream: upstream.child,
      };
    },
  },
  forwarderCase(
    'minimal-forwarder',
    'node:http + undici keep-alive pass-through, no features (bench/data-plane/minimal-forwarder.ts)',
  ),
  forwarderCase(
    'minimal-forwarder-capped',
    "the same forwarder with the sidecar's V8 flags and environment (core/sidecar-node-options.ts): what the " +
      'memory settings cost a process that does nothing but forward',
    { flags: SIDECAR_NODE_OPTIONS, environment: SIDECAR_ENVIRONMENT },
  ),
  sidecarCommandCase(
    'sidecar',
    `Switchboard sidecar as deployed (${Object.entries(SIDECAR_ENVIRONMENT)
      .map(([name, value]) => `${name}=${value} `)
      .join('')}node ${SIDECAR_NODE_OPTIONS.join(' ')} bin/switchboard.js sidecar), one provider`,
    [1],
  ),
  sidecarCommandCase(
    'sidecar-default-heap',
    "the same sidecar command with Node's defaults (no V8 flags, no GLIBC_TUNABLES), to show what they buy and cost",
    [1],
    [],
    {},
  ),
  ...[2, 8].map((mib) =>
    sidecarCommandCase(
      `sidecar-semi-${mib}`,
      `the same sidecar command and environment with --max-semi-space-size=${mib}, to weigh memory after load ` +
        'against throughput for young generations of other sizes',
      [1],
      SIDECAR_NODE_OPTIONS.map((flag) =>
        flag.startsWith('--max-semi-space-size=') ? `--max-semi-space-size=${mib}` : flag,
      ),
    ),
  ),
  sidecarCase(
    'sidecar-express',
    'the same sidecar request handler served through express, routes from the endpoint table (issue #9)',
    [1],
    'express',
  ),
  sidecarCommandCase(
    'sidecar-weighted',
    'Switchboard sidecar, two providers weighted 3:1 (weighted round robin), two mocks in one upstream process',
    [3, 1],
  ),
  {
    id: 'portkey',
    description: "Portkey's open-source gateway (@portkey-ai/gateway), provider openai with a custom host",
    async start(context) {
      const upstream = await startUpstream(context, 1, context.cores.load);
      const peer = await startPortkey(context, upstream.urls[0] as string);
      return { ...peer, upstream: upstream.child };
    },
  },
  {
    id: 'litellm',
    description: "LiteLLM's proxy (litellm[proxy]), one deployment openai/gpt-4o-mini at the mock",
    async start(context) {
      const upstream = await startUpstream(context, 1, context.cores.load);
      const peer = await startLitellm(context, upstream.urls[0] as string);
      return { ...peer, upstream: upstream.child };
    },
  },
];

export function caseById(id: string): BenchCase {
  const found = CASES.find((c) => c.id === id);
  if (!found) throw new Error(`unknown case "${id}"; choose from ${CASES.map((c) => c.id).join(', ')}`);
  return found;
}
