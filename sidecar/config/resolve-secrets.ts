import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiKeySource } from '../../api/v1alpha1/providerpool.ts';
import { Secret } from '../core/secret.ts';

export interface SecretSources {
  env: Readonly<Record<string, string | undefined>>;
  /** Where Secrets are mounted in a pod: `<dir>/<secret name>/<key>`. */
  secretsDir: string;
}

export const DEFAULT_SECRETS_DIR = '/var/run/secrets/switchboard';

/** Resolves an API key reference; throws an error that names the reference, never a value. */
export function resolveApiKey(source: ApiKeySource, sources: SecretSources): Secret {
  if (source.env !== undefined) {
    const value = sources.env[source.env];
    if (value === undefined || value === '') throw new Error(`environment variable ${source.env} is not set`);
    return new Secret(value.trim());
  }
  if (source.secretKeyRef !== undefined) {
    const { name, key } = source.secretKeyRef;
    const path = join(sources.secretsDir, name, key);
    let value: string;
    try {
      value = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(
        `Secret ${name} key ${key} is not mounted at ${path} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`,
      );
    }
    return new Secret(value.trim());
  }
  throw new Error('apiKey sets neither env nor secretKeyRef');
}
