import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Knows every connection of an HTTP server and the responses in flight on each, so that stopping is a graceful
 * drain rather than Node's `closeIdleConnections()`, which stops short in two ways:
 * - it counts a connection as busy until a request on it has *arrived* in full, so a connection the client
 *   opened and never used (the OpenAI SDK's fetch leaves one behind when it aborts after a stream's [DONE]) is
 *   never idle; and `server.close()` stops the timer that would have enforced the header timeout on it, so it lives
 *   until the client hangs up;
 * - a connection busy when the stop began is never looked at again, however soon it becomes idle.
 *
 * Here "idle" means: no response in flight. `close` stops accepting, closes idle connections at once, answers the
 * requests in flight with `connection: close`, closes each connection as its last response ends, and after
 * `drainMs` closes whatever is left.
 */
export class ConnectionDrain {
  readonly #server: Server;
  readonly #responses = new Map<Socket, Set<ServerResponse>>();
  #draining = false;

  constructor(server: Server) {
    this.#server = server;
    server.on('connection', (socket: Socket) => {
      this.#responses.set(socket, new Set());
      socket.once('close', () => this.#responses.delete(socket));
    });
    // Before the route handler, so that a request arriving during the drain is answered with `connection: close`.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => this.#track(req, res));
  }

  /** Whether a response on this connection has started: its bytes must not be mixed with others. */
  responseStarted(socket: Duplex): boolean {
    for (const res of this.#responses.get(socket as Socket) ?? []) if (res.headersSent) return true;
    return false;
  }

  async close(drainMs: number): Promise<void> {
    this.#draining = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const [socket, responses] of this.#responses) {
      if (responses.size === 0) socket.destroy();
      for (const res of responses) if (!res.headersSent) res.setHeader('connection', 'close');
    }
    const deadline = setTimeout(() => {
      for (const socket of this.#responses.keys()) socket.destroy();
    }, drainMs);
    await closed;
    clearTimeout(deadline);
  }

  #track(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    const responses = this.#responses.get(socket);
    if (!responses) return;
    responses.add(res);
    if (this.#draining) res.setHeader('connection', 'close');
    res.once('close', () => {
      responses.delete(res);
      // A response that started before the drain kept the connection alive: close it once written out.
      if (this.#draining && responses.size === 0) socket.destroySoon();
    });
  }
}
