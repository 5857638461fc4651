/** A raw TCP client for what HTTP clients will not send: trickled bodies, endless headers, malformed requests. */
import { connect, type Socket } from 'node:net';

export interface RawConnection {
  readonly socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves once the server closed the connection (or reset it); never rejects. */
  readonly closed: Promise<void>;
  /** Writes unless the connection is gone; false when it is. */
  send(text: string): boolean;
}

export async function openRaw(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  socket.on('error', () => {}); // a reset counts as closed
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    received: () => text,
    closed,
    send: (chunk) => !socket.destroyed && socket.write(chunk),
  };
}

/** The status and JSON body of the one HTTP/1.1 response in `text`. */
export function parseRawResponse(text: string): { status: number; headers: string; body: unknown } {
  const split = text.indexOf('\r\n\r\n');
  const head = split < 0 ? text : text.slice(0, split);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? Number.NaN);
  const raw = split < 0 ? '' : text.slice(split + 4);
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    body = raw;
  }
  return { status, headers: head.toLowerCase(), body };
}
