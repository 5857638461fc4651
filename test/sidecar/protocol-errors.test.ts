/**
 * What Node's HTTP parser refuses is answered in the OpenAI error shape with `connection: close`, not with an empty
 * body; and the JSON endpoints' content-type rule (sidecar/server/content-type.ts). Real sockets.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CHAT, startHarness, type Harness } from '../support/sidecar-harness.ts';
import { openRaw, parseRawResponse } from '../support/raw-http.ts';

describe('what the sidecar refuses before routing', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness([{ name: 'only' }]);
  });
  afterAll(() => h.close());

  it.each([
    {
      name: 'headers over Node’s 16 KiB limit are a 431',
      request: `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nx-padding: ${'p'.repeat(20_000)}\r\n\r\n`,
      status: 431,
      code: 'request_headers_too_large',
    },
    {
      name: 'a request line that is not HTTP is a 400',
      request: 'HELLO THERE\r\n\r\n',
      status: 400,
      code: 'malformed_request',
    },
    {
      name: 'a header line without a colon is a 400',
      request: 'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nnot a header\r\n\r\n',
      status: 400,
      code: 'malformed_request',
    },
    {
      name: 'a chunked body with a chunk size that is not hex is a 400',
      request:
        'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n' +
        'transfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
      status: 400,
      code: 'malformed_request',
    },
  ])('protocol level: $name, in the OpenAI error shape', async ({ request, status, code }) => {
    const conn = await openRaw(h.sidecar.port);
    conn.send(request);
    await conn.closed;
    const res = parseRawResponse(conn.bytes());
    expect(res.status).toBe(status);
    expect(res.headers.connection).toBe('close');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.body)).toMatchObject({
      error: { type: 'invalid_request_error', code, param: null },
    });
    expect(h.mocks.only?.stats.requests ?? 0).toBe(0);
  });

  it.each([
    { name: 'application/json is read', type: 'application/json', status: 200 },
    { name: 'a charset parameter is fine', type: 'application/json; charset=utf-8', status: 200 },
    { name: 'a +json type is read', type: 'application/vnd.api+json', status: 200 },
    { name: 'no content-type at all is read as JSON', type: undefined, status: 200 },
    { name: 'text/plain (sent cross-origin without a preflight) is a 415', type: 'text/plain', status: 415 },
    {
      name: 'a form encoding (what curl -d sends) is a 415',
      type: 'application/x-www-form-urlencoded',
      status: 415,
    },
    { name: 'multipart/form-data is a 415', type: 'multipart/form-data; boundary=x', status: 415 },
  ])('content type: $name', async ({ type, status }) => {
    // A Blob without a type makes fetch send no content-type at all.
    const body = type === undefined ? new Blob([JSON.stringify(CHAT)]) : JSON.stringify(CHAT);
    const res = await fetch(`${h.sidecar.url}/chat/completions`, {
      method: 'POST',
      headers: type === undefined ? {} : { 'content-type': type },
      body,
    });
    expect(res.status).toBe(status);
    if (status === 415) {
      expect(await res.json()).toMatchObject({
        error: { type: 'invalid_request_error', code: 'unsupported_media_type' },
      });
    } else {
      await res.arrayBuffer();
    }
  });
});
