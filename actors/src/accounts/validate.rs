//! Field validation with PeerTube's rules.

use crate::error::AccountError;

/// Usernames: 1..=50 characters of `[a-z0-9._]` (PeerTube's `isUserUsernameValid`).
pub fn username(name: &str) -> Result<(), AccountError> {
    let len = name.chars().count();
    if !(1..=50).contains(&len) {
        return Err(invalid("username", "must be 1 to 50 characters"));
    }
    if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_') {
        return Err(invalid("username", "may only contain a-z, 0-9, '.' and '_'"));
    }
    if name == crate::activitypub::INSTANCE_ACTOR_NAME {
        // `/accounts/peertube` is the instance's own ActivityPub actor.
        return Err(invalid("username", "is reserved for the instance"));
    }
    Ok(())
}

/// Passwords: 6..=255 characters.
pub fn password(password: &str) -> Result<(), AccountError> {
    let len = password.chars().count();
    if !(6..=255).contains(&len) {
        return Err(invalid("password", "must be 6 to 255 characters"));
    }
    Ok(())
}

/// Channel names: 1..=50 characters of `[a-zA-Z0-9\-_.:]` (PeerTube's actor name rule).
pub fn channel_name(name: &str) -> Result<(), AccountError> {
    let len = name.chars().count();
    if !(1..=50).contains(&len) {
        return Err(invalid("channel name", "must be 1 to 50 characters"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')) {
        return Err(invalid("channel name", "may only contain letters, digits, '-', '_', '.' and ':'"));
    }
    Ok(())
}

/// E-mail addresses: something@something, at most 400 characters, no whitespace.
pub fn email(email: &str) -> Result<(), AccountError> {
    let ok = email.len() <= 400
        && !email.chars().any(char::is_whitespace)
        && matches!(email.split_once('@'), Some((local, domain)) if !local.is_empty() && !domain.is_empty());
    if ok {
        Ok(())
    } else {
        Err(invalid("email", "must look like name@host"))
    }
}

/// Quotas: -1 (unlimited) or a byte count.
pub fn quota(field: &'static str, quota: i64) -> Result<(), AccountError> {
    if quota < -1 {
        return Err(invalid(field, "must be -1 (unlimited) or a byte count"));
    }
    Ok(())
}

fn invalid(field: &'static str, reason: &str) -> AccountError {
    AccountError::Invalid { field, reason: reason.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_peertube() {
        assert!(username("alice_01.x").is_ok());
        assert!(username("").is_err());
        assert!(username("Alice").is_err());
        assert!(username("a-b").is_err());
        assert!(username(&"a".repeat(50)).is_ok());
        assert!(username(&"a".repeat(51)).is_err());
        assert!(username("peertube").is_err(), "the instance actor's name");
    }

    #[test]
    fn passwords_and_channels() {
        assert!(password("12345").is_err());
        assert!(password("123456").is_ok());
        assert!(password(&"x".repeat(256)).is_err());
        assert!(channel_name("alice_channel").is_ok());
        assert!(channel_name("bad name").is_err());
        assert!(email("a@b").is_ok());
        assert!(email("ab").is_err());
        assert!(quota("videoQuota", -2).is_err());
    }
}
