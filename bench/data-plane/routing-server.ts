/**
 * Child process of routing-overhead.ts: the sidecar's endpoint table served by `--http node` (a table lookup on
 * node:http, as sidecar/server/routes.ts routes) or `--http express` (one express route per entry), each request
 * answered by the same trivial handler (read the body, send a small JSON). Writes its URL as one JSON line; on a
 * line "cpu" on stdin, writes its CPU time so far (µs).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import express from 'express';
import { PROXIED_ENDPOINTS } from '../../sidecar/server/endpoints.ts';

const ROUTES: Record<string, string> = {
  ...Object.fromEntries(Object.keys(PROXIED_ENDPOINTS).map((path) => [path, 'POST'])),
  '/v1/models': 'GET',
  '/healthz': 'GET',
  '/readyz': 'GET',
};
const ANSWER = JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', choices: [] });

function answer(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.once('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ANSWER) });
    res.end(ANSWER);
  });
}

const { values } = parseArgs({ options: { http: { type: 'string', default: 'node' } } });
const server =
  values.http === 'express'
    ? (() => {
        const app = express();
        app.disable('x-powered-by');
        app.disable('etag');
        for (const [path, method] of Object.entries(ROUTES)) {
          if (method === 'POST') app.post(path, answer);
          else app.get(path, answer);
        }
        return createServer(app);
      })()
    : createServer((req, res) => {
        const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
        const allowed = ROUTES[path];
        if (allowed === undefined || req.method !== allowed) return void res.writeHead(404).end();
        answer(req, res);
      });
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}/v1/chat/completions` }) + '\n');
});
createInterface({ input: process.stdin }).on('line', () => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(JSON.stringify({ cpuUs: user + system }) + '\n');
});
