//! The name an image carries inside a layout: the value of its
//! `org.opencontainers.image.ref.name` annotation, validated.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A tag inside an OCI image layout, validated against the image
/// specification's `org.opencontainers.image.ref.name` grammar:
///
/// ```text
/// ref       ::= component ("/" component)*
/// component ::= alphanum (separator alphanum)*
/// alphanum  ::= [A-Za-z0-9]+
/// separator ::= [-._:@+] | "--"
/// ```
///
/// The grammar admits no empty component, no leading or trailing separator
/// and no `..`, so a tag can never name a path outside the layout even if a
/// tool were to use it as a file name.
///
/// ```
/// use registry_client::layout::LayoutTag;
///
/// let tag: LayoutTag = "v1.2.3".parse().unwrap();
/// assert_eq!(tag.as_str(), "v1.2.3");
/// assert!("../escape".parse::<LayoutTag>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LayoutTag(Box<str>);

impl LayoutTag {
    /// The tag as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `input` as a tag, or what about it breaks the grammar.
    pub(crate) fn check(input: &str) -> Result<LayoutTag, &'static str> {
        match grammar_violation(input) {
            None => Ok(LayoutTag(input.into())),
            Some(reason) => Err(reason),
        }
    }
}

/// Why `input` breaks the ref.name grammar, if it does.
fn grammar_violation(input: &str) -> Option<&'static str> {
    if input.is_empty() {
        return Some("it is empty");
    }
    for component in input.split('/') {
        if component.is_empty() {
            return Some("a `/` must sit between two non-empty components");
        }
        if let Some(reason) = component_violation(component) {
            return Some(reason);
        }
    }
    None
}

/// Checks one `/`-free component: alphanumeric runs joined by single
/// separators from `-._:@+`, or by exactly `--`.
fn component_violation(component: &str) -> Option<&'static str> {
    let bytes = component.as_bytes();
    let mut i = 0;
    let mut expect_alphanum = true;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte.is_ascii_alphanumeric() {
            expect_alphanum = false;
            i += 1;
            continue;
        }
        if !matches!(byte, b'-' | b'.' | b'_' | b':' | b'@' | b'+') {
            return Some("only letters, digits, `/` and the separators - . _ : @ + are allowed");
        }
        if expect_alphanum {
            return Some("a separator must sit between letters or digits");
        }
        // `--` is the one two-character separator.
        let width = if byte == b'-' && bytes.get(i + 1) == Some(&b'-') {
            2
        } else {
            1
        };
        i += width;
        expect_alphanum = true;
    }
    expect_alphanum.then_some("a component must not end with a separator")
}

impl FromStr for LayoutTag {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        LayoutTag::check(input).map_err(|reason| Error::InvalidLayoutTag {
            tag: input.to_owned(),
            reason,
        })
    }
}

impl TryFrom<&str> for LayoutTag {
    type Error = Error;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl AsRef<str> for LayoutTag {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LayoutTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for LayoutTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LayoutTag({})", self.0)
    }
}

impl serde::Serialize for LayoutTag {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for LayoutTag {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_grammar() {
        let valid = [
            "latest",
            "v1.2.3",
            "a",
            "A9",
            "1.0-rc1",
            "a--b",
            "a_b",
            "a:b",
            "a@b",
            "a+b",
            "example.com/library/busybox:1.36",
            "repo@sha256:abc",
            "x/y/z",
        ];
        for tag in valid {
            let parsed: LayoutTag = tag.parse().unwrap_or_else(|e| panic!("{tag:?} rejected: {e}"));
            assert_eq!(parsed.as_str(), tag);
            assert_eq!(parsed.to_string(), tag);
        }
    }

    #[test]
    fn rejects_everything_else() {
        let invalid = [
            ("", "empty"),
            ("..", "separator"),
            ("../etc", "separator"),
            ("a/../b", "separator"),
            ("/abs", "`/`"),
            ("a/", "`/`"),
            ("a//b", "`/`"),
            (".hidden", "separator"),
            ("a.", "end"),
            ("a..b", "separator"),
            ("a---b", "separator"),
            ("a-.b", "separator"),
            ("a b", "only"),
            ("a\\b", "only"),
            ("a\0b", "only"),
            ("ä", "only"),
            ("-a", "separator"),
        ];
        for (tag, reason_part) in invalid {
            match tag.parse::<LayoutTag>() {
                Ok(parsed) => panic!("{tag:?} accepted as {parsed:?}"),
                Err(Error::InvalidLayoutTag { tag: named, reason }) => {
                    assert_eq!(named, tag);
                    assert!(reason.contains(reason_part), "{tag:?}: {reason}");
                }
                Err(other) => panic!("{tag:?}: unexpected error {other}"),
            }
        }
    }

    #[test]
    fn serde_goes_through_the_parser() {
        let tag: LayoutTag = serde_json::from_str("\"v1\"").unwrap();
        assert_eq!(serde_json::to_string(&tag).unwrap(), "\"v1\"");
        assert!(serde_json::from_str::<LayoutTag>("\"a/../b\"").is_err());
    }
}
