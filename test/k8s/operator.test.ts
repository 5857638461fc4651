import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../core/log.ts';
import { startOperator, type RunningOperator } from '../../operator/operator.ts';
import { kubeconfigPath, kubectl, ok } from './support/kube.ts';
import { eventually, installCrds, pool, ready, secret } from './support/providerpool.ts';
import { useNamespace } from './support/namespace.ts';

describe('the operator on a real API server', () => {
  const ns = useNamespace('operator');
  const running: RunningOperator[] = [];
  const start = (identity: string) =>
    startOperator({
      kubeconfig: kubeconfigPath(),
      namespace: ns.name,
      leaseNamespace: ns.name,
      identity,
      leaseDurationMs: 2_000,
      renewDeadlineMs: 1_500,
      retryPeriodMs: 300,
      port: 0,
      logger: silentLogger,
    }).then((op) => {
      running.push(op);
      return op;
    });

  beforeAll(installCrds);
  afterEach(async () => {
    await Promise.all(running.splice(0).map((op) => op.stop()));
  });

  it('brings a valid pool to Ready with its generation, observes a spec change, and flips Ready with its Secret', async () => {
    await ok(kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(secret)));
    await ok(kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(pool(1))));
    await start('solo');

    const first = await eventually(ns.name, 'Ready', (s) => ready(s)?.status === 'True');
    expect(first.observedGeneration).toBe(1);
    expect(ready(first)).toMatchObject({ reason: 'ConfigPublished', observedGeneration: 1 });
    expect(first.providerCount).toBe(1);

    await ok(kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(pool(3))));
    const second = await eventually(ns.name, 'generation 2', (s) => s.observedGeneration === 2);
    expect(second.configVersion).not.toBe(first.configVersion);

    await ok(kubectl(['delete', 'secret', 'openai', '-n', ns.name]));
    const missing = await eventually(ns.name, 'SecretMissing', (s) => ready(s)?.reason === 'SecretMissing');
    expect(ready(missing)).toMatchObject({ status: 'False' });
    expect(ready(missing)?.message).toContain('Secret "openai" not found');

    // The event is recorded right after the status write: poll for it too.
    const reasons = async () =>
      (
        JSON.parse(
          await ok(
            kubectl([
              'get',
              'events',
              '-n',
              ns.name,
              '--field-selector',
              'involvedObject.name=chat',
              '-o',
              'json',
            ]),
          ),
        ) as { items: { type: string; reason: string }[] }
      ).items.map((e) => `${e.type}/${e.reason}`);
    let seen = await reasons();
    for (let i = 0; i < 50 && !seen.includes('Warning/SecretMissing'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      seen = await reasons();
    }
    expect(seen).toEqual(expect.arrayContaining(['Normal/ConfigPublished', 'Warning/SecretMissing']));

    await ok(kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(secret)));
    await eventually(ns.name, 'Ready again', (s) => ready(s)?.status === 'True');
  });

  it('does not write while nothing changes', async () => {
    await ok(kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(secret)));
    await ok(kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(pool(1))));
    const op = await start('quiet');
    await eventually(ns.name, 'Ready', (s) => ready(s)?.status === 'True');
    expect((await fetch(`${op.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${op.url}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_operator_reconciles_total\{result="ok"\} [1-9]/);
    expect(metrics).toContain('switchboard_operator_is_leader 1');
    expect(metrics).toContain('switchboard_operator_queue_depth 0');
    const version = async () =>
      (
        JSON.parse(await ok(kubectl(['get', 'providerpool', 'chat', '-n', ns.name, '-o', 'json']))) as {
          metadata: { resourceVersion: string };
        }
      ).metadata.resourceVersion;
    const before = await version();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await version()).toBe(before);
  });

  it('elects one leader among two replicas, and the other takes over when the leader stops', async () => {
    await ok(kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(secret)));
    await ok(kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(pool(1))));
    const a = await start('replica-a');
    const b = await start('replica-b');
    await eventually(ns.name, 'Ready', (s) => ready(s)?.status === 'True');
    const deadline = Date.now() + 10_000;
    while (a.isLeader() === b.isLeader() && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
    const [leader, follower] = a.isLeader() ? [a, b] : [b, a];

    await leader.stop();
    running.splice(running.indexOf(leader), 1);
    await ok(kubectl(['apply', '-n', ns.name, '-f', '-'], JSON.stringify(pool(2))));
    await eventually(ns.name, 'the new leader to observe generation 2', (s) => s.observedGeneration === 2);
    expect(follower.isLeader()).toBe(true);
    const lease = JSON.parse(
      await ok(kubectl(['get', 'lease', 'switchboard-operator', '-n', ns.name, '-o', 'json'])),
    ) as {
      spec: { holderIdentity: string };
    };
    expect(lease.spec.holderIdentity).toBe(follower.identity);
  });
});
