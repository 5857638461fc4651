/**
 * The sync channel's HTTP surface (express), in front of the SyncHub:
 *
 *   GET  /sync/v1/pools/:namespace/:name/stream?sidecar=ID   server-sent events: snapshots (and problems)
 *   POST /sync/v1/pools/:namespace/:name/acks                an Ack (JSON)
 *   POST /sync/v1/pools/:namespace/:name/reports             a Report (JSON)
 *   GET  /sync/v1/pools/:namespace/:name/relay?replica=ID    leader → follower replica: RelaySnapshots (SSE)
 *   POST /sync/v1/pools/:namespace/:name/members             follower → leader: RelayMembers (JSON)
 *
 * Every call is authorized first (SyncAuth: a loopback check in local mode, a ServiceAccount token review in a
 * cluster) for the pool's namespace. Errors are JSON: `{"error": {"code", "message"}}`.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { z } from 'zod';
import {
  AckSchema,
  RelayMembersSchema,
  ReportSchema,
  SidecarIdSchema,
} from '../../api/sync/sync-protocol.ts';
import type { Logger } from '../../core/log.ts';
import { SnapshotSink } from './snapshot-sink.ts';
import type { PoolKey, SyncHub, Via } from './sync-hub.ts';

/** Marks an ACK or report a follower replica forwards to the leader (the value: the replica). */
export const RELAYED_HEADER = 'x-switchboard-relayed-by';

export type AuthResult =
  | { readonly ok: true; readonly identity: string }
  | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

export interface SyncAuth {
  authorize(req: Request, pool: PoolKey): Promise<AuthResult>;
  /** Whether the caller is a peer operator replica, which may relay for any pool; absent: nobody is. */
  authorizeRelay?(req: Request, pool: PoolKey): Promise<AuthResult>;
}

export interface SyncRoutesOptions {
  readonly hub: SyncHub;
  readonly auth: SyncAuth;
  readonly logger: Logger;
  /** Keep-alive comment interval on streams. */
  readonly heartbeatMs?: number;
  /**
   * False while this replica is not the leader: relay calls (from follower replicas) get 503 with
   * `connection: close`, so the follower looks the leader up again. Sidecars are served by every replica.
   */
  readonly leading?: () => boolean;
  /** Called for each refused call, for metrics. */
  readonly onRefused?: (status: number) => void;
}

const MAX_BODY = '1mb';

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

function poolOf(req: Request): PoolKey {
  return { namespace: String(req.params.namespace), name: String(req.params.name) };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
}

export function syncRoutes(options: SyncRoutesOptions): Router {
  const { hub, auth, logger } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const router = express.Router();
  // One keep-alive timer for every stream this router serves (thousands of sidecars: not one timer each).
  setInterval(() => hub.heartbeat(), heartbeatMs).unref();

  const check =
    (relay: boolean) =>
    (req: Request, res: Response, next: NextFunction): void => {
      if (relay && options.leading?.() === false) {
        res.set('connection', 'close');
        res.set('retry-after', '1');
        sendError(res, 503, 'NotLeader', 'this operator replica is not the leader; look the leader up again');
        return;
      }
      const decide = relay
        ? (auth.authorizeRelay?.(req, poolOf(req)) ??
          Promise.resolve<AuthResult>({
            ok: false,
            status: 403,
            message: 'this operator accepts no relays',
          }))
        : auth.authorize(req, poolOf(req));
      decide.then(
        (result) => {
          if (result.ok) {
            res.locals.identity = result.identity;
            next();
            return;
          }
          options.onRefused?.(result.status);
          if (result.status === 401) res.set('www-authenticate', 'Bearer realm="switchboard-sync"');
          sendError(res, result.status, result.status === 401 ? 'Unauthorized' : 'Forbidden', result.message);
        },
        (err: unknown) => {
          logger.error('sync authorization failed', {
            error: err instanceof Error ? err.message : String(err),
          });
          sendError(res, 503, 'AuthUnavailable', 'could not verify the caller now; retry later');
        },
      );
    };
  const authorized = check(false);
  const relayAuthorized = check(true);

  router.get('/sync/v1/pools/:namespace/:name/stream', authorized, (req, res) => {
    const sidecar = callerId(req, res, 'sidecar');
    if (sidecar === undefined) return;
    const key = poolOf(req);
    const unsubscribe = hub.subscribe(key, sidecar, eventStream(res));
    logger.info('sidecar connected', { pool: `${key.namespace}/${key.name}`, sidecar });
    res.on('close', () => {
      unsubscribe();
      logger.info('sidecar disconnected', { pool: `${key.namespace}/${key.name}`, sidecar });
    });
  });

  const json = express.json({ limit: MAX_BODY, type: () => true });
  const accept =
    <T>(schema: z.ZodType<T>, apply: (key: PoolKey, message: T, via: Via) => void) =>
    (req: Request, res: Response): void => {
      const parsed = schema.safeParse(req.body);
      if (!parsed.success) {
        sendError(res, 400, 'BadRequest', describeIssues(parsed.error));
        return;
      }
      // A replica's forwarded call says so (RELAYED_HEADER): relaying it again could only loop between replicas.
      apply(poolOf(req), parsed.data, req.headers[RELAYED_HEADER] === undefined ? 'sidecar' : 'relay');
      res.status(204).end();
    };
  router.post(
    '/sync/v1/pools/:namespace/:name/acks',
    authorized,
    json,
    accept(AckSchema, (k, m, via) => hub.acknowledge(k, m, via)),
  );
  router.post(
    '/sync/v1/pools/:namespace/:name/reports',
    authorized,
    json,
    accept(ReportSchema, (k, m, via) => hub.report(k, m, via)),
  );

  router.get('/sync/v1/pools/:namespace/:name/relay', relayAuthorized, (req, res) => {
    const replica = callerId(req, res, 'replica');
    if (replica === undefined) return;
    const key = poolOf(req);
    const unsubscribe = hub.subscribeRelay(key, replica, eventStream(res));
    logger.info('replica relaying', { pool: `${key.namespace}/${key.name}`, replica });
    res.on('close', () => {
      unsubscribe();
      logger.info('replica stopped relaying', { pool: `${key.namespace}/${key.name}`, replica });
    });
  });
  router.post('/sync/v1/pools/:namespace/:name/members', relayAuthorized, json, (req, res) => {
    const parsed = RelayMembersSchema.safeParse(req.body);
    if (!parsed.success) {
      sendError(res, 400, 'BadRequest', describeIssues(parsed.error));
      return;
    }
    if (!hub.setRelayMembers(poolOf(req), parsed.data.replica, parsed.data.sidecars)) {
      sendError(res, 409, 'NoRelay', `replica ${parsed.data.replica} has no relay stream open for this pool`);
      return;
    }
    res.status(204).end();
  });

  // Body parser errors (malformed JSON, too large) in the channel's own error shape.
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const status = typeof err === 'object' && err !== null && 'status' in err ? Number(err.status) : 500;
    const message = err instanceof Error ? err.message : 'internal error';
    sendError(
      res,
      status,
      status === 413 ? 'PayloadTooLarge' : status < 500 ? 'BadRequest' : 'Internal',
      message,
    );
  });
  return router;
}

/** The caller's id from a query parameter (a sidecar's or a replica's); undefined once a 400 is sent. */
function callerId(req: Request, res: Response, parameter: 'sidecar' | 'replica'): string | undefined {
  const id = SidecarIdSchema.safeParse(req.query[parameter]);
  if (id.success) return id.data;
  sendError(res, 400, 'BadRequest', `query parameter ${parameter}: ${describeIssues(id.error)}`);
  return undefined;
}

/** Starts a server-sent event stream (not buffered by proxies) and returns the sink that writes snapshots to it. */
function eventStream(res: Response): SnapshotSink {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  return new SnapshotSink(res);
}

/** Local mode: only callers on this machine (the operator listens on loopback anyway); no tokens. */
export const loopbackOnly: SyncAuth = {
  authorize(req) {
    const address = req.socket.remoteAddress ?? '';
    const local = address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
    return Promise.resolve(
      local
        ? { ok: true, identity: `local:${address}` }
        : { ok: false, status: 403, message: 'local mode accepts sidecars on this machine only' },
    );
  },
};
