/**
 * One attempt against one target: the upstream call. It translates and sends the request, reads the answer into
 * the client sink (client-sink.ts), gathers the facts of how it ended, has them judged (judge-outcome.ts) and
 * records the outcome once through its lease (attempt-lease.ts). An attempt whose answer reached the client is
 * committed: it ends the request whatever happens next; one that failed before may be retried elsewhere.
 */
import { request, errors as undiciErrors, type Dispatcher } from 'undici';
import type { Clock } from '../../core/clock.ts';
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
import type { Logger } from '../../core/log.ts';
import type { Redactor } from '../core/redactor.ts';
import type { Operation, StreamTranslator, TokenUsage, UpstreamRequest } from '../providers/adapter.ts';
import type { TransportErrorKind } from '../retry/retryable.ts';
import { coolDownUntil, retryDeadlineFromHeaders, type RateLimitSettings } from '../retry/cooldown.ts';
import type { Target } from '../routing/target.ts';
import type { TargetPermit } from '../routing/target-permit.ts';
import { AttemptLease } from './attempt-lease.ts';
import type { AnswerSink } from './client-sink.ts';
import { readPartialAnswer } from './continuation/partial-answer.ts';
import {
  judgeOutcome,
  type AttemptFacts,
  type ErrorDetail,
  type FaultScope,
  type Judgement,
} from './judge-outcome.ts';
import type { OutcomeObserver } from './outcome-observer.ts';
import type { ClientPresence } from './client-presence.ts';
import { StreamRelay } from './stream-relay.ts';
import { redactErrorJson, RedactingStreamTranslator } from './redact-provider-text.ts';

export type AttemptResult =
  | { readonly kind: 'served'; readonly usage: TokenUsage | undefined }
  /** Failed after bytes reached the client, who has been told with an error event. */
  | { readonly kind: 'committed-failure' }
  /**
   * Cut, stalled or failed (retryably) after bytes reached the client, who has NOT been told yet: the answer may
   * be continued elsewhere (`mayContinue`); `error` is what the client gets if it is not. `usage`: what the
   * attempt used, as reported, else estimated from the prompt and the text it sent.
   */
  | { readonly kind: 'interrupted'; readonly error: SwitchboardError; readonly usage: TokenUsage }
  | { readonly kind: 'client-gone' }
  | {
      readonly kind: 'failed';
      readonly error: SwitchboardError;
      readonly retryable: boolean;
      readonly reason: string;
      /** The provider said the request is too long for this target's context window (a larger one may serve it). */
      readonly contextTooLong?: boolean;
    };

export interface AttemptInput {
  readonly operation: Operation;
  readonly body: Readonly<Record<string, unknown>>;
  readonly stream: boolean;
  readonly clientWantsUsage: boolean;
  readonly target: Target;
  readonly permit: TargetPermit;
  readonly attempt: number;
  /** When the sidecar received the request (for time to first token). */
  readonly receivedAt: number;
  readonly rateLimit: RateLimitSettings;
  /** Whether the client is still there (its leaving aborts the upstream call). */
  readonly client: ClientPresence;
  /** Where the answer goes, in the client's API shape. */
  readonly sink: AnswerSink;
  /**
   * A stream interrupted after content reached the client is handed back ('interrupted') rather than ended with
   * an error event, so another target can continue it; `inputTokens`: the request's estimated prompt tokens,
   * for the usage of an interrupted attempt the provider never reported.
   */
  readonly mayContinue?: { readonly inputTokens: number };
  /** This attempt continues an answer another attempt started (its first token is not the request's). */
  readonly continuing?: boolean;
  /** Who learns the outcome (metrics, and any other observer). */
  readonly observer: OutcomeObserver;
  /** Hides the pool's keys in provider text passed on to the client, logs and metrics. */
  readonly redactor: Redactor;
}

export interface AttemptDeps {
  readonly clock: Clock;
  readonly logger: Logger;
}

const MAX_ERROR_BODY_BYTES = 64 * 1024;
const CONFIG_FAULTS = new Set([401, 403, 404]);
const CREDENTIAL_FAULTS = new Set([401, 403]);

/** Maps undici's and the socket layer's errors to what they say about the provider. */
function transportKind(err: unknown): TransportErrorKind {
  // No connection in time is the way to the provider, like a refused one; a deadline after the request went out is
  // the model's (judge-outcome.ts scopes them so).
  if (err instanceof undiciErrors.ConnectTimeoutError) return 'connect';
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    return 'timeout';
  }
  const code = (err as { code?: unknown }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH') {
    return 'connect';
  }
  return 'reset';
}

const NOT_JUDGED: Judgement = judgeOutcome({ kind: 'client-gone' });

const TRANSPORT_MESSAGES: Record<Exclude<TransportErrorKind, 'aborted-by-client'>, string> = {
  connect: 'could not connect to provider',
  timeout: 'no answer in time from provider',
  reset: 'connection failed to provider',
};

export class UpstreamAttempt {
  readonly #in: AttemptInput;
  readonly #deps: AttemptDeps;
  readonly #log: Logger;
  /**
   * Aborts the upstream call when the client goes away or a deadline passes. One controller fed by the client's
   * presence and two timers, rather than `AbortSignal.any` over three signals: composing signals costs every
   * attempt a signal with weak references to its sources, a few percent of the sidecar's CPU under load.
   */
  readonly #abort = new AbortController();
  /** The attempt's total deadline (`timeouts.totalMs`) passed. */
  #totalLate = false;
  /** A stream's first token did not come within `timeouts.firstTokenMs`. */
  #firstTokenLate = false;
  #firstTokenTimer: NodeJS.Timeout | undefined;
  /** What the lease records; filled in as the attempt learns how it went (until then: nothing to hold against anyone). */
  #judgement: Judgement = NOT_JUDGED;
  #status: number | undefined;
  #latencyMs: number | undefined;
  #ttftMs: number | undefined;
  #usage: TokenUsage | undefined;
  #rateLimited = false;
  /** The wait a cool-down asked for, in whole seconds, for the client's Retry-After. */
  #retryAfterSeconds: number | undefined;
  #translator: StreamTranslator | undefined;
  /** How many payloads the client had before this attempt (a continuation's sink shares the client's record). */
  readonly #sentBefore: number;

  constructor(input: AttemptInput, deps: AttemptDeps) {
    this.#in = input;
    this.#deps = deps;
    this.#log = deps.logger.child({ provider: input.target.provider.name, attempt: input.attempt });
    this.#sentBefore = input.sink.sent.length;
  }

  async run(): Promise<AttemptResult> {
    let upstream: UpstreamRequest;
    try {
      upstream = this.#prepare();
      // From here on `#send` runs, whose end stops listening; a client already gone aborts the call at once.
      this.#in.client.listen(() => this.#abort.abort());
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

  /** Refused before sending: the breaker permit goes back unused; with nothing sent there is no outcome to record. */
  #notSent(err: unknown): AttemptResult {
    const error = err instanceof SwitchboardError ? err : new InternalError();
    this.#in.permit.release('neutral', 'target', this.#deps.clock.now());
    return { kind: 'failed', error, retryable: false, reason: error.code };
  }

  async #send(upstream: UpstreamRequest): Promise<AttemptResult> {
    const { target, client } = this.#in;
    const { clock } = this.#deps;
    const provider = target.provider;
    const startedAt = clock.now();
    const lease = new AttemptLease(target, this.#in.permit, this.#in.observer, startedAt);
    const timer = setTimeout(() => {
      this.#totalLate = true;
      this.#abort.abort();
    }, provider.timeouts.totalMs);
    const firstTokenMs = provider.timeouts.firstTokenMs;
    if (this.#in.stream && firstTokenMs !== undefined) {
      this.#firstTokenTimer = setTimeout(() => {
        this.#firstTokenLate = true;
        this.#abort.abort();
      }, firstTokenMs);
    }
    try {
      const res = await request(upstream.url, {
        method: 'POST',
        headers: upstream.headers,
        body: upstream.body,
        dispatcher: provider.dispatcher,
        signal: this.#abort.signal,
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
      clearTimeout(this.#firstTokenTimer);
      client.stopListening();
      lease.end(
        {
          verdict: this.#judgement.verdict,
          status: this.#status,
          latencyMs: this.#latencyMs,
          ttftMs: this.#ttftMs,
          usage: this.#usage,
          scope: this.#judgement.scope,
          rateLimited: this.#rateLimited,
          credentialsRefused: this.#judgement.credentialsRefused,
        },
        clock.now(),
      );
    }
  }

  /** Judges `facts`, keeps the judgement for the lease and applies a cool-down it calls for, where it lives. */
  #judge(facts: AttemptFacts, asked?: number): Judgement {
    const judgement = judgeOutcome(facts);
    this.#judgement = judgement;
    if (judgement.coolDown) {
      const quotaExhausted = 'quotaExhausted' in facts && facts.quotaExhausted === true;
      this.#coolDown(asked, quotaExhausted, judgement.scope);
    }
    return judgement;
  }

  #fail(error: SwitchboardError, retryable: boolean, reason: string): AttemptResult {
    const { sink } = this.#in;
    if (!sink.committed) {
      return this.#judgement.contextTooLong
        ? { kind: 'failed', error, retryable, reason, contextTooLong: true }
        : { kind: 'failed', error, retryable, reason };
    }
    const name = this.#in.target.provider.name;
    // The provider's own in-stream error says more than "cut": it is the one error event the client gets.
    const told =
      error instanceof UpstreamStreamError
        ? error
        : new StreamCutError(`the stream from provider ${name} ended before it was complete (${reason})`);
    if (retryable && this.#in.mayContinue && this.#in.stream) {
      const usage = this.#translator?.usage ?? this.#estimatedUsage(this.#in.mayContinue.inputTokens);
      this.#usage = usage;
      return { kind: 'interrupted', error: told, usage };
    }
    sink.fail(told);
    return { kind: 'committed-failure' };
  }

  /**
   * What an interrupted attempt used when its provider never said (usage comes at a stream's end): the prompt
   * as estimated, and the text it sent at the sidecar's ≈4 characters a token. Providers bill a cut answer too.
   */
  #estimatedUsage(inputTokens: number): TokenUsage {
    const reading = readPartialAnswer(this.#in.sink.sent.slice(this.#sentBefore));
    const text = reading.kind === 'continuable' ? reading.answer.text : '';
    return { inputTokens, outputTokens: Math.ceil(text.length / 4) };
  }

  #caught(err: unknown): AttemptResult {
    if (this.#in.client.gone) {
      this.#judge({ kind: 'client-gone' });
      return { kind: 'client-gone' };
    }
    if (err instanceof SwitchboardError && err.blame !== 'provider') {
      this.#judge({ kind: 'not-provider', blame: err.blame });
      return this.#fail(err, false, err.code);
    }
    if (err instanceof UpstreamStreamError) {
      // Judged like the HTTP answer it stands for: a 5xx fails the provider, a 429 cools it down, a 400 is the request's.
      this.#status = err.status;
      const j = this.#judge({
        kind: 'stream-error',
        status: err.status,
        retryable: err.retryable,
        ...detailOf(err),
      });
      const name = this.#in.target.provider.name;
      const redacted = err.redacted((text) => `provider ${name}: ${this.#in.redactor.redact(text)}`);
      this.#log.warn('upstream reported an error in its stream', {
        status: err.status,
        code: this.#in.redactor.redact(err.code),
        committed: this.#in.sink.committed,
      });
      return this.#fail(redacted, j.retryable, redacted.code);
    }
    this.#status = undefined; // a 200 head followed by a failure is not a 2xx outcome
    if (err instanceof SwitchboardError) {
      const j = this.#judge({ kind: 'bad-answer' });
      return this.#fail(err, j.retryable, err.code);
    }
    const firstTokenLate = this.#firstTokenLate;
    const kind = this.#totalLate || firstTokenLate ? 'timeout' : transportKind(err);
    const failure = kind === 'aborted-by-client' ? 'reset' : kind;
    const j = this.#judge({ kind: 'transport', error: failure });
    this.#log.warn('upstream attempt failed', {
      reason: kind,
      committed: this.#in.sink.committed,
      error: this.#in.redactor.redact(errorMessage(err)),
    });
    const name = this.#in.target.provider.name;
    const message = firstTokenLate
      ? `no first token in time (timeouts.firstTokenMs) from provider ${name}`
      : `${TRANSPORT_MESSAGES[failure]} ${name}`;
    return this.#fail(new UpstreamUnavailableError(failure, message), j.retryable, kind);
  }

  async #errorAnswer(res: Dispatcher.ResponseData): Promise<AttemptResult> {
    const { target, redactor } = this.#in;
    const provider = target.provider;
    const text = await readBounded(res.body, MAX_ERROR_BODY_BYTES);
    const info = provider.adapter.parseError(res.statusCode, text);
    const meant = info.status ?? res.statusCode;
    const now = this.#deps.clock.now();
    const asked =
      retryDeadlineFromHeaders((name) => res.headers[name], now) ??
      (info.retryAfterMs === undefined ? undefined : now + info.retryAfterMs);
    const j = this.#judge({ kind: 'answer', status: meant, ...detailOf(info) }, asked);
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
      new UpstreamError(status, message, code, this.#retryAfterSeconds),
      j.retryable,
      `http-${res.statusCode}`,
    );
  }

  /**
   * Cools the provider (scope 'provider') or this model of it down until `asked` (or the pool's default), and keeps
   * the wait for Retry-After.
   */
  #coolDown(asked: number | undefined, quotaExhausted: boolean, scope: FaultScope): void {
    const now = this.#deps.clock.now();
    const until = coolDownUntil(now, asked, quotaExhausted, this.#in.rateLimit);
    const { target } = this.#in;
    (scope === 'provider' ? target.provider.cooldown : target.health.cooldown).coolDown(until);
    this.#rateLimited = true;
    this.#retryAfterSeconds = Math.max(1, Math.ceil((until - now) / 1000));
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
    this.#judge({ kind: 'answer', status: res.statusCode });
    this.#usage = translated.usage;
    const { sink } = this.#in;
    const answer = sink.answer(translated.body);
    // OpenAI in, OpenAI out hands back the very object: send the provider's bytes instead of re-serializing.
    sink.sendJson(redactErrorJson(this.#in.redactor, answer === parsed ? text : JSON.stringify(answer)));
    return { kind: 'served', usage: translated.usage };
  }

  /** The stream's first token: the answer starts, the first-token deadline is met, TTFT is measured. */
  #firstToken(startedAt: number): void {
    clearTimeout(this.#firstTokenTimer);
    const now = this.#deps.clock.now();
    this.#latencyMs = now - startedAt;
    if (this.#in.continuing !== true) this.#ttftMs = now - this.#in.receivedAt;
  }

  /** The client went away during a write: the attempt is judged so and the upstream call dropped. */
  #clientLeft(res: Dispatcher.ResponseData): AttemptResult {
    this.#judge({ kind: 'client-gone' });
    res.body.destroy();
    return { kind: 'client-gone' };
  }

  async #streamAnswer(res: Dispatcher.ResponseData, startedAt: number): Promise<AttemptResult> {
    const { target, sink } = this.#in;
    const encoder = sink.encoder;
    const translator = (this.#translator = new RedactingStreamTranslator(
      target.provider.adapter.createStreamTranslator(target.endpoint, {
        clientWantsUsage: this.#in.clientWantsUsage,
        choices: typeof this.#in.body.n === 'number' ? this.#in.body.n : 1,
      }),
      this.#in.redactor,
    ));
    const relay = new StreamRelay(sink, translator, target.provider.name, () => this.#firstToken(startedAt));
    for await (const chunk of res.body) {
      if (!(await relay.chunk(chunk as Buffer))) return this.#clientLeft(res);
    }
    if (!(await relay.end())) return this.#clientLeft(res);
    let closing = '';
    if (!translator.finished) {
      if (!translator.complete) {
        const j = this.#judge({ kind: 'stream-cut' });
        this.#status = undefined;
        this.#log.warn('upstream stream ended before its answer was complete', { committed: sink.committed });
        return this.#fail(
          new StreamCutError(`the stream from provider ${target.provider.name} ended before it was complete`),
          j.retryable,
          'no end marker',
        );
      }
      // A clean end after every finish reason is a whole answer without its terminal event: close it properly.
      for (const data of translator.closeComplete()) closing += encoder.encode(data);
    }
    this.#judge({ kind: 'answer', status: res.statusCode });
    if (!sink.committed) this.#firstToken(startedAt);
    this.#usage = translator.usage;
    sink.end(closing);
    return { kind: 'served', usage: translator.usage };
  }
}

/** What an adapter read from a provider's error beyond its status (quota, context length), for the judgement. */
function detailOf(info: ErrorDetail): ErrorDetail {
  return {
    ...(info.quotaExhausted === true && { quotaExhausted: true }),
    ...(info.quotaOfModelOnly === true && { quotaOfModelOnly: true }),
    ...(info.contextLengthExceeded === true && { contextLengthExceeded: true }),
  };
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
