//! The fixed permission vocabulary (DOMAIN.md) and sets of it.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! permissions {
    ($($variant:ident => $text:literal),+ $(,)?) => {
        /// One permission string of the fixed vocabulary.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Permission { $($variant),+ }

        impl Permission {
            /// Every permission, in vocabulary order.
            pub const ALL: &'static [Permission] = &[$(Permission::$variant),+];

            /// The wire form, e.g. `inventory:view`.
            pub fn as_str(self) -> &'static str {
                match self { $(Permission::$variant => $text),+ }
            }
        }

        impl FromStr for Permission {
            type Err = UnknownPermission;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($text => Ok(Permission::$variant),)+ _ => Err(UnknownPermission(s.to_string())) }
            }
        }
    };
}

permissions! {
    InventoryView => "inventory:view",
    InventoryCreate => "inventory:create",
    InventoryEdit => "inventory:edit",
    InventoryDelete => "inventory:delete",
    InventoryWriteOff => "inventory:write_off",
    InventoryReserve => "inventory:reserve",
    DocumentsView => "documents:view",
    DocumentsViewFinancial => "documents:view_financial",
    DocumentsCreate => "documents:create",
    DocumentsEdit => "documents:edit",
    DocumentsDelete => "documents:delete",
    PerformanceView => "performance:view",
    PerformanceCreate => "performance:create",
    PerformanceEdit => "performance:edit",
    PerformanceDelete => "performance:delete",
    ScheduleView => "schedule:view",
    ScheduleEdit => "schedule:edit",
    UsersView => "users:view",
    UsersCreate => "users:create",
    UsersEdit => "users:edit",
    UsersDelete => "users:delete",
    AuditView => "audit:view",
    SystemSettings => "system:settings",
    AdminFull => "admin:full",
}

/// A string outside the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission {0:?}")]
pub struct UnknownPermission(pub String);

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The effective permissions of a user (the union over their roles).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PermissionSet(BTreeSet<Permission>);

impl PermissionSet {
    /// Parses strings, silently dropping ones outside the vocabulary (the database refuses to
    /// store those, so only a retired permission could be dropped here).
    pub fn from_strings<I, S>(items: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self(
            items
                .into_iter()
                .filter_map(|s| s.as_ref().parse().ok())
                .collect(),
        )
    }

    /// Whether the set grants `p` (`admin:full` grants everything).
    pub fn grants(&self, p: Permission) -> bool {
        self.0.contains(&Permission::AdminFull) || self.0.contains(&p)
    }

    /// Whether every permission of `other` is granted by this set (no privilege escalation).
    pub fn covers(&self, other: &PermissionSet) -> bool {
        other.0.iter().all(|p| self.grants(*p))
    }

    /// The permissions as wire strings.
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(|p| p.as_str().to_string()).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<T: IntoIterator<Item = Permission>>(iter: T) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_round_trips_through_its_string() {
        for p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>().unwrap(), *p);
        }
        assert_eq!(Permission::ALL.len(), 24);
    }

    #[test]
    fn unknown_strings_are_refused() {
        assert!("inventory:fly".parse::<Permission>().is_err());
        assert!("".parse::<Permission>().is_err());
    }

    #[test]
    fn admin_full_grants_everything_and_covers_any_set() {
        let admin = PermissionSet::from_strings(["admin:full"]);
        assert!(admin.grants(Permission::AuditView));
        let viewer = PermissionSet::from_strings(["inventory:view"]);
        assert!(admin.covers(&viewer));
        assert!(!viewer.covers(&admin));
        assert!(!viewer.grants(Permission::InventoryEdit));
    }
}
