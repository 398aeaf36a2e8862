//! Incremental hashing and incremental verification.

use sha2::Digest as _;

use crate::{Algorithm, Digest, Error, Mismatch};

/// The running state of one hash.
#[derive(Clone)]
enum State {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

/// Computes a digest incrementally: feed bytes with [`update`](Self::update),
/// then take the result with [`finish`](Self::finish).
///
/// SHA-256 uses the CPU's SHA extensions when present (detected at run time),
/// so feeding it large buffers runs at hardware speed.
///
/// ```
/// use oci_digest::Digester;
///
/// let mut d = Digester::sha256();
/// d.update(b"a");
/// d.update(b"bc");
/// assert_eq!(
///     d.finish().as_str(),
///     "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// ```
#[derive(Clone)]
pub struct Digester {
    algorithm: Algorithm,
    state: State,
    bytes: u64,
}

impl std::fmt::Debug for Digester {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Digester")
            .field("algorithm", &self.algorithm)
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

impl Digester {
    /// A digester for `algorithm`; fails for algorithms this crate cannot compute.
    pub fn new(algorithm: Algorithm) -> Result<Digester, Error> {
        let state = match algorithm {
            Algorithm::Sha256 => State::Sha256(sha2::Sha256::new()),
            Algorithm::Sha512 => State::Sha512(sha2::Sha512::new()),
            Algorithm::Other(ref name) => {
                return Err(Error::UnsupportedAlgorithm {
                    algorithm: name.to_string(),
                })
            }
        };
        Ok(Digester {
            algorithm,
            state,
            bytes: 0,
        })
    }

    /// A SHA-256 digester (infallible).
    pub fn sha256() -> Digester {
        Digester {
            algorithm: Algorithm::Sha256,
            state: State::Sha256(sha2::Sha256::new()),
            bytes: 0,
        }
    }

    /// The algorithm being computed.
    pub fn algorithm(&self) -> &Algorithm {
        &self.algorithm
    }

    /// How many bytes have been fed so far.
    pub fn bytes_hashed(&self) -> u64 {
        self.bytes
    }

    /// Feeds more content.
    pub fn update(&mut self, data: &[u8]) {
        self.bytes += data.len() as u64;
        match &mut self.state {
            State::Sha256(h) => h.update(data),
            State::Sha512(h) => h.update(data),
        }
    }

    /// Finishes the hash and returns the digest.
    pub fn finish(self) -> Digest {
        match self.state {
            State::Sha256(h) => Digest::from_hash(self.algorithm, &h.finalize()),
            State::Sha512(h) => Digest::from_hash(self.algorithm, &h.finalize()),
        }
    }
}

impl std::io::Write for Digester {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Checks content against an expected digest as it is fed, ending in `Ok` or
/// [`Error::Mismatch`].
///
/// ```
/// use oci_digest::{Digest, Verifier};
///
/// let expected = Digest::sha256(b"hello");
/// let mut v = Verifier::new(&expected).unwrap();
/// v.update(b"hel");
/// v.update(b"lo");
/// assert!(v.finish().is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct Verifier {
    expected: Digest,
    digester: Digester,
}

impl Verifier {
    /// A verifier for `expected`; fails when its algorithm cannot be computed.
    pub fn new(expected: &Digest) -> Result<Verifier, Error> {
        Ok(Verifier {
            digester: Digester::new(expected.algorithm().clone())?,
            expected: expected.clone(),
        })
    }

    /// The digest the content must have.
    pub fn expected(&self) -> &Digest {
        &self.expected
    }

    /// How many bytes have been checked so far.
    pub fn bytes_hashed(&self) -> u64 {
        self.digester.bytes_hashed()
    }

    /// Feeds more content.
    pub fn update(&mut self, data: &[u8]) {
        self.digester.update(data);
    }

    /// Ends the check: `Ok` when the content matched, else both digests.
    pub fn finish(self) -> Result<(), Error> {
        let actual = self.digester.finish();
        if actual == self.expected {
            Ok(())
        } else {
            Err(Mismatch::new(self.expected, actual).into())
        }
    }
}
