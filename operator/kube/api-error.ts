import { ApiException } from '@kubernetes/client-node';
import { isRecord } from '../../core/json.ts';

/** What the API server said about a failed call (its metav1.Status), or how the connection failed. */
export interface KubeFailure {
  /** The HTTP status (404 not found, 409 conflict, 410 gone); undefined when no answer came. */
  readonly code: number | undefined;
  readonly reason: string;
  readonly message: string;
}

/**
 * Reads any error from @kubernetes/client-node: ApiException (the typed APIs; its own message holds the whole body
 * and headers), the Watch's `statusCode` errors, and fetch failures whose cause is the socket error.
 */
export function kubeFailure(err: unknown): KubeFailure {
  if (err instanceof ApiException) {
    const status = statusBody(err.body);
    return {
      code: err.code,
      reason: text(status?.reason) ?? '',
      message: text(status?.message) ?? (typeof err.body === 'string' ? err.body : `HTTP ${err.code}`),
    };
  }
  if (!(err instanceof Error)) return { code: undefined, reason: '', message: String(err) };
  const code = Reflect.get(err, 'statusCode');
  const cause: unknown = err.cause;
  const message = cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  return { code: typeof code === 'number' ? code : undefined, reason: '', message };
}

export const isNotFound = (err: unknown): boolean => kubeFailure(err).code === 404;
export const isConflict = (err: unknown): boolean => kubeFailure(err).code === 409;

/** One line for logs: "409 Conflict: the object has been modified". */
export function describeKubeError(err: unknown): string {
  const { code, reason, message } = kubeFailure(err);
  return (
    [code, reason].filter((part) => part !== undefined && part !== '').join(' ') +
    (code ? ': ' : '') +
    message
  );
}

function statusBody(body: unknown): Record<string, unknown> | undefined {
  if (isRecord(body)) return body;
  if (typeof body !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
