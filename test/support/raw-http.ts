/**
 * Talking to a server below fetch: raw bytes on a socket (malformed requests, slow clients, idle floods) and a
 * "canary" listener that counts every connection, so a test can prove nothing was steered to it.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface RawExchange {
  /** Everything the server sent, headers and body, as bytes. */
  readonly bytes: Buffer;
  /** Status code of the first response line; undefined when none came. */
  readonly status: number | undefined;
  /** Header names in lower case, of the first response. */
  readonly headers: Readonly<Record<string, string>>;
  /** The first response's body (chunked framing removed). */
  readonly body: string;
  /** How the connection ended: closed by the server, reset, or still open when the time was up. */
  readonly ending: 'closed' | 'reset' | 'timed-out';
}

/** Sends `request` as is, reads until the server closes the connection (or `timeoutMs`), and parses the answer. */
export function rawExchange(
  port: number,
  request: string | Buffer,
  timeoutMs = 10_000,
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let ending: RawExchange['ending'] = 'closed';
    const timer = setTimeout(() => {
      ending = 'timed-out';
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {
      if (ending === 'closed') ending = 'reset';
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks), ending));
    });
    socket.write(request);
  });
}

function parseResponse(bytes: Buffer, ending: RawExchange['ending']): RawExchange {
  const text = bytes.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  const head = headEnd === -1 ? text : text.slice(0, headEnd);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rawBody =
    headEnd === -1
      ? Buffer.alloc(0)
      : bytes.subarray(Buffer.byteLength(text.slice(0, headEnd + 4), 'latin1'));
  const body = headers['transfer-encoding'] === 'chunked' ? dechunk(rawBody) : rawBody;
  return {
    bytes,
    status: status === undefined ? undefined : Number(status),
    headers,
    body: body.toString('utf8'),
    ending,
  };
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd === -1) break;
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** A POST as raw bytes, with the headers given (no Content-Length is added: pass it when wanted). */
export function rawPost(
  path: string,
  headers: Readonly<Record<string, string>>,
  body: string | Buffer = '',
): Buffer {
  const head = [`POST ${path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join(
    '\r\n',
  );
  return Buffer.concat([
    Buffer.from(`${head}\r\n\r\n`, 'latin1'),
    Buffer.isBuffer(body) ? body : Buffer.from(body),
  ]);
}

/** Opens a socket and resolves once connected. */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Resolves with the milliseconds until the server closes `socket`; when `withinMs` passes first, destroys the
 * socket (so it outlives no test) and resolves undefined.
 */
export function closedWithin(socket: Socket, withinMs: number): Promise<number | undefined> {
  const started = performance.now();
  return new Promise((resolve) => {
    if (socket.destroyed) {
      resolve(0);
      return;
    }
    const timer = setTimeout(() => {
      resolve(undefined);
      socket.destroy();
    }, withinMs);
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - started);
    });
  });
}

/**
 * Reads one complete response off a keep-alive socket (by Content-Length, or to the last chunk) and leaves the
 * socket open; resolves with its text.
 */
export function readResponse(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, headEnd))?.[1];
      const complete =
        length === undefined ? text.endsWith('\r\n0\r\n\r\n') : text.length >= headEnd + 4 + Number(length);
      if (complete) {
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
  });
}

export interface Canary {
  readonly port: number;
  /** Connections accepted so far: any at all means something was steered here. */
  readonly connections: () => number;
  close(): Promise<void>;
}

/** A listener on a free port that only counts connections (and whatever arrives on them, then drops it). */
export async function startCanary(): Promise<Canary> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    count += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('canary has no port');
  return {
    port: address.port,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
