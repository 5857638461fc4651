/**
 * How long the sidecar's API server waits for clients, and how it lets go of them. Node's defaults suit neither a
 * sidecar (a request trickling at 1 byte/s held a connection for 312 s) nor a graceful stop, so every value is
 * chosen here, with why. Apps reach the sidecar over localhost: a healthy client sends a request in
 * milliseconds, so the bounds only ever meet stuck or hostile clients, and are generous for loaded pods.
 *
 * None of these cut a *response*: Node's header and request timeouts stop counting once the request has fully
 * arrived, and the body timeouts are the sidecar's own, armed only while it reads a body. A long stream is bounded by
 * the pool's `timeouts` towards the provider, not here.
 */
export interface HttpLimits {
  /**
   * From a request's first byte (or a new connection's accept) until its headers are complete. Also closes
   * connections that never send a request.
   */
  readonly headersTimeoutMs: number;
  /** From the end of the headers until the end of the body: the trickling-body bound (answered 408). */
  readonly bodyTimeoutMs: number;
  /** Longest silence while a body is arriving (answered 408): a stalled upload ends long before `bodyTimeoutMs`. */
  readonly bodyIdleTimeoutMs: number;
  /** How long an idle keep-alive connection is kept, and announced (`Keep-Alive: timeout=…`). */
  readonly keepAliveTimeoutMs: number;
  /** How often Node checks the header and request timeouts: it is their precision. */
  readonly timeoutCheckIntervalMs: number;
  /**
   * After answering a request whose body it did not read (a 413 above all), the server reads and discards the rest
   * for up to this long before closing, so the client sees the answer rather than a connection reset.
   */
  readonly refusedBodyDrainMs: number;
  /** ... and for up to this many times the pool's `limits.maxRequestBodyBytes`; beyond either bound it resets. */
  readonly refusedBodyDrainFactor: number;
  /**
   * On shutdown, how long requests in flight (streams above all) may finish before the remaining connections are
   * closed. Within Kubernetes' default 30 s grace period, leaving time for the rest of the stop.
   */
  readonly shutdownDrainMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  // Node's default is 60 s; headers from a local app arrive in one packet.
  headersTimeoutMs: 10_000,
  // Node's whole-request default is 300 s; 10 MiB (the default body limit) takes 10 s even at 1 MB/s.
  bodyTimeoutMs: 30_000,
  bodyIdleTimeoutMs: 10_000,
  // As before: longer than the idle timeouts of common HTTP clients (undici, httpx, aiohttp take the announced
  // value or less), so the client, which knows when it is about to send, is the one that closes.
  keepAliveTimeoutMs: 65_000,
  // Node's default of 30 s would let a 10 s header timeout fire after up to 40 s.
  timeoutCheckIntervalMs: 1_000,
  // An upload refused at 10 MiB may be 80 MiB: on localhost that is read and discarded in well under a second.
  refusedBodyDrainMs: 5_000,
  refusedBodyDrainFactor: 8,
  shutdownDrainMs: 20_000,
};

/**
 * The options for `http.createServer`. Node's `requestTimeout` counts from the request's first byte to its end and
 * is a backstop behind the sidecar's own body timeouts (which answer 408 in the API's error shape), so it is their
 * sum.
 */
export function serverOptions(limits: HttpLimits) {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.headersTimeoutMs + limits.bodyTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
  };
}
