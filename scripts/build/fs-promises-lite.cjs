'use strict';
/**
 * What the sidecar uses of node:fs/promises (readFile, writeFile, mkdir, rename), for the sidecar bundle only
 * (scripts/build/): the same functions promisified from node:fs. Loading node:fs/promises also loads Node's
 * FileHandle machinery with readline's Interface and the REPL's history (13 internal modules, ~0.6 MiB of the idle
 * sidecar) for `filehandle.readLines()`, which the sidecar never calls. The TypeScript sources keep importing
 * 'node:fs/promises'; the bundle build swaps in this file for that specifier in the data plane's own files.
 */
const fs = require('node:fs');
const { promisify } = require('node:util');

module.exports = {
  mkdir: promisify(fs.mkdir),
  readFile: promisify(fs.readFile),
  rename: promisify(fs.rename),
  writeFile: promisify(fs.writeFile),
};
