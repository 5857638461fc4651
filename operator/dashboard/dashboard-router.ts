/**
 * The dashboard as an express router: the page and its scripts, the state as JSON and as a live SSE stream,
 * and (unless read-only) controls for the pool's strategy and weights and for injected faults.
 *
 *   GET  /                                  the page
 *   GET  /static/*, /vendor/uplot/*         its scripts and styles; uPlot from node_modules
 *   GET  /api/state                         DashboardState (JSON)
 *   GET  /api/events                        SSE: an `state` event at once, then every `pushIntervalMs`
 *   POST /api/pools/:namespace/:name/strategy  {type}
 *   POST /api/pools/:namespace/:name/weights   {weights: {provider: number}}
 *   POST /api/faults/:target                   {fault: outage | slow | errors | rate-limit | clear}
 */
import { STRATEGY_NAMES } from '../../api/v1alpha1/providerpool.ts';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { z } from 'zod';
import type { Logger } from '../../core/log.ts';
import {
  ControlError,
  FaultBodySchema,
  StrategyBodySchema,
  WeightsBodySchema,
  type FaultInjector,
  type PoolControls,
  type PoolKeyRef,
} from './controls.ts';
import type { DashboardPool, DashboardState } from './dashboard-state.ts';

export interface DashboardOptions {
  /** The pools as they are now. */
  readonly pools: () => readonly DashboardPool[] | Promise<readonly DashboardPool[]>;
  /** Strategy and weight changes; absent: the dashboard is read-only. */
  readonly controls?: PoolControls;
  /** Fault injection into mock providers (the demo's). */
  readonly faults?: FaultInjector;
  /** How often the live stream pushes the state (default 1 s). */
  readonly pushIntervalMs?: number;
  readonly logger: Logger;
}

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
  throw new ControlError(400, problems.join('; '));
}

const poolKey = (req: Request): PoolKeyRef => ({
  namespace: String(req.params.namespace),
  name: String(req.params.name),
});

export function dashboardRouter(options: DashboardOptions): Router {
  const { controls, faults, logger } = options;
  const pushIntervalMs = options.pushIntervalMs ?? 1_000;
  const state = async (): Promise<DashboardState> => ({
    readOnly: controls === undefined,
    strategies: STRATEGY_NAMES,
    at: Date.now(),
    pools: await options.pools(),
    faultTargets: faults?.targets() ?? [],
  });
  const control =
    (run: (req: Request) => Promise<string>) => (req: Request, res: Response, next: NextFunction) => {
      run(req).then((done) => {
        logger.info('dashboard control', { path: req.path, done });
        res.json({ ok: true, message: done });
      }, next);
    };

  const router = express.Router();
  router.get('/', (_req, res) => res.sendFile(join(PUBLIC_DIR, 'index.html')));
  router.use('/static', express.static(PUBLIC_DIR, { fallthrough: false, index: false }));
  router.use('/vendor/uplot', express.static(UPLOT_DIR, { fallthrough: false, index: false }));
  router.get('/api/state', (_req, res, next) => {
    state().then((s) => res.json(s), next);
  });
  router.get('/api/events', (_req, res) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    let busy = false;
    const push = () => {
      if (busy) return;
      busy = true;
      state().then(
        (s) => {
          busy = false;
          res.write(`event: state\ndata: ${JSON.stringify(s)}\n\n`);
        },
        (err: unknown) => {
          busy = false;
          res.write(`event: problem\ndata: ${JSON.stringify({ message: messageOf(err) })}\n\n`);
        },
      );
    };
    push();
    const timer = setInterval(push, pushIntervalMs);
    res.on('close', () => clearInterval(timer));
  });

  const json = express.json({ limit: '16kb' });
  const refuseReadOnly = (): never => {
    throw new ControlError(403, 'this dashboard is read-only');
  };
  router.post(
    '/api/pools/:namespace/:name/strategy',
    json,
    control(async (req) => {
      const { type } = parseBody(StrategyBodySchema, req.body);
      const key = poolKey(req);
      await (controls ?? refuseReadOnly()).setStrategy(key, type);
      return `strategy of ${key.namespace}/${key.name} set to ${type}`;
    }),
  );
  router.post(
    '/api/pools/:namespace/:name/weights',
    json,
    control(async (req) => {
      const { weights } = parseBody(WeightsBodySchema, req.body);
      const key = poolKey(req);
      await (controls ?? refuseReadOnly()).setWeights(key, weights);
      const list = Object.entries(weights).map(([name, w]) => `${name} ${w}`);
      return `weights of ${key.namespace}/${key.name} set: ${list.join(', ')}`;
    }),
  );
  router.post(
    '/api/faults/:target',
    json,
    control(async (req) => {
      const { fault } = parseBody(FaultBodySchema, req.body);
      const target = String(req.params.target);
      if (faults === undefined) throw new ControlError(404, 'no fault injection here (it is the demo’s)');
      faults.inject(target, fault);
      return fault === 'clear' ? `${target}: faults cleared` : `${target}: ${fault} injected`;
    }),
  );
  router.use('/api', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status =
      err instanceof ControlError
        ? err.status
        : typeof Reflect.get(Object(err), 'status') === 'number'
          ? Number(Reflect.get(Object(err), 'status'))
          : 500;
    if (status >= 500) logger.error('dashboard request failed', { error: messageOf(err) });
    res.status(status).json({ error: status >= 500 ? 'internal error' : messageOf(err) });
  });
  return router;
}
