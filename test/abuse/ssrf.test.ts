/**
 * Nothing a client sends can steer the sidecar's upstream calls: not a model name shaped like a URL or a path,
 * not Host or forwarding headers, not an absolute-form request target or a path that climbs out of /v1. A canary
 * listener counts every connection made to it, and the mock provider records which paths it was asked for.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectErrorBody } from '../support/error-shape.ts';
import { rawExchange, rawJsonPost, startCanary, type Canary } from '../support/raw-http.ts';
import { startHarness, type Harness } from '../support/sidecar-harness.ts';

const CHAT_PATH = '/v1/chat/completions';
/** The only path the pool's provider may be asked for. The sidecar is not a forward proxy: an absolute-form target
 * is an unknown URL to it (404), never a destination. */
const PROVIDER_PATHS = [CHAT_PATH];

const chat = (model: string): string =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] });

interface Steer {
  name: string;
  /** The raw request, given the canary's address (host:port). */
  request(canary: string): Buffer;
  /** 200: served by the configured provider as if nothing were odd; otherwise the 4xx expected. */
  status: number;
}

const post = (path: string, body: string, headers: Record<string, string> = {}): Buffer =>
  rawJsonPost(path, body, { connection: 'close', ...headers });

const MODEL_NAMES: Steer[] = [
  {
    name: 'an absolute URL as the model name',
    request: (c) => post(CHAT_PATH, chat(`http://${c}/v1`)),
    status: 404,
  },
  {
    name: 'a scheme-relative URL as the model name',
    request: (c) => post(CHAT_PATH, chat(`//${c}/v1/chat/completions`)),
    status: 404,
  },
  { name: 'a userinfo-style model name', request: (c) => post(CHAT_PATH, chat(`chat@${c}`)), status: 404 },
  {
    name: 'path traversal in the model name',
    request: () => post(CHAT_PATH, chat('../../../admin')),
    status: 404,
  },
  {
    name: 'a query string in the model name',
    request: (c) => post(CHAT_PATH, chat(`chat?url=http://${c}/`)),
    status: 404,
  },
  {
    name: 'a fragment in the model name',
    request: (c) => post(CHAT_PATH, chat(`chat#http://${c}/`)),
    status: 404,
  },
  {
    name: 'a CRLF header injection in the model name',
    request: (c) => post(CHAT_PATH, chat(`chat\r\nHost: ${c}\r\n`)),
    status: 404,
  },
];

const HEADERS: Steer[] = [
  {
    name: 'a Host header naming the canary',
    request: (c) => post(CHAT_PATH, chat('chat'), { host: c }),
    status: 200,
  },
  {
    name: 'X-Forwarded-Host and X-Forwarded-Proto',
    request: (c) => post(CHAT_PATH, chat('chat'), { 'x-forwarded-host': c, 'x-forwarded-proto': 'http' }),
    status: 200,
  },
  {
    name: 'a Forwarded header',
    request: (c) => post(CHAT_PATH, chat('chat'), { forwarded: `host=${c};proto=http` }),
    status: 200,
  },
  {
    name: 'X-Original-URL and X-Rewrite-URL',
    request: (c) =>
      post(CHAT_PATH, chat('chat'), { 'x-original-url': `http://${c}/`, 'x-rewrite-url': `http://${c}/` }),
    status: 200,
  },
  {
    name: 'a base-URL header of our own prefix',
    request: (c) => post(CHAT_PATH, chat('chat'), { 'x-switchboard-base-url': `http://${c}/v1` }),
    status: 200,
  },
];

const TARGETS: Steer[] = [
  {
    name: 'an absolute-form request target naming the canary',
    request: (c) => post(`http://${c}${CHAT_PATH}`, chat('chat'), { host: c }),
    status: 404,
  },
  { name: 'a path that climbs out of /v1', request: () => post('/v1/../admin', chat('chat')), status: 404 },
  {
    name: 'a percent-encoded climb out of /v1',
    request: () => post('/v1/%2e%2e/%2e%2e/admin', chat('chat')),
    status: 404,
  },
  {
    name: 'a climb after the endpoint',
    request: (c) => post(`${CHAT_PATH}/../../${c}`, chat('chat')),
    status: 404,
  },
  {
    name: 'a double-slash path naming the canary',
    request: (c) => post(`//${c}${CHAT_PATH}`, chat('chat')),
    status: 404,
  },
];

describe('no request steers the upstream call away from the configured provider endpoint', () => {
  let h: Harness;
  let canary: Canary;
  beforeAll(async () => {
    canary = await startCanary();
    h = await startHarness([{ name: 'only' }]);
  });
  afterAll(async () => {
    await h.close();
    await canary.close();
  });

  it.each([...MODEL_NAMES, ...HEADERS, ...TARGETS])('$name', async (c) => {
    const answer = await rawExchange(h.sidecar.port, c.request(`127.0.0.1:${canary.port}`));
    expect(answer.status).toBe(c.status);
    if (c.status === 200) expect(answer.headers['x-switchboard-provider']).toBe('only');
    else expectErrorBody(answer.body);
    expect(canary.connections()).toBe(0);
    expect(Object.keys(h.mocks.only?.stats.byPath ?? {}).filter((p) => !PROVIDER_PATHS.includes(p))).toEqual(
      [],
    );
  });
});
