//! Values that are valid by construction: parsed once at the handler boundary.

use std::fmt;

use shared::auth::AuthUser;
use shared::permissions::PermissionSet;
use shared::{ApiError, ApiResult};

/// A lower-cased, syntactically valid email address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let normalized = raw.trim().to_lowercase();
        if normalized.len() > 254 {
            return Err("must be at most 254 characters".into());
        }
        if !email_address::EmailAddress::is_valid(&normalized) {
            return Err("is not a valid email address".into());
        }
        Ok(Self(normalized))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password meeting the policy (8 to 128 characters, not only spaces). Never printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars == 0 {
            return Err("is required".into());
        }
        if chars < 8 {
            return Err("must be at least 8 characters".into());
        }
        if chars > 128 {
            return Err("must be at most 128 characters".into());
        }
        if raw.trim().is_empty() {
            return Err("must not be blank".into());
        }
        Ok(Self(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

pub use shared::text::{optional_text, text};

/// A role or department code: lower-case letters, digits, `_` (and `-` where allowed).
pub fn code(raw: &str, allow_dash: bool) -> Result<String, String> {
    let c = raw.trim();
    let ok = (2..=50).contains(&c.len())
        && c.starts_with(|ch: char| ch.is_ascii_lowercase())
        && c.chars().all(|ch| {
            ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_' || (allow_dash && ch == '-')
        });
    if ok {
        Ok(c.to_string())
    } else {
        Err("must be 2-50 lower-case letters, digits or underscores, starting with a letter".into())
    }
}

/// A PATCH text field: a blank value clears it like `null`.
pub fn patch_text(
    field: shared::patch::Patch<String>,
    max: usize,
) -> Result<shared::patch::Patch<String>, String> {
    use shared::patch::Patch;
    match field {
        Patch::Value(v) => Ok(match optional_text(Some(&v), max)? {
            Some(t) => Patch::Value(t),
            None => Patch::Null,
        }),
        other => Ok(other),
    }
}

/// A 403 unless the caller holds every permission in `target`.
pub fn require_cover(caller: &AuthUser, target: &PermissionSet) -> ApiResult<()> {
    if caller.permissions.covers(target) {
        Ok(())
    } else {
        let missing = target
            .iter()
            .find(|p| !caller.permissions.grants(*p))
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        Err(ApiError::Forbidden(missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            Email::parse(" Ivan@Theatre.RU ").unwrap().as_str(),
            "ivan@theatre.ru"
        );
        assert!(Email::parse("not-an-email").is_err());
        assert!(Email::parse("").is_err());
    }

    #[test]
    fn short_passwords_are_refused_and_never_printed() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("        ").is_err());
        let p = Password::parse("correct horse").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
    }

    #[test]
    fn codes_follow_the_pattern() {
        assert!(code("tech_director", false).is_ok());
        assert!(code("Bad Code", false).is_err());
        assert!(code("main-stage", false).is_err());
        assert!(code("main-stage", true).is_ok());
    }
}
