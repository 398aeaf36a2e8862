//! Docker schema1 "pretty" JWS signatures (libtrust): rebuilding the signed
//! payload, verifying and producing signatures.
