//! Just enough DER to write a SubjectPublicKeyInfo (the libtrust key ID hashes
//! one) and to find the public key inside an `x5c` certificate.
//!
//! Only definite lengths and single-byte tags occur in these structures; anything
//! else is rejected rather than guessed at.

/// DER tag of an INTEGER.
pub(crate) const INTEGER: u8 = 0x02;
/// DER tag of a BIT STRING.
pub(crate) const BIT_STRING: u8 = 0x03;
/// DER tag of a NULL.
pub(crate) const NULL: u8 = 0x05;
/// DER tag of an OBJECT IDENTIFIER.
pub(crate) const OID: u8 = 0x06;
/// DER tag of a SEQUENCE.
pub(crate) const SEQUENCE: u8 = 0x30;
/// DER tag of the explicit `[0]` version field of a certificate.
pub(crate) const CONTEXT_0: u8 = 0xa0;

/// Encodes one tag-length-value.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let significant = &bytes[bytes.iter().take_while(|&&b| b == 0).count()..];
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

/// Encodes a non-negative big-endian integer in its minimal DER form.
pub(crate) fn unsigned_integer(big_endian: &[u8]) -> Vec<u8> {
    let trimmed = &big_endian[big_endian.iter().take_while(|&&b| b == 0).count()..];
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    // A set high bit would make the number negative: prefix a zero byte.
    if trimmed.first().map_or(true, |&b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(trimmed);
    tlv(INTEGER, &content)
}

/// A DER element: its tag, its content and all of its encoded bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Element<'a> {
    pub(crate) tag: u8,
    pub(crate) content: &'a [u8],
    pub(crate) encoded: &'a [u8],
}

/// Reads consecutive DER elements from a byte slice.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    input: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Self { input }
    }

    /// Whether every element has been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    /// Reads the next element, or `None` if the input is malformed or exhausted.
    pub(crate) fn next_element(&mut self) -> Option<Element<'a>> {
        let (&tag, rest) = self.input.split_first()?;
        // Multi-byte (high) tag numbers never appear in what we read.
        if tag & 0x1f == 0x1f {
            return None;
        }
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 || rest.len() < count {
                return None;
            }
            let (len_bytes, rest) = rest.split_at(count);
            let len = len_bytes
                .iter()
                .fold(0usize, |len, &b| (len << 8) | usize::from(b));
            // DER demands the shortest length form.
            if len < 0x80 || len_bytes[0] == 0 {
                return None;
            }
            (len, rest)
        };
        if rest.len() < len {
            return None;
        }
        let (content, remaining) = rest.split_at(len);
        let header_len = self.input.len() - rest.len();
        let encoded = &self.input[..header_len + len];
        self.input = remaining;
        Some(Element {
            tag,
            content,
            encoded,
        })
    }

    /// Reads the next element and checks its tag.
    pub(crate) fn expect(&mut self, tag: u8) -> Option<Element<'a>> {
        self.next_element().filter(|element| element.tag == tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_lengths_in_shortest_form() {
        let cases: &[(usize, &[u8])] = &[
            (0, &[0x04, 0x00]),
            (0x7f, &[0x04, 0x7f]),
            (0x80, &[0x04, 0x81, 0x80]),
            (0x1234, &[0x04, 0x82, 0x12, 0x34]),
        ];
        for &(len, header) in cases {
            let encoded = tlv(0x04, &vec![0xaa; len]);
            assert_eq!(&encoded[..header.len()], header, "length {len}");
            assert_eq!(encoded.len(), header.len() + len);
        }
    }

    #[test]
    fn writes_unsigned_integers() {
        let cases: &[(&[u8], &[u8])] = &[
            (&[], &[0x02, 0x01, 0x00]),
            (&[0x00, 0x00], &[0x02, 0x01, 0x00]),
            (&[0x01, 0x00, 0x01], &[0x02, 0x03, 0x01, 0x00, 0x01]),
            (&[0x00, 0x80], &[0x02, 0x02, 0x00, 0x80]),
            (&[0xff], &[0x02, 0x02, 0x00, 0xff]),
        ];
        for &(input, expected) in cases {
            assert_eq!(unsigned_integer(input), expected, "{input:02x?}");
        }
    }

    #[test]
    fn reads_what_it_writes() {
        let inner = [tlv(OID, &[1, 2, 3]), tlv(NULL, &[])].concat();
        let big = tlv(0x04, &[7; 300]);
        let outer = [tlv(SEQUENCE, &inner), big.clone()].concat();
        let mut reader = Reader::new(&outer);
        let seq = reader.expect(SEQUENCE).unwrap();
        let mut fields = Reader::new(seq.content);
        assert_eq!(fields.expect(OID).unwrap().content, &[1, 2, 3]);
        assert_eq!(fields.expect(NULL).unwrap().content, &[] as &[u8]);
        assert!(fields.is_empty());
        let octets = reader.next_element().unwrap();
        assert_eq!(octets.encoded, &big[..]);
        assert_eq!(octets.content.len(), 300);
        assert!(reader.is_empty());
        assert_eq!(reader.next_element(), None);
    }

    #[test]
    fn rejects_malformed_input() {
        let cases: &[&[u8]] = &[
            &[0x30],
            &[0x30, 0x02, 0x01],
            &[0x30, 0x80],
            &[0x30, 0x81, 0x05, 0, 0, 0, 0, 0],
            &[0x30, 0x82, 0x00, 0x80],
            &[0x30, 0x85, 1, 0, 0, 0, 0],
            &[0x1f, 0x01, 0x00],
        ];
        for &input in cases {
            assert_eq!(Reader::new(input).next_element(), None, "{input:02x?}");
        }
        assert_eq!(Reader::new(&[0x02, 0x01, 0x05]).expect(SEQUENCE), None);
    }
}
