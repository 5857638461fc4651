'use strict';
/**
 * `node:http2` as undici's HTTP/2 client (lib/dispatcher/client-h2.js) sees it in the sidecar bundle: loaded on
 * the first connection a server answers with HTTP/2 (ALPN `h2` over TLS), not when undici is loaded. Node's
 * http2 module costs an idle sidecar about 3 MiB (measured on the bundle, idle RSS 3 s after ready), and a pool
 * of plain-HTTP providers never needs it; a TLS provider that picks h2 loads it on its first connection, as before.
 *
 * client-h2.js reads these constants once, when it is loaded, and calls `connect`; nothing else. The constants are
 * HTTP/2's own (RFC 9113 pseudo-headers and error codes) and http2-lazy.test.ts checks them against node:http2.
 */
const constants = {
  HTTP2_HEADER_AUTHORITY: ':authority',
  HTTP2_HEADER_METHOD: ':method',
  HTTP2_HEADER_PATH: ':path',
  HTTP2_HEADER_SCHEME: ':scheme',
  HTTP2_HEADER_CONTENT_LENGTH: 'content-length',
  HTTP2_HEADER_EXPECT: 'expect',
  HTTP2_HEADER_STATUS: ':status',
  HTTP2_HEADER_PROTOCOL: ':protocol',
  NGHTTP2_NO_ERROR: 0,
  NGHTTP2_PROTOCOL_ERROR: 1,
  NGHTTP2_REFUSED_STREAM: 7,
};

function connect(...args) {
  return require('node:http2').connect(...args);
}

module.exports = { constants, connect };
