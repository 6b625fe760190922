//! The agent's errors, each with a stable code (logs, `check`'s output, exit codes).

use airlift_device::CallError;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// A flag, a file it names, or the state directory is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// The server could not be reached (after retries).
    #[error("server unreachable: {0}")]
    Unreachable(String),
    /// The server answered, and refused (wrong token, unknown device).
    #[error("server refused: {0}")]
    Refused(String),
    /// Reading or writing the state directory failed.
    #[error("state directory: {0}")]
    State(String),
}

impl AgentError {
    pub fn code(&self) -> &'static str {
        match self {
            AgentError::Config(_) => "CONFIG",
            AgentError::Unreachable(_) => "UNREACHABLE",
            AgentError::Refused(_) => "REFUSED",
            AgentError::State(_) => "STATE",
        }
    }

    /// Process exit code: 2 configuration, 3 unreachable, 4 refused, 5 state.
    pub fn exit_code(&self) -> u8 {
        match self {
            AgentError::Config(_) => 2,
            AgentError::Unreachable(_) => 3,
            AgentError::Refused(_) => 4,
            AgentError::State(_) => 5,
        }
    }

    pub fn from_call(e: CallError) -> Self {
        if e.is_transient() {
            AgentError::Unreachable(e.to_string())
        } else {
            AgentError::Refused(e.to_string())
        }
    }
}
