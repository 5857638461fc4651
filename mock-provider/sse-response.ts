import type { ServerResponse } from 'node:http';
import { sleep, untilAborted, writeWithBackpressure } from './abortable.ts';

export interface SsePlan {
  /** SSE-framed events, written in order. */
  readonly events: readonly string[];
  /** Pause before each event after the first, in ms. */
  readonly intervalMs: number;
  /** End the connection once this many events were written, if that is before the last one. */
  readonly cutAfter: number | null;
  /** Stop writing once this many events were written, keeping the connection open (a stalled stream). */
  readonly stallAfter?: number | null;
}

export type SseOutcome = 'completed' | 'cut' | 'client-gone';

export interface SseHooks {
  onEventWritten(): void;
  /** Called just before the connection is cut on purpose. */
  onCut(): void;
}

/**
 * Writes a planned event stream to a response whose head is set, honouring backpressure and stopping
 * as soon as `signal` aborts (the client went away). A cut ends the socket after the data written so
 * far is flushed, leaving the chunked body unterminated, so clients see an error, not a clean end.
 */
export async function writeSseStream(
  response: ServerResponse,
  plan: SsePlan,
  signal: AbortSignal,
  hooks: SseHooks,
): Promise<SseOutcome> {
  const cutAt = plan.cutAfter !== null && plan.cutAfter < plan.events.length ? plan.cutAfter : undefined;
  response.flushHeaders();
  for (const [i, event] of plan.events.entries()) {
    if (i > 0 && !(await sleep(plan.intervalMs, signal))) return 'client-gone';
    if (i === plan.stallAfter) {
      await untilAborted(signal);
      return 'client-gone';
    }
    if (i === cutAt) {
      hooks.onCut();
      cutConnection(response);
      return 'cut';
    }
    if (!(await writeWithBackpressure(response, event, signal))) return 'client-gone';
    hooks.onEventWritten();
  }
  response.end();
  return 'completed';
}

function cutConnection(response: ServerResponse): void {
  const socket = response.socket;
  if (socket === null) {
    response.destroy();
    return;
  }
  socket.end();
  socket.once('finish', () => socket.destroy());
}
