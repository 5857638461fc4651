/**
 * Entry of the prebuilt sidecar bundle (scripts/build/build-sidecar.ts): `switchboard sidecar …` without the
 * command table of cli/main.ts, so that the bundle holds the data plane alone. bin/switchboard.js runs it when the
 * bundle is there and newer than its sources.
 */
import { exitOnFatal } from './cli-support.ts';
import { runSidecarCommand } from './sidecar-command.ts';

runSidecarCommand(process.argv.slice(3)).catch(exitOnFatal);
