import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClientErrorListener } from './client-error.ts';
import { ConnectionDrain } from './connection-drain.ts';
import { serverOptions, type HttpLimits } from './http-limits.ts';

export interface RunningHttpServer {
  readonly port: number;
  /** Stops accepting and drains the connections (see ConnectionDrain), within `limits.shutdownDrainMs`. */
  close(): Promise<void>;
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/**
 * A node:http server as the sidecar runs one: deliberate timeouts (http-limits.ts), protocol-level refusals in the
 * OpenAI error shape (client-error.ts) and a graceful stop (connection-drain.ts).
 */
export async function startHttpServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options: { readonly host: string; readonly port: number; readonly limits: HttpLimits },
): Promise<RunningHttpServer> {
  const server = createServer(serverOptions(options.limits), handler);
  const drain = new ConnectionDrain(server);
  server.on(
    'clientError',
    createClientErrorListener((socket) => drain.responseStarted(socket)),
  );
  const port = await listen(server, options.port, options.host);
  return { port, close: () => drain.close(options.limits.shutdownDrainMs) };
}
