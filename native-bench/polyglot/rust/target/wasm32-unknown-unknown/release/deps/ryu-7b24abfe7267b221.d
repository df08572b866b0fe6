/work/main/native-bench/polyglot/rust/target/wasm32-unknown-unknown/release/deps/ryu-7b24abfe7267b221.rmeta: /usr/share/cargo/registry/ryu-1.0.2/src/lib.rs /usr/share/cargo/registry/ryu-1.0.2/src/buffer/mod.rs /usr/share/cargo/registry/ryu-1.0.2/src/common.rs /usr/share/cargo/registry/ryu-1.0.2/src/d2s.rs /usr/share/cargo/registry/ryu-1.0.2/src/d2s_full_table.rs /usr/share/cargo/registry/ryu-1.0.2/src/d2s_intrinsics.rs /usr/share/cargo/registry/ryu-1.0.2/src/digit_table.rs /usr/share/cargo/registry/ryu-1.0.2/src/f2s.rs /usr/share/cargo/registry/ryu-1.0.2/src/pretty/mod.rs /usr/share/cargo/registry/ryu-1.0.2/src/pretty/exponent.rs /usr/share/cargo/registry/ryu-1.0.2/src/pretty/mantissa.rs

/work/main/native-bench/polyglot/rust/target/wasm32-unknown-unknown/release/deps/libryu-7b24abfe7267b221.rlib: /usr/share/cargo/registry/ryu-1.0.2/src/lib.rs /usr/share/cargo/registry/ryu-1.0.2/src/buffer/mod.rs /usr/share/cargo/registry/ryu-1.0.2/src/common.rs /usr/share/cargo/registry/ryu-1.0.2/src/d2s.rs /usr/share/cargo/registry/ryu-1.0.2/src/d2s_full_table.rs /usr/share/cargo/registry/ryu-1.0.2/src/d2s_intrinsics.rs /usr/share/cargo/registry/ryu-1.0.2/src/digit_table.rs /usr/share/cargo/registry/ryu-1.0.2/src/f2s.rs /usr/share/cargo/registry/ryu-1.0.2/src/pretty/mod.rs /usr/share/cargo/registry/ryu-1.0.2/src/pretty/exponent.rs /usr/share/cargo/registry/ryu-1.0.2/src/pretty/mantissa.rs

/work/main/native-bench/polyglot/rust/target/wasm32-unknown-unknown/release/deps/ryu-7b24abfe7267b221.d: /usr/share/cargo/registry/ryu-1.0.2/src/lib.rs /usr/share/cargo/registry/ryu-1.0.2/src/buffer/mod.rs /usr/share/cargo/registry/ryu-1.0.2/src/common.rs /usr/share/cargo/registry/ryu-1.0.2/src/d2s.rs /usr/share/cargo/registry/ryu-1.0.2/src/d2s_full_table.rs /usr/share/cargo/registry/ryu-1.0.2/src/d2s_intrinsics.rs /usr/share/cargo/registry/ryu-1.0.2/src/digit_table.rs /usr/share/cargo/registry/ryu-1.0.2/src/f2s.rs /usr/share/cargo/registry/ryu-1.0.2/src/pretty/mod.rs /usr/share/cargo/registry/ryu-1.0.2/src/pretty/exponent.rs /usr/share/cargo/registry/ryu-1.0.2/src/pretty/mantissa.rs

/usr/share/cargo/registry/ryu-1.0.2/src/lib.rs:
/usr/share/cargo/registry/ryu-1.0.2/src/buffer/mod.rs:
/usr/share/cargo/registry/ryu-1.0.2/src/common.rs:
/usr/share/cargo/registry/ryu-1.0.2/src/d2s.rs:
/usr/share/cargo/registry/ryu-1.0.2/src/d2s_full_table.rs:
/usr/share/cargo/registry/ryu-1.0.2/src/d2s_intrinsics.rs:
/usr/share/cargo/registry/ryu-1.0.2/src/digit_table.rs:
/usr/share/cargo/registry/ryu-1.0.2/src/f2s.rs:
/usr/share/cargo/registry/ryu-1.0.2/src/pretty/mod.rs:
/usr/share/cargo/registry/ryu-1.0.2/src/pretty/exponent.rs:
/usr/share/cargo/registry/ryu-1.0.2/src/pretty/mantissa.rs:
