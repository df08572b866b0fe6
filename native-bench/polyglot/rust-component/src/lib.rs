//! The polyglot benchmark's actor as a Rust component (../README.md): ping and spin, with the components SDK.
use plexspaces_sdk::{gen_server_actor, handler, json, plexspaces_handlers};

#[gen_server_actor]
struct BenchActor {}

#[plexspaces_handlers]
impl BenchActor {
    #[handler("ping")]
    fn ping(&mut self, _ctx: &ActorContext, _msg: &Message) -> Result<serde_json::Value, BehaviorError> {
        Ok(json!({ "pong": true }))
    }

    #[handler("spin")]
    fn spin(&mut self, _ctx: &ActorContext, msg: &Message) -> Result<serde_json::Value, BehaviorError> {
        let payload: serde_json::Value = serde_json::from_slice(&msg.payload)?;
        let n = payload["n"].as_i64().unwrap_or(0);
        let mut acc = 1.0f64;
        for i in 0..n {
            let v = (i % 7) as f64 + 1.0;
            acc = match i % 4 {
                0 => acc + v,
                1 => acc - v * 0.5,
                2 => acc * 1.0000001,
                _ => acc / 1.0000002,
            };
        }
        Ok(json!({ "result": (acc * 1e6) as i64 }))
    }
}
