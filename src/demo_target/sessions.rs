//! `/login` and `/api/me`: bearer tokens the target issued and still remembers.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::bounded::{BoundedMap, random_hex_id};

/// Tokens remembered at once; the oldest are forgotten (and then answer 401), like expiry.
const MAX_SESSIONS: usize = 10_000;
/// Distinct user names counted by `GET /logins`; logins of further names are not counted.
const MAX_COUNTED_USERS: usize = 10_000;

/// Issued tokens → user names.
#[derive(Debug)]
pub struct Sessions {
    /// Short critical sections (one insert or lookup), never held across an `.await`.
    tokens: Mutex<BoundedMap<String>>,
    /// Logins per user name, for `GET /logins` (tests check who logged in). Short sections.
    logins: Mutex<BTreeMap<String, u64>>,
}

impl Default for Sessions {
    fn default() -> Self {
        Self {
            tokens: Mutex::new(BoundedMap::new(MAX_SESSIONS)),
            logins: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Sessions {
    /// Issues a fresh token for `user`.
    pub fn login(&self, user: &str) -> String {
        let token = random_hex_id();
        self.lock().insert(token.clone(), user.to_owned());
        let mut logins = self.logins.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = logins.get_mut(user) {
            *n += 1;
        } else if logins.len() < MAX_COUNTED_USERS {
            logins.insert(user.to_owned(), 1);
        }
        token
    }

    /// Logins so far by user name.
    pub fn logins(&self) -> BTreeMap<String, u64> {
        self.logins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The user a token was issued to.
    pub fn user(&self, token: &str) -> Option<String> {
        self.lock().get(token).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BoundedMap<String>> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The token of an `Authorization: Bearer <token>` header value.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_resolve() {
        let sessions = Sessions::default();
        let token = sessions.login("ada");
        assert_eq!(sessions.user(&token).as_deref(), Some("ada"));
        assert_eq!(sessions.user("forged"), None);
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }
}
