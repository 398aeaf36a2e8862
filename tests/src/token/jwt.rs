//! Signing registry tokens: ES256 JWTs whose header carries the signing certificate in `x5c`, the
//! way distribution's token auth expects (the certificate must be in its `rootcertbundle`).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rcgen::{CertificateParams, DnType, KeyPair, PKCS_ECDSA_P256_SHA256};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::json;

/// A signing key and the self-signed certificate that vouches for it.
pub(crate) struct Signer {
    key: EcdsaKeyPair,
    cert_der: Vec<u8>,
    cert_pem: String,
    rng: SystemRandom,
}

impl Signer {
    /// A fresh P-256 key and certificate.
    pub(crate) fn generate() -> Signer {
        let key_pair = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("token signing key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("certificate parameters");
        params
            .distinguished_name
            .push(DnType::CommonName, "skiff integration token signer");
        let cert = params
            .self_signed(&key_pair)
            .expect("self-sign the token certificate");
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &key_pair.serialize_der(), &rng)
            .expect("ring reads the PKCS#8 key rcgen made");
        Signer {
            key,
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
            rng,
        }
    }

    /// The certificate (PEM) the registry must trust.
    pub(crate) fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A compact JWS of `claims`.
    pub(crate) fn sign(&self, claims: &serde_json::Value) -> String {
        let header = json!({ "typ": "JWT", "alg": "ES256", "x5c": [STANDARD.encode(&self.cert_der)] });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .key
            .sign(&self.rng, signing_input.as_bytes())
            .expect("ECDSA signing");
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }

    #[cfg(test)]
    fn public_key(&self) -> Vec<u8> {
        use ring::signature::KeyPair as _;
        self.key.public_key().as_ref().to_vec()
    }
}

/// The claims of a compact JWS, decoded without checking anything (for tests that look inside).
pub fn decode_claims(token: &str) -> Option<serde_json::Value> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};

    #[test]
    fn tokens_verify_and_carry_the_certificate() {
        let signer = Signer::generate();
        let claims = json!({ "iss": "issuer", "access": [] });
        let token = signer.sign(&claims);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);

        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "ES256");
        assert_eq!(
            STANDARD.decode(header["x5c"][0].as_str().unwrap()).unwrap(),
            signer.cert_der
        );
        assert_eq!(decode_claims(&token), Some(claims));

        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let signed = format!("{}.{}", parts[0], parts[1]);
        let key = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, signer.public_key());
        assert!(key.verify(signed.as_bytes(), &signature).is_ok());
        assert!(key.verify(b"something else", &signature).is_err());
    }

    #[test]
    fn malformed_tokens_decode_to_nothing() {
        for token in ["", "abc", "a.!!!.c", "a.bm90IGpzb24.c"] {
            assert_eq!(decode_claims(token), None, "{token:?}");
        }
    }
}
