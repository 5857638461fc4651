/**
 * Every dialect's stream translation is independent of how the network splits the bytes: each golden stream,
 * cut at arbitrary byte offsets (inside multi-byte characters, between CR and LF, inside an event), parses and
 * translates to exactly the payloads it gives when it arrives whole.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { UpstreamStreamError } from '../core/errors.ts';
import { SseParser } from '../../core/sse/sse-parser.ts';
import type { ProviderType } from '../../api/v1alpha1/providerpool.ts';
import { adapterFor } from './registry.ts';
import { testEndpoint } from './test-endpoint.ts';

const endpoint = testEndpoint();

const STREAMS: { dialect: ProviderType; file: string }[] = [
  { dialect: 'anthropic', file: 'anthropic/fixtures/text-stream.sse' },
  { dialect: 'anthropic', file: 'anthropic/fixtures/tool-use-stream.sse' },
  { dialect: 'anthropic', file: 'anthropic/fixtures/overloaded-stream.sse' },
  { dialect: 'gemini', file: 'gemini/fixtures/stream-text.sse' },
  { dialect: 'gemini', file: 'gemini/fixtures/stream-function-calls.sse' },
  { dialect: 'gemini', file: 'gemini/fixtures/stream-error.sse' },
  { dialect: 'azure-openai', file: 'azure-openai/fixtures/chat-stream.sse' },
  { dialect: 'openai', file: '../api/anthropic-messages/fixtures/openai-tool-stream.sse' },
];

interface Outcome {
  payloads: string[];
  finished: boolean;
  error: string | undefined;
}

/** Translates a stream delivered as `chunks`; ids and timestamps a translator mints are blanked. */
function translate(dialect: ProviderType, chunks: readonly Uint8Array[]): Outcome {
  const adapter = adapterFor(dialect);
  if (!adapter) throw new Error(`no adapter for ${dialect}`);
  const translator = adapter.createStreamTranslator(endpoint, { clientWantsUsage: true });
  const parser = new SseParser();
  const payloads: string[] = [];
  try {
    for (const chunk of chunks) {
      for (const event of parser.feed(chunk)) payloads.push(...translator.onEvent(event));
    }
    parser.end();
  } catch (err) {
    if (!(err instanceof UpstreamStreamError)) throw err;
    return { payloads: payloads.map(normalize), finished: translator.finished, error: err.code };
  }
  return { payloads: payloads.map(normalize), finished: translator.finished, error: undefined };
}

function normalize(payload: string): string {
  return payload
    .replace(/"(created)":\d+/g, '"$1":0')
    .replace(/"(chatcmpl|call|toolu)[-_][A-Za-z0-9_-]+"/g, '"$1-x"');
}

/** Byte offsets at which to cut `length` bytes into chunks. */
const cuts = (length: number) =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: Math.max(1, length - 1) }), { maxLength: 40 })
    .map((xs) => xs.sort((a, b) => a - b));

function split(bytes: Uint8Array, at: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const to of at) {
    out.push(bytes.subarray(from, to));
    from = to;
  }
  out.push(bytes.subarray(from));
  return out;
}

describe('stream translation does not depend on how the bytes are chunked', () => {
  it.each(STREAMS)('$dialect: $file', ({ dialect, file }) => {
    const bytes = new Uint8Array(readFileSync(new URL(file, import.meta.url)));
    const whole = translate(dialect, [bytes]);
    expect(whole.payloads.length + (whole.error ? 1 : 0)).toBeGreaterThan(0);
    fc.assert(
      fc.property(cuts(bytes.length), (at) => {
        expect(translate(dialect, split(bytes, at))).toEqual(whole);
      }),
      { numRuns: 150 },
    );
    // and one byte at a time
    expect(
      translate(
        dialect,
        split(
          bytes,
          Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
        ),
      ),
    ).toEqual(whole);
  });
});
