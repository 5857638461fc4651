import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Request, type Response } from 'express';
import { seededRng, systemClock, systemRng, type Clock, type Rng } from '../core/clock.ts';
import { sleep, untilAborted } from './abortable.ts';
import { applyBehaviour, DEFAULT_BEHAVIOUR, type MockBehaviour } from './behaviour.ts';
import type { MockDialect, MockFailure, MockReply, MockRequest, MockRoute } from './dialect.ts';
import { mockDialect } from './dialects/registry.ts';
import { quoteKey } from './key-echo.ts';
import { estimateTokens } from './text-tokens.ts';
import { RateLimitWindow, type RateLimitState } from './rate-limit-window.ts';
import { writeSseStream } from './sse-response.ts';
import { emptyMockStats, type MockStats } from './stats.ts';

export interface MockProviderOptions {
  /** Wire dialect, by name (see dialects/registry.ts) or as an object; default "openai". */
  dialect?: string | MockDialect;
  /** Appears in replies and the `x-mock-provider` header, so tests can tell which mock answered. */
  name?: string;
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** When set, every request must present this key. */
  apiKey?: string;
  /** Models listed by the models route. */
  models?: readonly string[];
  /** Refuse models not in `models`, as the real API does; off by default so any model name works. */
  strictModels?: boolean;
  /** Seeds the random source (fault injection, jitter, ids) so runs repeat. */
  seed?: number;
  /** Random source for decisions; overrides `seed` for them. */
  rng?: Rng;
  /** Time for `created` fields and rate-limit windows. */
  clock?: Clock;
  behaviour?: Partial<MockBehaviour>;
  /** Larger request bodies are refused (413) without being read; default 32 MiB. */
  maxBodyBytes?: number;
}

export interface MockProvider {
  /** Base URL for an SDK: origin plus the dialect's base path, e.g. http://127.0.0.1:PORT/v1. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly name: string;
  readonly dialect: string;
  /** Live counters (reset in place by resetStats). */
  readonly stats: MockStats;
  readonly behaviour: Readonly<MockBehaviour>;
  /** Changes knobs for requests that arrive from now on; throws RangeError on invalid values. */
  setBehaviour(change: Partial<MockBehaviour>): void;
  resetStats(): void;
  /** Stops listening and drops every connection, including hung and streaming ones. */
  close(): Promise<void>;
}

const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'];
const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
/** A shared abort reason: abort() without one builds a DOMException with a stack on every call. */
const RESPONSE_CLOSED = new Error('response closed before it finished');
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A request as read off the wire, before any decision. */
interface Received {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body:
    | { readonly kind: 'json'; readonly value: unknown }
    | { readonly kind: 'malformed' }
    | { readonly kind: 'too-large' };
}

/** One request in flight: what arrived, the behaviour it is served with, and when the client went away. */
interface Exchange {
  readonly startedAt: number;
  readonly behaviour: Readonly<MockBehaviour>;
  readonly signal: AbortSignal;
  readonly received: Received;
  readonly markCut: () => void;
}

/** A decided answer and how it bears on the rate-limit window. */
interface Decision {
  readonly reply: MockReply;
  /** Whether the request counts against the window (refused-for-limit requests do not). */
  readonly charge: boolean;
  readonly throttled?: { readonly scope: 'requests' | 'tokens'; readonly retryAfterMs: number };
}

export async function startMockProvider(options: MockProviderOptions = {}): Promise<MockProvider> {
  const provider = new MockProviderServer(options);
  await provider.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return provider;
}

class MockProviderServer implements MockProvider {
  readonly name: string;
  readonly stats: MockStats = emptyMockStats();
  private readonly dialectImpl: MockDialect;
  /** The request each response answers, between the first middleware and the route. */
  private readonly exchanges = new WeakMap<Response, Exchange>();
  private readonly apiKey: string | undefined;
  private readonly models: readonly string[];
  private readonly strictModels: boolean;
  private readonly maxBodyBytes: number;
  private readonly rng: Rng;
  private readonly idRng: Rng;
  private readonly clock: Clock;
  private readonly window: RateLimitWindow;
  private readonly server: Server;
  private closing = false;
  private closed: Promise<void> | undefined;
  private current: MockBehaviour;
  private address: { host: string; port: number } | undefined;

  constructor(options: MockProviderOptions) {
    this.name = options.name ?? 'mock';
    this.dialectImpl =
      typeof options.dialect === 'object' ? options.dialect : mockDialect(options.dialect ?? 'openai');
    this.apiKey = options.apiKey;
    this.models = options.models ?? DEFAULT_MODELS;
    this.strictModels = options.strictModels ?? false;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.rng = options.rng ?? (options.seed === undefined ? systemRng : seededRng(options.seed));
    this.idRng = options.seed === undefined ? systemRng : seededRng(options.seed ^ 0x5bd1e995);
    this.clock = options.clock ?? systemClock;
    this.window = new RateLimitWindow(this.clock);
    this.current = applyBehaviour(DEFAULT_BEHAVIOUR, options.behaviour ?? {});
    this.server = createServer(this.app());
  }

  get dialect(): string {
    return this.dialectImpl.name;
  }

  get behaviour(): Readonly<MockBehaviour> {
    return this.current;
  }

  get port(): number {
    return this.listening().port;
  }

  get origin(): string {
    const { host, port } = this.listening();
    return `http://${host}:${port}`;
  }

  get url(): string {
    return this.origin + this.dialectImpl.basePath;
  }

  setBehaviour(change: Partial<MockBehaviour>): void {
    this.current = applyBehaviour(this.current, change);
  }

  resetStats(): void {
    Object.assign(this.stats, emptyMockStats(), { inFlight: this.stats.inFlight });
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const bound = this.server.address() as AddressInfo;
    this.address = { host: urlHost(host), port: bound.port };
  }

  close(): Promise<void> {
    if (this.closed === undefined) {
      this.closing = true;
      this.closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeAllConnections();
    }
    return this.closed;
  }

  private listening(): { host: string; port: number } {
    if (this.address === undefined) throw new Error('mock provider is not listening');
    return this.address;
  }

  /**
   * Routing is express's, on the dialect's routes. Decisions keep the order real APIs show: body size and auth
   * (before routing: an unknown path with a bad key is a 401), then routing (the dialect's not-found), then JSON,
   * injected faults and the route itself. Bodies are read here, not by express's parsers: an over-long body is
   * refused unread, as the real APIs do, and a malformed one is the dialect's error, decided after routing.
   */
  private app(): Express {
    const app = express();
    app.disable('x-powered-by');
    app.use((req, res, next) => void this.arrive(req, res, next));
    for (const route of this.dialectImpl.routes) {
      const method = route.method === 'GET' ? 'get' : route.method === 'POST' ? 'post' : 'delete';
      app[method](route.pattern, (req, res) =>
        this.answer(res, (exchange) => this.decideRoute(exchange, route, textParams(req.params))),
      );
    }
    app.use((req, res) =>
      this.answer(res, () => this.refuse({ kind: 'not-found', method: req.method, path: req.path })),
    );
    return app;
  }

  /** Counts the request, reads its body, applies hang and latency, and refuses what fails before routing. */
  private async arrive(incoming: Request, response: Response, next: () => void): Promise<void> {
    const startedAt = performance.now();
    const stats = this.stats;
    const behaviour = this.current;
    stats.requests += 1;
    stats.inFlight += 1;
    // Aborted when the response closes unfinished; close() ends every response by dropping its socket.
    const requestEnded = new AbortController();
    const signal = requestEnded.signal;
    let cutOnPurpose = false;
    response.once('close', () => {
      stats.inFlight -= 1;
      if (response.writableFinished) return;
      if (!cutOnPurpose && !this.closing) stats.clientAborts += 1;
      requestEnded.abort(RESPONSE_CLOSED);
    });
    const markCut = () => {
      cutOnPurpose = true;
    };

    try {
      const received = await this.receive(incoming);
      if (behaviour.hang) {
        await untilAborted(signal);
        return;
      }
      const jitter = behaviour.latencyJitterMs > 0 ? this.rng() * behaviour.latencyJitterMs : 0;
      if (!(await sleep(behaviour.latencyMs + jitter, signal))) return;
      const exchange: Exchange = { startedAt, behaviour, signal, received, markCut };
      const refusal = this.admit(received);
      if (refusal) return await this.respond(response, exchange, refusal);
      this.exchanges.set(response, exchange);
      next();
    } catch {
      this.failed(response, signal);
    }
  }

  /** Decides with the exchange `arrive` recorded, then sends; a failure becomes the dialect's server error. */
  private answer(response: Response, decide: (exchange: Exchange) => Decision): void {
    const exchange = this.exchanges.get(response);
    if (exchange === undefined) return;
    this.exchanges.delete(response);
    try {
      this.respond(response, exchange, decide(exchange)).catch(() => this.failed(response, exchange.signal));
    } catch {
      this.failed(response, exchange.signal);
    }
  }

  private async respond(response: ServerResponse, exchange: Exchange, decision: Decision): Promise<void> {
    const { received, behaviour } = exchange;
    if (decision.charge) this.window.record(1, decision.reply.tokens ?? 0);
    const headers = {
      ...this.dialectImpl.commonHeaders({
        providerName: this.name,
        elapsedMs: performance.now() - exchange.startedAt,
        randomId: this.randomId,
      }),
      ...this.dialectImpl.rateLimitHeaders(this.rateLimitState(behaviour, decision), this.clock.now()),
      'x-mock-provider': this.name,
      // An over-long body was left unread, so the connection cannot carry another request.
      ...(received.body.kind === 'too-large' ? { connection: 'close' } : {}),
    };
    await this.send(response, decision.reply, headers, behaviour, exchange.signal, exchange.markCut);
  }

  private failed(response: ServerResponse, signal: AbortSignal): void {
    if (signal.aborted) return;
    if (!response.headersSent) {
      const failure = this.dialectImpl.failure({ kind: 'server-error' });
      response.writeHead(failure.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(failure.body));
    } else {
      response.destroy();
    }
  }

  /** Records what arrived (stats) and reads the body. */
  private async receive(incoming: IncomingMessage): Promise<Received> {
    const method = incoming.method ?? 'GET';
    const url = new URL(incoming.url ?? '/', 'http://mock.invalid');
    this.stats.byPath[url.pathname] = (this.stats.byPath[url.pathname] ?? 0) + 1;
    const raw = await readBody(incoming, this.maxBodyBytes);
    const body: Received['body'] = raw === undefined ? { kind: 'too-large' } : parseJson(raw);
    this.stats.lastRequest = {
      method,
      path: url.pathname,
      headers: { ...incoming.headers },
      body: body.kind === 'json' ? body.value : raw,
    };
    return { method, url, headers: incoming.headers, body };
  }

  /** What is refused before routing: an over-long body, then a missing or wrong API key. */
  private admit(received: Received): Decision | undefined {
    if (received.body.kind === 'too-large') {
      return this.refuse({ kind: 'body-too-large', limitBytes: this.maxBodyBytes });
    }
    if (this.apiKey !== undefined) {
      const presentedKey = this.dialectImpl.apiKeyOf(this.mockRequest(received, {}));
      if (presentedKey !== this.apiKey) return this.refuse({ kind: 'unauthorized', presentedKey });
    }
    return undefined;
  }

  /** For a routed request: JSON, then injected faults, then the route itself (which validates). */
  private decideRoute(exchange: Exchange, route: MockRoute, params: Record<string, string>): Decision {
    const { received, behaviour } = exchange;
    if (received.body.kind === 'malformed') return this.refuse({ kind: 'malformed-json' });
    const request = this.mockRequest(received, params);
    const tooLong = contextOverflow(request, behaviour.contextWindow);
    if (tooLong !== undefined) return this.refuse(tooLong);
    if (behaviour.enforceRateLimits) {
      const state = this.window.state(behaviour);
      if (state.remainingRequests === 0) {
        return this.throttle('requests', state.limitRequests, state.resetRequestsMs);
      }
      if (state.remainingTokens === 0) return this.throttle('tokens', state.limitTokens, state.resetTokensMs);
    }
    // Injected faults hit the models `faultModels` names (all when null); the others answer normally.
    if (!faultsApply(request, behaviour)) return this.faultless(route, request, behaviour);
    if (behaviour.insufficientQuota) return this.refuse({ kind: 'insufficient-quota' });
    if (behaviour.rateLimitRate > 0 && this.rng() < behaviour.rateLimitRate) {
      return this.throttle('requests', behaviour.requestsPerMinute, behaviour.retryAfterS * 1000);
    }
    const serverError = this.serverError(request, behaviour);
    if (behaviour.errorRate > 0 && this.rng() < behaviour.errorRate) {
      return { reply: this.dialectImpl.failure(serverError), charge: true };
    }
    const streamFailure: MockFailure =
      behaviour.streamErrorKind === 'insufficient-quota' ? { kind: 'insufficient-quota' } : serverError;
    return {
      reply: this.withStreamError(this.handle(route, request, behaviour), behaviour, streamFailure),
      charge: true,
    };
  }

  /** The route's own answer, without injected faults (but without `[DONE]` when `omitStreamEnd` says so). */
  private faultless(route: MockRoute, request: MockRequest, behaviour: Readonly<MockBehaviour>): Decision {
    const reply = this.handle(route, request, behaviour);
    return {
      reply: this.withStreamError(
        reply,
        { ...behaviour, streamErrorAfterEvents: null },
        { kind: 'server-error' },
      ),
      charge: true,
    };
  }

  private handle(route: MockRoute, request: MockRequest, behaviour: Readonly<MockBehaviour>): MockReply {
    return route.handle({
      request,
      providerName: this.name,
      models: this.models,
      strictModels: this.strictModels,
      behaviour,
      nowSeconds: Math.floor(this.clock.now() / 1000),
      randomId: this.randomId,
    });
  }

  /** The server error this request would get: the `errorMessage` wording, the key quoted as `echoKey` says. */
  private serverError(request: MockRequest, behaviour: Readonly<MockBehaviour>): MockFailure {
    return {
      kind: 'server-error',
      message: behaviour.errorMessage ?? undefined,
      detail: quoteKey(this.dialectImpl.apiKeyOf(request), behaviour.echoKey),
    };
  }

  /**
   * A stream without its terminal event (`omitStreamEnd`), or cut short by the dialect's mid-stream server error
   * (`streamErrorAfterEvents`).
   */
  private withStreamError(
    reply: MockReply,
    behaviour: Readonly<MockBehaviour>,
    failure: MockFailure,
  ): MockReply {
    if (reply.kind !== 'sse') return reply;
    if (behaviour.omitStreamEnd && this.dialectImpl.streamEndMarker) {
      reply = { ...reply, events: reply.events.slice(0, -1) };
    }
    const after = behaviour.streamErrorAfterEvents;
    if (after === null || after >= reply.events.length) return reply;
    return { ...reply, events: [...reply.events.slice(0, after), this.dialectImpl.streamFailure(failure)] };
  }

  /** Whether `cutStreamAfterChunks` cuts this stream: always at rate 1, else for that share of streams. */
  private cutsThisStream(behaviour: Readonly<MockBehaviour>): boolean {
    if (behaviour.cutStreamAfterChunks === null) return false;
    return behaviour.cutStreamRate >= 1 || this.rng() < behaviour.cutStreamRate;
  }

  private mockRequest(received: Received, params: Record<string, string>): MockRequest {
    return {
      method: received.method,
      path: received.url.pathname,
      params,
      query: received.url.searchParams,
      headers: received.headers,
      body: received.body.kind === 'json' ? received.body.value : undefined,
    };
  }

  private refuse(failure: MockFailure): Decision {
    return { reply: this.dialectImpl.failure(failure), charge: false };
  }

  private throttle(scope: 'requests' | 'tokens', limit: number, retryAfterMs: number): Decision {
    const reply = this.dialectImpl.failure({ kind: 'rate-limited', scope, limit, retryAfterMs });
    return { reply, charge: false, throttled: { scope, retryAfterMs } };
  }

  private rateLimitState(behaviour: Readonly<MockBehaviour>, decision: Decision): RateLimitState {
    const state = this.window.state(behaviour);
    const throttled = decision.throttled;
    if (throttled === undefined) return state;
    return throttled.scope === 'requests'
      ? {
          ...state,
          remainingRequests: 0,
          resetRequestsMs: Math.max(state.resetRequestsMs, throttled.retryAfterMs),
        }
      : {
          ...state,
          remainingTokens: 0,
          resetTokensMs: Math.max(state.resetTokensMs, throttled.retryAfterMs),
        };
  }

  private async send(
    response: ServerResponse,
    reply: MockReply,
    headers: Record<string, string>,
    behaviour: Readonly<MockBehaviour>,
    signal: AbortSignal,
    markCut: () => void,
  ): Promise<void> {
    const stats = this.stats;
    if (reply.kind === 'json') {
      const payload = JSON.stringify(reply.body);
      stats.byStatus[reply.status] = (stats.byStatus[reply.status] ?? 0) + 1;
      response.writeHead(reply.status, {
        ...headers,
        ...reply.headers,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
      });
      response.end(payload);
      return;
    }
    stats.byStatus[200] = (stats.byStatus[200] ?? 0) + 1;
    stats.streamsStarted += 1;
    response.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
    });
    const plan = {
      events: reply.events,
      intervalMs: behaviour.chunkIntervalMs,
      cutAfter: this.cutsThisStream(behaviour) ? behaviour.cutStreamAfterChunks : null,
      stallAfter: behaviour.stallStreamAfterChunks,
    };
    const outcome = await writeSseStream(response, plan, signal, {
      onEventWritten: () => {
        stats.sseEventsWritten += 1;
      },
      onCut: () => {
        markCut();
        stats.streamsCut += 1;
      },
    });
    if (outcome === 'completed') stats.streamsCompleted += 1;
  }

  /** Bound once, as it is handed to the dialect twice per request. */
  private readonly randomId = (length: number): string => {
    let id = '';
    for (let i = 0; i < length; i += 1) id += BASE62[Math.floor(this.idRng() * BASE62.length)];
    return id;
  };
}

/**
 * Reads the whole body; undefined when it exceeds `limit` bytes (the rest is left unread and the
 * answer closes the connection). Listeners, not async iteration: leaving an iteration early would
 * destroy the socket before the refusal could be sent.
 */
function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        request.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('request closed before its body ended'));
    };
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', onError);
    request.once('close', onClose);
  });
}

function parseJson(text: string): { kind: 'json'; value: unknown } | { kind: 'malformed' } {
  if (text.trim() === '') return { kind: 'json', value: undefined };
  try {
    return { kind: 'json', value: JSON.parse(text) as unknown };
  } catch {
    return { kind: 'malformed' };
  }
}

/** Route parameters as text (express gives wildcard parameters as arrays of segments; the dialects use none). */
function textParams(params: Record<string, string | string[]>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(params).map(([name, value]) => [name, Array.isArray(value) ? value.join('/') : value]),
  );
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The model a request names, wherever its dialect puts it: the body's `model` (OpenAI, Anthropic), the path's
 * `:model` (Gemini) or `:deployment` (Azure OpenAI).
 */
function requestedModel(request: MockRequest): string | undefined {
  const body = request.body;
  if (typeof body === 'object' && body !== null && 'model' in body && typeof body.model === 'string')
    return body.model;
  return request.params.model ?? request.params.deployment;
}

function faultsApply(request: MockRequest, behaviour: Readonly<MockBehaviour>): boolean {
  if (behaviour.faultModels === null) return true;
  const model = requestedModel(request);
  return model !== undefined && behaviour.faultModels.includes(model);
}

/** Output-token fields of the dialects: OpenAI's two, Anthropic's, Gemini's generationConfig. */
const OUTPUT_FIELDS = ['max_completion_tokens', 'max_tokens', 'maxOutputTokens'] as const;

/**
 * The context-length failure for a request whose prompt text plus asked-for output exceeds `window`; undefined when
 * it fits or no window is set. The prompt is every string in the body but the model's name and the output fields,
 * at the mock's ~4 characters a token (text-tokens.ts): rough, as the mock's tokens are, but the same for all dialects.
 */
function contextOverflow(request: MockRequest, window: number | null): MockFailure | undefined {
  if (window === null || request.body === undefined) return undefined;
  let text = '';
  let output = 0;
  const walk = (value: unknown, key: string | undefined): void => {
    if (typeof value === 'string') {
      if (key !== 'model') text += value;
    } else if (typeof value === 'number') {
      if (key !== undefined && (OUTPUT_FIELDS as readonly string[]).includes(key))
        output = Math.max(output, value);
    } else if (Array.isArray(value)) {
      for (const item of value as unknown[]) walk(item, undefined);
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) walk(v, k);
    }
  };
  walk(request.body, undefined);
  const requested = estimateTokens(text) + output;
  return requested > window ? { kind: 'context-length-exceeded', requested, limit: window } : undefined;
}
