import { expect } from '@jest/globals';
import { isRecord } from '../../core/json.ts';

/** The API an answer is expected in: OpenAI's on /v1/chat/completions and /v1/embeddings, Anthropic's on /v1/messages. */
export type ErrorApi = 'openai' | 'anthropic';

/** Error bodies stay small whatever the request carried (a 1 MiB model name is not echoed whole). */
export const MAX_ERROR_BODY_BYTES = 8 * 1024;

const stringOrNull = (value: unknown): boolean => value === null || typeof value === 'string';

/** What is wrong with `body` as an error in the shape of `api`; undefined when nothing is. */
function shapeProblem(body: unknown, api: ErrorApi): string | undefined {
  if (!isRecord(body) || !isRecord(body.error)) return 'no "error" object';
  const { error } = body;
  if (typeof error.message !== 'string' || typeof error.type !== 'string')
    return 'no error.message or error.type';
  if (api === 'anthropic') return body.type === 'error' ? undefined : 'type is not "error"';
  if (!('param' in error) || !stringOrNull(error.param)) return 'error.param is not a string or null';
  if (!('code' in error) || !stringOrNull(error.code)) return 'error.code is not a string or null';
  return undefined;
}

/** Asserts `text` is an error body in the shape of `api`, bounded in size. */
export function expectErrorBody(text: string, api: ErrorApi = 'openai'): void {
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_ERROR_BODY_BYTES);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  expect({ body: text.slice(0, 200), problem: shapeProblem(body, api) }).toEqual({
    body: text.slice(0, 200),
    problem: undefined,
  });
}
