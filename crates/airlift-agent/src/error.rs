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
    /// The server's TLS certificate did not verify: the wrong CA given (or none), or a
    /// captive portal answering in the server's place. The message says what to do.
    #[error("{0}")]
    Untrusted(String),
}

impl AgentError {
    pub fn code(&self) -> &'static str {
        match self {
            AgentError::Config(_) => "CONFIG",
            AgentError::Unreachable(_) => "UNREACHABLE",
            AgentError::Refused(_) => "REFUSED",
            AgentError::State(_) => "STATE",
            AgentError::Untrusted(_) => "TLS_UNTRUSTED",
        }
    }

    /// Process exit code: 2 configuration, 3 unreachable, 4 refused, 5 state, 6 the server's
    /// certificate not trusted.
    pub fn exit_code(&self) -> u8 {
        match self {
            AgentError::Config(_) => 2,
            AgentError::Unreachable(_) => 3,
            AgentError::Refused(_) => 4,
            AgentError::State(_) => 5,
            AgentError::Untrusted(_) => 6,
        }
    }

    pub fn from_call(e: CallError) -> Self {
        if let CallError::Untrusted(why) = &e {
            return AgentError::Untrusted(format!(
                "the server's TLS certificate is not trusted: {why}. If the server has a \
                 certificate of its own CA, give that CA's certificate with --ca-file (or \
                 --ca-cert, AIRLIFT_AGENT_CA_FILE in agent.env); a captive portal on this \
                 network answers like this too, and goes away by itself"
            ));
        }
        if e.is_transient() {
            AgentError::Unreachable(e.to_string())
        } else {
            AgentError::Refused(e.to_string())
        }
    }
}
