//! The API's roles and what each may do (the spec's role table), once: the server enforces it
//! on every route, the desktop app and the CLI read it to disable or refuse early what the
//! server would refuse.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A user's role within a tenant (the spec's three).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Admin,
    ReleaseManager,
    /// Read-only: catalog, rollouts, devices, histories.
    Support,
}

/// What a route needs, coarse on purpose: a new route picks one of these instead of inventing
/// its own rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read the tenant's catalog, uploads, fleet and settings.
    Read,
    /// Create uploads, images and packages; start and steer rollouts.
    Publish,
    /// Create profiles and provision devices.
    Provision,
    /// Tenant settings and signing keys.
    Administer,
    /// Read the audit log (spec: admin and support; release managers act, they do not audit).
    ReadAudit,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ReleaseManager => "release-manager",
            Role::Support => "support",
        }
    }

    /// The spec's role table: admin does everything in its tenant; release managers handle
    /// packages, uploads, rollouts and provisioning; support only reads.
    pub fn allows(self, permission: Permission) -> bool {
        match self {
            Role::Admin => true,
            Role::ReleaseManager => {
                !matches!(permission, Permission::Administer | Permission::ReadAudit)
            }
            Role::Support => matches!(permission, Permission::Read | Permission::ReadAudit),
        }
    }

    /// Whether the role may upload, publish, start and steer rollouts (pause, resume, advance,
    /// roll back, retry).
    pub fn can_operate_rollouts(self) -> bool {
        self.allows(Permission::Publish)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "admin" => Ok(Role::Admin),
            "release-manager" => Ok(Role::ReleaseManager),
            "support" => Ok(Role::Support),
            other => Err(format!(
                "unknown role {other:?} (expected admin, release-manager or support)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_table() {
        use Permission::*;
        for p in [Read, Publish, Provision, Administer, ReadAudit] {
            assert!(Role::Admin.allows(p));
            assert_eq!(
                Role::ReleaseManager.allows(p),
                !matches!(p, Administer | ReadAudit),
                "{p:?}"
            );
            assert_eq!(
                Role::Support.allows(p),
                matches!(p, Read | ReadAudit),
                "{p:?}"
            );
        }
        assert!(Role::ReleaseManager.can_operate_rollouts());
        assert!(!Role::Support.can_operate_rollouts());
    }

    #[test]
    fn names_round_trip_and_unknown_names_say_what_is_allowed() {
        for r in [Role::Admin, Role::ReleaseManager, Role::Support] {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        let e = "owner".parse::<Role>().unwrap_err();
        assert!(e.contains("admin, release-manager or support"), "{e}");
    }
}
