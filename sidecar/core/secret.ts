import { inspect } from 'node:util';

export const REDACTED = '[redacted]';

/**
 * A credential that cannot leak by accident: it prints, serializes and inspects as "[redacted]"; only
 * `reveal()` gives the value, and only adapters building auth headers and the redactor (./redactor.ts) call it.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}
