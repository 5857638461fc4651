/**
 * Whether a request's client is still there, as the request's attempts see it, and the attempt to tell when it
 * goes (to abort its upstream call). An AbortController per request did this before: its signal is an EventTarget,
 * and making one per request, and `addEventListener` (with its options object) and `removeEventListener` on it for
 * every attempt, showed in the sidecar's CPU profile under load. A request's attempts run one after another, so one
 * listener at a time is all there is.
 */
export class ClientPresence {
  #gone = false;
  #listener: (() => void) | undefined;

  /** True once the client went away before its answer was complete. */
  get gone(): boolean {
    return this.#gone;
  }

  /** The client went away: the listening attempt, if any, is told (once). */
  leave(): void {
    if (this.#gone) return;
    this.#gone = true;
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.();
  }

  /** Calls `listener` when the client goes away (at once if it has), until `stopListening`. One at a time. */
  listen(listener: () => void): void {
    if (this.#listener !== undefined) throw new Error('a request has one attempt listening at a time');
    if (this.#gone) listener();
    else this.#listener = listener;
  }

  stopListening(): void {
    this.#listener = undefined;
  }
}
