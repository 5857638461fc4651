/**
 * The API shape an application speaks to the sidecar. Internally every request and answer is OpenAI-shaped;
 * a client API converts answers, errors and stream chunks back to what its SDK expects (the OpenAI API is the
 * identity; Anthropic's Messages API is another).
 */
import { toOpenAIError, type OpenAIErrorBody } from '../core/errors.ts';
import { formatSseEvent } from '../../core/sse/sse-writer.ts';

/** Encodes one streamed answer: OpenAI chunk payloads (and the final "[DONE]") in, SSE text out. */
export interface ClientStreamEncoder {
  /** SSE text for one OpenAI chunk payload; '' when it maps to nothing. */
  encode(payload: string): string;
  /** SSE text that ends a stream cut or failed after it started, as an error the client's SDK raises. */
  fail(error: OpenAIErrorBody): string;
  /**
   * `encode(p)` frames `p` as one plain data event, so an upstream event carrying just `p` reaches the client the
   * same when passed on as its own bytes (OpenAI in, OpenAI out: the attempt then skips re-framing).
   */
  readonly verbatim?: boolean;
}

export interface ClientApi {
  readonly name: string;
  /** The answer body in the client's shape, from the OpenAI-shaped one. */
  answer(body: unknown): unknown;
  /** The error body in the client's shape. */
  error(status: number, body: OpenAIErrorBody): unknown;
  streamEncoder(): ClientStreamEncoder;
}

export const OPENAI_CLIENT_API: ClientApi = {
  name: 'openai',
  answer: (body) => body,
  error: (_status, body) => body,
  streamEncoder: () => ({
    encode: (data) => formatSseEvent({ data }),
    verbatim: true,
    // The OpenAI SDKs raise a data event carrying an "error" object.
    fail: (error) => formatSseEvent({ data: JSON.stringify(error) }),
  }),
};

/** Status, headers and body of an error in the client's shape. */
export function clientError(api: ClientApi, err: unknown) {
  const { status, headers, body } = toOpenAIError(err);
  return { status, headers, body: api.error(status, body) };
}
