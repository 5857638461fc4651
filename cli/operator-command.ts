import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { loggerFromFlag, onShutdown, parsePort } from './cli-support.ts';

export const OPERATOR_USAGE = `switchboard operator [options]
switchboard operator --local DIR [--sync-port P]

Watches ProviderPools, computes each pool's sidecar configuration and writes its status (the elected leader only).

  --kubeconfig FILE      kubeconfig to use (default: $KUBECONFIG, several files merged, else ~/.kube/config,
                         else the pod's service account); exec credential plugins (EKS, GKE, AKS) work
  --context NAME         use this context of the kubeconfig instead of its current-context
  --namespace NS         watch only this namespace (default: all)
  --lease-namespace NS   namespace of the leader-election Lease (default: the pod's, else "default")
  --id ID                identity in leader election (default: hostname plus a random suffix)
  --port P               /healthz, /readyz and /metrics (default 9465; 0 picks a free port)
  --sync-port P          the sidecars' sync channel (default 7070; every replica serves it, followers relay
                         their sidecars' reports to the leader and its decisions back)
  --sync-host H          its listen address (default: the --port address; 0.0.0.0 in a pod)
  --sync-advertise-url U where peer replicas reach this one's sync channel when it leads, written on the Lease
                         (default: http://$POD_IP:<sync port> when POD_IP is set, else the listen address)
  --relay-token-file F   the operator's projected ServiceAccount token (audience switchboard), presented when
                         relaying to the leader; re-read on every call
  --relay-account NS/SA  the ServiceAccount allowed to relay (default: this operator's own, by SelfSubjectReview)
  --log-level L          debug | info | warn | error (default info)

Local mode (one machine, no cluster): ProviderPools from DIR/*.yaml (watched), the sync channel for sidecars
on 127.0.0.1 (no tokens), each pool's status written to DIR/status/<namespace>.<name>.json.

  --local DIR            run in local mode on the pools in DIR
  --sync-port P          sync channel, /healthz, /readyz and /metrics (default 7070; 0 picks a free port)
`;

export async function runOperatorCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string' },
      'lease-namespace': { type: 'string' },
      id: { type: 'string' },
      port: { type: 'string', default: '9465' },
      'log-level': { type: 'string', default: 'info' },
      local: { type: 'string' },
      'sync-port': { type: 'string', default: '7070' },
      'sync-host': { type: 'string' },
      'sync-advertise-url': { type: 'string' },
      'relay-token-file': { type: 'string' },
      'relay-account': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(OPERATOR_USAGE);
    return;
  }
  if (values.local !== undefined) {
    const logger = loggerFromFlag(values['log-level']);
    // Local mode never loads the Kubernetes client.
    const { startLocalOperator } = await import('../operator/local/local-operator.ts');
    const local = await startLocalOperator({
      dir: resolve(values.local),
      port: parsePort(values['sync-port'], '--sync-port'),
      logger,
    });
    process.stdout.write(
      `switchboard operator (local mode): sync channel ${local.url}, pools in ${values.local}\n`,
    );
    onShutdown(() => local.close());
    return;
  }
  const { startOperator } = await import('../operator/operator.ts');
  const syncPort = parsePort(values['sync-port'], '--sync-port');
  const podIp = process.env.POD_IP;
  const advertise =
    values['sync-advertise-url'] ??
    (podIp === undefined || podIp === '' || syncPort === 0
      ? undefined
      : `http://${podIp.includes(':') ? `[${podIp}]` : podIp}:${syncPort}`);
  const tokenFile = values['relay-token-file'];
  const [accountNamespace, accountName, ...extra] = (values['relay-account'] ?? '').split('/');
  if (values['relay-account'] !== undefined && (!accountNamespace || !accountName || extra.length > 0))
    throw new Error('--relay-account: expected NAMESPACE/SERVICEACCOUNT');
  const operator = await startOperator({
    ...(values.kubeconfig === undefined ? {} : { kubeconfig: values.kubeconfig }),
    ...(values.context === undefined ? {} : { context: values.context }),
    ...(values.namespace === undefined ? {} : { namespace: values.namespace }),
    ...(values['lease-namespace'] === undefined ? {} : { leaseNamespace: values['lease-namespace'] }),
    ...(values.id === undefined ? {} : { identity: values.id }),
    port: parsePort(values.port, '--port'),
    syncPort,
    ...(values['sync-host'] === undefined ? {} : { syncHost: values['sync-host'] }),
    ...(advertise === undefined ? {} : { syncAdvertiseUrl: advertise }),
    ...(tokenFile === undefined
      ? {}
      : { relayToken: async () => (await readFile(tokenFile, 'utf8')).trim() || undefined }),
    ...(accountNamespace && accountName
      ? { relayAccount: { namespace: accountNamespace, name: accountName } }
      : {}),
    logger: loggerFromFlag(values['log-level']),
  });
  // A graceful stop releases the Lease, so another replica takes over at once.
  onShutdown(() => operator.stop({ release: true }));
}
