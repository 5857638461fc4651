import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, Rng } from '../../core/clock.ts';
import {
  ClientClosedRequestError,
  MethodNotAllowedError,
  NotReadyError,
  RequestTimeoutError,
  RouteNotFoundError,
} from '../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { statusClass, type SidecarMetrics } from '../metrics/metrics.ts';
import type { PoolRuntime } from '../routing/pool-runtime.ts';
import { forward } from '../proxy/forward.ts';
import { ClientPresence } from '../proxy/client-presence.ts';
import { clientError, OPENAI_CLIENT_API, type ClientApi } from '../api/client-api.ts';
import { PROXIED_ENDPOINTS } from './endpoints.ts';
import { sendError, sendJson } from '../proxy/client-response.ts';
import { readJsonBody } from './read-body.ts';
import { assertJsonContentType } from './content-type.ts';
import type { HttpLimits } from './http-limits.ts';
import type { OutcomeObserver } from '../proxy/outcome-observer.ts';
import { refuseUnreadBody } from './refuse-unread-body.ts';
import type { Readiness } from '../metrics/metrics-server.ts';

export interface RouteDeps {
  readonly runtime: () => PoolRuntime | undefined;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly metrics: SidecarMetrics;
  readonly logger: Logger;
  readonly limits: HttpLimits;
  /** Observers of every attempt's outcome besides the metrics (fleet reports to the operator). */
  readonly observers?: readonly OutcomeObserver[];
  /** Why there is no pool to serve yet (for /readyz), e.g. "waiting for the operator". */
  readonly notReadyReason?: () => string | undefined;
}

/** Request ids from the client are kept when they look like ids; anything else is replaced. */
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

function listModels(runtime: PoolRuntime) {
  return {
    object: 'list',
    data: [...runtime.models.keys()].map((id) => ({
      id,
      object: 'model',
      created: 0,
      owned_by: 'switchboard',
    })),
  };
}

const ROUTES: Record<string, string> = {
  ...Object.fromEntries(Object.keys(PROXIED_ENDPOINTS).map((path) => [path, 'POST'])),
  '/v1/models': 'GET',
  '/healthz': 'GET',
  '/readyz': 'GET',
};

/** What /readyz answers (on the API port and the metrics port): ready once a pool runs, else why not. */
export function readiness(
  runtime: PoolRuntime | undefined,
  notReadyReason?: () => string | undefined,
): Readiness {
  return runtime
    ? { status: 200, body: { status: 'ready', pool: runtime.pool.metadata.name } }
    : { status: 503, body: { status: 'not ready', reason: notReadyReason?.() ?? 'no pool loaded' } };
}

/** The sidecar's application-facing HTTP API: thin handlers over parsing and `forward`. */
export function createRequestHandler(deps: RouteDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handle(req, res, deps);
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: RouteDeps): Promise<void> {
  const receivedAt = deps.clock.now();
  const requestId = requestIdOf(req);
  const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
  const method = req.method ?? 'GET';
  const idHeader = { 'x-request-id': requestId };
  const endpoint = PROXIED_ENDPOINTS[path];
  const clientApi = endpoint?.clientApi ?? OPENAI_CLIENT_API;
  try {
    const allowed = ROUTES[path];
    if (allowed === undefined) throw new RouteNotFoundError(method, path);
    if (method !== allowed) throw new MethodNotAllowedError(method, path, allowed);
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    const runtime = deps.runtime();
    if (path === '/readyz') {
      const { status, body } = readiness(runtime, deps.notReadyReason);
      return sendJson(res, status, body);
    }
    if (!runtime) throw new NotReadyError();
    if (path === '/v1/models') return sendJson(res, 200, listModels(runtime), idHeader);

    if (!endpoint) throw new RouteNotFoundError(method, path);
    assertJsonContentType(req.headers);
    const raw = await readJsonBody(req, {
      maxBytes: runtime.pool.spec.limits.maxRequestBodyBytes,
      timeoutMs: deps.limits.bodyTimeoutMs,
      idleTimeoutMs: deps.limits.bodyIdleTimeoutMs,
      maxJsonDepth: runtime.pool.spec.limits.maxJsonDepth,
    });
    const client = new ClientPresence();
    res.on('close', () => {
      if (!res.writableFinished) client.leave();
    });
    await forward(
      runtime,
      {
        ...endpoint.parse(raw),
        clientApi,
        receivedAt,
        requestId,
        req,
        res,
        client,
        logger: deps.logger.child({ requestId }),
      },
      deps,
    );
  } catch (err) {
    const status = answerError(req, res, clientApi, err, idHeader, deps);
    deps.metrics.requests.inc({ provider: 'none', model: 'unknown', status_class: statusClass(status) });
    deps.logger.info('request rejected', { requestId, status, path });
  }
}

/**
 * Answers an error in the client API's shape. A request whose body is still arriving is answered before its end
 * and the rest drained (bounded) so the client reads the answer; one that timed out is answered and closed.
 */
function answerError(
  req: IncomingMessage,
  res: ServerResponse,
  api: ClientApi,
  err: unknown,
  headers: Record<string, string>,
  deps: RouteDeps,
): number {
  if (err instanceof ClientClosedRequestError) return err.status; // no one to answer
  if (req.complete || err instanceof RequestTimeoutError) {
    return sendError(res, api, err, req.complete ? headers : { ...headers, connection: 'close' });
  }
  const { status, headers: errorHeaders, body } = clientError(api, err);
  // Without a pool there is no body limit to scale: such a body is not drained.
  const limit = deps.runtime()?.pool.spec.limits.maxRequestBodyBytes ?? 0;
  refuseUnreadBody(
    req,
    res,
    { status, headers: { ...headers, ...errorHeaders }, text: JSON.stringify(body) },
    { maxBytes: limit * deps.limits.refusedBodyDrainFactor, maxMs: deps.limits.refusedBodyDrainMs },
  );
  return status;
}
