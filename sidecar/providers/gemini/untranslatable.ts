/**
 * Thrown while translating a request that the Gemini dialect cannot express. `unsupported()` turns it into the
 * reason the sidecar gives when no other target can serve the request.
 */
export class UntranslatableRequest extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UntranslatableRequest';
  }
}

/** Runs a translation; the reason it cannot be done, or undefined when it can. */
export function untranslatableReason(translate: () => unknown): string | undefined {
  try {
    translate();
    return undefined;
  } catch (err) {
    if (err instanceof UntranslatableRequest) return err.message;
    throw err;
  }
}
