/** Files mode (cert-manager): the material in a directory is served, and a rotation there is picked up. */
import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../core/log.ts';
import { waitFor } from '../../test/support/wait.ts';
import { systemScheduler } from '../timing/scheduler.ts';
import { CertificateFiles } from './certificate-files.ts';
import type { ServingMaterial } from './serving-material.ts';
import { issueCa, issueServing, type KeyPairPem } from './x509-issuer.ts';

const HOUR = 3_600_000;
const NAMES = { dnsNames: ['switchboard-operator.switchboard.svc'], ipAddresses: [] };
let dir: string | undefined;
let files: CertificateFiles | undefined;
afterEach(async () => {
  await files?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function write(
  target: string,
  ca: KeyPairPem,
  serving: KeyPairPem,
  key = serving.keyPem,
): Promise<void> {
  await writeFile(join(target, 'ca.crt'), ca.certPem);
  await writeFile(join(target, 'tls.crt'), serving.certPem);
  await writeFile(join(target, 'tls.key'), key);
}

describe('CertificateFiles', () => {
  test('serves the files, skips a half-written pair, and reports a rotation once it is whole', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-certs-'));
    const now = Date.now();
    const ca = await issueCa(now, HOUR, 'cert-manager-ca');
    const first = await issueServing(ca, NAMES, now, HOUR);
    await write(dir, ca, first);
    files = new CertificateFiles({ dir, scheduler: systemScheduler, logger: silentLogger, pollMs: 20 });
    const seen: ServingMaterial[] = [];
    files.onChange((m) => seen.push(m));
    await files.start();
    expect(files.current()).toEqual({ caPem: ca.certPem, certPem: first.certPem, keyPem: first.keyPem });

    const second = await issueServing(ca, NAMES, now, HOUR);
    // The new certificate with the old key: not a pair, so the old material stays.
    await write(dir, ca, second, first.keyPem);
    await new Promise((r) => setTimeout(r, 100));
    expect(files.current()?.certPem).toBe(first.certPem);

    await writeFile(join(dir, 'tls.key'), second.keyPem);
    await waitFor('the rotation', () => files?.current()?.certPem === second.certPem);
    expect(seen.map((m) => m.certPem)).toEqual([first.certPem, second.certPem]);
  });

  test('has nothing to serve while the directory is empty', async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-certs-'));
    files = new CertificateFiles({ dir, scheduler: systemScheduler, logger: silentLogger, pollMs: 20 });
    await files.start();
    expect(files.current()).toBeUndefined();
  });
});
