/**
 * Azure OpenAI's `api-version` query parameter: a date, with `-preview` for previews. Each dated version accepts
 * a fixed set of request fields; a field it does not know is refused with a 400, so the adapter adapts requests
 * to the version the pool names.
 */

/**
 * The latest generally available data-plane inference version when this adapter was written (Azure OpenAI REST
 * API reference, "Data plane - inference", latest GA release).
 */
export const DEFAULT_API_VERSION = '2024-10-21';

export interface ApiVersionFeatures {
  /** `stream_options.include_usage` is accepted: a stream can end with a usage chunk. */
  readonly streamUsage: boolean;
  /** `max_completion_tokens` is accepted (added with the o1 models); older versions know only `max_tokens`. */
  readonly maxCompletionTokens: boolean;
}

/** First dated versions accepting each field (previews count from their date). */
const STREAM_USAGE_SINCE = '2024-08-01';
const MAX_COMPLETION_TOKENS_SINCE = '2024-09-01';

const DATED = /^(\d{4}-\d{2}-\d{2})(?:-preview)?$/;

/** What a version accepts. Versions that are not dates (such as a future undated one) are taken as current. */
export function apiVersionFeatures(apiVersion: string): ApiVersionFeatures {
  const date = DATED.exec(apiVersion)?.[1];
  if (date === undefined) return { streamUsage: true, maxCompletionTokens: true };
  return {
    streamUsage: date >= STREAM_USAGE_SINCE,
    maxCompletionTokens: date >= MAX_COMPLETION_TOKENS_SINCE,
  };
}
