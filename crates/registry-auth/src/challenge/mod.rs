//! `WWW-Authenticate` challenges (RFC 7235): what a registry or token service
//! asks for when it answers 401.

mod bearer;
mod parser;

use std::fmt;

use http::header::WWW_AUTHENTICATE;
use http::HeaderMap;

pub use bearer::BearerChallenge;

use crate::Error;

/// One authentication challenge: a scheme with either parameters or a token68.
///
/// Parameter names are kept in lowercase (they are case-insensitive); the scheme
/// is kept as received and compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Challenge {
    scheme: String,
    token68: Option<String>,
    params: Vec<(String, String)>,
}

impl Challenge {
    /// Builds a challenge from a scheme and its parameters.
    ///
    /// The scheme and the parameter names must be RFC 7230 tokens; values may
    /// hold any characters (they are quoted when displayed).
    pub fn new<'a>(
        scheme: &str,
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, Error> {
        let scheme = checked_token(scheme, "a token for the scheme")?;
        let params = params
            .into_iter()
            .map(|(name, value)| {
                let name = checked_token(name, "a token for the parameter name")?;
                Ok((name.to_ascii_lowercase(), value.to_owned()))
            })
            .collect::<Result<_, Error>>()?;
        Ok(Self {
            scheme,
            token68: None,
            params,
        })
    }

    /// Builds a challenge that carries a token68 instead of parameters.
    pub fn with_token68(scheme: &str, token68: &str) -> Result<Self, Error> {
        let scheme = checked_token(scheme, "a token for the scheme")?;
        if !parser::is_token68(token68) {
            return Err(Error::ChallengeSyntax {
                header: token68.to_owned(),
                position: 0,
                expected: "a token68",
            });
        }
        Ok(Self {
            scheme,
            token68: Some(token68.to_owned()),
            params: Vec::new(),
        })
    }

    /// Parses one `WWW-Authenticate` header value, which may hold several challenges.
    pub fn parse(header: &str) -> Result<Vec<Self>, Error> {
        parser::parse_header(header)
    }

    /// Parses several `WWW-Authenticate` header values (a response may repeat the
    /// header), keeping the challenges in order. Any malformed value is an error.
    pub fn parse_all<'a>(header_values: impl IntoIterator<Item = &'a str>) -> Result<Vec<Self>, Error> {
        let mut challenges = Vec::new();
        for value in header_values {
            challenges.extend(Self::parse(value)?);
        }
        Ok(challenges)
    }

    /// Parses every `WWW-Authenticate` header of a response.
    ///
    /// Bytes outside visible ASCII (allowed in quoted strings as `obs-text`) are
    /// read as UTF-8, replacing what is not.
    pub fn from_headers(headers: &HeaderMap) -> Result<Vec<Self>, Error> {
        let values: Vec<String> = headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .collect();
        Self::parse_all(values.iter().map(String::as_str))
    }

    /// The scheme, as the server spelled it.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// Whether the scheme is `name`, ignoring ASCII case.
    pub fn is_scheme(&self, name: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(name)
    }

    /// Whether this is a `Bearer` challenge (the token protocol).
    pub fn is_bearer(&self) -> bool {
        self.is_scheme("bearer")
    }

    /// Whether this is a `Basic` challenge (RFC 7617).
    pub fn is_basic(&self) -> bool {
        self.is_scheme("basic")
    }

    /// The token68, when the challenge carries one instead of parameters.
    pub fn token68(&self) -> Option<&str> {
        self.token68.as_deref()
    }

    /// The value of parameter `name` (case-insensitive); the first one if repeated.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every parameter in order, names in lowercase.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// Formats the challenge as a header value that [`Challenge::parse`] reads back;
/// every parameter value is quoted.
impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        if let Some(token68) = &self.token68 {
            return write!(f, " {token68}");
        }
        for (index, (name, value)) in self.params.iter().enumerate() {
            f.write_str(if index == 0 { " " } else { ", " })?;
            write!(f, "{name}=\"")?;
            for c in value.chars() {
                if c == '"' || c == '\\' {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str("\"")?;
        }
        Ok(())
    }
}

fn checked_token(text: &str, expected: &'static str) -> Result<String, Error> {
    if parser::is_token(text) {
        Ok(text.to_owned())
    } else {
        let position = text.bytes().position(|b| !parser::is_tchar(b)).unwrap_or(0);
        Err(Error::ChallengeSyntax {
            header: text.to_owned(),
            position,
            expected,
        })
    }
}

#[cfg(test)]
mod tests;
