import { invalidField } from './google-errors.ts';
import { GeminiRequestError } from './gemini-request-error.ts';

/** The request message that field paths in GenerateContent refusals start from. */
export const REQUEST = 'GenerateContentRequest';

export function refuse(path: string, problem: string): GeminiRequestError {
  return new GeminiRequestError(invalidField(path, problem));
}
