/**
 * The dashboard on the local operator: `startLocalOperator({ extend: localDashboard({ logger }) })`. State from
 * the operator's pool views; strategy and weight changes rewrite the pool's file; faults only when given.
 */
import type express from 'express';
import type { Logger } from '../../core/log.ts';
import type { LocalOperatorContext } from '../local/local-operator.ts';
import type { FaultInjector } from './controls.ts';
import { dashboardRouter } from './dashboard-router.ts';
import { poolFromView } from './dashboard-state.ts';
import { PoolFileControls } from './pool-file-controls.ts';

export interface LocalDashboardOptions {
  readonly logger: Logger;
  readonly faults?: FaultInjector;
  readonly pushIntervalMs?: number;
}

export function localDashboard(
  options: LocalDashboardOptions,
): (app: express.Express, context: LocalOperatorContext) => void {
  return (app, context) => {
    app.use(
      dashboardRouter({
        pools: () => context.views().map(poolFromView),
        controls: new PoolFileControls(context.dir),
        logger: options.logger,
        ...(options.faults === undefined ? {} : { faults: options.faults }),
        ...(options.pushIntervalMs === undefined ? {} : { pushIntervalMs: options.pushIntervalMs }),
      }),
    );
  };
}
