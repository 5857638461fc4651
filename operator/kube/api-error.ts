import { isRecord } from '../../sidecar/core/json.ts';
import type { Status } from './types.ts';

/**
 * Any non-2xx answer from the API server (and ERROR watch events), carrying its metav1.Status so callers can
 * branch on `code` (404 not found, 409 conflict, 410 gone) or `reason` ('NotFound', 'Conflict', 'Expired').
 */
export class KubeApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly status: Status;

  constructor(what: string, code: number, body: unknown) {
    const status = toStatus(code, body);
    super(`${what}: ${code} ${status.reason ?? ''} ${status.message ?? ''}`.trim());
    this.name = 'KubeApiError';
    this.code = code;
    this.reason = status.reason ?? '';
    this.status = status;
  }

  get notFound(): boolean {
    return this.code === 404;
  }
  get conflict(): boolean {
    return this.code === 409;
  }
  /** The resourceVersion asked for is too old: relist. */
  get gone(): boolean {
    return this.code === 410;
  }
}

function toStatus(code: number, body: unknown): Status {
  if (isRecord(body)) {
    const text = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : undefined);
    return {
      kind: 'Status',
      status: text('status'),
      code: typeof body.code === 'number' ? body.code : code,
      reason: text('reason'),
      message: text('message'),
      details: body.details,
    };
  }
  return { kind: 'Status', code, message: typeof body === 'string' ? body : undefined };
}
