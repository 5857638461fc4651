#!/usr/bin/env node
// Runs the TypeScript sources directly: Node 24 strips types natively, so there is no build step. The one
// exception is optional: `switchboard sidecar` runs the prebuilt bundle when one is there and fresh (bin/prebuilt.js).
import { createRequire, enableCompileCache } from 'node:module';

const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `switchboard needs Node.js 24 or newer (this is ${process.version}). Run it through npm (npx switchboard, ` +
      'npm start), which uses the Node 24 installed as a dev dependency.\n',
  );
  process.exit(1);
}
// V8's compiled code for every module, kept on disk (in the system temp dir unless NODE_COMPILE_CACHE names one):
// a restart skips compiling what it compiled before.
enableCompileCache();
const bundle =
  process.argv[2] === 'sidecar' ? (await import('./prebuilt.js')).freshSidecarBundle() : undefined;
// The bundle is CommonJS: its `require('node:http')` skips the ES-module facade of node:http, whose named exports
// include lazy getters (WebSocket, …) that load Node's own copy of undici, ~80 ms and several MiB for nothing.
if (bundle === undefined) await import('../cli/main.ts');
else createRequire(import.meta.url)(bundle);
