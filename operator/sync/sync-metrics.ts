/** The sync channel's Prometheus metrics, registered in one place. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SyncHub } from './sync-hub.ts';

export class SyncMetrics {
  readonly refused: Counter<'status'>;

  constructor(registry: Registry, hub: SyncHub) {
    this.refused = new Counter({
      name: 'switchboard_operator_sync_refused_total',
      help: 'Sync channel calls refused, by HTTP status (401 unauthenticated, 403 not allowed for the pool).',
      labelNames: ['status'] as const,
      registers: [registry],
    });
    new Counter({
      name: 'switchboard_operator_sync_reports_total',
      help: 'Reports received from sidecars.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(hub.reports);
      },
    });
    new Gauge({
      name: 'switchboard_operator_sync_streams',
      help: 'Sidecar sync streams open now.',
      registers: [registry],
      collect() {
        this.set(hub.openStreams);
      },
    });
    new Counter({
      name: 'switchboard_operator_snapshots_sent_total',
      help: 'Snapshots written (or queued, latest wins) to sidecar streams.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(hub.pushes);
      },
    });
  }
}
