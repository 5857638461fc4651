import type { ServerResponse } from 'node:http';
import { toOpenAIError } from '../core/errors.ts';
import { clientError, type ClientApi, type ClientStreamEncoder } from '../api/client-api.ts';

/** Writes with backpressure: resolves when the socket can take more; false when the client went away. */
export async function writeChunk(res: ServerResponse, chunk: string | Uint8Array): Promise<boolean> {
  if (res.destroyed) return false;
  if (res.write(chunk)) return true;
  return new Promise((resolve) => {
    const settle = (open: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(open);
    };
    const onDrain = settle(true);
    const onClose = settle(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendText(res, status, JSON.stringify(body), headers);
}

/** Sends an already serialized JSON body. */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  api: ClientApi,
  err: unknown,
  headers: Record<string, string> = {},
): number {
  const { status, headers: errorHeaders, body } = clientError(api, err);
  sendJson(res, status, body, { ...headers, ...errorHeaders });
  return status;
}

/**
 * Ends a stream that failed after bytes reached the client: an error event in the client API's shape (which
 * its SDK raises as an error) and no end marker, so no client mistakes a cut answer for a complete one.
 */
export function endStreamWithError(res: ServerResponse, encoder: ClientStreamEncoder, err: unknown): void {
  if (res.destroyed) return;
  res.end(encoder.fail(toOpenAIError(err).body));
}
