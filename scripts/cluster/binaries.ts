/**
 * Builds the pinned binaries from Go modules into `.switchboard/bin/`, once per input: a hash of everything a
 * binary is built from (the Go sources and go.sum, the Go version, the flags) is recorded in versions.json, and a
 * binary is rebuilt only when its hash changes. Go's own module and build caches make a rebuild cheaper still.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { binary, paths } from './paths.ts';
import { say } from './say.ts';

export const KUBERNETES_VERSION = 'v1.36.3';
export const HELM_VERSION = 'v3.22.0';
/**
 * The Kubernetes minor version helm's release binaries report as their default (`helm template` without
 * --kube-version): the release build derives it from the client-go it is built with (v0.37 for helm 3.22).
 */
const HELM_DEFAULT_KUBE = { major: '1', minor: '37' };

/** Bump to force a rebuild when the recipe below changes in a way the hashed inputs do not show. */
const RECIPE = 1;

interface Target {
  readonly name: string;
  readonly binaries: readonly ('switchboard-apiserver' | 'kubectl' | 'helm')[];
  readonly description: string;
  /** How long a first build takes with empty Go caches (measured on 2 cores shared with other work). */
  readonly firstBuild: string;
  key(goVersion: string): Promise<string>;
  build(outDir: string): Promise<void>;
}

/** `-X` flags that make `kubectl version` and the server's /version report the real release. */
function kubernetesVersionFlags(): string[] {
  const [major, minor] = KUBERNETES_VERSION.slice(1).split('.');
  return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${KUBERNETES_VERSION}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ]);
}

const kubeLdflags = ['-s', '-w', ...kubernetesVersionFlags()].join(' ');

const helmLdflags = [
  '-s',
  '-w',
  `-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}`,
  '-X helm.sh/helm/v3/internal/version.gitTreeState=clean',
  ...['helm.sh/helm/v3/pkg/chartutil', 'helm.sh/helm/v3/pkg/lint/rules'].flatMap((pkg) => [
    `-X ${pkg}.k8sVersionMajor=${HELM_DEFAULT_KUBE.major}`,
    `-X ${pkg}.k8sVersionMinor=${HELM_DEFAULT_KUBE.minor}`,
  ]),
].join(' ');

const targets: readonly Target[] = [
  {
    name: 'kube-apiserver',
    binaries: ['switchboard-apiserver', 'kubectl'],
    description: `kube-apiserver ${KUBERNETES_VERSION} with embedded etcd, and kubectl`,
    firstBuild: 'about 15 minutes',
    async key(goVersion) {
      const dir = paths.goModule;
      const files = (await readdir(dir)).filter((f) => f.endsWith('.go') || f === 'go.mod' || f === 'go.sum');
      const hash = createHash('sha256').update(`${RECIPE}\n${goVersion}\n${kubeLdflags}\n`);
      for (const file of files.sort()) hash.update(`${file}\n`).update(await readFile(join(dir, file)));
      return hash.digest('hex').slice(0, 16);
    },
    async build(outDir) {
      // One `go build` for both main packages: they share most of the compiled code.
      await go(
        [
          'build',
          '-trimpath',
          '-ldflags',
          kubeLdflags,
          '-o',
          `${outDir}/`,
          '.',
          'k8s.io/kubernetes/cmd/kubectl',
        ],
        {
          cwd: paths.goModule,
        },
      );
      // The main package's binary is named after the module path's last element.
      await rename(join(outDir, 'kube-apiserver'), join(outDir, 'switchboard-apiserver'));
    },
  },
  {
    name: 'helm',
    binaries: ['helm'],
    description: `helm ${HELM_VERSION}`,
    firstBuild: 'about 2 minutes',
    async key(goVersion) {
      return createHash('sha256')
        .update(`${RECIPE}\n${goVersion}\n${HELM_VERSION}\n${helmLdflags}`)
        .digest('hex')
        .slice(0, 16);
    },
    async build(outDir) {
      // `go install pkg@version` builds with helm's own go.mod, checked against the Go checksum database.
      await go(
        ['install', '-trimpath', '-ldflags', helmLdflags, `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`],
        {
          cwd: outDir,
          env: { GOBIN: outDir },
        },
      );
    },
  },
];

/** Target name -> key of the inputs its binaries were built from. */
export type Versions = Record<string, string>;
const versionsFile = join(paths.binDir, 'versions.json');

async function readVersions(): Promise<Versions> {
  try {
    return JSON.parse(await readFile(versionsFile, 'utf8')) as Versions;
  } catch {
    return {};
  }
}

/**
 * Makes sure every pinned binary is built from the current inputs, building what is missing or stale, and returns
 * the key (input hash) of each target, e.g. to tell whether a running server is the current build.
 */
export async function ensureBinaries(): Promise<Versions> {
  const goVersion = await checkGo();
  const versions = await readVersions();
  for (const target of targets) {
    const key = await target.key(goVersion);
    const present = target.binaries.every((b) => existsSync(binary(b)));
    if (present && versions[target.name] === key) continue;

    say(
      present
        ? `Rebuilding ${target.description}: its inputs changed (Go caches make this quick)…`
        : `Building ${target.description} from Go modules; with empty Go caches this takes ${target.firstBuild}, ` +
            'later builds are cached…',
    );
    const started = Date.now();
    const outDir = join(paths.binDir, `.build-${process.pid}-${target.name}`);
    await rm(outDir, { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });
    const heartbeat = setInterval(
      () => say(`  still building ${target.name} (${elapsed(started)})…`),
      60_000,
    );
    try {
      await target.build(outDir);
      for (const b of target.binaries) await rename(join(outDir, b), binary(b));
    } finally {
      clearInterval(heartbeat);
      await rm(outDir, { recursive: true, force: true });
    }
    versions[target.name] = key;
    // Merge with what is on disk: another process may have recorded its own build meanwhile.
    await writeFile(
      versionsFile,
      JSON.stringify({ ...(await readVersions()), [target.name]: key }, null, 2) + '\n',
    );
    say(`  built ${target.binaries.join(', ')} in ${elapsed(started)}`);
  }
  return versions;
}

function elapsed(since: number): string {
  const s = Math.round((Date.now() - since) / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** Returns `go version`'s output, or fails with what to install. */
async function checkGo(): Promise<string> {
  try {
    return (await go(['version'], { nice: false })).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(
        'Go is not installed (no `go` on PATH). The test API server, kubectl and helm are built from Go modules: ' +
          'install Go 1.26 or newer (https://go.dev/dl/), or any Go ≥ 1.21 that may fetch the 1.26 toolchain itself.',
        { cause: err },
      );
    throw err;
  }
}

/** Runs the go command, by default at low priority (builds share the machine with the user); returns stdout. */
function go(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; nice?: boolean } = {},
): Promise<string> {
  const nice = (options.nice ?? true) && process.platform !== 'win32';
  const [command, argv] = nice ? ['nice', ['-n', '10', 'go', ...args]] : ['go', args];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, {
      cwd: options.cwd ?? paths.root,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`go ${args.join(' ')} failed (exit ${code}):\n${stderr.trim()}`));
    });
  });
}
