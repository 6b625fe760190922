//! The rollout engine's pure parts: who is eligible ([`plan`]), how a strategy drives the
//! aggregate after every change ([`drive`]), and the request rules ([`request`]). The state
//! machine itself is airlift-core's `RolloutAggregate`; `crate::engine` applies them, one
//! transaction per change.

pub mod drive;
pub mod plan;
pub mod request;

/// Who made a change: a user (JWT subject and role) or the server itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub role: String,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            name: "system".to_owned(),
            role: "system".to_owned(),
        }
    }
}

/// When and by whom a change is made.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Actor,
    pub at: String,
    pub now_unix: i64,
}

impl Ctx {
    pub fn now(actor: Actor) -> Ctx {
        Ctx {
            actor,
            at: crate::ids::now(),
            now_unix: crate::ids::unix_now(),
        }
    }
}

/// An operator's rollout action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolloutAction {
    Pause,
    Resume,
    Advance(u32),
    Rollback,
    Cancel,
}

/// A validated rollout request, with its new id and who asked.
#[derive(Debug, Clone)]
pub struct NewRollout {
    pub id: String,
    pub tenant_id: String,
    pub request: request::RolloutRequest,
    pub ctx: Ctx,
}
