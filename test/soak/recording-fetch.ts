/**
 * A fetch for the OpenAI SDK that keeps every response's bytes, by the request's x-request-id, so a test can see
 * what reached the client (a `data: [DONE]`, a key) and whether the body failed, which the SDK does not tell.
 */
export interface Recording {
  /** Status line and headers, as text. */
  readonly headers: string;
  readonly chunks: Uint8Array[];
  /** Why the body failed while being read (a reset), other than the client aborting it; undefined if it did not. */
  failure: string | undefined;
  text(): string;
}

export function recordingFetch(
  recordings: Map<string, Recording>,
): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  return async (input, init) => {
    const response = await fetch(input, init);
    const id = new Headers(init?.headers).get('x-request-id') ?? `unnamed-${recordings.size}`;
    const chunks: Uint8Array[] = [];
    const decoder = () => Buffer.concat(chunks).toString('utf8');
    const recording: Recording = {
      headers: [
        `${response.status} ${response.statusText}`,
        ...[...response.headers].map(([k, v]) => `${k}: ${v}`),
      ].join('\n'),
      chunks,
      failure: undefined,
      text: decoder,
    };
    recordings.set(id, recording);
    const body = response.body;
    if (body === null) return response;
    const reader = body.getReader();
    const copy = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          chunks.push(value);
          controller.enqueue(value);
        } catch (error) {
          if (!(error instanceof Error && error.name === 'AbortError')) {
            recording.failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          }
          controller.error(error);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(copy, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}
