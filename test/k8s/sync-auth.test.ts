/**
 * The sync channel authenticated against the real API server: the operator's sync routes in-process on 127.0.0.1,
 * reviewing tokens as a ServiceAccount bound to the operator's ClusterRole; sidecars' tokens minted by TokenRequest
 * for ServiceAccounts in two namespaces.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { useCleanups } from '../support/cleanups.ts';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { apiServerTokenReviewer, type TokenReviewer } from '../../operator/sync/auth/token-reviewer.ts';
import { TokenReviewAuth } from '../../operator/sync/token-review-auth.ts';
import { ManualClock, seededRng, systemClock, type Clock } from '../../core/clock.ts';
import { createLogger, silentLogger } from '../../core/log.ts';
import { OperatorPoolSource } from '../../sidecar/source/operator-pool-source.ts';
import type { PoolDocument } from '../../sidecar/source/pool-source.ts';
import { emptyReport, poolContent, startSyncServer, type SyncServer } from '../support/sync-server.ts';
import { waitFor } from '../support/wait.ts';
import { freePort } from './support/free-port.ts';
import { adminConfig, kubectl, ok } from './support/kube.ts';
import { createNamespace } from './support/namespace.ts';
import { createOperatorAccount } from './support/operator-account.ts';

interface Tokens {
  /** Sidecar tokens (audience switchboard) of team-a and team-b. */
  readonly teamA: string;
  readonly teamB: string;
  /** A team-a token for the API server's own audience. */
  readonly wrongAudience: string;
  /** The team-a token's claims, signed by a key the cluster does not know. */
  readonly otherKey: string;
  /** The team-a token with its claims changed (to another account) under the original signature. */
  readonly tampered: string;
  readonly random: string;
}

let teamA: string;
let teamB: string;
let operatorConfig: KubeConfig;
/** The same operator ServiceAccount's role bound by a RoleBinding only: it may not create TokenReviews. */
let unboundConfig: KubeConfig;
let tokens: Tokens;

async function mint(core: CoreV1Api, namespace: string, account: string, audiences?: string[]) {
  const request = await core.createNamespacedServiceAccountToken({
    name: account,
    namespace,
    body: { spec: { expirationSeconds: 3_600, ...(audiences === undefined ? {} : { audiences }) } },
  });
  return request.status?.token ?? '';
}

/** A JWT with the same header and claims, signed with a fresh RSA key (RS256). */
function resigned(token: string): string {
  const [header = '', payload = ''] = token.split('.');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), privateKey);
  return `${header}.${payload}.${signature.toString('base64url')}`;
}

function tamperedSubject(token: string, subject: string): string {
  const [header = '', payload = '', signature = ''] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const forged = Buffer.from(JSON.stringify({ ...claims, sub: subject })).toString('base64url');
  return `${header}.${forged}.${signature}`;
}

/** A configuration that logs in as `token` to the cluster of `admin` (or to another server, with its CA). */
function configWithToken(admin: KubeConfig, token: string, server?: string): KubeConfig {
  const cluster = admin.getCurrentCluster();
  if (cluster === null) throw new Error('the admin kubeconfig names no cluster');
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ ...cluster, ...(server === undefined ? {} : { server }) }],
    users: [{ name: 'operator', token }],
    contexts: [{ name: 'operator', cluster: cluster.name, user: 'operator' }],
    currentContext: 'operator',
  });
  return config;
}

beforeAll(async () => {
  const admin = adminConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const operatorNamespace = await createNamespace(admin, 'sync-auth-operator');
  teamA = await createNamespace(admin, 'sync-auth-a');
  teamB = await createNamespace(admin, 'sync-auth-b');
  await createOperatorAccount(operatorNamespace);
  operatorConfig = configWithToken(admin, await mint(core, operatorNamespace, 'operator'));
  await ok(kubectl(['create', 'serviceaccount', 'namespaced-operator', '-n', operatorNamespace]));
  await ok(
    kubectl([
      ...['create', 'rolebinding', 'namespaced-operator', '-n', operatorNamespace],
      ...['--clusterrole=switchboard-operator', `--serviceaccount=${operatorNamespace}:namespaced-operator`],
    ]),
  );
  unboundConfig = configWithToken(admin, await mint(core, operatorNamespace, 'namespaced-operator'));
  for (const namespace of [teamA, teamB])
    await ok(kubectl(['create', 'serviceaccount', 'sidecar', '-n', namespace]));
  const a = await mint(core, teamA, 'sidecar', ['switchboard']);
  tokens = {
    teamA: a,
    teamB: await mint(core, teamB, 'sidecar', ['switchboard']),
    wrongAudience: await mint(core, teamA, 'sidecar'),
    otherKey: resigned(a),
    tampered: tamperedSubject(a, `system:serviceaccount:${teamB}:sidecar`),
    random: randomBytes(48).toString('base64url'),
  };
});

interface Operator extends SyncServer {
  /** The operator's log lines. */
  readonly lines: string[];
  /** switchboard_operator_sync_refused_total by status. */
  refused(): Promise<Record<string, number>>;
}

const cleanups = useCleanups();

async function startOperator(options: { reviewer?: TokenReviewer; clock?: Clock } = {}): Promise<Operator> {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', sink: (line) => lines.push(line) });
  const auth = new TokenReviewAuth({
    reviewer: options.reviewer ?? apiServerTokenReviewer(operatorConfig),
    clock: options.clock ?? systemClock,
    logger,
  });
  const server = await startSyncServer({ auth, logger });
  cleanups.push(() => server.close());
  return {
    ...server,
    lines,
    refused: async () =>
      Object.fromEntries(
        (await server.metrics.refused.get()).values.map((v) => [String(v.labels.status), v.value]),
      ),
  };
}

/** A call to one of the pool's sync endpoints, as a sidecar makes it. */
async function call(
  operator: Operator,
  pool: { namespace: string; name: string },
  endpoint: 'stream' | 'acks' | 'reports',
  token?: string,
) {
  const base = `${operator.url}/sync/v1/pools/${pool.namespace}/${pool.name}`;
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const res =
    endpoint === 'stream'
      ? await fetch(`${base}/stream?sidecar=pod-1`, { headers })
      : await fetch(`${base}/${endpoint}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: '{}',
        });
  const body = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, error: body.error, authenticate: res.headers.get('www-authenticate') };
}

/** No token, nor any part of one that identifies it (its signature), in the operator's log. */
function expectNoTokenLogged(operator: Operator): void {
  const log = operator.lines.join('\n');
  expect(log).toContain('sync call refused');
  for (const token of Object.values(tokens)) {
    expect(log).not.toContain(token);
    expect(log).not.toContain(token.split('.').at(-1));
  }
}

function sidecar(operator: Operator, namespace: string, token: string) {
  const applied: PoolDocument[] = [];
  const source = new OperatorPoolSource({
    operatorUrl: operator.url,
    namespace,
    pool: 'chat',
    sidecarId: 'pod-1',
    token: () => Promise.resolve(token),
    rng: seededRng(1),
    logger: silentLogger,
    backoff: { baseMs: 20, maxMs: 100 },
    idleTimeoutMs: 2_000,
  });
  cleanups.push(() => source.close());
  void source.start((doc) => void applied.push(doc));
  return { source, applied };
}

describe('the sync channel with TokenReview authentication', () => {
  test('a sidecar with a token of its own namespace gets its snapshot, and its ACK and report are accepted', async () => {
    const operator = await startOperator();
    const pool = { namespace: teamA, name: 'chat' };
    const content = poolContent(['a', 'b'], { a: 2, b: 1 });
    operator.hub.publish(pool, content);
    const s = sidecar(operator, teamA, tokens.teamA);
    await waitFor('the snapshot', () => s.applied.length === 1);
    expect(s.applied[0]?.fleet?.weights).toEqual({ a: 2, b: 1 });
    await waitFor('the ACK', () => operator.hub.sidecars(pool)[0]?.appliedVersion === content.configVersion);
    await s.source.postReport(emptyReport('pod-1'));
    expect(operator.hub.sidecars(pool)[0]?.reports).toHaveLength(1);
    expect(await operator.refused()).toEqual({});
    expect(operator.lines.join('\n')).toContain(`system:serviceaccount:${teamA}:sidecar`);
    expect(operator.lines.join('\n')).not.toContain(tokens.teamA);
  });

  test('a call without a token is refused with 401 saying what to send, and counted', async () => {
    const operator = await startOperator();
    for (const endpoint of ['stream', 'acks', 'reports'] as const) {
      const res = await call(operator, { namespace: teamA, name: 'chat' }, endpoint);
      expect(res).toMatchObject({
        status: 401,
        error: {
          code: 'Unauthorized',
          message: expect.stringMatching(/Authorization: Bearer .*audience switchboard/),
        },
        authenticate: expect.stringMatching(/^Bearer/),
      });
    }
    expect(await operator.refused()).toEqual({ '401': 3 });
    expectNoTokenLogged(operator);
  });

  test('forged tokens (random, signed by another key, claims changed under the signature) are refused with 401', async () => {
    const operator = await startOperator();
    for (const token of [tokens.random, tokens.otherKey, tokens.tampered]) {
      const res = await call(operator, { namespace: teamA, name: 'chat' }, 'stream', token);
      expect(res).toMatchObject({ status: 401, error: { code: 'Unauthorized' } });
      expect(res.error?.message).not.toContain(token);
    }
    expect(await operator.refused()).toEqual({ '401': 3 });
    expectNoTokenLogged(operator);
  });

  test('a token for another audience is refused with 401 naming the audience it must have', async () => {
    const operator = await startOperator();
    const res = await call(operator, { namespace: teamA, name: 'chat' }, 'stream', tokens.wrongAudience);
    expect(res).toMatchObject({
      status: 401,
      error: { code: 'Unauthorized', message: 'token not valid for audience switchboard' },
    });
    expect(await operator.refused()).toEqual({ '401': 1 });
    expectNoTokenLogged(operator);
  });

  test("a token of team-b asking for team-a's pool is refused with 403 naming both namespaces, on every endpoint", async () => {
    const operator = await startOperator();
    operator.hub.publish({ namespace: teamA, name: 'chat' }, poolContent(['a']));
    for (const endpoint of ['stream', 'acks', 'reports'] as const) {
      const res = await call(operator, { namespace: teamA, name: 'chat' }, endpoint, tokens.teamB);
      expect(res).toMatchObject({ status: 403, error: { code: 'Forbidden' } });
      expect(res.error?.message).toContain(`namespace ${teamB} only, not of namespace ${teamA}`);
    }
    expect(await operator.refused()).toEqual({ '403': 3 });
    expect(operator.hub.sidecars({ namespace: teamA, name: 'chat' })).toEqual([]);
    expectNoTokenLogged(operator);
  });

  test('a sidecar refused by the operator says so and gets no configuration', async () => {
    const operator = await startOperator();
    operator.hub.publish({ namespace: teamA, name: 'chat' }, poolContent(['a']));
    const s = sidecar(operator, teamA, tokens.wrongAudience);
    await waitFor('the refusal to reach the sidecar', () =>
      /HTTP 401.*audience switchboard/.test(s.source.problem() ?? ''),
    );
    expect(s.applied).toEqual([]);
  });

  test('a verdict is reused within its TTL without another TokenReview, and reviewed again after it', async () => {
    const clock = new ManualClock(Date.now());
    const real = apiServerTokenReviewer(operatorConfig);
    let reviews = 0;
    const counting: TokenReviewer = {
      review: (token, audiences) => {
        reviews += 1;
        return real.review(token, audiences);
      },
    };
    const operator = await startOperator({ reviewer: counting, clock });
    const pool = { namespace: teamA, name: 'chat' };
    operator.hub.publish(pool, poolContent(['a']));
    const report = async () => {
      const res = await fetch(`${operator.url}/sync/v1/pools/${teamA}/chat/reports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.teamA}`, 'content-type': 'application/json' },
        body: JSON.stringify(emptyReport('pod-1')),
      });
      return res.status;
    };
    expect(await report()).toBe(204);
    clock.advance(29_000);
    expect(await report()).toBe(204);
    expect(reviews).toBe(1);
    clock.advance(1_000);
    expect(await report()).toBe(204);
    expect(reviews).toBe(2);
  });

  test('when the API server cannot be reached the call gets 503, not 401, and nothing is counted as refused', async () => {
    const unreachable = configWithToken(
      adminConfig(),
      'operator-token',
      `https://127.0.0.1:${await freePort()}`,
    );
    const operator = await startOperator({ reviewer: apiServerTokenReviewer(unreachable) });
    const res = await call(operator, { namespace: teamA, name: 'chat' }, 'stream', tokens.teamA);
    expect(res).toMatchObject({ status: 503, error: { code: 'AuthUnavailable' } });
    expect(await operator.refused()).toEqual({});
    const log = operator.lines.join('\n');
    expect(log).toContain('sync authorization failed');
    expect(log).not.toContain(tokens.teamA);
  });

  test('an operator not allowed to create TokenReviews answers 503 and logs why, without the token', async () => {
    const operator = await startOperator({ reviewer: apiServerTokenReviewer(unboundConfig) });
    const res = await call(operator, { namespace: teamA, name: 'chat' }, 'reports', tokens.teamA);
    expect(res).toMatchObject({ status: 503, error: { code: 'AuthUnavailable' } });
    const log = operator.lines.join('\n');
    expect(log).toMatch(/sync authorization failed.*cannot create resource \\"tokenreviews\\"/);
    expect(log).not.toContain(tokens.teamA);
  });
});
