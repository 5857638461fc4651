'use strict';
/**
 * What the sidecar uses of undici (Agent, request, errors), for the sidecar bundle only (scripts/build/): undici's
 * index also loads fetch, WebSocket, EventSource, the cache stores, the mocks and HTTP/2, which cost the idle sidecar
 * about 7 MB of memory that no request of ours ever needs. The TypeScript sources keep importing 'undici' (its
 * types describe these same functions); the bundle build swaps in this file for that one specifier.
 *
 * `request(url, options)` here does what undici's exported `request` does for the calls the sidecar makes: an
 * absolute URL, and options with an optional dispatcher (else undici's global one). Written here because undici
 * exports its per-dispatcher API (lib/api) but not the URL-taking wrapper without the rest of the index. The
 * sidecar's integration tests run against the bundle in CI, so a change of undici's internals fails there.
 */
const Agent = require('undici/lib/dispatcher/agent.js');
const errors = require('undici/lib/core/errors.js');
const api = require('undici/lib/api/index.js');
const { getGlobalDispatcher } = require('undici/lib/global.js');

function request(url, options) {
  const target = url instanceof URL ? url : new URL(String(url));
  const { dispatcher = getGlobalDispatcher(), ...rest } = options ?? {};
  return api.request.call(dispatcher, {
    ...rest,
    origin: target.origin,
    path: target.pathname + target.search,
    method: rest.method ?? (rest.body ? 'PUT' : 'GET'),
  });
}

module.exports = { Agent, errors, request };
