import type { IncomingMessage } from 'node:http';
import { echoInput } from '../core/echo.ts';
import {
  ClientClosedRequestError,
  InvalidRequestError,
  JsonTooDeepError,
  PayloadTooLargeError,
  RequestTimeoutError,
} from '../core/errors.ts';
import { nestsDeeperThan } from './json-depth.ts';

export interface BodyLimits {
  readonly maxBytes: number;
  /** The whole body must arrive within this, from when reading starts. */
  readonly timeoutMs: number;
  /** No gap between two pieces of the body may be longer. */
  readonly idleTimeoutMs: number;
}

/**
 * Reads a request body, refusing more than `maxBytes` as early as possible (at once from Content-Length, else as
 * soon as the running total passes the limit) and a body that trickles or stalls (408). On a refusal the rest of the
 * body is left unread: the caller answers and drains it (refuse-unread-body.ts).
 */
export function receiveBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    return Promise.reject(new PayloadTooLargeError(limits.maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // One timer for both bounds, armed for whichever comes first and re-armed when it finds neither passed (data
    // came meanwhile): two timers per request cost an allocation and two timer-list updates each, on every request.
    const startedAt = performance.now();
    let lastDataAt = startedAt;
    const fail = (err: Error) => {
      stop();
      reject(err);
    };
    const check = (): void => {
      const now = performance.now();
      const totalLeft = startedAt + limits.timeoutMs - now;
      const idleLeft = lastDataAt + limits.idleTimeoutMs - now;
      if (totalLeft <= 0) return fail(new RequestTimeoutError('request body', limits.timeoutMs));
      if (idleLeft <= 0) {
        return fail(new RequestTimeoutError('next part of the request body', limits.idleTimeoutMs));
      }
      timer = setTimeout(check, Math.min(totalLeft, idleLeft));
    };
    let timer = setTimeout(check, Math.min(limits.timeoutMs, limits.idleTimeoutMs));
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxBytes) return fail(new PayloadTooLargeError(limits.maxBytes));
      chunks.push(chunk);
      lastDataAt = performance.now();
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onClose = () => fail(new ClientClosedRequestError());
    function stop(): void {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onClose).off('close', onClose);
      req.pause();
    }
    req.on('data', onData).on('end', onEnd).on('error', onClose).on('close', onClose);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a JSON object body within `limits`, refusing nesting deeper than `maxJsonDepth` before it is parsed: a
 * deep body would overflow the stack of whatever walks it recursively later (serializing it for the provider,
 * say), inside an attempt that would then blame the provider. Text that is not UTF-8 is refused (JSON must be
 * UTF-8, RFC 8259), rather than passed on with replacement characters the app never wrote.
 */
export async function readJsonBody(
  req: IncomingMessage,
  limits: BodyLimits & { readonly maxJsonDepth: number },
): Promise<unknown> {
  const raw = await receiveBody(req, limits);
  if (nestsDeeperThan(raw, limits.maxJsonDepth)) throw new JsonTooDeepError(limits.maxJsonDepth);
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new InvalidRequestError('The request body is not valid UTF-8 text.');
  }
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
