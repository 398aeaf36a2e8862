//! Integration tests of `oci-manifest`, one module per area: every manifest format on the
//! committed fixtures, schema1 JWS signatures (round trips, cross-checks with `openssl`,
//! vectors from other implementations), the fixtures' freshness, and the committed fuzz
//! corpora replayed.

mod fixtures_fresh;
mod fuzz_corpus;
mod jws;
mod jws_openssl;
mod jws_vectors;
mod manifests;
