import { InvalidRequestError } from '../../core/errors.ts';

/**
 * A request this dialect cannot express. Thrown while translating; `unsupported()` turns it into the reason a
 * target is skipped, so `buildRequest` only ever sees requests that translate.
 */
export class Untranslatable extends InvalidRequestError {}
