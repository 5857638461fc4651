import type { IncomingMessage, ServerResponse } from 'node:http';

export interface DrainBounds {
  readonly maxBytes: number;
  readonly maxMs: number;
}

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Serialized JSON. */
  readonly text: string;
}

/**
 * Answers a request whose body was not read to its end (too large, wrong content type, unknown route) so that the
 * client actually sees the answer. Closing at once would not do: HTTP clients such as fetch and the OpenAI SDK send
 * the whole body before they read, and a socket closed with unread data is reset, which throws away the answer
 * on its way. So the answer is written whole (with `connection: close`), the rest of the body is read and
 * discarded — up to `bounds`, like nginx's lingering close — and only then is the response ended and the
 * connection closed. A client that sends more, or for longer, is cut off (and may see a reset).
 */
export function refuseUnreadBody(
  req: IncomingMessage,
  res: ServerResponse,
  answer: Answer,
  bounds: DrainBounds,
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(answer.status, {
    ...answer.headers,
    connection: 'close',
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(answer.text),
  });
  if (req.complete) {
    res.end(answer.text);
    return;
  }
  res.write(answer.text);
  let drained = 0;
  const done = (cut: boolean) => {
    clearTimeout(timer);
    req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onError);
    res.end();
    if (cut) req.socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > bounds.maxBytes) done(true);
  };
  const onEnd = () => done(false);
  const onError = () => done(true); // the client went away: nothing left to drain
  const timer = setTimeout(() => done(true), bounds.maxMs);
  req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onError);
  req.resume();
}
