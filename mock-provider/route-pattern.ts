/** Matches a URL path against a pattern; returns the captured parameters, or undefined. */
export type PathMatcher = (path: string) => Record<string, string> | undefined;

/**
 * Compiles a path pattern such as `/v1/models/{model}` or `/v1beta/models/{model}:generateContent`.
 * A `{name}` placeholder matches one non-empty path segment part (no `/`); everything else is literal.
 */
export function compilePathPattern(pattern: string): PathMatcher {
  const names: string[] = [];
  let source = '^';
  let rest = pattern;
  while (rest.length > 0) {
    const open = rest.indexOf('{');
    if (open === -1) {
      source += escapeRegExp(rest);
      break;
    }
    const close = rest.indexOf('}', open);
    if (close === -1) throw new SyntaxError(`unclosed placeholder in path pattern ${pattern}`);
    source += `${escapeRegExp(rest.slice(0, open))}([^/]+?)`;
    names.push(rest.slice(open + 1, close));
    rest = rest.slice(close + 1);
  }
  const regex = new RegExp(`${source}$`);
  return (path) => {
    const match = regex.exec(path);
    if (match === null) return undefined;
    const params: Record<string, string> = {};
    names.forEach((name, i) => {
      params[name] = decodeURIComponent(match[i + 1] ?? '');
    });
    return params;
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
