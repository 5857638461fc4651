/**
 * One sidecar's sync stream as the operator writes to it. Snapshots are full, so a stream never needs more than
 * the newest one: when the socket is backed up, a newer snapshot replaces the one waiting (latest wins). A slow
 * sidecar costs one pending string, and never blocks the others or grows a queue.
 */
import { formatSseComment, formatSseEvent } from '../../core/sse/sse-writer.ts';

/** The part of a response stream the sink needs (an express/node ServerResponse fits). */
export interface StreamTarget {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
  end(): unknown;
}

export class SnapshotSink {
  readonly #target: StreamTarget;
  #waitingForDrain = false;
  #pending: string | undefined;
  /** Snapshots replaced before they could be written (a slow reader). */
  conflated = 0;

  constructor(target: StreamTarget) {
    this.#target = target;
  }

  /** Sends a snapshot event now, or as soon as the stream drains (replacing any snapshot still waiting). */
  sendSnapshot(json: string, revision: number): void {
    this.#send(formatSseEvent({ event: 'snapshot', id: String(revision), data: json }));
  }

  /** Tells the sidecar why it has no configuration (e.g. the pool does not exist). */
  sendProblem(json: string): void {
    this.#send(formatSseEvent({ event: 'problem', data: json }));
  }

  /** Ends the stream (the sidecar reconnects, e.g. to a new leader). */
  close(): void {
    this.#pending = undefined;
    this.#target.end();
  }

  /** A comment, so proxies and the sidecar's idle timer see the stream alive. Skipped while backed up. */
  heartbeat(): void {
    if (!this.#waitingForDrain) this.#target.write(formatSseComment('keep-alive'));
  }

  #send(frame: string): void {
    if (this.#waitingForDrain) {
      if (this.#pending !== undefined) this.conflated++;
      this.#pending = frame;
      return;
    }
    if (this.#target.write(frame)) return;
    this.#waitingForDrain = true;
    this.#target.once('drain', () => {
      this.#waitingForDrain = false;
      const next = this.#pending;
      this.#pending = undefined;
      if (next !== undefined) this.#send(next);
    });
  }
}
