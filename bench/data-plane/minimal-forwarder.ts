/**
 * The floor for any Node proxy: node:http in, undici with a keep-alive pool out, bytes passed through unchanged.
 * No parsing, routing, retries, metrics or logs. Run as a child process with `--upstream ORIGIN`; it writes one JSON
 * line with its base URL, then serves until SIGTERM.
 */
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';

/** Per-hop headers (RFC 9110 §7.6.1) are the connection's own and never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
]);

type HeaderValue = string | string[] | undefined;

function endToEnd(headers: Record<string, HeaderValue>): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}

export interface MinimalForwarder {
  /** Base URL ending in /v1, like the upstream's. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startMinimalForwarder(options: {
  upstream: string;
  port?: number;
}): Promise<MinimalForwarder> {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAliveTimeout: 60_000, connections: 256 });

  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const answer = await agent.request({
        origin: upstream.origin,
        path: req.url ?? '/',
        method: req.method ?? 'GET',
        headers: endToEnd(req.headers),
        body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
      });
      res.writeHead(answer.statusCode, endToEnd(answer.headers) as OutgoingHttpHeaders);
      await pipeline(answer.body, res);
    } catch {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"upstream failed","type":"bad_gateway"}}');
    }
  };

  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => void forward(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname.replace(/\/$/, '')}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await agent.close();
    },
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { upstream: { type: 'string' } } });
  if (values.upstream === undefined) throw new Error('--upstream is required');
  const forwarder = await startMinimalForwarder({ upstream: values.upstream });
  process.stdout.write(JSON.stringify({ url: forwarder.url }) + '\n');
  const stop = (): void => {
    void forwarder.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
