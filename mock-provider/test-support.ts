import { startMockProvider, type MockProvider, type MockProviderOptions } from './server.ts';

/** Runs `body` against a fresh mock provider and always closes it. */
export async function withMockProvider<T>(
  options: MockProviderOptions,
  body: (provider: MockProvider) => Promise<T>,
): Promise<T> {
  const provider = await startMockProvider(options);
  try {
    return await body(provider);
  } finally {
    await provider.close();
  }
}

/** The error a promise rejects with; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** Polls `condition` until it holds or `timeoutMs` passes. */
export async function eventually(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** POSTs a one-message streaming chat completion in OpenAI's dialect to the mock at `url`. */
export function streamingChat(url: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    ...(signal && { signal }),
  });
}
