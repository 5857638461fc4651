import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import { constants as http2Constants, createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import * as promClient from 'prom-client';
import type * as Undici from 'undici';
import { issueCa, issueServing } from '../../operator/certs/x509-issuer.ts';
import { BUNDLED_UNDICI, lighterImports } from './build-sidecar.ts';

const require = createRequire(import.meta.url);
const HERE = import.meta.dirname;

interface Http2Lazy {
  readonly constants: Readonly<Record<string, string | number>>;
  readonly connect: unknown;
}
const http2Lazy = require(join(HERE, 'http2-lazy.cjs')) as Http2Lazy;
const promClientCore = require(join(HERE, 'prom-client-core.cjs')) as Record<string, unknown>;
const fsPromisesLite = require(join(HERE, 'fs-promises-lite.cjs')) as Pick<
  typeof fsPromises,
  'mkdir' | 'readFile' | 'rename' | 'writeFile'
>;

/** The names undici's HTTP/2 client destructures from `http2.constants` when it loads. */
function constantsUndiciReads(): string[] {
  const source = readFileSync(require.resolve('undici/lib/dispatcher/client-h2.js'), 'utf8');
  const block = /const \{\s*constants: \{([^}]*)\}\s*\} = http2/.exec(source);
  if (block?.[1] === undefined)
    throw new Error('undici/lib/dispatcher/client-h2.js no longer destructures http2.constants');
  return block[1]
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/** Names the data plane's sources import (not as types) from prom-client. */
function promClientNamesImported(): string[] {
  return namesImported('prom-client');
}

/** Names the data plane's sources import (not as types) from a module. */
function namesImported(specifier: string): string[] {
  const root = join(HERE, '..', '..');
  const names = new Set<string>();
  for (const dir of ['api', 'core', 'sidecar', 'cli']) {
    for (const file of readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      const source = readFileSync(join(root, dir, file), 'utf8');
      for (const m of source.matchAll(new RegExp(`import \\{([^}]*)\\} from '${specifier}'`, 'g'))) {
        for (const name of (m[1] ?? '').split(',').map((n) => n.trim())) {
          if (name !== '' && !name.startsWith('type ')) names.add(name);
        }
      }
    }
  }
  return [...names].sort();
}

describe('the lighter imports of the sidecar bundle', () => {
  it.each(Object.keys(http2Lazy.constants))("http2-lazy's %s is node:http2's", (name) => {
    expect(http2Lazy.constants[name]).toBe((http2Constants as Record<string, unknown>)[name]);
  });

  it('http2-lazy defines every constant undici reads from node:http2 when its HTTP/2 client loads', () => {
    const reads = constantsUndiciReads();
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.filter((name) => !(name in http2Lazy.constants))).toEqual([]);
  });

  it("undici's HTTP/2 client uses nothing of node:http2 but its constants and connect", () => {
    const source = readFileSync(require.resolve('undici/lib/dispatcher/client-h2.js'), 'utf8');
    const used = new Set([...source.matchAll(/\bhttp2\.(\w+)/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual(['connect']);
  });

  it('prom-client-core exports everything the data plane imports from prom-client', () => {
    const imported = promClientNamesImported();
    expect(imported.length).toBeGreaterThan(0);
    expect(imported.filter((name) => !(name in promClientCore))).toEqual([]);
  });

  it.each(Object.keys(promClientCore))("prom-client-core's %s is the class prom-client exports", (name) => {
    expect(promClientCore[name]).toBe((promClient as Record<string, unknown>)[name]);
  });

  it('fs-promises-lite exports every function the data plane imports from node:fs/promises', () => {
    const imported = namesImported('node:fs/promises');
    expect(imported.length).toBeGreaterThan(0);
    expect(imported.filter((name) => !(name in fsPromisesLite))).toEqual([]);
  });

  it("fs-promises-lite writes, renames and reads a file as node:fs/promises does (the snapshot store's calls)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-promises-lite-'));
    try {
      const nested = join(dir, 'a', 'b');
      expect(await fsPromisesLite.mkdir(nested, { recursive: true })).toBe(join(dir, 'a'));
      expect(await fsPromisesLite.mkdir(nested, { recursive: true })).toBeUndefined();
      await fsPromisesLite.writeFile(join(nested, 'tmp'), '{"v":1}', { mode: 0o600 });
      await fsPromisesLite.rename(join(nested, 'tmp'), join(nested, 'state.json'));
      expect(statSync(join(nested, 'state.json')).mode & 0o777).toBe(0o600);
      expect(await fsPromisesLite.readFile(join(nested, 'state.json'), 'utf8')).toBe(
        await fsPromises.readFile(join(nested, 'state.json'), 'utf8'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fs-promises-lite rejects a missing file with the error node:fs/promises gives', async () => {
    const missing = join(tmpdir(), 'fs-promises-lite-missing', 'pool.yaml');
    const theirs = await fsPromises.readFile(missing, 'utf8').catch((e: NodeJS.ErrnoException) => e);
    const ours = await fsPromisesLite.readFile(missing, 'utf8').catch((e: NodeJS.ErrnoException) => e);
    expect(ours).toMatchObject({ code: 'ENOENT', path: missing, message: (theirs as Error).message });
  });
});

describe('undici as the sidecar bundle builds it, against a server that speaks HTTP/2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lighter-imports-'));
  const bundle = join(dir, 'undici.cjs');
  let server: Http2SecureServer;
  let caPem: string;

  beforeAll(async () => {
    const entry = join(dir, 'entry.cjs');
    writeFileSync(entry, "module.exports = require('undici');\n");
    await build({
      entryPoints: [entry],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      logLevel: 'silent',
      define: BUNDLED_UNDICI,
      plugins: [lighterImports],
      nodePaths: [join(HERE, '..', '..', 'node_modules')],
    });
    const now = Date.now();
    const ca = await issueCa(now, 3_600_000, 'lighter-imports test CA');
    caPem = ca.certPem;
    const serving = await issueServing(
      ca,
      { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] },
      now,
      3_600_000,
    );
    server = createSecureServer(
      { cert: serving.certPem, key: serving.keyPem, allowHTTP1: true },
      (req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ httpVersion: req.httpVersion }));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('loading it does not load node:http2', () => {
    const loaded = execFileSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(bundle)}); process.stdout.write(String(process.moduleLoadList.includes('NativeModule http2')))`,
      ],
      { encoding: 'utf8' },
    );
    expect(loaded).toBe('false');
  });

  it('negotiates HTTP/2 with a TLS server that offers it and gets its answer', async () => {
    const undici = require(bundle) as typeof Undici;
    const agent = new undici.Agent({ connect: { ca: caPem } });
    try {
      const { port } = server.address() as AddressInfo;
      const response = await undici.request(`https://localhost:${port}/v1/models`, { dispatcher: agent });
      expect(response.statusCode).toBe(200);
      expect(await response.body.json()).toEqual({ httpVersion: '2.0' });
    } finally {
      await agent.close();
    }
  });
});

describe('bin/prebuilt.js, which every `switchboard sidecar` runs before the bundle', () => {
  it('checks the bundle without loading node:fs/promises (and with it readline and the REPL history)', () => {
    const prebuilt = join(HERE, '..', '..', 'bin', 'prebuilt.js');
    const loaded = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { freshSidecarBundle } = await import(${JSON.stringify(prebuilt)}); freshSidecarBundle();
         process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => /fs\\/promises|readline/.test(m))));`,
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(loaded)).toEqual([]);
  });
});
