'use strict';
/**
 * What the sidecar uses of prom-client (Counter, Gauge, Histogram, Registry), for the sidecar bundle only
 * (scripts/build/): prom-client's index also loads its Pushgateway (node:https, and with it TLS, and zlib), the
 * cluster aggregator (node:cluster) and the default process metrics (@opentelemetry/api, v8, perf_hooks), none
 * of which the sidecar uses. The TypeScript sources keep importing 'prom-client'; the bundle build swaps in this
 * file for that one specifier. These are the same classes the index exports (prom-client has no "exports" map).
 */
module.exports = {
  Counter: require('prom-client/lib/counter'),
  Gauge: require('prom-client/lib/gauge'),
  Histogram: require('prom-client/lib/histogram'),
  Registry: require('prom-client/lib/registry'),
};
