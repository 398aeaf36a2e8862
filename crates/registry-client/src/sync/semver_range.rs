//! `skopeo sync`'s semantic-version constraints (the Masterminds/semver v3
//! syntax) evaluated with the `semver` crate.
//!
//! The two syntaxes differ where it matters: in skopeo's, a bare `1.2.3`
//! means exactly that version (Cargo's means `^1.2.3`), partial versions are
//! filled with zeros (`>1.2` is `>1.2.0`), `||` separates alternatives,
//! `A - B` is an inclusive range, `!=` excludes, and comparators may be
//! separated by spaces as well as commas. Tags are read as skopeo reads them:
//! an optional `v`, one to three numeric parts; other tags never match.

use std::fmt;

use semver::{Version, VersionReq};

/// A parsed `--semver` / `images-by-semver` constraint.
#[derive(Debug, Clone)]
pub struct SemverRange {
    text: String,
    alternatives: Vec<Alternative>,
}

#[derive(Debug, Clone)]
struct Alternative {
    require: VersionReq,
    exclude: Vec<VersionReq>,
}

impl SemverRange {
    /// Parses a constraint such as `>= 1.2, < 2`, `~1.4 || 2.0.x`, `1.0 - 1.5`.
    pub fn parse(text: &str) -> Result<SemverRange, String> {
        let mut alternatives = Vec::new();
        for alt in text.split("||") {
            alternatives.push(parse_alternative(alt).map_err(|e| format!("semver range {text:?}: {e}"))?);
        }
        Ok(SemverRange {
            text: text.to_string(),
            alternatives,
        })
    }

    /// Whether a tag, read as a version the way skopeo reads it, is in range.
    pub fn matches_tag(&self, tag: &str) -> bool {
        let Some(version) = tag_version(tag) else {
            return false;
        };
        self.alternatives
            .iter()
            .any(|a| a.require.matches(&version) && !a.exclude.iter().any(|e| e.matches(&version)))
    }
}

impl fmt::Display for SemverRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Reads a tag as skopeo does: `v` optional, 1 to 3 numeric parts, then an
/// optional `-prerelease` and `+build`.
fn tag_version(tag: &str) -> Option<Version> {
    let body = tag.strip_prefix('v').unwrap_or(tag);
    let split = body.find(['-', '+']).unwrap_or(body.len());
    let (core, rest) = body.split_at(split);
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let mut full: Vec<&str> = parts.clone();
    full.resize(3, "0");
    Version::parse(&format!("{}{rest}", full.join("."))).ok()
}

const OPERATORS: [&str; 11] = ["!=", ">=", "<=", "=>", "=<", "~>", ">", "<", "=", "~", "^"];

fn parse_alternative(alt: &str) -> Result<Alternative, String> {
    let tokens = tokenize(alt)?;
    let mut require = Vec::new();
    let mut exclude = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let (op, version) = &tokens[i];
        // `A - B`: an inclusive range.
        if op.is_empty() && tokens.get(i + 1).is_some_and(|(o, v)| o.is_empty() && v == "-") {
            let (upper_op, upper) = tokens.get(i + 2).ok_or("a range `A - B` lacks its upper end")?;
            if !upper_op.is_empty() {
                return Err(format!("unexpected {upper_op:?} in a range"));
            }
            require.push(format!(">={}", fill(version)?));
            require.push(format!("<={}", fill(upper)?));
            i += 3;
            continue;
        }
        let wildcard = is_wildcard(version);
        match op.as_str() {
            "!=" => exclude.push(req(&if wildcard {
                version.clone()
            } else {
                format!("={}", fill(version)?)
            })?),
            "" | "=" if wildcard => require.push(version.clone()),
            "" | "=" => require.push(format!("={}", fill(version)?)),
            "=>" => require.push(format!(">={}", fill(version)?)),
            "=<" => require.push(format!("<={}", fill(version)?)),
            "~>" | "~" => require.push(format!("~{}", strip_v(version))),
            "^" => require.push(format!("^{}", strip_v(version))),
            ">" | "<" | ">=" | "<=" if wildcard => require.push(format!("{op}{}", strip_v(version))),
            _ => require.push(format!("{op}{}", fill(version)?)),
        }
        i += 1;
    }
    let require = if require.is_empty() {
        VersionReq::STAR
    } else {
        req(&require.join(", "))?
    };
    Ok(Alternative { require, exclude })
}

fn req(text: &str) -> Result<VersionReq, String> {
    VersionReq::parse(text).map_err(|e| e.to_string())
}

/// Splits one alternative into (operator, version) pairs; `-` of a hyphen
/// range is its own token with no operator.
fn tokenize(alt: &str) -> Result<Vec<(String, String)>, String> {
    let mut tokens = Vec::new();
    let mut pending_op: Option<String> = None;
    for word in alt.split([',', ' ', '\t']).filter(|w| !w.is_empty()) {
        let mut rest = word;
        let op = OPERATORS.iter().find(|o| rest.starts_with(**o));
        if let Some(op) = op {
            if pending_op.is_some() {
                return Err(format!("two operators in a row at {word:?}"));
            }
            rest = &rest[op.len()..];
            if rest.is_empty() {
                pending_op = Some(op.to_string());
                continue;
            }
        }
        let op = op
            .map(|o| o.to_string())
            .or_else(|| pending_op.take())
            .unwrap_or_default();
        if rest != "-"
            && !rest.starts_with(|c: char| c.is_ascii_digit() || matches!(c, 'v' | 'x' | 'X' | '*'))
        {
            return Err(format!("{word:?} is not a version"));
        }
        tokens.push((op, rest.to_string()));
    }
    if let Some(op) = pending_op {
        return Err(format!("operator {op:?} without a version"));
    }
    if tokens.is_empty() {
        return Err("empty constraint".to_string());
    }
    Ok(tokens)
}

fn strip_v(version: &str) -> &str {
    version.strip_prefix('v').unwrap_or(version)
}

fn is_wildcard(version: &str) -> bool {
    strip_v(version)
        .split(['-', '+'])
        .next()
        .unwrap_or("")
        .split('.')
        .any(|p| matches!(p, "x" | "X" | "*"))
}

/// `1.2` -> `1.2.0`: skopeo compares partial versions as if zero-filled.
fn fill(version: &str) -> Result<String, String> {
    tag_version(version)
        .map(|v| v.to_string())
        .ok_or_else(|| format!("{version:?} is not a version"))
}

#[cfg(test)]
mod tests {
    use super::SemverRange;

    fn picks(range: &str, tags: &[&str]) -> Vec<String> {
        let r = SemverRange::parse(range).unwrap();
        tags.iter()
            .filter(|t| r.matches_tag(t))
            .map(|t| t.to_string())
            .collect()
    }

    const TAGS: &[&str] = &[
        "1.0.0",
        "v1.2",
        "1.2.3",
        "1.3.0",
        "2.0.0",
        "2.1.0-rc1",
        "latest",
        "1.x",
        "3",
    ];

    #[test]
    fn bare_version_is_exact_not_caret() {
        assert_eq!(picks("1.2.3", TAGS), ["1.2.3"]);
        assert_eq!(picks("1.2", TAGS), ["v1.2"]);
    }

    #[test]
    fn comparators_fill_partial_versions_with_zeros() {
        assert_eq!(picks(">1.2", TAGS), ["1.2.3", "1.3.0", "2.0.0", "3"]);
        assert_eq!(picks(">= 1.2, < 2", TAGS), ["v1.2", "1.2.3", "1.3.0"]);
        assert_eq!(picks(">=1.2 <2", TAGS), ["v1.2", "1.2.3", "1.3.0"]);
    }

    #[test]
    fn alternatives_ranges_wildcards_and_exclusions() {
        assert_eq!(picks("1.0.0 || >=3", TAGS), ["1.0.0", "3"]);
        assert_eq!(picks("1.0 - 1.2.3", TAGS), ["1.0.0", "v1.2", "1.2.3"]);
        assert_eq!(picks("1.2.x", TAGS), ["v1.2", "1.2.3"]);
        assert_eq!(picks("~1.2", TAGS), ["v1.2", "1.2.3"]);
        assert_eq!(picks("^1.2", TAGS), ["v1.2", "1.2.3", "1.3.0"]);
        assert_eq!(picks(">=1, !=1.2.3, <2", TAGS), ["1.0.0", "v1.2", "1.3.0"]);
    }

    #[test]
    fn bad_ranges_are_errors() {
        for bad in ["", ">=", "latest", "1.0 -", ">= >= 1"] {
            assert!(SemverRange::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
