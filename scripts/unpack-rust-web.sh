#!/bin/sh
# Unpacks Debian's Rust 1.96 (rustc-web, bookworm-security) into
# .plexspaces/toolchains/rust-web for building Rust *components* (wit-bindgen
# needs a newer Rust than Debian's rustc 1.63, and rustup's toolchains here have
# no wasm32 standard library and cannot download one). Unpacked, not installed:
# rustc-web conflicts with the rustc 1.63 package that builds the Rust core
# modules offline, and both are needed. The standard library is built from
# rust-web-src (cargo -Zbuild-std); its crates come from crates.io.
set -eu
cd "$(dirname "$0")/.."
target=.plexspaces/toolchains/rust-web
packages="rustc-web cargo-web libstd-rust-web-dev libstd-rust-web-1.96 rust-web-src libllvm22"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download $packages || { apt-get update && apt-get download $packages; }
cd - > /dev/null
rm -rf "$target.partial"
mkdir -p "$target.partial"
for deb in "$work"/*.deb; do dpkg -x "$deb" "$target.partial"; done
rm -rf "$target"
mv "$target.partial" "$target"
echo "unpacked $(ls "$work" | wc -l) packages into $target"
