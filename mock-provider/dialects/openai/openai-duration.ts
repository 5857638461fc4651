/**
 * Formats a duration as OpenAI's rate-limit headers do (Go duration style): "0s", "12ms", "8.64s",
 * "6m0s".
 */
export function formatOpenAiDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  if (ms < 60_000) return `${roundTo3(ms / 1000)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${roundTo3((ms - minutes * 60_000) / 1000)}s`;
}

function roundTo3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
