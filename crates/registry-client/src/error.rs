//! The one error type of this crate, with the predicates callers branch on: the registry, the
//! layout and the image engine all fail with [`Error`].

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use http::{Method, StatusCode};
use oci_digest::{Digest, Mismatch};

use crate::diagnostic::{Diagnostic, ErrorCode};

/// The result of this crate's operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed error from a lower layer (the connection, TLS, a user-supplied stream).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in this crate: talking to a registry, reading or writing an
/// OCI image layout, resolving an image and moving it between the two.
///
/// The one error every public function returns. Sub-errors of other crates are carried
/// whole as data ([`Error::Auth`], [`Error::Manifest`], [`Error::DigestMismatch`] with
/// `oci_digest`'s [`Mismatch`]), and [`Error::WithContext`] says what an error happened to;
/// the predicates ([`is_not_found`](Error::is_not_found), ...) look through it.
///
/// Messages name the request and the registry's diagnostics, or the file, digest or tag
/// involved; they never contain credentials (URLs are printed without their query string,
/// which may carry upload state).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The registry answered with a status the operation does not accept.
    #[error("{method} {url} answered {status}{}", DiagnosticList(diagnostics))]
    Registry {
        /// The HTTP method of the failed request.
        method: Method,
        /// The request URL, without its query string.
        url: String,
        /// The HTTP status.
        status: StatusCode,
        /// The registry's `errors` array (empty when the body had none).
        diagnostics: Vec<Diagnostic>,
    },
    /// Content did not hash to the digest it was fetched, pushed, written or read by: from
    /// the registry, from a local source or in the layout (whose writer then keeps nothing).
    #[error(transparent)]
    DigestMismatch(#[from] Mismatch),
    /// The connection failed before a response arrived (refused, reset, TLS handshake).
    #[error("{method} {url}: connection failed: {}", Chain(source.as_ref()))]
    Connection {
        /// The HTTP method.
        method: Method,
        /// The request URL, without its query string.
        url: String,
        /// What the transport reported.
        #[source]
        source: BoxError,
    },
    /// The body of a response broke off or could not be read.
    #[error("{url}: reading the response failed after {received} bytes: {}", Chain(source.as_ref()))]
    Body {
        /// The request URL, without its query string.
        url: String,
        /// Bytes received before the failure.
        received: u64,
        /// What the transport reported.
        #[source]
        source: BoxError,
    },
    /// Nothing arrived for longer than the idle timeout.
    #[error("{url}: no data for {after:?}")]
    Timeout {
        /// The request URL, without its query string.
        url: String,
        /// The idle timeout that expired.
        after: Duration,
    },
    /// A bounded read (manifest, config, token answer, error body, listing page) did not
    /// complete within the read deadline, however steadily its bytes came.
    #[error("{url}: the response did not arrive whole within {after:?}")]
    ReadDeadline {
        /// The request URL, without its query string.
        url: String,
        /// The deadline that expired.
        after: Duration,
    },
    /// A body arrived more slowly than the minimum rate over a window.
    #[error("{url}: fewer than {min_rate} bytes/s over {window:?} ({received} bytes in all)")]
    TooSlow {
        /// The request URL, without its query string.
        url: String,
        /// The minimum rate in bytes per second.
        min_rate: u64,
        /// The window the rate is averaged over.
        window: Duration,
        /// Bytes received in all.
        received: u64,
    },
    /// Reaching the registry (scheme discovery with its retries) took longer than allowed.
    #[error("registry {registry} did not answer within {after:?}")]
    NoAnswer {
        /// The registry host.
        registry: String,
        /// The reach deadline.
        after: Duration,
    },
    /// A response body was larger than this client accepts for its kind.
    #[error("{url}: response body exceeds the {limit}-byte limit")]
    TooLarge {
        /// The request URL, without its query string.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// A redirect would have moved from https to plain http.
    #[error("refusing redirect from {from} to {to}: it downgrades https to http")]
    InsecureRedirect {
        /// Where the request was.
        from: String,
        /// Where the registry pointed.
        to: String,
    },
    /// A redirect would have re-sent a request whose body carries credentials (a token
    /// request's password or refresh token) to another origin.
    #[error(
        "refusing redirect from {from} to {to}: the request carries credentials that stay with their origin"
    )]
    CredentialRedirect {
        /// Where the request was.
        from: String,
        /// Where the server pointed.
        to: String,
    },
    /// More redirects than the policy allows.
    #[error("{url}: more than {limit} redirects")]
    TooManyRedirects {
        /// The first URL of the chain, without its query string.
        url: String,
        /// The allowed number of hops.
        limit: usize,
    },
    /// A response lacked something the protocol requires, or had it malformed.
    #[error("{url}: invalid response: {problem}")]
    InvalidResponse {
        /// The request URL, without its query string.
        url: String,
        /// What was wrong.
        problem: String,
    },
    /// A URL built from user input or sent by the registry could not be parsed.
    #[error("invalid URL {input:?}: {reason}")]
    InvalidUrl {
        /// The rejected text.
        input: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A header value built from user input or a computed value is not valid HTTP.
    #[error("invalid {name} header value {value:?}")]
    InvalidHeader {
        /// The header.
        name: &'static str,
        /// The rejected value.
        value: String,
    },
    /// The registry answered `/v2/` with neither success nor an authentication challenge, on
    /// every scheme this client may use for it.
    #[error("registry {registry} is not reachable as a v2 registry: {source}")]
    Unreachable {
        /// The registry host.
        registry: String,
        /// The failure of the last scheme tried.
        #[source]
        source: Box<Error>,
    },
    /// The registry speaks TLS but its certificate could not be verified. Discovery stops
    /// here rather than trying plain http, even for a local host.
    #[error(
        "the TLS certificate of registry {registry} could not be verified ({source}); \
         add the CA that issued it as a CA file, or mark the host insecure"
    )]
    TlsVerification {
        /// The registry host.
        registry: String,
        /// The failed connection.
        #[source]
        source: Box<Error>,
    },
    /// The registry asks for an authentication scheme this client does not speak.
    #[error("registry {registry} asks for unsupported authentication: {challenge}")]
    UnsupportedChallenge {
        /// The registry host.
        registry: String,
        /// The `WWW-Authenticate` value (challenges carry no secrets).
        challenge: String,
    },
    /// Authentication with the registry or its token service failed.
    #[error("authentication with {registry} failed: {source}")]
    Auth {
        /// The registry host.
        registry: String,
        /// What went wrong.
        #[source]
        source: registry_auth::Error,
    },
    /// A digest could not be parsed or computed. (A mismatch is never carried here: it is
    /// [`Error::DigestMismatch`].)
    #[error(transparent)]
    Digest(oci_digest::Error),
    /// A reference, repository name or manifest could not be understood.
    #[error(transparent)]
    Manifest(#[from] oci_manifest::Error),
    /// A response body was not the JSON the protocol specifies.
    #[error("{url}: malformed JSON: {source}")]
    Json {
        /// The request URL, without its query string.
        url: String,
        /// The parser's report.
        #[source]
        source: serde_json::Error,
    },
    /// A CA file named in the configuration could not be used.
    #[error("CA file {path}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why it could not be used.
        reason: String,
    },
    /// A file of a certificate directory (or the directory itself) could not be used.
    #[error("certificate directory file {path}: {reason}")]
    CertificateFile {
        /// The file or directory.
        path: PathBuf,
        /// Why it could not be used.
        reason: String,
    },
    /// A proxy variable holds a URL this client cannot use.
    #[error("{variable}={url}: {reason}")]
    Proxy {
        /// The variable (`HTTPS_PROXY` or `HTTP_PROXY`, or their lower-case forms).
        variable: &'static str,
        /// The URL, without its credentials.
        url: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A registries.conf file could not be read or understood.
    #[error("registries.conf file {path}: {reason}")]
    RegistriesConf {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// registries.conf blocks the repository; nothing was sent.
    #[error("{name} is blocked by the registries.conf entry for {prefix}")]
    Blocked {
        /// The repository, `registry/name`.
        name: String,
        /// The prefix of the entry that blocks it.
        prefix: String,
    },
    /// The TLS configuration could not be built.
    #[cfg(feature = "tls")]
    #[error("TLS setup failed: {0}")]
    Tls(#[from] rustls::Error),
    /// An https URL was to be reached by a build without TLS (registry-client's `tls`
    /// feature is off); nothing was sent.
    #[error(
        "{url}: this build has no TLS (registry-client's `tls` feature is off); it speaks plain http only"
    )]
    NoTls {
        /// The URL, without its query string.
        url: String,
    },
    /// A user-supplied upload stream failed.
    #[error("reading the upload source failed: {0}")]
    Source(#[source] std::io::Error),
    /// A manifest was to be pushed with a `Content-Type` that is not a manifest media type
    /// (registries would store it under that type and serve it so).
    #[error("refusing to push a manifest as {media_type}: not a manifest media type")]
    NotAManifestType {
        /// The media type asked for.
        media_type: oci_manifest::MediaType,
    },
    /// A manifest to be pushed as a referrer names no `subject`.
    #[error("{reference}: the manifest has no subject, so it cannot be a referrer")]
    NoSubject {
        /// Where it was to be pushed.
        reference: String,
    },
    /// The referrers fallback tag kept changing under this client (other writers attaching
    /// at the same time): the manifest was pushed but is not yet listed in the tag's index.
    #[error(
        "the referrers tag {tag} changed on every one of {attempts} attempts to add {digest} \
         to it; the manifest is pushed but not listed: run the push again"
    )]
    ReferrersTagContended {
        /// The fallback tag (`ALG-HEX` of the subject).
        tag: String,
        /// The referrer that could not be listed.
        digest: Digest,
        /// How many read-merge-write rounds were tried.
        attempts: usize,
    },
    /// A blob's source (a file, a layout, a registry's download) holds a
    /// different number of bytes than its descriptor says; a layout writer fed
    /// it keeps nothing.
    #[error("blob {digest}: the source has {actual} bytes, expected {expected}")]
    SourceSize {
        /// The blob.
        digest: Digest,
        /// The size the descriptor gives.
        expected: u64,
        /// The bytes the source gave (at least; reading stops once it is too many).
        actual: u64,
    },
    /// An image name (see [`ImageName`](crate::image::ImageName)) breaks Docker's reference
    /// grammar, `[docker://]HOST[:PORT]/NAME[:TAG][@DIGEST]`.
    #[error("{input:?} is not an image reference: {source}")]
    InvalidImageName {
        /// The name as written, transport prefix included.
        input: String,
        /// What the reference grammar rejects.
        #[source]
        source: Box<oci_manifest::Error>,
    },
    /// A layout name, `DIR[:TAG]` (after `oci:`), names no directory.
    #[error("{input:?} names no directory")]
    NoLayoutDirectory {
        /// The `DIR[:TAG]` text.
        input: String,
    },
    /// A layout name, `DIR[:TAG]` (after `oci:`), has a tag that breaks the
    /// `org.opencontainers.image.ref.name` grammar (see
    /// [`LayoutTag`](crate::layout::LayoutTag)).
    #[error("{input:?}: {tag:?} is not a valid tag in an OCI layout: invalid layout tag {tag:?}: {reason}")]
    InvalidLayoutName {
        /// The `DIR[:TAG]` text.
        input: String,
        /// The rejected tag.
        tag: String,
        /// What about it breaks the grammar.
        reason: &'static str,
    },
    /// Bad sync input (a YAML file, a flag): where it came from, the line when known, and
    /// the problem. Nothing was sent or written.
    #[error("{origin}{}: {problem}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    SyncInput {
        /// The file, or the flag, the bad input came from.
        origin: String,
        /// 1-based line in the file, when the input is a file.
        line: Option<usize>,
        /// What was wrong.
        problem: String,
    },
    /// A manifest or config is larger than this client reads into memory.
    #[error("blob {digest} is {size} bytes, more than the {limit} bytes read into memory")]
    BlobTooLarge {
        /// The blob.
        digest: Digest,
        /// Its size (as its descriptor gives it, or on disk).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The digest uses an algorithm that cannot be computed, so content under it cannot be
    /// verified (and is neither read nor written).
    #[error("cannot verify blob {digest}: its algorithm cannot be computed (supported: sha256, sha512)")]
    UnsupportedDigest {
        /// The digest.
        digest: Digest,
    },

    // The OCI image layout on disk.
    /// A filesystem operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. "cannot create".
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A blob path is a symlink, a directory or something else than a regular file, or it
    /// resolves outside the layout: a layout only ever yields regular files inside its root.
    #[error("{} is refused: {reason}", path.display())]
    NotARegularFile {
        /// The blob path.
        path: PathBuf,
        /// What it is instead.
        reason: &'static str,
    },
    /// The directory has no `oci-layout` file, so it is not an image layout.
    #[error("{} is not an OCI image layout: it has no `oci-layout` file", dir.display())]
    NotALayout {
        /// The directory that was opened.
        dir: PathBuf,
    },
    /// `oci-layout` names a version this crate does not read.
    #[error("{} has image layout version {version:?}; only 1.x is supported", path.display())]
    UnsupportedLayoutVersion {
        /// The `oci-layout` file.
        path: PathBuf,
        /// The version it declares.
        version: String,
    },
    /// A layout file (`oci-layout` or `index.json`) is not what the specification says it
    /// must be.
    #[error("{} is malformed: {source}", path.display())]
    MalformedFile {
        /// The file that failed to parse.
        path: PathBuf,
        /// The parser's reason.
        #[source]
        source: serde_json::Error,
    },
    /// A tag does not follow the `org.opencontainers.image.ref.name` grammar.
    #[error("invalid layout tag {tag:?}: {reason}")]
    InvalidLayoutTag {
        /// The rejected tag.
        tag: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No entry of `index.json` carries this tag.
    #[error("the layout at {} has no image tagged {tag:?}", dir.display())]
    TagNotFound {
        /// The layout directory.
        dir: PathBuf,
        /// The tag looked for.
        tag: String,
    },
    /// The blob is not in the layout.
    #[error("the layout at {} has no blob {digest}", dir.display())]
    BlobNotFound {
        /// The layout directory.
        dir: PathBuf,
        /// The missing blob.
        digest: Digest,
    },
    /// The blob asked for as a manifest is not one of the manifest formats.
    #[error("blob {digest} is not a manifest")]
    NotAManifest {
        /// The blob.
        digest: Digest,
    },
    /// No tag was given and `index.json` does not hold exactly one image.
    #[error("the layout at {} holds {count} images; name one by tag or digest", dir.display())]
    AmbiguousImage {
        /// The layout directory.
        dir: PathBuf,
        /// How many entries `index.json` has.
        count: usize,
    },

    // Images: resolving, copying and converting them between registries and layouts.
    /// A manifest could not be parsed.
    #[error("manifest {digest} cannot be read: {source}")]
    InvalidManifest {
        /// The manifest's digest.
        digest: Digest,
        /// The parser's reason.
        #[source]
        source: Box<oci_manifest::Error>,
    },
    /// A manifest whose type neither its bytes nor its descriptor tell (the descriptor names
    /// something that is not a manifest type, and the bytes have no recognisable shape).
    #[error("{digest}: the descriptor says {declared}, which is not a manifest type, and the bytes do not say what they are")]
    UnknownManifestType {
        /// The manifest.
        digest: Digest,
        /// The media type the descriptor gave.
        declared: oci_manifest::MediaType,
    },
    /// A list or index names something that is not a manifest.
    #[error("{parent} lists {child} of type {media_type}, which is not a manifest")]
    ListsNonManifest {
        /// The list or index.
        parent: Digest,
        /// The entry.
        child: Digest,
        /// The entry's media type (boxed: every `Result` of the crate would otherwise grow).
        media_type: Box<oci_manifest::MediaType>,
    },
    /// A list or index has no entry for the platform asked for.
    #[error("{image} has no image for platform {wanted} ({})", offered(available))]
    NoMatchingPlatform {
        /// The list or index, as the user named it.
        image: String,
        /// The platform asked for.
        wanted: Box<oci_manifest::Platform>,
        /// The platforms the list or index offers, one per entry (an entry
        /// without one is named as such).
        available: Vec<String>,
    },
    /// Platforms to copy a subset of were given for an image that is not a list or index.
    #[error("{image} is one image, not a list or index: there is no subset of platforms to copy")]
    NotAList {
        /// The image, as the user named it.
        image: String,
    },
    /// The manifest format cannot be stored where it was going.
    #[error("{media_type} manifests cannot be stored in an OCI image layout; convert the image first")]
    UnsupportedInLayout {
        /// The manifest's media type.
        media_type: oci_manifest::MediaType,
    },
    /// An image that cannot be an entry of the index or list being made: a list or index
    /// itself, a schema1 manifest (it has no config to read a platform from), or an OCI
    /// manifest for a Docker list.
    #[error("{}", not_listable(media_type, list))]
    NotListable {
        /// The image's manifest.
        digest: Digest,
        /// Its media type.
        media_type: oci_manifest::MediaType,
        /// The media type of the index or list.
        list: oci_manifest::MediaType,
    },
    /// A manifest pulled as an artifact has no file layers (it is a list or index, or schema1).
    #[error("a {media_type} is not an artifact (it has no file layers)")]
    NotAnArtifact {
        /// The manifest's media type.
        media_type: oci_manifest::MediaType,
    },
    /// An artifact layer's title cannot name a file under the directory it is pulled into;
    /// nothing was written.
    #[error("refusing layer title {}: {reason}", title.escape_debug())]
    UnsafeTitle {
        /// The title, as the manifest gives it.
        title: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// Two layers of an artifact carry the same title; nothing was written.
    #[error("two layers are titled {}", title.escape_debug())]
    DuplicateTitle {
        /// The title.
        title: String,
    },
    /// A directory on the way to a file being pulled is not one this crate writes through:
    /// a symlink (it could lead anywhere) or not a directory.
    #[error("{} {reason}", path.display())]
    UnsafePath {
        /// The path.
        path: PathBuf,
        /// What it is.
        reason: &'static str,
    },
    /// A rewrite (a format conversion) could not be applied to the image: the rewrite's own
    /// error, whole (downcast it to the rewriter's error type).
    #[error(transparent)]
    Rewrite(BoxError),

    // Archives (`docker-archive:`, `oci-archive:`): everything in one is untrusted.
    /// The file is not a tar archive.
    #[error("{} is not a tar archive: {reason}", path.display())]
    NotATar {
        /// The file.
        path: PathBuf,
        /// What it is instead, or what the tar reader said.
        reason: String,
    },
    /// The file is compressed as a whole (`docker save | gzip`): its members cannot be
    /// reached by offset.
    #[error("{} is a {compression}-compressed file, not a tar archive: decompress it first", path.display())]
    CompressedArchive {
        /// The file.
        path: PathBuf,
        /// The compression its first bytes show.
        compression: &'static str,
    },
    /// A member's content runs past the end of the file: the archive was cut short.
    #[error("{} is truncated: member {member:?} is missing its last {missing} bytes", path.display())]
    TruncatedArchive {
        /// The file.
        path: PathBuf,
        /// The member cut short.
        member: String,
        /// How many of its bytes are not in the file.
        missing: u64,
    },
    /// A member header is damaged (or cut off) after good ones.
    #[error("{} is damaged after member {after:?}: {reason}", path.display())]
    DamagedArchive {
        /// The file.
        path: PathBuf,
        /// The last good member.
        after: String,
        /// What the tar reader said.
        reason: String,
    },
    /// A member that a careful unpacker refuses: an absolute name, a `..` component, a
    /// name given twice.
    #[error("{}: member {member:?} is refused: {reason}", path.display())]
    UnsafeArchiveMember {
        /// The file.
        path: PathBuf,
        /// The member's name as written.
        member: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A link member standing in for content that it cannot stand in for: its target is
    /// outside the archive, missing, not a regular file, or a link itself.
    #[error("{}: member {member:?} links to {target:?}, refused: {reason}", path.display())]
    ArchiveLink {
        /// The file.
        path: PathBuf,
        /// The link member.
        member: String,
        /// Its target as written.
        target: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A member the archive's own metadata names is not there (or is no file).
    #[error("{}: {referrer} names member {member:?}, which {reason}", path.display())]
    MissingArchiveMember {
        /// The file.
        path: PathBuf,
        /// The member named.
        member: String,
        /// What names it (`manifest.json`, `index.json`, the format).
        referrer: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A metadata member (`manifest.json`, `index.json`, a config) is larger than this
    /// client reads into memory.
    #[error("{}: member {member:?} is {size} bytes, more than the {limit} bytes read into memory", path.display())]
    ArchiveMemberTooLarge {
        /// The file.
        path: PathBuf,
        /// The member.
        member: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A metadata member is not the JSON its format specifies.
    #[error("{}: member {member:?} is malformed: {source}", path.display())]
    MalformedArchiveMember {
        /// The file.
        path: PathBuf,
        /// The member.
        member: String,
        /// The parser's report.
        #[source]
        source: serde_json::Error,
    },
    /// A legacy docker-archive's v1 images (`repositories`, `ID/json`, `ID/layer.tar`) do
    /// not make an image: an ID that is no v1 ID, a parent that is missing or loops back,
    /// a chain deeper than Docker takes, a json that does not parse.
    #[error("{}: legacy image {id}: {reason}", path.display())]
    LegacyImage {
        /// The file.
        path: PathBuf,
        /// The v1 ID (or `NAME:TAG`) at fault, as written.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// The image asked for is not in the archive.
    #[error("{} has no image {wanted} (it holds {count})", path.display())]
    ArchiveImageNotFound {
        /// The file.
        path: PathBuf,
        /// The `NAME:TAG`, `@N` or tag asked for.
        wanted: String,
        /// How many images it holds.
        count: usize,
    },
    /// No image was named and the archive does not hold exactly one.
    #[error("{} holds {count} images; name one (docker-archive: FILE:NAME:TAG or FILE:@N, oci-archive: FILE:TAG)", path.display())]
    AmbiguousArchive {
        /// The file.
        path: PathBuf,
        /// How many images it holds.
        count: usize,
    },
    /// `manifest.json` lists a different number of layers than the config has diffIDs.
    #[error("{}: manifest.json lists {layers} layers for {config}, whose config has {diff_ids} diffIDs", path.display())]
    ArchiveLayerCount {
        /// The file.
        path: PathBuf,
        /// The config member.
        config: String,
        /// Layers listed.
        layers: usize,
        /// diffIDs in the config.
        diff_ids: usize,
    },
    /// A layer's uncompressed content is not the diffID the image config gives it: a layer
    /// recompressed on the way, or one read from or written into an archive (`path`); the
    /// layer was not committed.
    #[error(
        "{}layer {layer} unpacks to {}, but the image config says its diff_id is {}",
        path.as_ref().map(|path| format!("{}: ", path.display())).unwrap_or_default(),
        mismatch.actual(),
        mismatch.expected()
    )]
    DiffIdMismatch {
        /// The archive read or written, if the layer was in one.
        path: Option<PathBuf>,
        /// The layer (its digest, or its archive member).
        layer: String,
        /// The config's diffID (expected) and the digest of the layer's uncompressed
        /// content (actual).
        mismatch: Box<Mismatch>,
    },
    /// A layer compressed in a way the archive format cannot name or store.
    #[error("{}: layer {layer} is {compression}-compressed, which a docker-archive cannot hold", path.display())]
    UnsupportedLayerCompression {
        /// The archive.
        path: PathBuf,
        /// The layer (its member, or its digest).
        layer: String,
        /// The compression its first bytes show.
        compression: &'static str,
    },
    /// A compressed layer does not decompress.
    #[error("layer {digest} is not valid {compression}: {source}")]
    CorruptLayer {
        /// The layer.
        digest: Digest,
        /// The compression its first bytes show.
        compression: &'static str,
        /// The decoder's report.
        #[source]
        source: std::io::Error,
    },
    /// The image cannot be stored in the archive format it is going to.
    #[error("{}: {what} cannot be stored: {reason}", path.display())]
    ArchiveCannotHold {
        /// The archive.
        path: PathBuf,
        /// What cannot be stored (a manifest type, a layer, a member).
        what: String,
        /// Why.
        reason: &'static str,
    },
    /// The archive was already finished (or a failed write left it unusable).
    #[error("{} is already written; nothing more can be added to it", path.display())]
    ArchiveClosed {
        /// The archive.
        path: PathBuf,
    },
    /// A sync's archive was left as it was: images of the run failed, and an
    /// archive is written whole or not at all.
    #[error("{} was not written: {failed} image(s) of the run failed, and an archive is written whole or not at all", path.display())]
    ArchiveNotWritten {
        /// The archive.
        path: PathBuf,
        /// How many images (or repositories' listings) failed.
        failed: usize,
    },
    /// An archive reference (`FILE[:NAME:TAG|:@N]`, `FILE[:TAG]`) that does not parse.
    #[error("{input:?} is not an archive reference: {reason}")]
    InvalidArchiveReference {
        /// The text given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },

    // Recompression (`TransferOptions::recompress`).
    /// A layer packing name other than `none`, `gzip` or `zstd`.
    #[error("{input:?} is not a layer compression (use none, gzip or zstd)")]
    UnknownCompression {
        /// The name as given.
        input: String,
    },
    /// A compression level the compression does not take.
    #[error("{compression} has no level {level} (it takes {})", level_range(*range))]
    CompressionLevel {
        /// The compression.
        compression: crate::image::LayerCompression,
        /// The level asked for.
        level: i32,
        /// The levels it takes, lowest and highest; `None` when it takes none.
        range: Option<(i32, i32)>,
    },
    /// Layers would be recompressed into a packing the manifest format they are written in
    /// has no media type for (zstd in Docker schema2; anything but gzip in schema1); nothing
    /// was written.
    #[error("{}", compression_unsupported(manifest, *compression))]
    CompressionUnsupported {
        /// The type of the manifest the layers would be written in.
        manifest: oci_manifest::MediaType,
        /// The packing asked for.
        compression: crate::image::LayerCompression,
    },
    /// An image config does not list one diffID per layer, so a recompressed layer could not
    /// be checked against it; nothing was written.
    #[error("the config of image {manifest} lists {diff_ids} diff_ids for {layers} layers, so its layers cannot be recompressed and checked")]
    DiffIdsMissing {
        /// The image manifest.
        manifest: Digest,
        /// Its layers.
        layers: usize,
        /// The diffIDs its config lists.
        diff_ids: usize,
    },
    /// An image config is not the JSON an image config is.
    #[error("image config {digest}: {source}")]
    InvalidConfig {
        /// The config blob.
        digest: Digest,
        /// The parser's report.
        #[source]
        source: serde_json::Error,
    },
    /// A layer could not be recompressed: it is packed with bzip2 or xz, or the packer
    /// failed (a layer that does not unpack is [`Error::CorruptLayer`]); the recompressed
    /// layer was not committed.
    #[error("layer {layer} cannot be recompressed: {source}")]
    Recompress {
        /// The source layer.
        layer: Digest,
        /// What unpacking or packing reported.
        #[source]
        source: std::io::Error,
    },
    /// Layers were to be recompressed for a destination that stores every layer in another
    /// packing (a docker-archive keeps plain tars); nothing was written.
    #[error("{destination} stores layers as {packing}, so they cannot be recompressed to {asked}")]
    DestinationPacking {
        /// The destination.
        destination: String,
        /// The packing it stores layers in.
        packing: crate::image::LayerCompression,
        /// The packing asked for.
        asked: crate::image::LayerCompression,
    },
    /// Content made on the way (a recompressed layer) ended before it was complete: what
    /// made it stopped. Nothing was committed.
    #[error("a recompressed layer ended before it was complete")]
    RecompressStopped,
    /// Digests were to be preserved, but the operation would change one; nothing was written.
    #[error("{image}: digests are to be preserved, but {change}; nothing was written")]
    DigestsWouldChange {
        /// The image, as the user named it.
        image: String,
        /// What would change a digest.
        change: DigestChange,
    },

    /// An error with the registry, repository or digest it happened to.
    #[error("{context}: {source}")]
    WithContext {
        /// What the operation was about.
        context: Context,
        /// The underlying error.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// [`Error::SyncInput`] from its parts.
    pub(crate) fn sync_input(origin: &str, line: Option<usize>, problem: impl Into<String>) -> Error {
        Error::SyncInput {
            origin: origin.to_owned(),
            line,
            problem: problem.into(),
        }
    }

    /// Whether the error is bad input (a sync file or flag) rather than a failed operation.
    pub fn is_bad_input(&self) -> bool {
        matches!(self.root(), Error::SyncInput { .. })
    }

    /// The innermost error, past any [`Error::WithContext`] wrappers.
    pub fn root(&self) -> &Error {
        match self {
            Error::WithContext { source, .. } => source.root(),
            other => other,
        }
    }

    /// The HTTP status, when the registry answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self.root() {
            Error::Registry { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The registry's diagnostics (empty when there were none).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self.root() {
            Error::Registry { diagnostics, .. } => diagnostics,
            _ => &[],
        }
    }

    fn has_code(&self, wanted: impl Fn(&ErrorCode) -> bool) -> bool {
        self.diagnostics().iter().any(|d| wanted(d.code()))
    }

    /// The thing asked for does not exist (404, or a `*_UNKNOWN` code; a tag or blob absent
    /// from a layout).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.root(),
            Error::TagNotFound { .. } | Error::BlobNotFound { .. } | Error::ArchiveImageNotFound { .. }
        ) || self.status() == Some(StatusCode::NOT_FOUND)
            || self.has_code(ErrorCode::is_not_found)
    }

    /// Credentials are missing or were rejected (401, `UNAUTHORIZED`).
    ///
    /// Also true when the token service refused the credentials.
    pub fn is_unauthorized(&self) -> bool {
        let token_refused = matches!(self.root(), Error::Auth { source, .. } if source.is_unauthorized());
        token_refused
            || self.status() == Some(StatusCode::UNAUTHORIZED)
            || self.has_code(|c| *c == ErrorCode::Unauthorized)
    }

    /// The credentials were accepted but lack access (403, `DENIED`).
    pub fn is_denied(&self) -> bool {
        self.status() == Some(StatusCode::FORBIDDEN) || self.has_code(|c| *c == ErrorCode::Denied)
    }

    /// The registry is rate limiting (429, `TOOMANYREQUESTS`).
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
            || self.has_code(|c| *c == ErrorCode::TooManyRequests)
    }

    /// Whether the registry's TLS certificate failed verification.
    pub fn is_tls_verification(&self) -> bool {
        matches!(self.root(), Error::TlsVerification { .. })
    }

    /// Whether the connection broke, stalled or was refused before the exchange finished:
    /// the failures worth repeating a whole operation for.
    pub(crate) fn is_broken_connection(&self) -> bool {
        matches!(
            self.root(),
            Error::Connection { .. } | Error::Body { .. } | Error::Timeout { .. }
        )
    }

    /// Whether content failed its digest check.
    pub fn is_digest_mismatch(&self) -> bool {
        self.digest_mismatch().is_some()
    }

    /// The digest mismatch, when content failed its digest check.
    pub fn digest_mismatch(&self) -> Option<&Mismatch> {
        match self.root() {
            Error::DigestMismatch(mismatch) => Some(mismatch),
            Error::DiffIdMismatch { mismatch, .. } => Some(mismatch),
            _ => None,
        }
    }

    /// Wraps an `io::Error` from reading verified content: the digest mismatch a verifying
    /// reader reports keeps its own variant.
    pub(crate) fn read(action: &'static str, path: PathBuf, error: std::io::Error) -> Error {
        match oci_digest::mismatch(&error) {
            Some(mismatch) => Error::DigestMismatch(mismatch.clone()),
            None => Error::Io {
                action,
                path,
                source: error,
            },
        }
    }

    /// Wraps an `io::Error` with what was being done and where.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { action, path, source }
    }

    /// Wraps the error with what it happened to.
    pub(crate) fn context(self, context: Context) -> Error {
        Error::WithContext {
            context,
            source: Box::new(self),
        }
    }
}

impl From<oci_digest::Error> for Error {
    /// A mismatch becomes [`Error::DigestMismatch`], so that it has one shape.
    fn from(error: oci_digest::Error) -> Error {
        match error {
            oci_digest::Error::Mismatch(mismatch) => Error::DigestMismatch(mismatch),
            other => Error::Digest(other),
        }
    }
}

/// What would change a digest, for [`Error::DigestsWouldChange`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DigestChange {
    /// A layer would be recompressed (and so would the manifests naming it).
    Recompress {
        /// The layer.
        layer: Digest,
        /// The packing it would get.
        to: crate::image::LayerCompression,
    },
    /// The manifest would be converted into another format.
    Convert {
        /// The format it has.
        from: oci_manifest::MediaType,
        /// The format it would get.
        to: oci_manifest::MediaType,
    },
    /// Some platforms of a list or index would be copied as a new list or index.
    PlatformSubset,
}

impl fmt::Display for DigestChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DigestChange::Recompress { layer, to } => {
                write!(f, "layer {layer} would be recompressed to {to}")
            }
            DigestChange::Convert { from, to } => {
                write!(f, "the manifest would be converted from {from} to {to}")
            }
            DigestChange::PlatformSubset => {
                f.write_str("a subset of the platforms would be written as a new list or index")
            }
        }
    }
}

/// The levels a compression takes, for [`Error::CompressionLevel`].
fn level_range(range: Option<(i32, i32)>) -> String {
    match range {
        Some((min, max)) => format!("{min} to {max}"),
        None => "none".to_owned(),
    }
}

/// Why layers cannot be packed so in a manifest format, for [`Error::CompressionUnsupported`].
fn compression_unsupported(
    manifest: &oci_manifest::MediaType,
    compression: crate::image::LayerCompression,
) -> String {
    match manifest {
        oci_manifest::MediaType::DockerSchema2 => format!(
            "Docker schema2 manifests have no media type for {compression} layers; \
             write an OCI manifest instead (convert --to oci)"
        ),
        m if m.is_schema1() => format!(
            "schema1 manifests name no layer packing but gzip, so layers cannot become {compression}; \
             convert the image to schema2 or OCI first"
        ),
        other => format!("{other} manifests cannot name {compression} layers"),
    }
}

/// Why a manifest of `media_type` cannot be listed in a `list`, for [`Error::NotListable`].
fn not_listable(media_type: &oci_manifest::MediaType, list: &oci_manifest::MediaType) -> String {
    if media_type.is_schema1() {
        "a schema1 manifest cannot be listed".to_owned()
    } else if *media_type == oci_manifest::MediaType::OciManifest
        && *list == oci_manifest::MediaType::DockerManifestList
    {
        "a Docker manifest list holds Docker schema2 manifests, and this is an OCI manifest".to_owned()
    } else {
        format!("a {media_type} is not one image; name one platform's manifest")
    }
}

/// What a list or index offers, for [`Error::NoMatchingPlatform`]: never an empty list.
fn offered(available: &[String]) -> String {
    if available.is_empty() {
        "it lists no images".to_owned()
    } else {
        format!("it has: {}", available.join(", "))
    }
}

/// What an operation was about: the registry, and where known the repository and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    registry: String,
    repository: Option<String>,
    digest: Option<Digest>,
}

impl Context {
    pub(crate) fn registry(registry: &str) -> Context {
        Context {
            registry: registry.to_owned(),
            repository: None,
            digest: None,
        }
    }

    pub(crate) fn repository(registry: &str, repository: &str) -> Context {
        Context {
            repository: Some(repository.to_owned()),
            ..Context::registry(registry)
        }
    }

    pub(crate) fn with_digest(mut self, digest: &Digest) -> Context {
        self.digest = Some(digest.clone());
        self
    }

    /// The registry host.
    pub fn registry_host(&self) -> &str {
        &self.registry
    }

    /// The repository, when the operation had one.
    pub fn repository_name(&self) -> Option<&str> {
        self.repository.as_deref()
    }

    /// The digest, when the operation had one.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.registry)?;
        if let Some(repository) = &self.repository {
            write!(f, "/{repository}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// An error and its causes on one line: transport errors put the useful part (connection
/// refused, certificate unknown) in their sources.
struct Chain<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(error) = cause {
            write!(f, ": {error}")?;
            cause = error.source();
        }
        Ok(())
    }
}

struct DiagnosticList<'a>(&'a [Diagnostic]);

impl fmt::Display for DiagnosticList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.0.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

/// A URL as it may appear in a message: without the query, which can carry upload state or
/// signed CDN parameters.
pub(crate) fn display_url(uri: &http::Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("http");
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or("");
    format!("{scheme}://{authority}{}", uri.path())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::parse_diagnostics;

    fn registry_error(status: u16, body: &str) -> Error {
        Error::Registry {
            method: Method::GET,
            url: "http://127.0.0.1:5000/v2/a/manifests/latest".into(),
            status: StatusCode::from_u16(status).unwrap(),
            diagnostics: parse_diagnostics(body.as_bytes()),
        }
    }

    #[test]
    fn predicates_follow_status_and_codes() {
        // (status, body, not_found, unauthorized, denied, rate_limited)
        let cases = [
            (404, "", true, false, false, false),
            (
                400,
                r#"{"errors":[{"code":"BLOB_UNKNOWN"}]}"#,
                true,
                false,
                false,
                false,
            ),
            (401, "", false, true, false, false),
            (
                400,
                r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#,
                false,
                true,
                false,
                false,
            ),
            (403, "", false, false, true, false),
            (401, r#"{"errors":[{"code":"DENIED"}]}"#, false, true, true, false),
            (429, "", false, false, false, true),
            (
                503,
                r#"{"errors":[{"code":"TOOMANYREQUESTS"}]}"#,
                false,
                false,
                false,
                true,
            ),
            (500, "oops", false, false, false, false),
        ];
        for (status, body, nf, ua, de, rl) in cases {
            let e = registry_error(status, body).context(Context::repository("r", "a"));
            assert_eq!(e.is_not_found(), nf, "{status} {body}");
            assert_eq!(e.is_unauthorized(), ua, "{status} {body}");
            assert_eq!(e.is_denied(), de, "{status} {body}");
            assert_eq!(e.is_rate_limited(), rl, "{status} {body}");
        }
    }

    #[test]
    fn messages_carry_context_and_diagnostics() {
        let digest = Digest::sha256(b"x");
        let e = registry_error(
            404,
            r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
        )
        .context(Context::repository("127.0.0.1:5000", "a/b").with_digest(&digest));
        assert_eq!(
            e.to_string(),
            format!(
                "127.0.0.1:5000/a/b@{digest}: GET http://127.0.0.1:5000/v2/a/manifests/latest \
                 answered 404 Not Found: MANIFEST_UNKNOWN: manifest unknown"
            )
        );
        assert_eq!(e.status(), Some(StatusCode::NOT_FOUND));
    }

    #[test]
    fn connection_errors_show_their_causes() {
        let cause = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        #[derive(Debug, thiserror::Error)]
        #[error("client error (Connect)")]
        struct Outer(#[source] std::io::Error);
        let e = Error::Connection {
            method: Method::GET,
            url: "http://127.0.0.1:1/v2/".into(),
            source: Box::new(Outer(cause)),
        };
        assert_eq!(
            e.to_string(),
            "GET http://127.0.0.1:1/v2/: connection failed: client error (Connect): connection refused"
        );
    }

    #[test]
    fn no_matching_platform_never_lists_nothing() {
        let error = |available: &[&str]| Error::NoMatchingPlatform {
            image: "img".to_owned(),
            wanted: Box::new(oci_manifest::Platform::new("linux", "s390x")),
            available: available.iter().map(|p| (*p).to_owned()).collect(),
        };
        assert_eq!(
            error(&[]).to_string(),
            "img has no image for platform linux/s390x (it lists no images)"
        );
        assert_eq!(
            error(&["linux/amd64", "an entry without a platform"]).to_string(),
            "img has no image for platform linux/s390x (it has: linux/amd64, an entry without a platform)"
        );
    }

    #[test]
    fn errors_stay_small_enough_to_return() {
        // Clippy's `result_large_err` starts at 128 bytes; large variants box their parts.
        assert!(size_of::<Error>() < 128, "{}", size_of::<Error>());
    }

    #[test]
    fn a_mismatch_has_one_shape_however_it_arrives() {
        let mismatch = Mismatch::new(Digest::sha256(b"a"), Digest::sha256(b"b"));
        let from_digest = Error::from(oci_digest::Error::Mismatch(mismatch.clone()));
        assert_eq!(from_digest.digest_mismatch(), Some(&mismatch));
        let read = Error::read(
            "cannot read",
            PathBuf::from("blob"),
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                oci_digest::Error::Mismatch(mismatch.clone()),
            ),
        );
        assert_eq!(read.digest_mismatch(), Some(&mismatch));
        assert_eq!(read.to_string(), mismatch.to_string());
    }

    #[test]
    fn urls_are_shown_without_query() {
        let uri: http::Uri = "https://cdn.example/blob/x?sig=secret&exp=1".parse().unwrap();
        assert_eq!(display_url(&uri), "https://cdn.example/blob/x");
    }
}
