import type { MockJsonReply } from '../../dialect.ts';
import { openAiError } from '../openai/openai-errors.ts';
import { azureResourceNotFound } from './azure-errors.ts';

const DATED = /^(\d{4}-\d{2}-\d{2})(?:-preview)?$/;

/**
 * Request fields that dated versions refuse until the version that introduced them, with the date it came in.
 * Azure answers an older version's unknown field with a 400 naming it.
 */
const FIELDS_SINCE: Readonly<Record<string, string>> = {
  stream_options: '2024-08-01',
  max_completion_tokens: '2024-09-01',
};

/**
 * The version a request names, or the refusal: Azure answers a request without `api-version` (or with one it does
 * not know) with a 404 "Resource not found", not a 400.
 */
export function readApiVersion(query: URLSearchParams): { date: string } | { refusal: MockJsonReply } {
  const date = DATED.exec(query.get('api-version') ?? '')?.[1];
  return date === undefined ? { refusal: azureResourceNotFound() } : { date };
}

/** The refusal of a body field this version does not accept, if any. */
export function fieldRefusal(body: unknown, versionDate: string): MockJsonReply | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  for (const [field, since] of Object.entries(FIELDS_SINCE)) {
    if (field in body && versionDate < since) {
      return openAiError(400, {
        message: `Unrecognized request argument supplied: ${field}`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      });
    }
  }
  return undefined;
}
