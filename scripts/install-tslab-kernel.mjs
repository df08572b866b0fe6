#!/usr/bin/env node
// Registers the tslab TypeScript kernel of notebooks/.tslab with the Jupyter on
// PATH. The README and scripts/test-prerequisites.mjs both run this.
//
//   node scripts/install-tslab-kernel.mjs                 register it where Jupyter looks by default
//   node scripts/install-tslab-kernel.mjs --prefix DIR    register it under DIR/share/jupyter/kernels
//
// `tslab install` runs a Python script that imports jupyter_client, with the
// interpreter given by --python (default: the first python3 on PATH). That
// python3 is often not the one Jupyter runs on — a pyenv or virtualenv shim
// comes first, Jupyter is Debian's /usr/bin/python3 — and the install then
// fails with "jupyter is not installed in this Python". So this asks `jupyter`
// itself which interpreter runs it (`jupyter troubleshoot` prints
// sys.executable) and hands that one to tslab.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TSLAB = join(root, 'notebooks', '.tslab', 'node_modules', '.bin', 'tslab');

function fail(message) {
  process.stderr.write(`install-tslab-kernel: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const options = { prefix: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--prefix' && argv[i + 1] !== undefined) options.prefix = resolve(argv[++i]);
    else {
      process.stderr.write(`install-tslab-kernel: unknown argument ${argv[i]} (use --prefix DIR)\n`);
      process.exit(2);
    }
  }
  return options;
}

/** The interpreter that runs the `jupyter` on PATH, from its own report. */
function jupyterPython() {
  const result = spawnSync('jupyter', ['troubleshoot'], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) {
    fail(`cannot run "jupyter troubleshoot" (${result.error?.message ?? result.stderr.trim()}): is Jupyter installed and on PATH? (Debian: apt-get install jupyter-notebook python3-ipykernel)`);
  }
  // "sys.executable:" is followed by the path on the next, indented line.
  const match = /^sys\.executable:\s*\n\s*(\S.*)$/m.exec(result.stdout);
  if (match === null) fail(`"jupyter troubleshoot" did not name its sys.executable:\n${result.stdout}`);
  return match[1].trim();
}

const options = parseArgs(process.argv.slice(2));
if (!existsSync(TSLAB)) fail(`${TSLAB} is missing: run npm ci --prefix notebooks/.tslab first`);
const python = jupyterPython();
const args = ['install', `--python=${python}`, '--binary', TSLAB, ...(options.prefix === undefined ? [] : [`--prefix=${options.prefix}`])];
process.stdout.write(`tslab ${args.join(' ')}\n`);
const result = spawnSync(TSLAB, args, { stdio: 'inherit' });
if (result.error !== undefined) fail(`cannot run ${TSLAB}: ${result.error.message}`);
process.exit(result.status ?? 1);
