//! The signer's key from an `x5c` certificate chain.
//!
//! Like libtrust's `Verify`, only the leaf certificate's key is used to check the
//! signature; whether the chain leads to a trusted root is a policy question this
//! crate leaves to its caller (the certificates are available from
//! [`JwsSignature::x5c`](super::JwsSignature::x5c)).

use super::der::{self, Reader};
use super::public_key::PublicKey;
use super::{base64url, SignatureError};

/// The public key of the leaf (first) certificate of signature `index`'s chain.
pub(crate) fn leaf_key(chain: &[String], index: usize) -> Result<PublicKey, SignatureError> {
    let unusable = |reason| SignatureError::Certificate {
        index,
        position: 0,
        reason,
    };
    let leaf = chain.first().ok_or_else(|| unusable("the chain is empty"))?;
    let der = base64url::decode_standard(leaf).ok_or_else(|| unusable("not valid base64"))?;
    let spki = subject_public_key_info(&der).ok_or_else(|| unusable("not a DER X.509 certificate"))?;
    PublicKey::from_spki(spki, index)?.ok_or_else(|| unusable("its public key is malformed"))
}

/// Finds the encoded SubjectPublicKeyInfo inside a DER X.509 certificate
/// (RFC 5280 §4.1: version, serial, signature, issuer, validity, subject, key).
fn subject_public_key_info(certificate: &[u8]) -> Option<&[u8]> {
    let mut outer = Reader::new(certificate);
    let certificate = outer.expect(der::SEQUENCE).filter(|_| outer.is_empty())?;
    let mut parts = Reader::new(certificate.content);
    let tbs = parts.expect(der::SEQUENCE)?;
    let mut fields = Reader::new(tbs.content);
    let mut next = fields.next_element()?;
    if next.tag == der::CONTEXT_0 {
        next = fields.next_element()?;
    }
    // `next` is the serial number; then signature algorithm, issuer, validity, subject.
    if next.tag != der::INTEGER {
        return None;
    }
    fields.expect(der::SEQUENCE)?;
    fields.expect(der::SEQUENCE)?;
    fields.expect(der::SEQUENCE)?;
    fields.expect(der::SEQUENCE)?;
    fields.expect(der::SEQUENCE).map(|spki| spki.encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unusable_chains() {
        let cases = [
            (vec![], "the chain is empty"),
            (vec!["***".to_owned()], "not valid base64"),
            (vec!["MAA=".to_owned()], "not a DER X.509 certificate"),
        ];
        for (chain, reason) in cases {
            assert_eq!(
                leaf_key(&chain, 2),
                Err(SignatureError::Certificate {
                    index: 2,
                    position: 0,
                    reason
                }),
                "{chain:?}"
            );
        }
    }
}
