/**
 * One attempt against one target: translate, send, and either answer the client or report a failure that the
 * caller may retry elsewhere. An attempt that has written a byte to the client is committed: it ends the
 * request whatever happens next.
 */
import type { ServerResponse } from 'node:http';
import { request, errors as undiciErrors, type Dispatcher } from 'undici';
import type { Clock } from '../core/clock.ts';
import {
  InternalError,
  StreamCutError,
  SwitchboardError,
  UntranslatableRequestError,
  UpstreamError,
  UpstreamProtocolError,
  UpstreamStreamError,
  UpstreamUnavailableError,
} from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Redactor } from '../core/redactor.ts';
import type { BreakerPermit, BreakerVerdict } from '../breaker/circuit-breaker.ts';
import { statusClass, type SidecarMetrics } from '../metrics/metrics.ts';
import type { Operation, TokenUsage, UpstreamRequest } from '../providers/adapter.ts';
import { classifyOutcome, type TransportErrorKind } from '../retry/retryable.ts';
import { retryDeadlineFromHeaders } from '../retry/cooldown.ts';
import { SseParser } from '../sse/sse-parser.ts';
import type { Target } from '../routing/target.ts';
import type { ClientApi, ClientStreamEncoder } from '../api/client-api.ts';
import { endStreamWithError, sendText, writeChunk } from './client-response.ts';
import { redactErrorJson, RedactingStreamTranslator } from './redact-provider-text.ts';

export type AttemptResult =
  | { readonly kind: 'served'; readonly usage: TokenUsage | undefined }
  /** Failed after bytes reached the client, who has been told with an error event. */
  | { readonly kind: 'committed-failure' }
  | { readonly kind: 'client-gone' }
  | {
      readonly kind: 'failed';
      readonly error: SwitchboardError;
      readonly retryable: boolean;
      readonly reason: string;
    };

export interface AttemptInput {
  readonly operation: Operation;
  readonly body: Readonly<Record<string, unknown>>;
  readonly stream: boolean;
  readonly clientWantsUsage: boolean;
  readonly target: Target;
  readonly permit: BreakerPermit;
  readonly attempt: number;
  /** When the sidecar received the request (for time to first token). */
  readonly receivedAt: number;
  readonly rateLimit: { readonly defaultCooldownMs: number; readonly quotaExhaustedCooldownMs: number };
  readonly clientSignal: AbortSignal;
  readonly res: ServerResponse;
  /** The API shape the app speaks; answers are converted to it. */
  readonly clientApi: ClientApi;
  /** Headers for the client's answer (request id, serving provider, attempt count). */
  readonly responseHeaders: Record<string, string>;
  /** Hides the pool's keys in provider text passed on to the client, logs and metrics. */
  readonly redactor: Redactor;
}

export interface AttemptDeps {
  readonly clock: Clock;
  readonly metrics: SidecarMetrics;
  readonly logger: Logger;
}

const MAX_ERROR_BODY_BYTES = 64 * 1024;
const CONFIG_FAULTS = new Set([401, 403, 404]);
const CREDENTIAL_FAULTS = new Set([401, 403]);

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};

/** Maps undici's and the socket layer's errors to what they say about the provider. */
function transportKind(err: unknown): TransportErrorKind {
  if (
    err instanceof undiciErrors.ConnectTimeoutError ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError
  ) {
    return 'timeout';
  }
  const code = (err as { code?: unknown }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH') {
    return 'connect';
  }
  return 'reset';
}

const TRANSPORT_MESSAGES: Record<Exclude<TransportErrorKind, 'aborted-by-client'>, string> = {
  connect: 'could not connect to provider',
  timeout: 'no answer in time from provider',
  reset: 'connection failed to provider',
};

export class UpstreamAttempt {
  readonly #in: AttemptInput;
  readonly #deps: AttemptDeps;
  readonly #log: Logger;
  readonly #totalTimeout = new AbortController();
  #verdict: BreakerVerdict = 'neutral';
  #status: number | undefined;
  #latencyMs: number | undefined;
  #committed = false;
  #encoder: ClientStreamEncoder | undefined;

  constructor(input: AttemptInput, deps: AttemptDeps) {
    this.#in = input;
    this.#deps = deps;
    this.#log = deps.logger.child({ provider: input.target.provider.name, attempt: input.attempt });
  }

  async run(): Promise<AttemptResult> {
    let upstream: UpstreamRequest;
    try {
      upstream = this.#prepare();
    } catch (err) {
      return this.#notSent(err);
    }
    return this.#send(upstream);
  }

  /** The provider's request. Nothing has left the sidecar yet: a failure here is never the provider's fault. */
  #prepare(): UpstreamRequest {
    const { operation, body, target } = this.#in;
    try {
      return target.provider.adapter.buildRequest(operation, body, target.endpoint);
    } catch (err) {
      if (err instanceof SwitchboardError && err.blame !== 'provider') throw err;
      // Too deep to serialize, or a string too long to build: the request's size or shape.
      if (err instanceof RangeError) throw new UntranslatableRequestError(target.provider.name);
      this.#log.error('could not build the upstream request', {
        error: this.#in.redactor.redact(errorMessage(err)),
      });
      throw new InternalError();
    }
  }

  /** Refused before sending: the breaker permit goes back unused, and nothing is recorded against the provider. */
  #notSent(err: unknown): AttemptResult {
    const error = err instanceof SwitchboardError ? err : new InternalError();
    this.#in.permit.release('neutral', this.#deps.clock.now());
    return { kind: 'failed', error, retryable: false, reason: error.code };
  }

  async #send(upstream: UpstreamRequest): Promise<AttemptResult> {
    const { target, clientSignal } = this.#in;
    const { clock, metrics } = this.#deps;
    const provider = target.provider;
    const startedAt = clock.now();
    const handle = target.stats.start(startedAt);
    provider.inFlight += 1;
    metrics.inFlight.inc({ provider: provider.name });
    const timer = setTimeout(() => this.#totalTimeout.abort(), provider.timeouts.totalMs);
    try {
      const res = await request(upstream.url, {
        method: 'POST',
        headers: upstream.headers,
        body: upstream.body,
        dispatcher: provider.dispatcher,
        signal: AbortSignal.any([clientSignal, this.#totalTimeout.signal]),
        headersTimeout: provider.timeouts.firstByteMs,
        bodyTimeout: provider.timeouts.idleStreamMs,
      });
      this.#status = res.statusCode;
      const answeredAt = clock.now();
      provider.rateLimits.update(
        provider.adapter.readRateLimits((name) => firstHeader(res.headers[name]), answeredAt),
        answeredAt,
      );
      if (res.statusCode >= 400) return await this.#errorAnswer(res);
      return this.#in.stream
        ? await this.#streamAnswer(res, startedAt)
        : await this.#jsonAnswer(res, startedAt);
    } catch (err) {
      return this.#caught(err);
    } finally {
      clearTimeout(timer);
      const now = clock.now();
      if (this.#verdict === 'neutral') handle.abandon(now);
      else handle.end(now, { ok: this.#verdict === 'success', latencyMs: this.#latencyMs });
      this.#in.permit.release(this.#verdict, now);
      provider.inFlight -= 1;
      metrics.inFlight.dec({ provider: provider.name });
      metrics.attempts.inc({
        provider: provider.name,
        model: target.logicalModel,
        status_class: statusClass(this.#status),
      });
    }
  }

  #fail(error: SwitchboardError, retryable: boolean, reason: string): AttemptResult {
    if (this.#committed) {
      const name = this.#in.target.provider.name;
      endStreamWithError(
        this.#in.res,
        this.#encoder ?? this.#in.clientApi.streamEncoder(),
        new StreamCutError(`the stream from provider ${name} ended before it was complete (${reason})`),
      );
      return { kind: 'committed-failure' };
    }
    return { kind: 'failed', error, retryable, reason };
  }

  #caught(err: unknown): AttemptResult {
    if (this.#in.clientSignal.aborted) {
      this.#verdict = 'neutral';
      return { kind: 'client-gone' };
    }
    if (err instanceof SwitchboardError && err.blame !== 'provider') {
      this.#verdict = 'neutral';
      return this.#fail(err, false, err.code);
    }
    if (err instanceof UpstreamStreamError) {
      this.#verdict = err.retryable ? 'failure' : 'success';
      const redacted = err.redacted((text) => this.#in.redactor.redact(text));
      return this.#fail(redacted, err.retryable, redacted.code);
    }
    if (err instanceof SwitchboardError) {
      this.#verdict = 'failure';
      return this.#fail(err, true, err.code);
    }
    const kind = this.#totalTimeout.signal.aborted ? 'timeout' : transportKind(err);
    const c = classifyOutcome({ transportError: kind });
    this.#verdict = c.breaker;
    this.#log.warn('upstream attempt failed', {
      reason: kind,
      committed: this.#committed,
      error: this.#in.redactor.redact(errorMessage(err)),
    });
    const failure = kind === 'aborted-by-client' ? 'reset' : kind;
    const message = `${TRANSPORT_MESSAGES[failure]} ${this.#in.target.provider.name}`;
    return this.#fail(new UpstreamUnavailableError(failure, message), c.retryable, kind);
  }

  async #errorAnswer(res: Dispatcher.ResponseData): Promise<AttemptResult> {
    const { target } = this.#in;
    const { clock, metrics } = this.#deps;
    const provider = target.provider;
    const text = await readBounded(res.body, MAX_ERROR_BODY_BYTES);
    const info = provider.adapter.parseError(res.statusCode, text);
    const meant = info.status ?? res.statusCode;
    const c = classifyOutcome({ status: meant });
    this.#verdict = c.breaker;
    let retryAfterSeconds: number | undefined;
    if (c.coolDown || info.quotaExhausted) {
      const now = clock.now();
      const asked =
        retryDeadlineFromHeaders((name) => res.headers[name], now) ??
        (info.retryAfterMs === undefined ? undefined : now + info.retryAfterMs);
      // A used-up quota does not come back in seconds, whatever Retry-After says: leave the provider alone longer.
      const until = info.quotaExhausted
        ? Math.max(asked ?? now, now + this.#in.rateLimit.quotaExhaustedCooldownMs)
        : (asked ?? now + this.#in.rateLimit.defaultCooldownMs);
      provider.cooldown.coolDown(until);
      retryAfterSeconds = Math.max(1, Math.ceil((until - now) / 1000));
      metrics.rateLimited.inc({ provider: provider.name });
    }
    const { redactor } = this.#in;
    const code = info.code === null ? null : redactor.redact(info.code);
    this.#log.warn('upstream answered with an error', { status: res.statusCode, code });
    // The sidecar, not the app, holds the provider's credentials and model names: a 401/403/404 from upstream
    // is a pool misconfiguration, reported as a bad gateway rather than as the app's own fault. Credential
    // errors often quote part of the key, so their text is not passed on at all.
    const status = CONFIG_FAULTS.has(meant) ? 502 : meant;
    const detail = CREDENTIAL_FAULTS.has(meant)
      ? `the provider refused the pool's credentials${code ? ` (${code})` : ''}`
      : redactor.redact(info.message);
    const message = `provider ${provider.name} answered HTTP ${res.statusCode}: ${detail}`;
    return this.#fail(
      new UpstreamError(status, message, code, retryAfterSeconds),
      c.retryable,
      `http-${res.statusCode}`,
    );
  }

  async #jsonAnswer(res: Dispatcher.ResponseData, startedAt: number): Promise<AttemptResult> {
    const { target, operation } = this.#in;
    const text = await res.body.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UpstreamProtocolError(`provider ${target.provider.name} sent a body that is not JSON`);
    }
    const translated = target.provider.adapter.translateResponse(
      operation,
      parsed,
      target.endpoint,
      this.#in.body,
    );
    this.#latencyMs = this.#deps.clock.now() - startedAt;
    this.#verdict = 'success';
    const answer = this.#in.clientApi.answer(translated.body);
    // OpenAI in, OpenAI out hands back the very object: send the provider's bytes instead of re-serializing.
    const out = redactErrorJson(this.#in.redactor, answer === parsed ? text : JSON.stringify(answer));
    sendText(this.#in.res, 200, out, this.#in.responseHeaders);
    return { kind: 'served', usage: translated.usage };
  }

  async #streamAnswer(res: Dispatcher.ResponseData, startedAt: number): Promise<AttemptResult> {
    const { target, res: client } = this.#in;
    const { clock, metrics } = this.#deps;
    const parser = new SseParser();
    const encoder = this.#in.clientApi.streamEncoder();
    this.#encoder = encoder;
    const translator = new RedactingStreamTranslator(
      target.provider.adapter.createStreamTranslator(target.endpoint, {
        clientWantsUsage: this.#in.clientWantsUsage,
      }),
      this.#in.redactor,
    );
    const commit = () => {
      this.#committed = true;
      const now = clock.now();
      this.#latencyMs = now - startedAt;
      metrics.timeToFirstToken.observe(
        { provider: target.provider.name, model: target.logicalModel },
        (now - this.#in.receivedAt) / 1000,
      );
      client.writeHead(200, { ...this.#in.responseHeaders, ...SSE_HEADERS });
    };
    for await (const chunk of res.body) {
      // One write per upstream chunk, however many events it carried: fewer syscalls on the hot path.
      let frames = '';
      for (const event of parser.feed(chunk as Buffer)) {
        let payloads: readonly string[];
        try {
          payloads = translator.onEvent(event);
        } catch (err) {
          if (err instanceof UpstreamStreamError) throw err;
          throw new UpstreamProtocolError(`provider ${target.provider.name} sent a malformed stream event`);
        }
        for (const data of payloads) frames += encoder.encode(data);
      }
      if (frames === '') continue;
      if (!this.#committed) commit();
      if (!(await writeChunk(client, frames))) {
        this.#verdict = 'neutral';
        res.body.destroy();
        return { kind: 'client-gone' };
      }
    }
    parser.end();
    if (!translator.finished) {
      this.#verdict = 'failure';
      this.#log.warn('upstream stream ended before its end marker', { committed: this.#committed });
      return this.#fail(
        new StreamCutError(`the stream from provider ${target.provider.name} ended before it was complete`),
        true,
        'no end marker',
      );
    }
    this.#verdict = 'success';
    if (!this.#committed) commit();
    client.end();
    return { kind: 'served', usage: translator.usage };
  }
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function readBounded(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < limit) parts.push(chunk.subarray(0, limit - size));
    size += chunk.length;
  }
  return Buffer.concat(parts).toString('utf8');
}
