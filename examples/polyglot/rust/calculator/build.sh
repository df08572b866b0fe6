#!/bin/sh
# Builds calculator.wasm with Debian's Rust 1.63 (wasm32 std, serde from /usr/share/cargo/registry,
# offline) — the same command `plexspaces build examples/polyglot/rust/calculator` runs.
set -eu
cd "$(dirname "$0")"
PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1 cargo build --release --target wasm32-unknown-unknown --offline \
  --config 'source.crates-io.replace-with="debian"' --config 'source.debian.directory="/usr/share/cargo/registry"'
cp target/wasm32-unknown-unknown/release/calculator_wasm_actor.wasm calculator.wasm
ls -l calculator.wasm
