//! RFC 7235 `WWW-Authenticate` grammar, read leniently: stray commas and extra
//! whitespace are skipped, parameter names and schemes are case-insensitive.
//!
//! The grammar is ambiguous at commas: after `a=b, ` either another parameter
//! or a new challenge may follow. A token followed by `=` is a parameter;
//! anything else starts the next challenge.

use super::Challenge;
use crate::Error;

/// Parses one header value into the challenges it carries.
pub(super) fn parse_header(header: &str) -> Result<Vec<Challenge>, Error> {
    let mut cursor = Cursor {
        header,
        bytes: header.as_bytes(),
        pos: 0,
    };
    let mut challenges = Vec::new();
    loop {
        cursor.skip_whitespace_and_commas();
        if cursor.at_end() {
            return Ok(challenges);
        }
        challenges.push(cursor.challenge()?);
    }
}

/// RFC 7230 `tchar`: the characters of a token.
pub(super) fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// RFC 7235 `token68` characters, before the trailing `=` padding.
pub(super) fn is_token68_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-._~+/".contains(&byte)
}

/// Whether `text` is a non-empty RFC 7230 token.
pub(super) fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(is_tchar)
}

/// Whether `text` is an RFC 7235 token68.
pub(super) fn is_token68(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    !body.is_empty() && body.bytes().all(is_token68_char)
}

struct Cursor<'a> {
    header: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn challenge(&mut self) -> Result<Challenge, Error> {
        let scheme = self.token();
        if scheme.is_empty() {
            return Err(self.error("an authentication scheme"));
        }
        let mut challenge = Challenge {
            scheme,
            token68: None,
            params: Vec::new(),
        };
        let spaced = self.skip_whitespace();
        if self.at_end() || self.peek() == Some(b',') {
            return Ok(challenge);
        }
        if !spaced {
            return Err(self.error("a space after the authentication scheme"));
        }
        if self.first_item(&mut challenge)? {
            self.more_params(&mut challenge)?;
        }
        Ok(challenge)
    }

    /// Reads what follows the scheme: a token68 (returns `false`, the challenge
    /// is complete) or a first parameter (returns `true`, more may follow).
    fn first_item(&mut self, challenge: &mut Challenge) -> Result<bool, Error> {
        let start = self.pos;
        while self.peek().is_some_and(|b| is_tchar(b) || is_token68_char(b)) {
            self.pos += 1;
        }
        let word = &self.header[start..self.pos];
        if word.is_empty() {
            return Err(self.error("a parameter or a token68"));
        }
        self.skip_whitespace();
        if self.peek() == Some(b'=') {
            let equals = self.pos;
            self.pos += 1;
            self.skip_whitespace();
            if self.peek().is_some_and(|b| b == b'"' || is_tchar(b)) {
                if !is_token(word) {
                    self.pos = start;
                    return Err(self.error("a parameter name"));
                }
                let value = self.value()?;
                challenge.params.push((word.to_ascii_lowercase(), value));
                return Ok(true);
            }
            // `word=`, `word==`: a token68 with its padding.
            self.pos = equals;
            while self.peek() == Some(b'=') {
                self.pos += 1;
            }
        }
        let token68 = self.header[start..self.pos].trim_end();
        if !is_token68(token68) {
            self.pos = start;
            return Err(self.error("a token68"));
        }
        challenge.token68 = Some(token68.to_owned());
        self.skip_whitespace();
        if !self.at_end() && self.peek() != Some(b',') {
            return Err(self.error("a comma or the end after a token68"));
        }
        Ok(false)
    }

    /// Reads `, name=value` pairs until the end or the start of the next challenge.
    fn more_params(&mut self, challenge: &mut Challenge) -> Result<(), Error> {
        loop {
            self.skip_whitespace();
            if self.at_end() {
                return Ok(());
            }
            if self.peek() != Some(b',') {
                return Err(self.error("a comma between parameters"));
            }
            self.skip_whitespace_and_commas();
            if self.at_end() {
                return Ok(());
            }
            let mark = self.pos;
            let name = self.token();
            if name.is_empty() {
                return Err(self.error("a parameter name or a new challenge"));
            }
            self.skip_whitespace();
            if self.peek() != Some(b'=') {
                // Not a parameter: the next challenge's scheme.
                self.pos = mark;
                return Ok(());
            }
            self.pos += 1;
            self.skip_whitespace();
            let value = self.value()?;
            challenge.params.push((name.to_ascii_lowercase(), value));
        }
    }

    /// A parameter value: a token or a quoted string.
    fn value(&mut self) -> Result<String, Error> {
        if self.peek() == Some(b'"') {
            return self.quoted_string();
        }
        let value = self.token();
        if value.is_empty() {
            return Err(self.error("a token or a quoted string"));
        }
        Ok(value)
    }

    fn quoted_string(&mut self) -> Result<String, Error> {
        self.pos += 1;
        let mut value = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.error("a closing quote")),
                Some(b'"') => {
                    self.pos += 1;
                    // Only ASCII bytes were dropped, so the rest is still UTF-8.
                    return Ok(String::from_utf8_lossy(&value).into_owned());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        None => return Err(self.error("a character after the backslash")),
                        Some(escaped) => value.push(escaped),
                    }
                    self.pos += 1;
                }
                Some(other) => {
                    value.push(other);
                    self.pos += 1;
                }
            }
        }
    }

    fn token(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        self.header[start..self.pos].to_owned()
    }

    /// Skips spaces and tabs; tells whether there were any.
    fn skip_whitespace(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn skip_whitespace_and_commas(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn error(&self, expected: &'static str) -> Error {
        Error::ChallengeSyntax {
            header: self.header.to_owned(),
            position: self.pos,
            expected,
        }
    }
}
