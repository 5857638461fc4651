import type { IncomingMessage } from 'node:http';
import { InvalidRequestError, PayloadTooLargeError } from '../core/errors.ts';

/**
 * Reads a JSON request body, refusing more than `limitBytes` as early as possible: at once from Content-Length,
 * else as soon as the running total passes the limit.
 */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw new PayloadTooLargeError(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limitBytes) throw new PayloadTooLargeError(limitBytes);
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks, size).toString('utf8');
  if (text.trim() === '') throw new InvalidRequestError('The request body is empty; expected a JSON object.');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new InvalidRequestError(`The request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object.');
  }
  return body;
}
