//! The registry's own explanation of a failure: the `errors` array of an error response.
//!
//! Registries answer a failed request with `{"errors":[{"code","message","detail"}]}`. The codes
//! the distribution spec defines become [`ErrorCode`] variants so callers can branch on them;
//! anything else is kept verbatim so no information is lost.

use std::fmt;

use serde::Deserialize;

/// A registry error code from the distribution spec, or one it does not define.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `BLOB_UNKNOWN`: the blob is not in the repository.
    BlobUnknown,
    /// `BLOB_UPLOAD_INVALID`: the upload failed (bad range, bad data).
    BlobUploadInvalid,
    /// `BLOB_UPLOAD_UNKNOWN`: the upload does not exist (any more).
    BlobUploadUnknown,
    /// `DIGEST_INVALID`: the content did not match the digest given.
    DigestInvalid,
    /// `MANIFEST_BLOB_UNKNOWN`: a manifest references a blob the repository lacks.
    ManifestBlobUnknown,
    /// `MANIFEST_INVALID`: the manifest failed validation.
    ManifestInvalid,
    /// `MANIFEST_UNKNOWN`: no manifest under that tag or digest.
    ManifestUnknown,
    /// `MANIFEST_UNVERIFIED`: a schema1 signature did not verify.
    ManifestUnverified,
    /// `NAME_INVALID`: the repository name is malformed.
    NameInvalid,
    /// `NAME_UNKNOWN`: the repository does not exist.
    NameUnknown,
    /// `SIZE_INVALID`: the content length did not match.
    SizeInvalid,
    /// `TAG_INVALID`: the tag in the manifest does not match the URL.
    TagInvalid,
    /// `UNAUTHORIZED`: credentials are required or were rejected.
    Unauthorized,
    /// `DENIED`: the credentials lack access to the resource.
    Denied,
    /// `UNSUPPORTED`: the operation is not supported by this registry.
    Unsupported,
    /// `TOOMANYREQUESTS`: rate limited.
    TooManyRequests,
    /// A code outside the spec, kept as sent.
    Unknown(String),
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::BlobUnknown => "BLOB_UNKNOWN",
            ErrorCode::BlobUploadInvalid => "BLOB_UPLOAD_INVALID",
            ErrorCode::BlobUploadUnknown => "BLOB_UPLOAD_UNKNOWN",
            ErrorCode::DigestInvalid => "DIGEST_INVALID",
            ErrorCode::ManifestBlobUnknown => "MANIFEST_BLOB_UNKNOWN",
            ErrorCode::ManifestInvalid => "MANIFEST_INVALID",
            ErrorCode::ManifestUnknown => "MANIFEST_UNKNOWN",
            ErrorCode::ManifestUnverified => "MANIFEST_UNVERIFIED",
            ErrorCode::NameInvalid => "NAME_INVALID",
            ErrorCode::NameUnknown => "NAME_UNKNOWN",
            ErrorCode::SizeInvalid => "SIZE_INVALID",
            ErrorCode::TagInvalid => "TAG_INVALID",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Denied => "DENIED",
            ErrorCode::Unsupported => "UNSUPPORTED",
            ErrorCode::TooManyRequests => "TOOMANYREQUESTS",
            ErrorCode::Unknown(code) => code,
        }
    }

    /// Whether the code says the named thing does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            ErrorCode::BlobUnknown
                | ErrorCode::BlobUploadUnknown
                | ErrorCode::ManifestUnknown
                | ErrorCode::NameUnknown
        )
    }
}

impl From<&str> for ErrorCode {
    fn from(code: &str) -> ErrorCode {
        match code {
            "BLOB_UNKNOWN" => ErrorCode::BlobUnknown,
            "BLOB_UPLOAD_INVALID" => ErrorCode::BlobUploadInvalid,
            "BLOB_UPLOAD_UNKNOWN" => ErrorCode::BlobUploadUnknown,
            "DIGEST_INVALID" => ErrorCode::DigestInvalid,
            "MANIFEST_BLOB_UNKNOWN" => ErrorCode::ManifestBlobUnknown,
            "MANIFEST_INVALID" => ErrorCode::ManifestInvalid,
            "MANIFEST_UNKNOWN" => ErrorCode::ManifestUnknown,
            "MANIFEST_UNVERIFIED" => ErrorCode::ManifestUnverified,
            "NAME_INVALID" => ErrorCode::NameInvalid,
            "NAME_UNKNOWN" => ErrorCode::NameUnknown,
            "SIZE_INVALID" => ErrorCode::SizeInvalid,
            "TAG_INVALID" => ErrorCode::TagInvalid,
            "UNAUTHORIZED" => ErrorCode::Unauthorized,
            "DENIED" => ErrorCode::Denied,
            "UNSUPPORTED" => ErrorCode::Unsupported,
            "TOOMANYREQUESTS" => ErrorCode::TooManyRequests,
            other => ErrorCode::Unknown(other.to_owned()),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of a registry's `errors` array.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    code: ErrorCode,
    message: String,
    detail: Option<serde_json::Value>,
}

impl Diagnostic {
    /// The error code.
    pub fn code(&self) -> &ErrorCode {
        &self.code
    }

    /// The human-readable message the registry sent (may be empty).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The structured detail, when the registry sent one.
    pub fn detail(&self) -> Option<&serde_json::Value> {
        self.detail.as_ref()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        match &self.detail {
            None | Some(serde_json::Value::Null) => Ok(()),
            Some(serde_json::Value::String(s)) if s.is_empty() => Ok(()),
            Some(detail) => write!(f, " ({detail})"),
        }
    }
}

#[derive(Deserialize)]
struct WireBody {
    #[serde(default)]
    errors: Vec<WireDiagnostic>,
}

#[derive(Deserialize)]
struct WireDiagnostic {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    detail: Option<serde_json::Value>,
}

/// The diagnostics in an error body; empty when the body is not the spec's JSON shape.
///
/// A body that is not JSON (an HTML page from a proxy, say) carries no codes to branch on, so
/// it yields nothing rather than an invented code; the status still tells what happened.
pub(crate) fn parse_diagnostics(body: &[u8]) -> Vec<Diagnostic> {
    let Ok(wire) = serde_json::from_slice::<WireBody>(body) else {
        return Vec::new();
    };
    wire.errors
        .into_iter()
        .map(|d| Diagnostic {
            code: ErrorCode::from(d.code.as_str()),
            message: d.message,
            detail: d.detail,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_round_trip() {
        let codes = [
            "BLOB_UNKNOWN",
            "BLOB_UPLOAD_INVALID",
            "BLOB_UPLOAD_UNKNOWN",
            "DIGEST_INVALID",
            "MANIFEST_BLOB_UNKNOWN",
            "MANIFEST_INVALID",
            "MANIFEST_UNKNOWN",
            "MANIFEST_UNVERIFIED",
            "NAME_INVALID",
            "NAME_UNKNOWN",
            "SIZE_INVALID",
            "TAG_INVALID",
            "UNAUTHORIZED",
            "DENIED",
            "UNSUPPORTED",
            "TOOMANYREQUESTS",
        ];
        for code in codes {
            let parsed = ErrorCode::from(code);
            assert!(!matches!(parsed, ErrorCode::Unknown(_)), "{code} should be known");
            assert_eq!(parsed.as_str(), code);
        }
        assert_eq!(
            ErrorCode::from("QUOTA_EXCEEDED"),
            ErrorCode::Unknown("QUOTA_EXCEEDED".into())
        );
    }

    #[test]
    fn bodies_parse_into_diagnostics() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            (
                r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#,
                &[("MANIFEST_UNKNOWN", "manifest unknown")],
            ),
            (
                r#"{"errors":[{"code":"DENIED","message":"no"},{"code":"X_CUSTOM","message":""}]}"#,
                &[("DENIED", "no"), ("X_CUSTOM", "")],
            ),
            (r#"{"errors":[]}"#, &[]),
            (r#"{}"#, &[]),
            ("<html>bad gateway</html>", &[]),
            ("", &[]),
        ];
        for (body, expected) in cases {
            let got: Vec<(String, String)> = parse_diagnostics(body.as_bytes())
                .iter()
                .map(|d| (d.code().to_string(), d.message().to_owned()))
                .collect();
            let want: Vec<(String, String)> = expected
                .iter()
                .map(|(c, m)| (c.to_string(), m.to_string()))
                .collect();
            assert_eq!(got, want, "body {body}");
        }
    }

    #[test]
    fn display_includes_detail_when_present() {
        let d = &parse_diagnostics(br#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry","detail":{"name":"a/b"}}]}"#)[0];
        assert_eq!(
            d.to_string(),
            r#"NAME_UNKNOWN: repository name not known to registry ({"name":"a/b"})"#
        );
        assert!(d.code().is_not_found());
    }
}
