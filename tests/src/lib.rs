//! The integration harness: everything the tests need around the code under test.
//!
//! - [`Registry`]: Debian's `docker-registry` on a free loopback port in a temporary directory,
//!   anonymous or with Basic auth, token auth, TLS, schema1 compatibility or a small catalog page
//!   size; stopped on drop, its log attached to failures.
//! - [`TokenService`]: an in-process token service issuing signed JWTs the registry trusts.
//! - [`Skopeo`]: the peer client, with functions that build and push small random images.
//! - [`FaultProxy`]: an in-process proxy (http or https) in front of a registry that cuts,
//!   stalls, delays, corrupts, rate-limits, deauthorises or redirects chosen requests.
//! - [`Hostile`]: a scripted hostile registry, CDN or token service on loopback (an attacker, so a
//!   scripted server is right there), and [`SilentListener`], a server that never answers.
//! - [`ForwardProxy`]: Debian's `squid` as a forward proxy that alone resolves
//!   [`PROXY_ONLY_HOST`], with or without proxy authentication.
//! - [`Oras`]: the oras Python SDK, the artifacts peer.
//! - [`Podman`]: podman with storage of its own (vfs, temp root), the archive peer that saves
//!   and loads; [`Containerd`]: a containerd of its own with `ctr`, which imports and exports.
//! - [`HttpRequest`]: plain HTTP requests for tests that look at the wire.
//! - [`TarBuilder`], [`ArchiveImage`]: tar archives member by member, as `docker save` writes
//!   them or as an attacker would; [`LegacyArchive`]: the legacy format of Docker before 1.10.
//!
//! Tests that need a peer program fail (never skip) with the command that installs it.
//!
//! # Example
//!
//! ```no_run
//! use skiff_integration::{Fault, FaultProxy, ImageFormat, Match, Registry, Rule, Skopeo};
//! use skiff_integration::{TokenService, TokenUser};
//!
//! let tokens = TokenService::builder().user(TokenUser::admin("alice", "secret")).start();
//! let registry = Registry::builder().token(&tokens).start();
//! let pushed = Skopeo::new().push_random_image(&registry, "pub/app:1", &[1024, 4096], ImageFormat::Oci);
//!
//! // A client under test talks to the proxy; its first blob download breaks off halfway.
//! let proxy = FaultProxy::start(&registry);
//! let half = pushed.image().layers()[1].size() / 2;
//! proxy.add(Rule::new(Match::blob_get(), Fault::CutBodyAfter(half)).times(1));
//! let reference = proxy.reference("pub/app:1");
//! # let _ = reference;
//! ```
//!
//! The harness's servers (token service, proxy) run on a runtime of their own, so plain `#[test]`
//! and `#[tokio::test]` functions can both use them; async code calls [`HttpRequest::send`]
//! rather than its blocking forms.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod archive;
mod containerd;
mod hostile;
mod htpasswd;
mod http;
mod image;
mod legacy_archive;
mod oras;
mod pki;
mod podman;
mod proxy;
mod registry;
mod runtime;
mod serve;
mod skopeo;
mod squid;
mod token;
mod tools;

pub use archive::{file_names, hostile_archives, tar_members, ArchiveImage, HostileArchive, TarBuilder};
pub use containerd::{Containerd, Ctr, CtrImage};
pub use hostile::{Hostile, Reply, Seen, SilentListener};
pub use htpasswd::User;
pub use http::{HttpFailure, HttpRequest, HttpResponse};
pub use image::{gunzip, gzip, sha256, BlobInfo, RandomImage, ACCEPT_MANIFESTS, LAYOUT_TAG};
pub use legacy_archive::{hostile_legacy_archives, v1_id, LegacyArchive, V1Image};
pub use oras::{Oras, OrasSubject};
pub use pki::{TlsFiles, PROXY_ONLY_HOST};
pub use podman::Podman;
pub use proxy::{Fault, FaultProxy, Latency, Match, MirrorHit, Route, Rule, SeenRequest};
pub use registry::{free_port, Registry, RegistryBuilder};
pub use runtime::runtime;
pub use skopeo::{ImageFormat, ImageRef, PushedImage, Skopeo, SkopeoFailure};
pub use squid::ForwardProxy;
pub use token::{
    decode_claims, Access, TokenRequest, TokenService, TokenServiceBuilder, TokenUser, ANONYMOUS_PULL_PREFIX,
    ISSUER, SERVICE,
};
pub use tools::{require, run_peer, wait_with_timeout, PeerFailure};
