import type { IncomingMessage } from 'node:http';
import type { Limits } from '../../api/v1alpha1/providerpool.ts';
import { echoInput } from '../core/echo.ts';
import { InvalidRequestError, JsonTooDeepError, PayloadTooLargeError } from '../core/errors.ts';
import { nestsDeeperThan } from './json-depth.ts';

/**
 * Reads a JSON request body, refusing more than `maxRequestBodyBytes` as early as possible (at once from
 * Content-Length, else as soon as the running total passes the limit) and nesting deeper than `maxJsonDepth`
 * before it is parsed: a deep body would overflow the stack of whatever walks it recursively later
 * (serializing it for the provider, say), inside an attempt that would then blame the provider.
 */
export async function readJsonBody(
  req: IncomingMessage,
  { maxRequestBodyBytes: limitBytes, maxJsonDepth }: Limits,
): Promise<unknown> {
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
  const raw = Buffer.concat(chunks, size);
  if (nestsDeeperThan(raw, maxJsonDepth)) throw new JsonTooDeepError(maxJsonDepth);
  const text = raw.toString('utf8');
  if (text.trim() === '') throw new InvalidRequestError('The request body is empty; expected a JSON object.');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new InvalidRequestError(`The request body is not valid JSON: ${echoInput((err as Error).message)}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object.');
  }
  return body;
}
