/work/main/native-bench/polyglot/rust/target/wasm32-unknown-unknown/release/deps/polyglot_bench_actor.wasm: src/lib.rs

/work/main/native-bench/polyglot/rust/target/wasm32-unknown-unknown/release/deps/polyglot_bench_actor.d: src/lib.rs

src/lib.rs:
