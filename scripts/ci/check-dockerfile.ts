/**
 * Checks the Dockerfile where no container engine runs: executes its own steps in a scratch folder that stands for
 * each stage's filesystem, then starts its ENTRYPOINT from the final stage's folder, so the Dockerfile cannot rot
 * unseen (a source folder it forgets, a dependency only dev installs provide, an entrypoint that moved).
 *
 *   node scripts/ci/check-dockerfile.ts [--keep]     (--keep leaves the scratch folder for a look)
 *
 * What it does with each instruction: FROM starts a stage in its own folder (the base image must be one of BASES,
 * which says where its Node is and whether it has a shell, or an earlier stage, whose folder it copies); WORKDIR and
 * ENV as Docker does; COPY from the build context (filtered by .dockerignore, with Docker's own matching rules) or
 * from an earlier stage's folder, keeping each file's mtime as Docker's COPY does (bin/prebuilt.js compares them);
 * RUN through `sh -c` in the stage's working directory, for npm steps and the few known build scripts of
 * KNOWN_NODE_STEPS only (a RUN that could touch this machine outside the scratch folder is refused, not run); USER
 * must be a non-root uid; ENTRYPOINT and CMD must be exec form. The image's Node is this machine's Node of the same
 * major version. Then: the default CMD, `operator --help`, the operator against an API server that is not there (it
 * loads its whole module graph before it fails to connect), and `sidecar --pool examples/pool.yaml` until /readyz
 * answers, which must run the prebuilt bundle: a module-loading hook (--import, from outside the image) records
 * every file the process loads, and none may be a TypeScript source. The scratch folder is outside the repository,
 * so no module can resolve from the repository's node_modules.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import dockerignore from '@balena/dockerignore';
import {
  DockerfileParser,
  type Copy,
  type Env,
  type Instruction,
  type JSONInstruction,
} from 'dockerfile-ast';
import { SIDECAR_BUNDLE_FILE } from '../../bin/prebuilt.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Base images the check knows: where their Node is, and whether RUN has a shell there. */
const BASES: Record<string, { readonly node: string; readonly shell: boolean }> = {
  // The official Node image (Debian slim): node and npm on PATH.
  'node:24-slim': { node: 'node', shell: true },
  // Distroless: node at /nodejs/bin/node, no shell.
  'gcr.io/distroless/nodejs24-debian12:nonroot': { node: '/nodejs/bin/node', shell: false },
};

/**
 * RUN steps besides npm's that the check executes: repository scripts run by the image's `node` that write only
 * under the folder they sit in (here the stage's folder). The sidecar bundle's build writes dist/.
 */
const KNOWN_NODE_STEPS = new Set(['node scripts/build/build-sidecar.ts']);

interface Stage {
  readonly name: string;
  readonly base: string;
  /** The folder standing for the stage's root filesystem. */
  readonly dir: string;
  workdir: string;
  env: Record<string, string>;
  user?: string;
  entrypoint?: string[];
  cmd?: string[];
}

class DockerfileCheckError extends Error {}

const say = (line: string) => process.stdout.write(`check-dockerfile: ${line}\n`);

function fail(instruction: Instruction | undefined, message: string): never {
  const line = instruction === undefined ? '' : ` (line ${instruction.getRange().start.line + 1})`;
  throw new DockerfileCheckError(`${message}${line}`);
}

/** The stage's folder for an absolute or workdir-relative path inside the image. */
const inImage = (stage: Stage, path: string) => join(stage.dir, posix.resolve(stage.workdir, path));

function execForm(instruction: Instruction): string[] {
  const strings = (instruction as JSONInstruction).getJSONStrings();
  if (strings.length === 0)
    fail(instruction, `${instruction.getKeyword()} must be in exec form (["…"]): a shell form needs a shell`);
  return strings.map((s) => s.getJSONValue());
}

/** Files and links under `dir` (what a COPY of a folder takes). */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => join(e.parentPath, e.name));
}

/** COPY [--from=stage] SRC... DEST, with Docker's semantics for directories and the context's .dockerignore. */
async function copy(stage: Stage, instruction: Copy, stages: Map<string, Stage>): Promise<void> {
  const from =
    instruction
      .getFlags()
      .find((f) => f.getName() === 'from')
      ?.getValue() ?? undefined;
  const unknownFlag = instruction.getFlags().find((f) => f.getName() !== 'from');
  if (unknownFlag) fail(instruction, `COPY --${unknownFlag.getName()} is not something this check knows`);
  const args = instruction.getArguments().map((a) => a.getValue());
  const dest = args.pop();
  if (dest === undefined || args.length === 0) fail(instruction, 'COPY needs a source and a destination');
  const source = from === undefined ? undefined : stages.get(from);
  if (from !== undefined && source === undefined) fail(instruction, `COPY --from=${from}: no such stage`);
  const ignored = await contextFilter();
  const destDir = dest.endsWith('/') || args.length > 1;
  for (const src of args) {
    const path = source === undefined ? join(root, src) : inImage(source, src);
    if (!existsSync(path)) fail(instruction, `COPY source ${src} does not exist`);
    const isDir = (await stat(path)).isDirectory();
    const files = isDir ? await listFiles(path) : [path];
    const copied = files.filter((file) => source !== undefined || !ignored(relative(root, file)));
    if (copied.length === 0)
      fail(instruction, `COPY ${src}: .dockerignore leaves nothing of it in the context`);
    for (const file of copied) {
      const target = isDir
        ? join(inImage(stage, dest), relative(path, file))
        : destDir
          ? join(inImage(stage, dest), posix.basename(file))
          : inImage(stage, dest);
      await mkdir(dirname(target), { recursive: true });
      // Links (node_modules/.bin) stay links, as in a layer; files keep their mtime, as with Docker's COPY (from
      // the context and from a stage alike).
      await cp(file, target, { verbatimSymlinks: true, preserveTimestamps: true });
    }
    say(`  ${src} → ${dest}: ${copied.length} file(s)`);
  }
}

let contextFilterCache: ((path: string) => boolean) | undefined;
/** Whether a context path is left out of the build context by .dockerignore (Docker's matching rules). */
async function contextFilter(): Promise<(path: string) => boolean> {
  if (contextFilterCache) return contextFilterCache;
  const rules = await readFile(join(root, '.dockerignore'), 'utf8').catch(() => '');
  // The package is CommonJS; its `default` is the factory (so it reads the same from ESM and TypeScript).
  const matcher = dockerignore.default().add(rules.split('\n'));
  contextFilterCache = (path) => matcher.ignores(path.split('\\').join('/'));
  return contextFilterCache;
}

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(
  argv: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; until?: () => Promise<boolean>; timeoutMs?: number },
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const [command = '', ...args] = argv;
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    let stopped = false;
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: stopped ? 0 : code, stdout, stderr });
    });
    const until = options.until;
    if (until) {
      const poll = async () => {
        if (child.exitCode !== null) return;
        if (await until().catch(() => false)) {
          stopped = true;
          child.kill('SIGTERM');
        } else setTimeout(() => void poll(), 100);
      };
      void poll();
    }
  });
}

/** PATH with this machine's Node (the image's major version) first, as the image has its own. */
const pathWithNode = () => `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;

async function runStep(stage: Stage, instruction: Instruction): Promise<void> {
  const base = BASES[stage.base];
  if (!base?.shell) fail(instruction, `RUN in stage ${stage.name}: ${stage.base} has no shell`);
  const command = instruction.getArgumentsContent() ?? '';
  // Only package-manager steps and known build scripts run here: they write inside the working directory.
  // Anything else could reach outside the scratch folder on this machine; teach the check about it before adding one.
  if (!/^npm\s/.test(command) && !KNOWN_NODE_STEPS.has(command))
    fail(instruction, `RUN "${command}": this check runs npm steps and KNOWN_NODE_STEPS only`);
  const cwd = inImage(stage, '.');
  await mkdir(cwd, { recursive: true });
  const { NODE_PATH: _unused, ...inherited } = process.env;
  const env = { ...inherited, ...stage.env, PATH: pathWithNode(), npm_config_prefer_offline: 'true' };
  const ran = await run(['sh', '-c', command], { cwd, env, timeoutMs: 600_000 });
  if (ran.code !== 0) fail(instruction, `RUN ${command} exited ${ran.code}:\n${ran.stderr || ran.stdout}`);
}

/** Every stage, its steps executed in order. */
async function build(dockerfile: string, scratch: string): Promise<Stage[]> {
  const parsed = DockerfileParser.parse(dockerfile);
  const stages = new Map<string, Stage>();
  const ordered: Stage[] = [];
  let stage: Stage | undefined;
  for (const instruction of parsed.getInstructions()) {
    const keyword = instruction.getKeyword();
    say(`${keyword} ${instruction.getArgumentsContent() ?? ''}`);
    if (keyword === 'FROM') {
      const args = instruction.getArguments().map((a) => a.getValue());
      const from = args[0] ?? '';
      const name = args[1]?.toUpperCase() === 'AS' ? (args[2] ?? '') : `${ordered.length}`;
      const dir = join(scratch, `stage-${ordered.length}`);
      const parent = stages.get(from);
      if (parent !== undefined) {
        // FROM an earlier stage: its filesystem (mtimes and links kept, as a layer does), working directory, ENV.
        await cp(parent.dir, dir, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
        stage = { ...parent, name, dir, env: { ...parent.env } };
      } else {
        if (!(from in BASES))
          fail(instruction, `FROM ${from}: not a base image this check knows (see BASES)`);
        const major = /node(?:js)?:?(\d+)/.exec(from)?.[1];
        if (major !== process.versions.node.split('.')[0])
          fail(instruction, `FROM ${from} is Node ${major}; this check runs Node ${process.versions.node}`);
        stage = { name, base: from, dir, workdir: '/', env: {} };
        await mkdir(stage.dir, { recursive: true });
      }
      stages.set(name, stage);
      ordered.push(stage);
      continue;
    }
    if (stage === undefined) fail(instruction, `${keyword} before FROM`);
    switch (keyword) {
      case 'WORKDIR':
        stage.workdir = posix.resolve(stage.workdir, instruction.getArgumentsContent() ?? '/');
        await mkdir(inImage(stage, '.'), { recursive: true });
        break;
      case 'ENV':
        for (const property of (instruction as Env).getProperties())
          stage.env[property.getName()] = property.getValue() ?? '';
        break;
      case 'COPY':
        await copy(stage, instruction as Copy, stages);
        break;
      case 'RUN':
        await runStep(stage, instruction);
        break;
      case 'USER':
        stage.user = instruction.getArgumentsContent() ?? '';
        break;
      case 'ENTRYPOINT':
        stage.entrypoint = execForm(instruction);
        break;
      case 'CMD':
        stage.cmd = execForm(instruction);
        break;
      case 'EXPOSE':
      case 'LABEL':
        break;
      default:
        fail(instruction, `${keyword}: an instruction this check does not know; teach it before using it`);
    }
  }
  return ordered;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** What `docker run IMAGE ARGS…` would start, as a command on this machine (`nodeFlags` go to its Node). */
function containerCommand(
  stage: Stage,
  args: readonly string[] | undefined,
  nodeFlags: readonly string[] = [],
): string[] {
  const entrypoint = stage.entrypoint;
  if (!entrypoint?.length) throw new DockerfileCheckError('the final stage has no ENTRYPOINT');
  const [program, ...rest] = entrypoint;
  const base = BASES[stage.base];
  if (program !== base?.node)
    throw new DockerfileCheckError(`ENTRYPOINT starts ${program}, not ${stage.base}'s Node (${base?.node})`);
  const mapped = rest.map((arg) =>
    arg.startsWith('/') && existsSync(inImage(stage, arg)) ? inImage(stage, arg) : arg,
  );
  return [process.execPath, ...nodeFlags, ...mapped, ...(args ?? stage.cmd ?? [])];
}

async function startContainer(
  stage: Stage,
  what: string,
  args: readonly string[] | undefined,
  expect: (ran: Ran) => string | undefined,
  until?: () => Promise<boolean>,
  nodeFlags: readonly string[] = [],
): Promise<void> {
  const argv = containerCommand(stage, args, nodeFlags);
  // The container's environment: its ENV and a PATH, nothing of this shell's.
  const env = { ...stage.env, PATH: pathWithNode(), HOME: inImage(stage, '.') };
  say(`start ${what}: ${argv.map((a) => relative(process.cwd(), a) || a).join(' ')}`);
  const ran = await run(argv, {
    cwd: inImage(stage, '.'),
    env,
    timeoutMs: 60_000,
    ...(until ? { until } : {}),
  });
  const problem = expect(ran);
  if (problem !== undefined)
    throw new DockerfileCheckError(`${what}: ${problem}\nstdout: ${ran.stdout}\nstderr: ${ran.stderr}`);
  say(`  ok`);
}

/**
 * A module-loading hook for `node --import`, kept outside the image: it appends the URL of every file the process
 * loads (ES modules and require() alike) to `log`, so the check sees what a command really ran.
 */
async function writeLoadRecorder(file: string, log: string): Promise<void> {
  await writeFile(
    file,
    [
      "import { appendFileSync } from 'node:fs';",
      "import { registerHooks } from 'node:module';",
      'registerHooks({',
      '  load(url, context, nextLoad) {',
      `    if (url.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, url + '\\n');`,
      '    return nextLoad(url, context);',
      '  },',
      '});',
      '',
    ].join('\n'),
  );
}

/** Why the sidecar's run did not use the image's prebuilt bundle, or undefined when it did. */
function notFromBundle(stage: Stage, ran: Ran, loaded: readonly string[]): string | undefined {
  if (ran.stderr.includes('is older than')) return 'the bundle counts as stale in the image';
  const bundle = pathToFileURL(inImage(stage, SIDECAR_BUNDLE_FILE)).href;
  if (!loaded.includes(bundle)) return `it did not load ${SIDECAR_BUNDLE_FILE}`;
  const sources = loaded.filter((url) => /\.[cm]?ts$/.test(url));
  if (sources.length > 0) return `it loaded TypeScript sources: ${sources.slice(0, 5).join(', ')}`;
  return undefined;
}

async function main(argv: readonly string[]): Promise<number> {
  const keep = argv.includes('--keep');
  const scratch = await mkdtemp(join(tmpdir(), 'switchboard-image-'));
  try {
    const stages = await build(await readFile(join(root, 'Dockerfile'), 'utf8'), scratch);
    const final = stages.at(-1);
    if (!final) throw new DockerfileCheckError('the Dockerfile has no FROM');

    const uid = final.user?.split(':')[0];
    if (uid === undefined || !/^\d+$/.test(uid) || uid === '0')
      throw new DockerfileCheckError(
        `the final stage must run as a numeric non-root USER (runAsNonRoot), not ${final.user}`,
      );
    // The lock file marks what only the dev dependencies need ("dev": true): none of it may be in the image.
    const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages).filter(
      ([path, entry]) => path !== '' && entry.dev === true,
    );
    const devInImage = devOnly.filter(([path]) => existsSync(inImage(final, path))).map(([path]) => path);
    if (devOnly.length === 0 || devInImage.length > 0)
      throw new DockerfileCheckError(
        `dev-only packages in the image: ${devInImage.join(', ') || '(the lock file marks none)'}`,
      );

    await startContainer(final, 'the default command', undefined, (ran) =>
      ran.code === 0 && ran.stdout.includes('usage: switchboard') ? undefined : `exit ${ran.code}`,
    );
    await startContainer(final, 'operator --help', ['operator', '--help'], (ran) =>
      ran.code === 0 && ran.stdout.includes('switchboard operator') ? undefined : `exit ${ran.code}`,
    );
    // The operator loads all it needs (Kubernetes client, express, prom-client) before it dials the API server.
    const closed = await freePort();
    const kubeconfig = join(scratch, 'kubeconfig');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'none',
        clusters: [{ name: 'none', cluster: { server: `https://127.0.0.1:${closed}` } }],
        users: [{ name: 'none', user: { token: 'unused' } }],
        contexts: [{ name: 'none', context: { cluster: 'none', user: 'none' } }],
      }),
    );
    await startContainer(
      final,
      'operator (no API server there)',
      ['operator', '--kubeconfig', kubeconfig],
      (ran) =>
        ran.code === 2 && ran.stderr.includes('cannot reach the Kubernetes API server')
          ? undefined
          : `expected exit 2 with "cannot reach the Kubernetes API server", got exit ${ran.code}`,
    );
    const port = await freePort();
    let ready = false;
    const recorder = join(scratch, 'record-loads.mjs');
    const loadLog = join(scratch, 'sidecar-loads.txt');
    await writeLoadRecorder(recorder, loadLog);
    await startContainer(
      final,
      'sidecar (from the prebuilt bundle)',
      ['sidecar', '--pool', join(root, 'examples', 'pool.yaml'), '--port', `${port}`, '--metrics-port', '0'],
      (ran) => {
        if (!ready) return 'stopped before /readyz answered 200';
        const loaded = existsSync(loadLog) ? readFileSync(loadLog, 'utf8').split('\n').filter(Boolean) : [];
        return notFromBundle(final, ran, loaded);
      },
      async () => {
        ready = (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
        return ready;
      },
      ['--import', pathToFileURL(recorder).href],
    );
    say(
      `the Dockerfile builds and its entrypoint runs the operator and the sidecar (its bundle)${keep ? ` (${scratch})` : ''}`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof DockerfileCheckError)) throw err;
    process.stderr.write(`check-dockerfile: ${err.message}\n`);
    return 1;
  } finally {
    if (!keep) await rm(scratch, { recursive: true, force: true });
  }
}

process.exitCode = await main(process.argv.slice(2));
