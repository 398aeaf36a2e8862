//! A string that must never be printed: passwords, identity tokens, bearer tokens.

use std::fmt;
use std::sync::RwLock;

/// Secrets shorter than this are not redacted from text: replacing every `ab` in an error
/// line would garble it without protecting anything a guess would not find.
pub const MIN_REDACTED_LEN: usize = 4;

/// Every secret this process has held, for [`redact`].
static HELD: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remembers `value` as a secret of this process, so [`redact`] hides it wherever it shows
/// up, whoever put it there (a registry echoing a password in its error message, say).
pub fn remember_secret(value: &str) {
    if value.len() < MIN_REDACTED_LEN {
        return;
    }
    let mut held = HELD.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !held.iter().any(|known| known == value) {
        held.push(value.to_owned());
        // Longest first, so a secret containing another is hidden whole.
        held.sort_by_key(|known| std::cmp::Reverse(known.len()));
    }
}

/// `text` with every secret this process has held (passwords, tokens, identity tokens,
/// credential helper output, Basic credentials as sent) replaced by `<redacted>`. Everything
/// skiff prints passes through here.
pub fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    let held = HELD.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut text = std::borrow::Cow::Borrowed(text);
    for secret in held.iter() {
        if text.contains(secret.as_str()) {
            text = std::borrow::Cow::Owned(text.replace(secret.as_str(), "<redacted>"));
        }
    }
    text
}

/// A secret value: a password, an OAuth2 refresh token or a bearer token.
///
/// Its `Debug` output is `Secret(<redacted>)` and it has no `Display`, so a
/// secret cannot reach a log line or an error message by accident; reading it
/// takes an explicit [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        remember_secret(&value);
        Self(value)
    }

    /// The secret itself, for the one place that has to send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_secrets_are_redacted_from_any_text() {
        let _password = Secret::new("pass-word-1");
        let _token = Secret::from("pass-word-1-and-more");
        let _short = Secret::new("ab");
        assert_eq!(
            redact("echo: pass-word-1-and-more / pass-word-1 / ab"),
            "echo: <redacted> / <redacted> / ab"
        );
        assert!(matches!(redact("nothing here"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn debug_hides_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert_eq!(format!("{secret:#?}"), "Secret(<redacted>)");
        assert_eq!(secret.expose(), "hunter2");
    }
}
