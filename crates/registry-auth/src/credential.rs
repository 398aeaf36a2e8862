//! What a user authenticates with: nothing, a username and password, an OAuth2
//! identity (refresh) token, or a bearer token given directly.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::HeaderValue;

use crate::{Error, Secret};

/// The credentials for one registry.
///
/// `Debug` shows usernames but never passwords or tokens (they are [`Secret`]s).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credential {
    /// No credentials: the token service may still grant anonymous pulls.
    #[default]
    Anonymous,
    /// A username and password, sent as Basic authentication to the token
    /// service, or as an OAuth2 `password` grant.
    Basic {
        /// The username.
        username: String,
        /// The password.
        password: Secret,
    },
    /// An OAuth2 refresh token (Docker's `identitytoken`), exchanged with a
    /// `refresh_token` grant. Some registries pair it with a username.
    IdentityToken {
        /// The username stored beside the token, when there is one.
        username: Option<String>,
        /// The refresh token.
        token: Secret,
    },
    /// A bearer token for the registry itself (Docker's `registrytoken`), sent
    /// without any exchange.
    RegistryToken(Secret),
}

impl Credential {
    /// Username and password credentials.
    pub fn basic(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    /// Whether there are no credentials.
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Self::Anonymous)
    }

    /// The username, when the credentials have one.
    pub fn username(&self) -> Option<&str> {
        match self {
            Self::Basic { username, .. } => Some(username),
            Self::IdentityToken { username, .. } => username.as_deref(),
            Self::Anonymous | Self::RegistryToken(_) => None,
        }
    }

    /// `Authorization: Basic ...` for [`Credential::Basic`], for registries that
    /// challenge with `Basic` and for the token service's GET exchange; `None`
    /// for other credentials. The value is marked sensitive.
    pub fn basic_authorization_header(&self) -> Option<Result<HeaderValue, Error>> {
        match self {
            Self::Basic { username, password } => Some(basic_header(username, password)),
            _ => None,
        }
    }

    /// `Authorization: Bearer ...` for [`Credential::RegistryToken`]; `None` for
    /// other credentials. The value is marked sensitive.
    pub fn registry_token_header(&self) -> Option<Result<HeaderValue, Error>> {
        match self {
            Self::RegistryToken(token) => Some(bearer_header(token, "registry token from the credentials")),
            _ => None,
        }
    }
}

/// `Basic base64(username:password)`, refusing usernames RFC 7617 cannot carry.
pub(crate) fn basic_header(username: &str, password: &Secret) -> Result<HeaderValue, Error> {
    if let Some(reason) = username_problem(username) {
        return Err(Error::InvalidUsername {
            username: username.to_owned(),
            reason,
        });
    }
    let encoded = STANDARD.encode(format!("{username}:{}", password.expose()));
    // The encoded form is as good as the password to whoever reads it.
    crate::secret::remember_secret(&encoded);
    let mut value =
        HeaderValue::try_from(format!("Basic {encoded}")).map_err(|_| Error::UnsendableToken {
            origin: "Basic credentials",
        })?;
    value.set_sensitive(true);
    Ok(value)
}

/// `Bearer TOKEN`, refusing tokens that would break the header.
pub(crate) fn bearer_header(token: &Secret, origin: &'static str) -> Result<HeaderValue, Error> {
    let token = token.expose();
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::UnsendableToken { origin });
    }
    let mut value =
        HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| Error::UnsendableToken { origin })?;
    value.set_sensitive(true);
    Ok(value)
}

fn username_problem(username: &str) -> Option<&'static str> {
    if username.contains(':') {
        Some("it contains `:`")
    } else if username.chars().any(char::is_control) {
        Some("it contains a control character")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_encodes_user_and_password() {
        let header = Credential::basic("alice", "s3cret:with:colons").basic_authorization_header();
        let header = header.expect("basic credentials have a header").expect("valid");
        assert_eq!(
            header.to_str().expect("ascii"),
            "Basic YWxpY2U6czNjcmV0OndpdGg6Y29sb25z"
        );
        assert!(header.is_sensitive());
    }

    #[test]
    fn basic_header_refuses_a_colon_in_the_username() {
        let err = Credential::basic("al:ice", "pw")
            .basic_authorization_header()
            .expect("basic")
            .unwrap_err();
        assert!(matches!(err, Error::InvalidUsername { ref username, .. } if username == "al:ice"));
        assert!(!err.to_string().contains("pw"));
    }

    #[test]
    fn only_matching_credentials_have_headers() {
        assert!(Credential::Anonymous.basic_authorization_header().is_none());
        assert!(Credential::Anonymous.registry_token_header().is_none());
        let token = Credential::RegistryToken(Secret::new("abc.def"));
        assert!(token.basic_authorization_header().is_none());
        let header = token.registry_token_header().expect("token").expect("valid");
        assert_eq!(header.to_str().expect("ascii"), "Bearer abc.def");
        let broken = Credential::RegistryToken(Secret::new("abc\ndef"));
        assert!(matches!(
            broken.registry_token_header(),
            Some(Err(Error::UnsendableToken { .. }))
        ));
    }

    #[test]
    fn debug_shows_no_secret() {
        let all = [
            Credential::basic("alice", "hunter2"),
            Credential::IdentityToken {
                username: Some("bob".into()),
                token: Secret::new("hunter2"),
            },
            Credential::RegistryToken(Secret::new("hunter2")),
        ];
        for credential in all {
            let debug = format!("{credential:?} {credential:#?}");
            assert!(!debug.contains("hunter2"), "{debug}");
        }
    }
}
