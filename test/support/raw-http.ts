/**
 * Talking to a server below fetch: raw bytes on a socket for what HTTP clients will not send (malformed requests,
 * trickled bodies, endless headers, slow readers, idle floods), and a "canary" listener that counts every
 * connection, so a test can prove nothing was steered to it.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** How a connection ended: closed by the server, reset, or still open when the test's time was up. */
export type RawEnding = 'closed' | 'reset' | 'timed-out';

export interface RawConnection {
  readonly socket: Socket;
  /** Everything the server sent so far, as bytes. */
  bytes(): Buffer;
  /** Everything the server sent so far, as UTF-8 text. */
  received(): string;
  /** Resolves once the connection is gone: closed by the server (or by the test), or reset; never rejects. */
  readonly closed: Promise<Exclude<RawEnding, 'timed-out'>>;
  /** Writes unless the connection is gone; false when it is (or when the write was buffered: see 'drain'). */
  send(chunk: string | Buffer): boolean;
}

/** Opens a connection to 127.0.0.1:`port` that records everything the server sends. */
export async function openRaw(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const chunks: Buffer[] = [];
  let reset = false;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {
    reset = true;
  });
  const closed = new Promise<'closed' | 'reset'>((resolve) =>
    socket.once('close', () => resolve(reset ? 'reset' : 'closed')),
  );
  const bytes = (): Buffer => {
    if (chunks.length > 1) chunks.splice(0, chunks.length, Buffer.concat(chunks));
    return chunks[0] ?? Buffer.alloc(0);
  };
  return {
    socket,
    bytes,
    received: () => bytes().toString('utf8'),
    closed,
    send: (chunk) => !socket.destroyed && socket.write(chunk),
  };
}

/**
 * Resolves with the milliseconds until the server closes `conn`; when `withinMs` passes first, destroys the
 * connection (so it outlives no test) and resolves undefined.
 */
export async function closedWithin(conn: RawConnection, withinMs: number): Promise<number | undefined> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), withinMs);
  });
  const outcome = await Promise.race([conn.closed.then(() => performance.now() - started), timedOut]);
  clearTimeout(timer);
  conn.socket.destroy();
  return outcome;
}

/** Sends `text` one character every `everyMs` until it is all sent or the connection is gone. */
export function trickle(conn: RawConnection, text: string, everyMs: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (at >= text.length || !conn.send(text.charAt(at++))) clearInterval(timer);
  }, everyMs);
  void conn.closed.then(() => clearInterval(timer));
}

export interface RawResponse {
  /** Status code of the first response line; undefined when none came. */
  readonly status: number | undefined;
  /** The first response's headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The first response's body as UTF-8 text (chunked framing removed). */
  readonly body: string;
}

/** The first HTTP/1.x response in what a server sent. */
export function parseRawResponse(bytes: Buffer): RawResponse {
  const headEnd = bytes.indexOf('\r\n\r\n');
  const head = (headEnd === -1 ? bytes : bytes.subarray(0, headEnd)).toString('latin1');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rawBody = headEnd === -1 ? Buffer.alloc(0) : bytes.subarray(headEnd + 4);
  const body = headers['transfer-encoding'] === 'chunked' ? dechunk(rawBody) : rawBody;
  return { status: status === undefined ? undefined : Number(status), headers, body: body.toString('utf8') };
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

export interface RawExchange extends RawResponse {
  /** Everything the server sent, headers and body. */
  readonly bytes: Buffer;
  readonly ending: RawEnding;
}

/** Sends `request` as is, reads until the server closes the connection (or `timeoutMs`), and parses the answer. */
export async function rawExchange(
  port: number,
  request: string | Buffer,
  timeoutMs = 10_000,
): Promise<RawExchange> {
  const conn = await openRaw(port);
  conn.send(request);
  const closedAfter = await closedWithin(conn, timeoutMs);
  const ending = closedAfter === undefined ? 'timed-out' : await conn.closed;
  return { ...parseRawResponse(conn.bytes()), bytes: conn.bytes(), ending };
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

/** A POST of a JSON `body` as raw bytes, with its Content-Type and Content-Length; `headers` add or override. */
export function rawJsonPost(
  path: string,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): Buffer {
  return rawPost(
    path,
    {
      host: 'sidecar',
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      ...headers,
    },
    body,
  );
}

/**
 * Resolves with the next complete response on a keep-alive connection (by Content-Length, or to the last chunk)
 * as latin1 text, leaving the connection open. Call it before the response can start arriving (in the tick
 * that sends the request).
 */
export function readResponse(conn: RawConnection): Promise<string> {
  const start = conn.bytes().length;
  let seen = start;
  let bodyStart: number | undefined;
  let length: number | undefined;
  let tail = Buffer.alloc(0);
  return new Promise((resolve) => {
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      tail = Buffer.concat([tail, chunk]).subarray(-5);
      if (bodyStart === undefined) {
        const sofar = conn.bytes().subarray(start);
        const headEnd = sofar.indexOf('\r\n\r\n');
        if (headEnd === -1) return;
        bodyStart = start + headEnd + 4;
        const declared = /\r\ncontent-length: *(\d+)/i.exec(
          sofar.subarray(0, headEnd).toString('latin1'),
        )?.[1];
        length = declared === undefined ? undefined : Number(declared);
      }
      const complete =
        length === undefined ? tail.toString('latin1') === '0\r\n\r\n' : seen >= bodyStart + length;
      if (complete) {
        conn.socket.off('data', onData);
        resolve(conn.bytes().subarray(start).toString('latin1'));
      }
    };
    conn.socket.on('data', onData);
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
