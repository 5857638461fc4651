/**
 * A fake API server for unit tests: a real HTTP server on port 0 whose answers the test scripts, so clients
 * are exercised over real sockets (lists, streamed watches, 410s, stalls, dropped connections).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface FakeRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** An open watch response the test writes events to. */
export class FakeWatch {
  readonly request: FakeRequest;
  readonly #response: ServerResponse;

  constructor(request: FakeRequest, response: ServerResponse) {
    this.request = request;
    this.#response = response;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.flushHeaders();
  }

  get open(): boolean {
    return !this.#response.writableEnded && !this.#response.destroyed;
  }

  send(type: string, object: unknown): void {
    this.#response.write(JSON.stringify({ type, object }) + '\n');
  }

  /** Writes raw bytes (e.g. half a line). */
  sendRaw(text: string): void {
    this.#response.write(text);
  }

  /** A clean end, as when the server's timeoutSeconds runs out. */
  end(): void {
    this.#response.end();
  }

  /** Drops the connection mid-stream. */
  drop(): void {
    this.#response.destroy();
  }
}

export type Handler = (request: FakeRequest, response: ServerResponse) => void;

export class FakeApiServer {
  readonly requests: FakeRequest[] = [];
  readonly watches: FakeWatch[] = [];
  /** Answers non-watch requests; replace it in a test. */
  /** The next watch requests are answered with these errors instead of a stream (e.g. 410 Expired). */
  readonly watchRefusals: { code: number; reason: string }[] = [];
  handler: Handler = (_request, response) =>
    json(response, 404, { kind: 'Status', code: 404, reason: 'NotFound' });
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #watchWaiters: (() => void)[] = [];

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<FakeApiServer> {
    const server = createServer();
    const fake = new FakeApiServer(server);
    server.on('connection', (socket) => {
      fake.#sockets.add(socket);
      socket.on('close', () => fake.#sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => fake.#handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** A client-node configuration for this server (plain HTTP, which the library allows only with skipTLSVerify). */
  config(token = 'fake-token'): KubeConfig {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'fake', token }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake', namespace: 'ns' }],
      currentContext: 'fake',
    });
    return config;
  }

  /** Watches the server has received (including closed ones). */
  watchRequests(): FakeRequest[] {
    return this.watches.map((w) => w.request);
  }

  /** Resolves when the server has received its `count`-th watch (1-based); returns it. */
  async nthWatch(count: number): Promise<FakeWatch> {
    while (this.watches.length < count)
      await new Promise<void>((resolve) => this.#watchWaiters.push(resolve));
    return this.watches[count - 1]!;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const request: FakeRequest = {
        method: req.method ?? 'GET',
        url: new URL(req.url ?? '/', 'http://fake'),
        headers: req.headers,
        body,
      };
      this.requests.push(request);
      if (request.url.searchParams.get('watch') !== 'true') return this.handler(request, res);
      const refusal = this.watchRefusals.shift();
      if (refusal)
        return json(res, refusal.code, { kind: 'Status', code: refusal.code, reason: refusal.reason });
      this.watches.push(new FakeWatch(request, res));
      const waiters = this.#watchWaiters;
      this.#watchWaiters = [];
      for (const wake of waiters) wake();
    });
  }
}

export function json(response: ServerResponse, code: number, body: unknown): void {
  response.writeHead(code, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
