import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import express from 'express';
import { listenApp, routedApp, type ListeningApp } from './express-app.ts';

let app: ListeningApp;
let base: string;

beforeAll(async () => {
  app = await listenApp(
    routedApp({
      '/things': {
        get: (_req, res) => void res.json({ things: [] }),
        post: [express.json({ limit: 64 }), (req, res) => void res.status(201).json(req.body as unknown)],
      },
      '/boom': {
        get: () => {
          throw new Error('secret detail');
        },
      },
    }),
    0,
    '127.0.0.1',
  );
  base = `http://127.0.0.1:${app.port}`;
});
afterAll(() => app.close());

describe('routedApp', () => {
  test.each([
    ['a route answers with its handler', 'GET', '/things', undefined, 200, { things: [] }, undefined],
    ['a chain parses, then handles', 'POST', '/things', '{"a":1}', 201, { a: 1 }, undefined],
    [
      'an unknown path is a JSON 404',
      'GET',
      '/nothing',
      undefined,
      404,
      { error: 'no route GET /nothing' },
      undefined,
    ],
    [
      'another method on a known path is a 405 naming the allowed ones',
      'DELETE',
      '/things',
      undefined,
      405,
      { error: 'method DELETE not allowed on /things; use GET, POST, HEAD' },
      'GET, POST, HEAD',
    ],
    [
      'a handler that throws is a JSON 500 that does not leak the error',
      'GET',
      '/boom',
      undefined,
      500,
      { error: 'internal error' },
      undefined,
    ],
    [
      "express's JSON parser refusing bad JSON is a JSON 400",
      'POST',
      '/things',
      '{not json',
      400,
      expect.objectContaining({ error: expect.stringContaining('JSON') }),
      undefined,
    ],
    [
      'a body over the limit is a JSON 413',
      'POST',
      '/things',
      JSON.stringify({ text: 'x'.repeat(100) }),
      413,
      { error: 'request entity too large' },
      undefined,
    ],
  ])('%s', async (_sentence, method, path, body, status, json, allow) => {
    const response = await fetch(base + path, {
      method,
      body,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(response.headers.get('allow') ?? undefined).toBe(allow);
    expect(response.headers.get('x-powered-by')).toBeNull();
    expect(await response.json()).toEqual(json);
  });
});
