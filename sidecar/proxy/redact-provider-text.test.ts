import { describe, expect, it } from '@jest/globals';
import { UpstreamStreamError } from '../core/errors.ts';
import { createRedactor, REDACTED } from '../core/redactor.ts';
import { Secret } from '../core/secret.ts';
import type { StreamTranslator, UpstreamEvent } from '../providers/adapter.ts';
import { redactErrorJson, RedactingStreamTranslator } from './redact-provider-text.ts';

const KEY = 'sk-SECRETKEY-0123456789abcdef';
const redactor = createRedactor([new Secret(KEY)]);

/** A translator that hands back `payloads` for every event, or throws `error`. */
function translator(payloads: readonly string[], error?: Error): StreamTranslator {
  return {
    finished: true,
    complete: true,
    answering: true,
    closeComplete: () => [],
    usage: { inputTokens: 1, outputTokens: 2 },
    onEvent: (_event: UpstreamEvent) => {
      if (error) throw error;
      return payloads;
    },
  };
}

const EVENT: UpstreamEvent = { data: '{}' };

describe('provider text on its way to the client', () => {
  it.each([
    {
      name: 'an error frame passed through is redacted',
      json: `{"error":{"message":"bad ${KEY}"}}`,
      out: `{"error":{"message":"bad ${REDACTED}"}}`,
    },
    {
      name: 'an error frame quoting the key upper-cased is redacted',
      json: `{"error":{"message":"${KEY.toUpperCase()}"}}`,
      out: `{"error":{"message":"${REDACTED}"}}`,
    },
    {
      name: 'model output is not scanned',
      json: `{"choices":[{"delta":{"content":"${KEY}"}}]}`,
      out: `{"choices":[{"delta":{"content":"${KEY}"}}]}`,
    },
  ])('$name', ({ json, out }) => {
    expect(redactErrorJson(redactor, json)).toBe(out);
  });

  it('hands content chunks on as the very list the dialect made', () => {
    const payloads = ['{"choices":[]}', '[DONE]'];
    const wrapped = new RedactingStreamTranslator(translator(payloads), redactor);
    expect(wrapped.onEvent(EVENT)).toBe(payloads);
    expect([wrapped.finished, wrapped.usage]).toEqual([true, { inputTokens: 1, outputTokens: 2 }]);
  });

  it('redacts the error payloads among the chunks', () => {
    const wrapped = new RedactingStreamTranslator(
      translator(['{"choices":[]}', `{"error":"${KEY}"}`]),
      redactor,
    );
    expect(wrapped.onEvent(EVENT)).toEqual(['{"choices":[]}', `{"error":"${REDACTED}"}`]);
  });

  it('redacts a stream error event’s message and code, keeping its status and retryability', () => {
    const error = new UpstreamStreamError(`overloaded for ${KEY}`, `code-${KEY}`, {
      status: 529,
      retryable: true,
    });
    expect(error.redacted((text) => redactor.redact(text))).toMatchObject({
      message: `overloaded for ${REDACTED}`,
      code: `code-${REDACTED}`,
      status: 529,
      retryable: true,
    });
  });

  it('lets errors of the dialect through as they are', () => {
    const error = new SyntaxError('Unexpected token');
    const wrapped = new RedactingStreamTranslator(translator([], error), redactor);
    expect(() => wrapped.onEvent(EVENT)).toThrow(error);
  });
});
