/**
 * Provider text on its way to the client, with the pool's keys redacted (sidecar/core/redactor.ts).
 *
 * What is scanned: every error a provider reports (error bodies; a stream's error event, which the dialect's translator
 * throws as an `UpstreamStreamError`: both in the attempt) and every OpenAI-shaped JSON text that holds an
 * `"error"` member (an OpenAI-compatible `data: {"error": …}` passed through, a 200 body carrying an error). What is
 * not: model output. The model never sees the pool's key (it travels in a header), so its answers cannot echo it,
 * and scanning every content chunk would cost the stream's hot path and could alter answers.
 */
import type { Redactor } from '../core/redactor.ts';
import type { StreamTranslator, UpstreamEvent } from '../providers/adapter.ts';
import { DelegatingStreamTranslator } from '../providers/delegating-stream-translator.ts';

/**
 * Cheap test for JSON text that may hold an error object: a member named "error" is written `"error"` with
 * unescaped quotes, which text inside a JSON string never is.
 */
function mayHoldError(json: string): boolean {
  return json.includes('"error"');
}

/** `json` with keys redacted when it may hold an error; else the very same string. */
export function redactErrorJson(redactor: Redactor, json: string): string {
  return mayHoldError(json) ? redactor.redact(json) : json;
}

/**
 * A dialect's stream translator whose error payloads reach the client redacted. (Error events it throws as
 * `UpstreamStreamError` are redacted where the attempt catches every error, stream or not.)
 */
export class RedactingStreamTranslator extends DelegatingStreamTranslator {
  readonly #redactor: Redactor;

  constructor(inner: StreamTranslator, redactor: Redactor) {
    super(inner);
    this.#redactor = redactor;
  }

  onEvent(event: UpstreamEvent): readonly string[] {
    const payloads = this.inner.onEvent(event);
    // Content chunks go through as they are, without a copy of the list.
    if (!payloads.some(mayHoldError)) return payloads;
    return payloads.map((data) => redactErrorJson(this.#redactor, data));
  }
}
