import { exitOnFatal } from './cli-support.ts';

/**
 * Each command is imported only when it runs: a sidecar in every pod should not load the operator's Kubernetes
 * client, the demo or the mock providers.
 */
const COMMANDS: Record<string, { summary: string; run: (argv: string[]) => Promise<void> }> = {
  demo: {
    summary: 'run the whole system on this machine: mocks, operator, dashboard, sidecars, traffic (no keys)',
    run: async (argv) => (await import('./demo-command.ts')).runDemoCommand(argv),
  },
  sidecar: {
    summary: 'run the data plane from a ProviderPool file or the operator',
    run: async (argv) => (await import('./sidecar-command.ts')).runSidecarCommand(argv),
  },
  operator: {
    summary: 'run the control plane: ProviderPool status and configuration',
    run: async (argv) => (await import('./operator-command.ts')).runOperatorCommand(argv),
  },
  dashboard: {
    summary: 'serve the live dashboard (read-only) for the ProviderPools of a cluster',
    run: async (argv) => (await import('./dashboard-command.ts')).runDashboardCommand(argv),
  },
  'mock-provider': {
    summary: 'run a mock LLM provider API for tests and demos',
    run: async (argv) => (await import('../mock-provider/cli.ts')).runMockProviderCli(argv),
  },
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

main(process.argv.slice(2)).catch(exitOnFatal);
