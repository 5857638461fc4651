import type { StreamTranslator, TokenUsage, UpstreamEvent } from './adapter.ts';

/** A translator around another: what it knows of the answer is the inner one's; a subclass changes `onEvent`. */
export abstract class DelegatingStreamTranslator implements StreamTranslator {
  protected readonly inner: StreamTranslator;

  constructor(inner: StreamTranslator) {
    this.inner = inner;
  }

  get finished(): boolean {
    return this.inner.finished;
  }

  get complete(): boolean {
    return this.inner.complete;
  }

  get answering(): boolean {
    return this.inner.answering;
  }

  get usage(): TokenUsage | undefined {
    return this.inner.usage;
  }

  closeComplete(): readonly string[] {
    return this.inner.closeComplete();
  }

  abstract onEvent(event: UpstreamEvent): readonly string[];
}
