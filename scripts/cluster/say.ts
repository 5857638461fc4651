/** Progress lines for the person waiting on the cluster scripts (and in CI logs). */
export function say(message: string): void {
  process.stdout.write(`cluster: ${message}\n`);
}
