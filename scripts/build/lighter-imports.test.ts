import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { constants as http2Constants } from 'node:http2';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as promClient from 'prom-client';

const require = createRequire(import.meta.url);
const HERE = import.meta.dirname;

interface Http2Lazy {
  readonly constants: Readonly<Record<string, string | number>>;
  readonly connect: unknown;
}
const http2Lazy = require(join(HERE, 'http2-lazy.cjs')) as Http2Lazy;
const promClientCore = require(join(HERE, 'prom-client-core.cjs')) as Record<string, unknown>;

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
  const root = join(HERE, '..', '..');
  const names = new Set<string>();
  for (const dir of ['api', 'core', 'sidecar', 'cli']) {
    for (const file of readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      const source = readFileSync(join(root, dir, file), 'utf8');
      for (const m of source.matchAll(/import \{([^}]*)\} from 'prom-client'/g)) {
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
});
