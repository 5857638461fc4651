import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { poolSpec, startHarness, type Harness } from '../support/sidecar-harness.ts';

interface Case {
  name: string;
  method?: string;
  path?: string;
  body?: string;
  headers?: Record<string, string>;
  status: number;
  message: RegExp;
}

const chat = (extra: Record<string, unknown>) =>
  JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], ...extra });

const CASES: Case[] = [
  { name: 'malformed JSON is a 400', body: '{"model": "chat",', status: 400, message: /not valid JSON/ },
  { name: 'an empty body is a 400', body: '', status: 400, message: /body is empty/ },
  {
    name: 'a JSON array instead of an object is a 400',
    body: '[1,2]',
    status: 400,
    message: /must be a JSON object/,
  },
  {
    name: 'a request without messages is a 400 naming the field',
    body: JSON.stringify({ model: 'chat' }),
    status: 400,
    message: /messages: is required/,
  },
  {
    name: 'a message with an unknown role is a 400',
    body: JSON.stringify({ model: 'chat', messages: [{ role: 'robot', content: 'x' }] }),
    status: 400,
    message: /messages\[0\]\.role: must be one of/,
  },
  {
    name: 'stream must be a boolean',
    body: chat({ stream: 'yes' }),
    status: 400,
    message: /stream: must be a boolean/,
  },
  {
    name: 'an unknown model is a 404 naming the model and the known ones',
    body: chat({ model: 'gpt-5-turbo-max' }),
    status: 404,
    message: /The model "gpt-5-turbo-max" is not served by this pool\. Known models: chat, embed/,
  },
  {
    name: 'an overlong model name is echoed cut short, with its length',
    body: chat({ model: 'm'.repeat(1500) }),
    status: 404,
    message: /^The model "m{256}… \(1500 characters\)" is not served by this pool/,
  },
  {
    name: 'an overlong strategy header is echoed cut short, with its length',
    body: chat({}),
    headers: { 'x-switchboard-strategy': 's'.repeat(4000) },
    status: 400,
    message: /^Unknown strategy "s{256}… \(4000 characters\)" in header/,
  },
  {
    name: 'a model name shaped like a URL reaches no URL',
    body: chat({ model: 'http://169.254.169.254/latest/meta-data' }),
    status: 404,
    message: /is not served by this pool/,
  },
  {
    name: 'a body over the configured limit is a 413',
    body: chat({ padding: 'x'.repeat(4096) }),
    status: 413,
    message: /larger than the limit of 2048 bytes/,
  },
  {
    name: 'a GET on a POST endpoint is a 405',
    method: 'GET',
    path: '/v1/chat/completions',
    status: 405,
    message: /use POST/,
  },
  {
    name: 'an unknown path is a 404',
    path: '/v1/completions-please',
    status: 404,
    message: /Unknown request URL/,
  },
  {
    name: 'a path that climbs out of /v1 is a 404',
    path: '/v1/../admin',
    status: 404,
    message: /Unknown request URL/,
  },
];

describe('bad input gets a clear error in the OpenAI shape and reaches no provider', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness([{ name: 'only' }], (mocks) =>
      poolSpec(mocks, { spec: { limits: { maxRequestBodyBytes: 2048 } } }),
    );
  });
  afterAll(() => h.close());

  it.each(CASES)('$name', async (c) => {
    const before = h.mocks.only?.stats.requests;
    const origin = new URL(h.sidecar.url).origin;
    const res = await fetch(`${origin}${c.path ?? '/v1/chat/completions'}`, {
      method: c.method ?? 'POST',
      headers: { 'content-type': 'application/json', ...c.headers },
      ...(c.method === 'GET' ? {} : { body: c.body ?? '' }),
    });
    expect(res.status).toBe(c.status);
    const body = (await res.json()) as { error: { message: string; type: string; code: string | null } };
    expect(body.error.message).toMatch(c.message);
    expect(body.error.type).toBe('invalid_request_error');
    expect(typeof body.error.code).toBe('string');
    expect(res.headers.get('x-request-id')).toMatch(/^[\w-]+$/);
    expect(h.mocks.only?.stats.requests).toBe(before);
  });

  it('keeps a client-given request id and answers health probes', async () => {
    const origin = new URL(h.sidecar.url).origin;
    const res = await fetch(`${origin}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-abc.123' },
      body: chat({}),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('trace-abc.123');
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${origin}/readyz`)).json()).toEqual({ status: 'ready', pool: 'test' });
  });

  it('sends a Host or forwarding header nowhere: the upstream is always the pool’s', async () => {
    const origin = new URL(h.sidecar.url).origin;
    const res = await fetch(`${origin}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-forwarded-host': 'evil.example',
        'x-switchboard-base-url': 'http://evil.example',
      },
      body: chat({}),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchboard-provider')).toBe('only');
  });
});
