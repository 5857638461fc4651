/**
 * Small helpers for the express apps of the operator, the sidecar's metrics port and the mock providers: one
 * route table per app (method handlers by path; another method on a known path is a 405 with Allow), JSON
 * answers where express would send HTML, and listen/close as promises.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, {
  type ErrorRequestHandler,
  type Express,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Paths (express patterns) to their handlers by method, each a handler or a chain (e.g. a body parser, then the
 * handler): the one place that lists an app's endpoints.
 */
export type RouteTable = Readonly<
  Record<string, Partial<Record<Method, RequestHandler | readonly RequestHandler[]>>>
>;

/** How an app answers what its routes do not serve. */
export interface Refusals {
  /** A known path asked with another method (`allowed` in upper case, for the Allow header). */
  wrongMethod(req: Request, res: Response, allowed: readonly string[]): void;
  /** No route matches. */
  notFound(req: Request, res: Response): void;
  /** A handler or express itself failed (bad JSON, body too large: errors with `status`). */
  failed(err: unknown, req: Request, res: Response): void;
}

const plainJsonRefusals: Refusals = {
  wrongMethod: (req, res, allowed) => {
    res.set('allow', allowed.join(', '));
    res
      .status(405)
      .json({ error: `method ${req.method} not allowed on ${req.path}; use ${allowed.join(', ')}` });
  },
  notFound: (req, res) => void res.status(404).json({ error: `no route ${req.method} ${req.path}` }),
  failed: (err, _req, res) => {
    const status = httpStatusOf(err) ?? 500;
    res.status(status).json({ error: status === 500 ? 'internal error' : errorText(err) });
  },
};

/** An app serving exactly this table (and no x-powered-by header). */
export function routedApp(table: RouteTable, refusals: Refusals = plainJsonRefusals): Express {
  const app = express();
  app.disable('x-powered-by');
  mountRoutes(app, table, refusals);
  return app;
}

/** Mounts the table, then the refusals (after every route, so they only see what nothing served). */
function mountRoutes(app: Express, table: RouteTable, refusals: Refusals = plainJsonRefusals): void {
  for (const [path, handlers] of Object.entries(table)) {
    const route = app.route(path);
    const allowed = Object.keys(handlers).map((m) => m.toUpperCase());
    if (handlers.get) allowed.push('HEAD');
    for (const [method, chain] of Object.entries(handlers)) {
      if (chain) route[method as Method](...(Array.isArray(chain) ? chain : [chain]));
    }
    route.all((req, res) => refusals.wrongMethod(req, res, allowed));
  }
  app.use((req, res) => refusals.notFound(req, res));
  const onError: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    refusals.failed(err, req, res);
  };
  app.use(onError);
}

/** The HTTP status an error carries (express's body parsers set `status`: 400 bad JSON, 413 too large). */
function httpStatusOf(err: unknown): number | undefined {
  const status: unknown = err instanceof Error ? Reflect.get(err, 'status') : undefined;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : undefined;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export interface ListeningApp {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

export async function listenApp(app: Express, port: number, host: string): Promise<ListeningApp> {
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(listening)));
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
