import { parseArgs } from 'node:util';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { loggerFromFlag, parsePort, stopOnSignal } from './cli-support.ts';

export const OPERATOR_USAGE = `switchboard operator [options]
switchboard operator --local DIR [--sync-port P]

Watches ProviderPools, computes each pool's sidecar configuration and writes its status (the elected leader only).

  --kubeconfig FILE      kubeconfig to use (default: $KUBECONFIG, several files merged, else ~/.kube/config,
                         else the pod's service account); exec credential plugins (EKS, GKE, AKS) work
  --context NAME         use this context of the kubeconfig instead of its current-context
  --namespace NS         watch only this namespace (default: all)
  --lease-namespace NS   namespace of the leader-election Lease (default: the pod's, else "default")
  --lease-name NAME      name of that Lease: one per operator deployment (default switchboard-operator)
  --id ID                identity in leader election (default: hostname plus a random suffix)
  --port P               /healthz, /readyz and /metrics (default 9465; 0 picks a free port)
  --host H               their listen address (default 127.0.0.1; 0.0.0.0 in a pod, for the kubelet's probes)
  --sync-port P          the sidecars' sync channel (default 7070; every replica serves it, followers relay
                         their sidecars' reports to the leader and its decisions back)
  --sync-host H          its listen address (default: --host; 0.0.0.0 in a pod)
  --sync-advertise-url U where peer replicas reach this one's sync channel when it leads, written on the Lease
                         (default: http(s)://$POD_IP:<sync port> when POD_IP is set, else the listen address)
  --relay-token-file F   the operator's projected ServiceAccount token (audience switchboard), presented when
                         relaying to the leader; re-read on every call
  --relay-account NS/SA  the ServiceAccount allowed to relay (default: this operator's own, by SelfSubjectReview)
  --log-level L          debug | info | warn | error (default info)

TLS and sidecar injection (without --cert-secret or --cert-dir: plain-HTTP sync channel and no webhook):
  --cert-secret NAME     managed certificates: the leader creates a CA and a serving certificate in Secret NAME of
                         the operator's namespace ($POD_NAMESPACE, else as for the Lease) and rotates them; every
                         replica serves what the Secret holds, swapping certificates without a restart
  --cert-dir DIR         certificates kept by someone else (cert-manager): DIR/ca.crt, tls.crt, tls.key, re-read
                         as they change
  --service-name NAME    the Service in front of the operator: the serving certificate's names
                         (default switchboard-operator)
  --webhook-config NAME  the MutatingWebhookConfiguration whose caBundle the leader keeps equal to the CA (managed)
  --injection-config F   what the webhook injects (YAML); the webhook is served only with it
  --webhook-port P       the injection webhook, HTTPS, POST /inject, on every replica, on the --sync-host address
                         (default 9443)

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
      'lease-name': { type: 'string' },
      id: { type: 'string' },
      port: { type: 'string', default: '9465' },
      host: { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      local: { type: 'string' },
      'sync-port': { type: 'string', default: '7070' },
      'sync-host': { type: 'string' },
      'webhook-port': { type: 'string', default: '9443' },
      'cert-secret': { type: 'string' },
      'cert-dir': { type: 'string' },
      'service-name': { type: 'string', default: 'switchboard-operator' },
      'webhook-config': { type: 'string' },
      'injection-config': { type: 'string' },
      // Development and tests only (not in the usage): certificate lifetimes, e.g. 30s, 15m, 90d.
      'cert-validity': { type: 'string' },
      'ca-validity': { type: 'string' },
      // Development and tests only: more names or IP addresses in the managed serving certificate, comma-separated
      // (a webhook the API server calls at https://127.0.0.1:PORT needs 127.0.0.1 in it).
      'cert-extra-san': { type: 'string' },
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
  // Before anything starts: a signal during start-up then stops the command cleanly instead of killing it.
  const onShutdown = stopOnSignal();
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
  if (values['cert-secret'] !== undefined && values['cert-dir'] !== undefined)
    throw new Error('give --cert-secret (managed certificates) or --cert-dir (files), not both');
  const { startOperator } = await import('../operator/operator.ts');
  const { loadInjectionConfig } = await import('../operator/webhook/injection-config.ts');
  const injection =
    values['injection-config'] === undefined
      ? undefined
      : await loadInjectionConfig(values['injection-config']);
  const certificates =
    values['cert-dir'] !== undefined
      ? { mode: 'files' as const, dir: resolve(values['cert-dir']) }
      : values['cert-secret'] !== undefined
        ? {
            mode: 'managed' as const,
            secretName: values['cert-secret'],
            serviceName: values['service-name'],
            ...(values['webhook-config'] === undefined
              ? {}
              : { webhookConfigName: values['webhook-config'] }),
            ...(values['cert-validity'] === undefined
              ? {}
              : { servingValidityMs: parseDuration(values['cert-validity'], '--cert-validity') }),
            ...(values['ca-validity'] === undefined
              ? {}
              : { caValidityMs: parseDuration(values['ca-validity'], '--ca-validity') }),
            ...(values['cert-extra-san'] === undefined ? {} : extraSans(values['cert-extra-san'])),
          }
        : undefined;
  if (injection !== undefined && certificates === undefined)
    throw new Error(
      '--injection-config needs --cert-secret or --cert-dir (the API server calls webhooks over HTTPS)',
    );
  const syncPort = parsePort(values['sync-port'], '--sync-port');
  const podIp = process.env.POD_IP;
  const advertise =
    values['sync-advertise-url'] ??
    (podIp === undefined || podIp === '' || syncPort === 0
      ? undefined
      : // The channel's own scheme: with certificates it is TLS only (a follower dialling http would fail).
        `${certificates === undefined ? 'http' : 'https'}://${podIp.includes(':') ? `[${podIp}]` : podIp}:${syncPort}`);
  const tokenFile = values['relay-token-file'];
  const [accountNamespace, accountName, ...extra] = (values['relay-account'] ?? '').split('/');
  if (values['relay-account'] !== undefined && (!accountNamespace || !accountName || extra.length > 0))
    throw new Error('--relay-account: expected NAMESPACE/SERVICEACCOUNT');
  const operator = await startOperator({
    ...(values.kubeconfig === undefined ? {} : { kubeconfig: values.kubeconfig }),
    ...(values.context === undefined ? {} : { context: values.context }),
    ...(values.namespace === undefined ? {} : { namespace: values.namespace }),
    ...(values['lease-namespace'] === undefined ? {} : { leaseNamespace: values['lease-namespace'] }),
    ...(values['lease-name'] === undefined ? {} : { leaseName: values['lease-name'] }),
    ...(values.id === undefined ? {} : { identity: values.id }),
    ...(values.host === undefined ? {} : { host: values.host }),
    port: parsePort(values.port, '--port'),
    syncPort,
    ...(values['sync-host'] === undefined ? {} : { syncHost: values['sync-host'] }),
    webhookPort: parsePort(values['webhook-port'], '--webhook-port'),
    ...(certificates === undefined ? {} : { certificates }),
    ...(injection === undefined ? {} : { injection }),
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

/** "127.0.0.1,localhost" → the IP addresses and the DNS names among them. */
export function extraSans(list: string): { ipAddresses: string[]; extraDnsNames: string[] } {
  const entries = list
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  return {
    ipAddresses: entries.filter((e) => isIP(e) !== 0),
    extraDnsNames: entries.filter((e) => isIP(e) === 0),
  };
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "30s", "15m", "12h", "90d" in milliseconds; at least 5 s (certificate times have a resolution of 1 s). */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+)([smhd])$/.exec(value);
  const ms = match ? Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0) : NaN;
  if (!(ms >= 5_000))
    throw new Error(`${flag} must be a duration of at least 5s such as 30s, 15m, 12h or 90d, not "${value}"`);
  return ms;
}
