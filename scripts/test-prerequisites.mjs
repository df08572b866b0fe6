#!/usr/bin/env node
// The system prerequisites of the test suite, checked before `npm test` runs
// vitest (package.json "test"), and by .ci/run through `npm test`.
//
//   node scripts/test-prerequisites.mjs            check; install what is missing when it can; fail otherwise
//   node scripts/test-prerequisites.mjs --check    check only: report, exit 1 with the commands to run if any is missing
//   node scripts/test-prerequisites.mjs --dry-run  check and print the commands it would run, without running them
//
// Installing needs root and apt-get (Debian packages) and npm (the tslab
// kernel). Without them it exits 1 at once with the exact commands to run: a
// test that silently skips because a compiler is absent proves nothing.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
for (const arg of args) {
  if (!['--check', '--dry-run'].includes(arg)) {
    process.stderr.write(`test-prerequisites: unknown option ${arg} (use --check or --dry-run)\n`);
    process.exit(2);
  }
}
const mode = args.has('--check') ? 'check' : args.has('--dry-run') ? 'dry-run' : 'install';

// Debian's interpreter, where python3-grpcio & co. install (the first python3
// on PATH may be another one, e.g. a virtualenv's).
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const TSLAB = join(root, 'notebooks', '.tslab', 'node_modules', '.bin', 'tslab');
// The interpreter `plexspaces build actor.py` runs (src/polyglot/build-python.ts): $PLEXSPACES_PYTHON, else
// the first python3 on PATH. componentize-py must be installed for that one.
const BUILD_PYTHON = process.env.PLEXSPACES_PYTHON ?? which('python3') ?? 'python3';

/** Where `name` is on PATH, or undefined (what the shell's `command -v` does). */
function which(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function succeeds(command, commandArgs, test = () => true) {
  const result = spawnSync(command, commandArgs, { encoding: 'utf8' });
  return result.error === undefined && result.status === 0 && test(result.stdout);
}

/**
 * The tests register tslab inside the checkout (not in Jupyter's shared
 * folders) and point Jupyter at it with JUPYTER_PATH: two checkouts on one
 * machine would otherwise fight over one kernelspec, each pointing it at its
 * own tslab. The README's command registers it for a user's own Jupyter.
 */
const KERNEL_PREFIX = join('notebooks', '.tslab', 'jupyter');
const TEST_JUPYTER_PATH = join(root, KERNEL_PREFIX, 'share', 'jupyter');

/** Whether the checkout's kernelspec is there and runs this checkout's tslab. */
function tslabKernelRegistered() {
  const spec = join(TEST_JUPYTER_PATH, 'kernels', 'tslab', 'kernel.json');
  if (!existsSync(TSLAB) || which('jupyter') === undefined || !existsSync(spec)) return false;
  try {
    return realpathSync(JSON.parse(readFileSync(spec, 'utf8')).argv[0]) === realpathSync(TSLAB);
  } catch {
    return false;
  }
}

/** clang finds wasi-libc and the wasm32 builtins (it prints the bare name of a file it cannot find). */
function wasiLibcPresent() {
  const found = (flag) => {
    const path = spawnSync('clang', ['--target=wasm32-wasi', flag], { encoding: 'utf8' }).stdout?.trim();
    return path !== undefined && path !== '' && existsSync(path);
  };
  return found('-print-file-name=libc.a') && found('-print-libgcc-file-name');
}

// The unpacked rustc-web (scripts/unpack-rust-web.sh) and where its shared libraries are (src/polyglot/toolchains.ts looks the same way).
const RUST_WEB = join(root, '.plexspaces', 'toolchains', 'rust-web');
const RUST_WEB_RUSTC = join(RUST_WEB, 'usr', 'bin', 'rustc');
const RUST_WEB_LIBS = [join(RUST_WEB, 'usr', 'lib', 'x86_64-linux-gnu'), join(RUST_WEB, 'usr', 'lib', 'llvm-22', 'lib')].join(delimiter);

const cSources = readdirSync(join(root, 'src', 'wasm', 'c')).filter((f) => f.endsWith('.c'));

/**
 * Each prerequisite: what it is for, how to tell it is there, and how to get
 * it — Debian packages (`apt`) or commands run from the project root (`run`).
 */
const PREREQUISITES = [
  {
    name: 'clang + wasm-ld with a wasm32 target, wasi-libc and its compiler runtime',
    why: 'builds the C actors (src/wasm/c) the runtime tests load, and C actors with libc (clang --target=wasm32-wasi: test/polyglot, sdks/c)',
    present: () => which('wasm-ld') !== undefined && succeeds('clang', ['--target=wasm32', '-print-targets'], (out) => /wasm32/.test(out)) && wasiLibcPresent(),
    apt: ['clang', 'lld', 'wasi-libc', 'libclang-rt-14-dev-wasm32'],
  },
  {
    name: 'Rust with the wasm32 standard library, and serde crates (Debian rustc 1.63)',
    why: "builds the Rust core-module actors (examples/polyglot/rust) offline from Debian's vendored crates",
    present: () => {
      const sysroot = spawnSync('/usr/bin/rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).stdout?.trim();
      const registry = '/usr/share/cargo/registry';
      return (
        sysroot !== undefined &&
        existsSync(join(sysroot, 'lib', 'rustlib', 'wasm32-unknown-unknown')) &&
        existsSync('/usr/bin/cargo') &&
        existsSync(registry) &&
        ['serde-', 'serde_derive-', 'serde_json-'].every((crate) => readdirSync(registry).some((d) => d.startsWith(crate)))
      );
    },
    apt: ['rustc', 'cargo', 'libstd-rust-dev-wasm32', 'librust-serde-dev', 'librust-serde-derive-dev', 'librust-serde-json-dev'],
  },
  {
    name: 'Rust 1.96 for components (Debian rustc-web, unpacked in .plexspaces/toolchains/rust-web)',
    why: 'builds the Rust component actors (sdks/rust/components: wit-bindgen, the standard library built from source), beside the rustc 1.63 that builds core modules',
    present: () => spawnSync(RUST_WEB_RUSTC, ['--version'], { encoding: 'utf8', env: { ...process.env, LD_LIBRARY_PATH: RUST_WEB_LIBS } }).status === 0 && existsSync(join(RUST_WEB, 'usr', 'lib', 'rustlib', 'src', 'rust', 'library')),
    // libllvm22's own dependencies, installed as packages; the toolchain itself is unpacked (it conflicts with rustc 1.63).
    apt: ['libz3-4', 'libedit2', 'libffi8', 'libxml2', 'libzstd1'],
    run: ['sh scripts/unpack-rust-web.sh'],
  },
  {
    name: 'Go 1.24 or later (on PATH or in /usr/local/go/bin)',
    why: 'builds the Go SDK and the Go actors (sdks/go, examples/polyglot/go) as wasip1 reactors',
    present: () =>
      [which('go'), '/usr/local/go/bin/go'].some((go) => {
        if (go === undefined || !existsSync(go)) return false;
        const minor = /^go1\.(\d+)/.exec(spawnSync(go, ['env', 'GOVERSION'], { encoding: 'utf8' }).stdout ?? '')?.[1];
        return minor !== undefined && Number(minor) >= 24;
      }),
    // Debian's golang is too old for //go:wasmexport (1.19, backports 1.23): no package to install.
    manual: 'install Go 1.24 or later from https://go.dev/dl into /usr/local/go (tar -C /usr/local -xzf go1.X.linux-amd64.tar.gz)',
  },
  {
    name: `componentize-py for ${BUILD_PYTHON}`,
    why: 'builds the Python actors (sdks/python, examples/polyglot/python) into components; the SDK itself comes from sdks/python/src on PYTHONPATH',
    present: () => succeeds(BUILD_PYTHON, ['-c', 'import componentize_py']),
    // Debian's python3 has pip only with python3-pip, and refuses pip installs (PEP 668) unless told: the second form is for it.
    apt: BUILD_PYTHON === '/usr/bin/python3' ? ['python3-pip'] : undefined,
    run: [`${BUILD_PYTHON} -m pip install componentize-py || ${BUILD_PYTHON} -m pip install --break-system-packages componentize-py`],
  },
  {
    name: 'curl',
    why: 'the examples\' tests run each README\'s curl commands against a node (test/examples, examples/seed)',
    present: () => succeeds('curl', ['--version']),
    apt: ['curl'],
  },
  {
    name: 'python3 grpc + grpc_tools (Debian /usr/bin/python3)',
    why: 'Python clients generated from proto/ drive the node (test/server/grpc-server.test.ts, the SDK\'s plexspaces.client: test/polyglot/python-client.test.ts, notebooks/5-python-worker-pool.ipynb)',
    present: () => succeeds(PYTHON, ['-c', 'import grpc, grpc_tools']),
    apt: ['python3-grpcio', 'python3-grpc-tools'],
  },
  {
    name: 'jupyter-nbconvert + nbclient + ipykernel + matplotlib',
    why: 'executes the notebooks headless (test/notebooks/notebooks.test.ts); the Python one plots with matplotlib',
    present: () => which('jupyter-nbconvert') !== undefined && succeeds(PYTHON, ['-c', 'import nbclient, ipykernel, matplotlib']),
    apt: ['jupyter-nbconvert', 'python3-nbclient', 'python3-ipykernel', 'python3-matplotlib'],
  },
  {
    name: 'redis-server (Debian)',
    why: 'the cluster backend: tests start their own redis-server (and a Redis Cluster) on loopback (test/support/redis-server.ts)',
    present: () => which('redis-server') !== undefined && which('redis-cli') !== undefined,
    apt: ['redis-server'],
  },
  {
    name: 'chromium (Debian)',
    why: 'the dashboard test drives a real headless Chromium through playwright-core (test/dashboard/dashboard.test.ts); playwright downloads no browser of its own',
    present: () => existsSync('/usr/bin/chromium'),
    apt: ['chromium'],
  },
  {
    name: 'the tslab TypeScript kernel, registered in notebooks/.tslab/jupyter',
    why: 'the notebooks are TypeScript; tslab lives in notebooks/.tslab so its TypeScript does not shadow ours; the notebook tests find its kernelspec through JUPYTER_PATH',
    present: tslabKernelRegistered,
    run: [
      'npm ci --prefix notebooks/.tslab --no-audit --no-fund',
      // The README's command, into the checkout: it registers tslab through the Python that runs `jupyter`.
      `node scripts/install-tslab-kernel.mjs --prefix ${KERNEL_PREFIX}`,
    ],
  },
  {
    name: 'the C actors built into dist/wasm',
    why: 'npm run build skips them when clang is absent; they are built again once it is there',
    present: () => cSources.every((file) => existsSync(join(root, 'dist', 'wasm', `c-${file.replace(/\.c$/, '')}.wasm`))),
    run: ['node src/wasm/build-wasm.mjs'],
  },
];

function report() {
  const missing = [];
  for (const p of PREREQUISITES) {
    const ok = p.present();
    process.stdout.write(`${ok ? 'ok     ' : 'MISSING'} ${p.name}${ok ? '' : ` — ${p.why}`}\n`);
    if (!ok) missing.push(p);
  }
  return missing;
}

/** The exact commands that bring `missing` in, in order: one apt-get update, one install, then the rest. */
function commands(missing, asRoot) {
  const sudo = asRoot ? '' : 'sudo ';
  const packages = missing.flatMap((p) => p.apt ?? []);
  const list = [];
  if (packages.length > 0) list.push(`${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${packages.join(' ')}`);
  for (const p of missing) list.push(...(p.run ?? []));
  return list;
}

process.stdout.write('test prerequisites:\n');
let missing = report();
if (missing.length === 0) {
  process.stdout.write('all test prerequisites present\n');
  process.exit(0);
}

const isRoot = process.getuid?.() === 0;
const needsApt = missing.some((p) => p.apt !== undefined);
const manual = missing.filter((p) => p.manual !== undefined);
if (manual.length > 0) {
  process.stderr.write(`\nnot installable from here:\n${manual.map((p) => `  ${p.name}: ${p.manual}\n`).join('')}`);
}
const canInstall = manual.length === 0 && (!needsApt || (isRoot && which('apt-get') !== undefined)) && which('npm') !== undefined;
if (mode !== 'install' || !canInstall) {
  const why = mode === 'dry-run' ? 'would run' : mode === 'check' ? 'to install them, run from the project root' : `cannot install them here (${needsApt && !isRoot ? 'not root' : 'no apt-get or npm'}); run from the project root`;
  process.stderr.write(`\n${why}:\n${commands(missing, isRoot).map((c) => `  ${c}\n`).join('')}`);
  process.exit(1);
}

// Install: apt-get first (the tslab kernel needs Jupyter, the C actors clang), each step echoed.
for (const command of commands(missing, true)) {
  process.stdout.write(`$ ${command}\n`);
  const result = spawnSync(command, { cwd: root, shell: true, stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.status !== 0) {
    process.stderr.write(`test-prerequisites: "${command}" failed (exit ${result.status ?? result.signal})\n`);
    process.exit(1);
  }
}
process.stdout.write('\nafter installing:\n');
missing = report();
if (missing.length > 0) {
  process.stderr.write(`test-prerequisites: still missing after installing: ${missing.map((p) => p.name).join('; ')}\n`);
  process.exit(1);
}
process.stdout.write('all test prerequisites present\n');
