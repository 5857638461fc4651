#!/usr/bin/env node
// Runs the TypeScript sources directly: Node 24 strips types natively, so there is no build step.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `switchboard needs Node.js 24 or newer (this is ${process.version}). Run it through npm (npx switchboard, ` +
      'npm start), which uses the Node 24 installed as a dev dependency.\n',
  );
  process.exit(1);
}
await import('../cli/main.ts');
