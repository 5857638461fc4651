import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ProviderPoolSchema, type ProviderPool } from '../../api/v1alpha1/providerpool.ts';
import { formatIssues } from '../../api/v1alpha1/validation-errors.ts';

/** A ProviderPool manifest that failed to load; `problems` lists every problem, one per line. */
export class PoolLoadError extends Error {
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[]) {
    super(`invalid ProviderPool ${source}:\n  ${problems.join('\n  ')}`);
    this.name = 'PoolLoadError';
    this.problems = problems;
  }
}

/** Validates a parsed manifest, reporting every problem by field path. */
export function parsePool(document: unknown, source = '(inline)'): ProviderPool {
  const result = ProviderPoolSchema.safeParse(document, { reportInput: true });
  if (!result.success) throw new PoolLoadError(source, formatIssues(result.error));
  return result.data;
}

export function parsePoolYaml(text: string, source = '(inline)'): ProviderPool {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const message = err instanceof YAMLParseError ? err.message : String(err);
    throw new PoolLoadError(source, [`not valid YAML: ${message}`]);
  }
  return parsePool(document, source);
}
