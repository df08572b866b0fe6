/work/main/native-bench/polyglot/rust/target/wasm32-unknown-unknown/release/deps/plexspaces-4ca3e5b9334ddb6f.rmeta: /work/main/sdks/rust/src/lib.rs /work/main/sdks/rust/src/host.rs /work/main/sdks/rust/src/message.rs /work/main/sdks/rust/src/runtime.rs

/work/main/native-bench/polyglot/rust/target/wasm32-unknown-unknown/release/deps/libplexspaces-4ca3e5b9334ddb6f.rlib: /work/main/sdks/rust/src/lib.rs /work/main/sdks/rust/src/host.rs /work/main/sdks/rust/src/message.rs /work/main/sdks/rust/src/runtime.rs

/work/main/native-bench/polyglot/rust/target/wasm32-unknown-unknown/release/deps/plexspaces-4ca3e5b9334ddb6f.d: /work/main/sdks/rust/src/lib.rs /work/main/sdks/rust/src/host.rs /work/main/sdks/rust/src/message.rs /work/main/sdks/rust/src/runtime.rs

/work/main/sdks/rust/src/lib.rs:
/work/main/sdks/rust/src/host.rs:
/work/main/sdks/rust/src/message.rs:
/work/main/sdks/rust/src/runtime.rs:
