import type { IncomingHttpHeaders } from 'node:http';
import { UnsupportedMediaTypeError } from '../core/errors.ts';

/** application/json, and structured-syntax JSON types such as application/vnd.api+json, with any parameters. */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * The content-type rule of the JSON endpoints, chosen deliberately:
 * - JSON (`application/json`, `…+json`, any charset parameter) is read;
 * - no content-type at all is read as JSON too: scripts and some HTTP clients send a JSON body without one, and
 *   the body is still validated as a JSON object;
 * - any other declared type is refused with 415. A mislabelled body is a client bug worth naming, and the types a
 *   browser may send cross-origin without a CORS preflight (text/plain, form encodings) are exactly the ones
 *   refused, so a web page cannot make a sidecar on a developer's localhost spend the pool's credits.
 */
export function assertJsonContentType(headers: IncomingHttpHeaders): void {
  const type = headers['content-type'];
  if (type === undefined || type.trim() === '' || JSON_MEDIA_TYPE.test(type.trim())) return;
  throw new UnsupportedMediaTypeError(type);
}
