/work/main/native-bench/polyglot/rust/target/wasm32-unknown-unknown/release/deps/itoa-d5ac57bc3e6c7229.rmeta: /usr/share/cargo/registry/itoa-1.0.1/src/lib.rs /usr/share/cargo/registry/itoa-1.0.1/src/udiv128.rs

/work/main/native-bench/polyglot/rust/target/wasm32-unknown-unknown/release/deps/libitoa-d5ac57bc3e6c7229.rlib: /usr/share/cargo/registry/itoa-1.0.1/src/lib.rs /usr/share/cargo/registry/itoa-1.0.1/src/udiv128.rs

/work/main/native-bench/polyglot/rust/target/wasm32-unknown-unknown/release/deps/itoa-d5ac57bc3e6c7229.d: /usr/share/cargo/registry/itoa-1.0.1/src/lib.rs /usr/share/cargo/registry/itoa-1.0.1/src/udiv128.rs

/usr/share/cargo/registry/itoa-1.0.1/src/lib.rs:
/usr/share/cargo/registry/itoa-1.0.1/src/udiv128.rs:
