/**
 * Bad input is the client's fault: it is refused with a 4xx in the API's error shape, the answer stays small, no
 * provider is asked and no breaker moves. The pool opens a breaker on a single failure, so any bad request that
 * is counted against a provider shows. Input that is unusual but valid passes through as documented.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import { expectErrorBody, type ErrorApi } from '../support/error-shape.ts';
import { rawExchange, rawPost } from '../support/raw-http.ts';
import {
  breakerStates,
  poolSpec,
  startHarness,
  upstreamRequests,
  type Harness,
} from '../support/sidecar-harness.ts';

const CHAT_PATH = '/v1/chat/completions';
const MESSAGES_PATH = '/v1/messages';
const MiB = 1024 * 1024;
/** The product's default spec.limits.maxRequestBodyBytes. */
const DEFAULT_BODY_LIMIT = 10 * MiB;

const chat = (extra: Record<string, unknown>): string =>
  JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], ...extra });

/** `depth` levels of `open` … `close` around `inner`, as text (building it as a value would overflow first). */
const nested = (depth: number, open: string, close: string, inner: string): string =>
  open.repeat(depth) + inner + close.repeat(depth);

interface BadInput {
  name: string;
  path?: string;
  contentType?: string;
  body: string | Buffer;
  status: number;
}

const REFUSED: BadInput[] = [
  { name: 'malformed JSON is a 400', body: '{"model": "chat",', status: 400 },
  { name: 'an empty body is a 400', body: '', status: 400 },
  { name: 'a JSON array instead of an object is a 400', body: '[1,2]', status: 400 },
  { name: 'messages given as a string is a 400', body: chat({ messages: 'hi' }), status: 400 },
  { name: 'a number as the model is a 400', body: chat({ model: 42 }), status: 400 },
  { name: 'a message that is not an object is a 400', body: chat({ messages: [42] }), status: 400 },
  { name: 'stream given as a string is a 400', body: chat({ stream: 'yes' }), status: 400 },
  {
    name: 'NaN (which JSON does not have) as a number is a 400',
    body: chat({}).replace('}', ',"temperature":NaN}'),
    status: 400,
  },
  { name: 'a negative max_tokens is a 400', body: chat({ max_tokens: -5 }), status: 400 },
  { name: 'a max_tokens beyond every integer is a 400', body: chat({ max_tokens: 1e300 }), status: 400 },
  {
    name: 'a raw NUL byte inside a string is a 400',
    body: chat({}).replace('"hi"', '"h\u0000i"'),
    status: 400,
  },
  {
    name: 'invalid UTF-8 in a message is a 400, not silently replaced',
    body: Buffer.concat([
      Buffer.from(chat({}).replace('"hi"', '"h')),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('i"}]}'),
    ]),
    status: 400,
  },
  // The content-type rule (README, "Limits and timeouts"): the types a browser may send cross-origin without a
  // preflight are refused with 415, even around a valid JSON body.
  {
    name: 'a form-encoded body (wrong content type) is a 415',
    contentType: 'application/x-www-form-urlencoded',
    body: 'model=chat&messages=hi',
    status: 415,
  },
  {
    name: 'valid JSON sent as text/plain (a browser’s preflight-free type) is a 415',
    contentType: 'text/plain',
    body: chat({}),
    status: 415,
  },
  {
    name: 'an object nested 5,000 levels deep in a pass-through field is a 400',
    body: chat({}).replace(/}$/, `,"metadata":${nested(5_000, '{"a":', '}', '1')}}`),
    status: 400,
  },
  {
    name: 'an array nested 100,000 levels deep in content[].text is a 400',
    body: `{"model":"chat","messages":[{"role":"user","content":[{"type":"text","text":${nested(100_000, '[', ']', '')}}]}]}`,
    status: 400,
  },
  {
    name: 'an unknown 1 MiB model name is a 404 that does not echo it whole',
    body: chat({ model: 'm'.repeat(MiB) }),
    status: 404,
  },
  {
    name: 'a NUL byte after a known model name is a 404, not that model',
    body: chat({ model: 'chat\u0000' }),
    status: 404,
  },
  {
    name: 'duplicate keys: the last model wins, and an unknown one is a 404',
    body: '{"model":"chat","model":"other","messages":[{"role":"user","content":"hi"}]}',
    status: 404,
  },
  {
    name: 'embeddings input of the wrong type is a 400',
    path: '/v1/embeddings',
    body: JSON.stringify({ model: 'embed', input: { text: 'hi' } }),
    status: 400,
  },
  {
    name: 'malformed JSON on /v1/messages is a 400 in Anthropic’s shape',
    path: MESSAGES_PATH,
    body: '{"model": ',
    status: 400,
  },
  {
    name: 'an object nested 5,000 levels deep in /v1/messages metadata is a 400 in Anthropic’s shape',
    path: MESSAGES_PATH,
    body: JSON.stringify({
      model: 'chat',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
    }).replace(/}$/, `,"metadata":${nested(5_000, '{"a":', '}', '1')}}`),
    status: 400,
  },
];

interface RawBadInput {
  name: string;
  request: string | Buffer;
  status: number;
}

const RAW_REFUSED: RawBadInput[] = [
  {
    name: 'a request line that is not HTTP is a 400 in the OpenAI shape',
    request: 'GARBAGE\r\n\r\n',
    status: 400,
  },
  {
    name: 'headers beyond the size limit are a 431 in the OpenAI shape',
    request: rawPost(CHAT_PATH, { host: 'sidecar', 'x-padding': 'a'.repeat(64 * 1024) }),
    status: 431,
  },
  {
    name: 'a Content-Length that is not a number is a 400 in the OpenAI shape',
    request: rawPost(CHAT_PATH, { host: 'sidecar', 'content-length': 'abc' }, chat({})),
    status: 400,
  },
  {
    name: 'Content-Length together with chunked Transfer-Encoding (request smuggling) is a 400 in the OpenAI shape',
    request: rawPost(
      CHAT_PATH,
      { host: 'sidecar', 'content-length': '4', 'transfer-encoding': 'chunked' },
      `${chat({}).length.toString(16)}\r\n${chat({})}\r\n0\r\n\r\n`,
    ),
    status: 400,
  },
];

function errorApiOf(path: string): ErrorApi {
  return path === MESSAGES_PATH ? 'anthropic' : 'openai';
}

describe('bad input is refused in the error shape, reaches no provider and moves no breaker', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness([{ name: 'a' }, { name: 'b' }], (mocks) =>
      poolSpec(mocks, { spec: { breaker: { consecutiveFailures: 1 } } }),
    );
  });
  afterEach(() => h.close());

  const origin = () => new URL(h.sidecar.url).origin;

  it.each(REFUSED)('$name', async (c) => {
    const path = c.path ?? CHAT_PATH;
    const res = await fetch(`${origin()}${path}`, {
      method: 'POST',
      headers: { 'content-type': c.contentType ?? 'application/json' },
      body: c.body,
    });
    const text = await res.text();
    expect(res.status).toBe(c.status);
    expectErrorBody(text, errorApiOf(path));
    expect(upstreamRequests(h)).toBe(0);
    expect(breakerStates(h)).toEqual({ a: 'closed', b: 'closed' });
  });

  it.each(RAW_REFUSED)('$name', async (c) => {
    const answer = await rawExchange(h.sidecar.port, c.request);
    expect(answer.status).toBe(c.status);
    expectErrorBody(answer.body);
    expect(upstreamRequests(h)).toBe(0);
    expect(breakerStates(h)).toEqual({ a: 'closed', b: 'closed' });
  });

  it('a body over the limit with a declared length gets its 413 to the client', async () => {
    const answer = await postLarge(h.sidecar.port, 4 * DEFAULT_BODY_LIMIT, true);
    expect(answer).toMatchObject({ status: 413 });
    expectErrorBody(answer.body ?? '');
    expect(upstreamRequests(h)).toBe(0);
  });

  it('a chunked body that grows over the limit gets its 413 to the client', async () => {
    const answer = await postLarge(h.sidecar.port, 4 * DEFAULT_BODY_LIMIT, false);
    expect(answer).toMatchObject({ status: 413 });
    expectErrorBody(answer.body ?? '');
    expect(upstreamRequests(h)).toBe(0);
  });
});

interface Accepted {
  name: string;
  body: string;
  /** The field the provider must receive, and its value as sent. */
  passed?: { field: string; value: unknown };
}

const ACCEPTED: Accepted[] = [
  {
    name: 'an unknown field is passed through as sent',
    body: chat({ frobnicate: { level: 3 } }),
    passed: { field: 'frobnicate', value: { level: 3 } },
  },
  {
    name: 'an escaped NUL character in content is passed through as sent',
    body: chat({ user: 'a\u0000b' }),
    passed: { field: 'user', value: 'a\u0000b' },
  },
  {
    name: 'a "constructor" key is passed through and touches no prototype',
    body: chat({}).replace(/}$/, ',"constructor":{"prototype":{"polluted":true}}}'),
    passed: { field: 'constructor', value: { prototype: { polluted: true } } },
  },
  {
    name: 'a "__proto__" key touches no prototype',
    body: chat({}).replace(/}$/, ',"__proto__":{"polluted":true}}'),
  },
];

describe('unusual but valid input is served as documented (unknown fields pass through)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness([{ name: 'only' }]);
  });
  afterEach(() => h.close());

  it.each(ACCEPTED)('$name', async (c) => {
    const res = await fetch(`${new URL(h.sidecar.url).origin}${CHAT_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: c.body,
    });
    await res.text();
    expect(res.status).toBe(200);
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    if (c.passed) {
      const received = h.mocks.only?.stats.lastRequest?.body as Record<string, unknown>;
      expect(Object.hasOwn(received, c.passed.field) && received[c.passed.field]).toEqual(c.passed.value);
    }
  });

  it('a value only the provider can judge (n above its maximum) gets the provider’s 400, asked once', async () => {
    const res = await fetch(`${new URL(h.sidecar.url).origin}${CHAT_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chat({ n: 1e9 }),
    });
    expect(res.status).toBe(400);
    expectErrorBody(await res.text());
    expect(upstreamRequests(h)).toBe(1);
    expect(breakerStates(h)).toEqual({ only: 'closed' });
  });
});

/**
 * POSTs `size` bytes as fast as the socket takes them, with a declared length or chunked, and resolves with the
 * answer the client got (status and body), or the error it saw instead.
 */
function postLarge(
  port: number,
  size: number,
  declareLength: boolean,
): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: CHAT_PATH,
      headers: {
        'content-type': 'application/json',
        ...(declareLength ? { 'content-length': String(size) } : {}),
      },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      res.on('error', (err) => resolve({ status: res.statusCode, error: err.message }));
    });
    req.on('error', (err) => resolve({ error: err.message }));
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}
