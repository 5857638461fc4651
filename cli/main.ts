import { runDashboardCommand } from './dashboard-command.ts';
import { runDemoCommand } from './demo-command.ts';
import { runSidecarCommand } from './sidecar-command.ts';
import { runOperatorCommand } from './operator-command.ts';
import { runMockProviderCli } from '../mock-provider/cli.ts';
import { PoolLoadError } from '../sidecar/config/load-pool.ts';

const COMMANDS: Record<string, { summary: string; run: (argv: string[]) => Promise<void> }> = {
  demo: {
    summary: 'run the whole system on this machine: mocks, operator, dashboard, sidecars, traffic (no keys)',
    run: runDemoCommand,
  },
  sidecar: { summary: 'run the data plane from a ProviderPool file', run: runSidecarCommand },
  operator: {
    summary: 'run the control plane: ProviderPool status and configuration',
    run: runOperatorCommand,
  },
  dashboard: {
    summary: 'serve the live dashboard (read-only) for the ProviderPools of a cluster',
    run: runDashboardCommand,
  },
  'mock-provider': { summary: 'run a mock LLM provider API for tests and demos', run: runMockProviderCli },
};

const USAGE = `usage: switchboard <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(16)}${c.summary}`)
  .join('\n')}

Run "switchboard <command> --help" for a command's options.
`;

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const command = COMMANDS[name];
  if (!command) throw new Error(`unknown command "${name}"\n\n${USAGE}`);
  await command.run(rest);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof PoolLoadError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`switchboard: ${message}\n`);
  process.exit(2);
});
