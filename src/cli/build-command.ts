import { existsSync, statSync, writeFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { buildNative, nativeLanguageOf } from '../polyglot/build-native.js';
import { buildPython } from '../polyglot/build-python.js';
import { buildActorTo } from '../sdk/build-actor.js';
import { parseCommandArgs } from './parse.js';

const HELP = `usage: plexspaces build <actor.ts|actor.py|actor.c|DIR> -o <actor.wasm> [--no-check]

Builds a TypeScript actor written with the SDK (imported as @plexspaces/sdk
or plexspaces/sdk) into a WebAssembly component for the narrowest world that
covers what it uses (simple-actor, durable-actor, coordination-actor,
event-actor or plexspaces-actor: docs/actors.md, "Worlds"); --world chooses
one, or the printed plexspaces:simple-actor@0.1.0 worlds actor-world and
full-actor-world for a component that must also run on PlexSpaces
elsewhere. The module exports an \`actor\` bridge
(init, handle, getState, setState), or a PlexSpacesActor subclass: the
default export, or the only exported one. The file is type-checked first
(strict); a type error stops the build with tsc's message. Takes a few
seconds.

A .py file is an actor written with the Python SDK (sdks/python); it is
built with componentize-py into a component for the narrowest world that
covers the host functions it names, as for .ts (about 18 MB, 10-20 s). The SDK comes from this checkout; componentize-py must be
installed for python3 (pip install componentize-py), or for the interpreter
PLEXSPACES_PYTHON names.

A .c file, or a directory holding go.mod or Cargo.toml, is built into a
core module (docs/polyglot.md): C with clang for wasm32-wasi and wasi-libc,
with sdks/c on the include path; Go (1.24 or later, found on PATH, in
$GOROOT/bin or /usr/local/go/bin) with GOOS=wasip1 -buildmode=c-shared;
Rust with the first cargo on PATH whose rustc has the wasm32 standard
library. A missing compiler is named, with how to install it.

options:
  -o, --out FILE   where to write the component (required)
  --no-check       skip the type check
  --world NAME     (.ts, .py) the world to build for (default auto: the narrowest that covers the actor)
  --actor NAME     (.py) the actor class, when the module defines several
  -h, --help       this text
`;

export async function buildCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    allowPositionals: true,
    options: { out: { type: 'string', short: 'o' }, 'no-check': { type: 'boolean' }, actor: { type: 'string' }, world: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`build needs exactly one actor source file\n\n${HELP}`);
  if (values.out === undefined) throw new UsageError(`build needs -o <actor.wasm>\n\n${HELP}`);
  process.stderr.write(`building ${positionals[0]}…\n`);
  const native = nativeLanguageOf(positionals[0]);
  if (native !== undefined) {
    const built = await buildNative(positionals[0]);
    writeFileSync(values.out, built.wasm);
    const world = built.kind === 'component' ? '' : built.world === undefined ? ' (the whole core ABI: a host call the build cannot attribute)' : ` for world ${built.world}`;
    process.stdout.write(`wrote ${values.out}: ${(built.wasm.byteLength / 1024).toFixed(0)} KiB ${native} ${built.kind}${world} in ${(built.millis / 1000).toFixed(1)} s\n`);
    return 0;
  }
  if (existsSync(positionals[0]) && statSync(positionals[0]).isDirectory()) {
    throw new UsageError(`${positionals[0]} is a directory without go.mod (a Go module) or Cargo.toml (a Rust package): nothing to build`);
  }
  if (positionals[0].endsWith('.py')) {
    const built = await buildPython(positionals[0], values.out, { actor: values.actor, world: values.world });
    process.stdout.write(`${built.report}\n`);
    return 0;
  }
  const result = await buildActorTo(positionals[0], values.out, { check: values['no-check'] !== true, world: values.world });
  process.stdout.write(`wrote ${values.out}: ${(result.component.byteLength / 2 ** 20).toFixed(1)} MiB component for world ${result.world} (uses ${result.uses.join(', ')}) in ${(result.millis / 1000).toFixed(1)} s\n`);
  return 0;
}
