//! Recompression through the engine against a real `docker-registry`: layers made on the way
//! are uploaded in one `PUT`, one streamed `PATCH` or chunked `PATCH`es and committed under the
//! digest they turned out to have; a broken upload is made again; a layer that is not its
//! config's, or a source that is not its digest's, leaves nothing behind; a destination that
//! cannot stream takes the layer spooled.

use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use http::Method;
use oci_digest::Digest;
use oci_manifest::{Manifest, MediaType, Reference};
use registry_client::image::{
    self, BlobStart, ImageDestination, ImageLocation, LayerCompression, LayoutDestination, LayoutSource,
    ManifestData, ManifestRole, NoProgress, Recompress, TransferOptions,
};
use registry_client::layout::{LayoutTag, OciLayout};
use registry_client::{Client, Error, RepositoryRef};
use skiff_integration::{Fault, FaultProxy, Match, RandomImage, Registry, Route, Rule, LAYOUT_TAG};

use crate::util::builder;

fn reference(host: &str, name: &str) -> Reference {
    format!("{host}/{name}").parse().expect("valid reference")
}

fn zstd() -> TransferOptions {
    TransferOptions::new().recompress(Recompress::new(LayerCompression::Zstd))
}

/// The image of `image`'s layout, as an engine source.
async fn source(image: &RandomImage) -> LayoutSource {
    let layout = OciLayout::open(image.layout_dir()).await.unwrap();
    let tag: LayoutTag = LAYOUT_TAG.parse().unwrap();
    LayoutSource::new(&layout, Some(&tag))
}

/// Copies `image` to `to` through `client` with `options`, bounded in time.
async fn copy(
    client: &Client,
    image: &RandomImage,
    to: &Reference,
    options: &TransferOptions,
) -> Result<image::TransferReport, Error> {
    let from = source(image).await;
    let destination = ImageLocation::Registry(to.clone()).destination(client);
    tokio::time::timeout(
        Duration::from_secs(120),
        image::copy_image(&from, &*destination, options, Arc::new(NoProgress)),
    )
    .await
    .expect("the copy ends within two minutes")
}

/// The layers of the manifest at `at`, checked: each zstd-typed, zstd inside, unpacking to
/// the diffID the image has.
async fn assert_zstd_layers(client: &Client, at: &Reference, image: &RandomImage) -> Manifest {
    let fetched = client.get_manifest(at).await.unwrap();
    let manifest = Manifest::parse(fetched.bytes(), Some(fetched.media_type().as_str())).unwrap();
    let layers = manifest.layer_descriptors().unwrap();
    assert_eq!(layers.len(), image.diff_ids().len());
    let repository = RepositoryRef::from(at);
    for (layer, diff_id) in layers.iter().zip(image.diff_ids()) {
        assert_eq!(layer.media_type(), &MediaType::OciLayerZstd);
        let mut stream = client.get_blob(&repository, layer.digest()).await.unwrap();
        let mut packed = Vec::new();
        while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
            packed.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(packed.len() as u64, layer.size());
        let mut tar = Vec::new();
        zstd::stream::read::Decoder::new(&packed[..])
            .unwrap()
            .read_to_end(&mut tar)
            .unwrap();
        assert_eq!(&Digest::sha256(&tar).to_string(), diff_id);
    }
    manifest
}

#[tokio::test]
async fn layers_made_on_the_way_go_whole_streamed_or_chunked_and_get_one_digest() {
    let registry = Registry::anonymous();
    let image = RandomImage::build("made/app", &[300_000, 900]);
    let clients = [
        ("whole", builder().build().unwrap()),
        (
            "streamed",
            builder().monolithic_upload_limit(1024).build().unwrap(),
        ),
        (
            "chunked",
            builder()
                .monolithic_upload_limit(1024)
                .upload_chunk_size(64 * 1024)
                .build()
                .unwrap(),
        ),
    ];
    let mut digests = Vec::new();
    for (how, client) in &clients {
        let to = reference(registry.addr(), &format!("made/{how}:1"));
        let report = copy(client, &image, &to, &zstd()).await.unwrap();
        assert_eq!(
            report.blobs_transferred(),
            3,
            "{how}: two layers made, the config moved"
        );
        let manifest = assert_zstd_layers(client, &to, &image).await;
        assert_eq!(report.digest(), &manifest.digest(), "{how}");
        digests.push(report.digest().clone());
    }
    assert!(digests.windows(2).all(|pair| pair[0] == pair[1]), "{digests:?}");
}

#[tokio::test]
async fn a_recompressed_upload_whose_connection_broke_is_made_again() {
    let registry = Registry::anonymous();
    let proxy = FaultProxy::start(&registry);
    let image = RandomImage::build("broken/app", &[400_000]);
    let client = builder().monolithic_upload_limit(1024).build().unwrap();
    proxy.add(
        Rule::new(
            Match::any().method(Method::PATCH),
            Fault::CutRequestAfter(100_000),
        )
        .times(1),
    );
    let to = reference(&proxy.addr(), "broken/app:1");
    let report = copy(&client, &image, &to, &zstd()).await.unwrap();
    assert_eq!(proxy.faults_applied(), 1);
    // The layer's upload was opened again, and the source read again for it.
    assert!(proxy.count(&Method::POST, Route::Upload) >= 3);
    let direct = reference(registry.addr(), "broken/app:1");
    let manifest = assert_zstd_layers(&client, &direct, &image).await;
    assert_eq!(report.digest(), &manifest.digest());
}

/// A layout holding `image` with its config's diffID of layer 0 replaced.
async fn with_wrong_diff_id(image: &RandomImage, dir: &Path) -> OciLayout {
    let layout = OciLayout::create(dir).await.unwrap();
    let mut config: serde_json::Value = serde_json::from_slice(&image.blob(image.config().digest())).unwrap();
    config["rootfs"]["diff_ids"][0] = serde_json::json!(Digest::sha256(b"not this tar"));
    let config = serde_json::to_vec(&config).unwrap();
    let config_digest = Digest::sha256(&config);
    layout.write_blob(&config_digest, &config).await.unwrap();
    let mut layers = Vec::new();
    for layer in image.layers() {
        let digest: Digest = layer.digest().parse().unwrap();
        layout
            .write_blob(&digest, &image.blob(layer.digest()))
            .await
            .unwrap();
        layers.push(oci_manifest::Descriptor::new(
            MediaType::OciLayerGzip,
            digest,
            layer.size(),
        ));
    }
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MediaType::OciManifest.as_str(),
        "config": oci_manifest::Descriptor::new(MediaType::OciConfig, config_digest, config.len() as u64),
        "layers": layers,
    }))
    .unwrap();
    let bytes = &manifest[..];
    let digest = Digest::sha256(bytes);
    layout.write_blob(&digest, bytes).await.unwrap();
    let tag: LayoutTag = LAYOUT_TAG.parse().unwrap();
    layout
        .set_tag(
            &tag,
            oci_manifest::Descriptor::new(MediaType::OciManifest, digest, bytes.len() as u64),
        )
        .await
        .unwrap();
    layout
}

#[tokio::test]
async fn a_layer_that_is_not_its_configs_is_not_committed_midway_through_its_upload() {
    let registry = Registry::anonymous();
    let image = RandomImage::build("lying/app", &[300_000]);
    let dir = tempfile::tempdir().unwrap();
    let layout = with_wrong_diff_id(&image, dir.path()).await;
    let tag: LayoutTag = LAYOUT_TAG.parse().unwrap();
    let from = LayoutSource::new(&layout, Some(&tag));
    // Streamed: the mismatch shows once the whole layer went into the PATCH.
    let client = builder().monolithic_upload_limit(1024).build().unwrap();
    let to = reference(registry.addr(), "lying/app:1");
    let destination = ImageLocation::Registry(to.clone()).destination(&client);
    let error = image::copy_image(&from, &*destination, &zstd(), Arc::new(NoProgress))
        .await
        .unwrap_err();
    assert!(error.is_digest_mismatch(), "{error}");
    assert!(matches!(error.root(), Error::DiffIdMismatch { .. }), "{error}");
    assert!(
        registry.stored_blobs().is_empty(),
        "{:?}",
        registry.stored_blobs()
    );
    assert!(registry.uploads_holding_data().is_empty());
    assert!(client.get_manifest(&to).await.unwrap_err().is_not_found());
}

/// A layout destination that only knows how to take blobs whose digest it is told first:
/// recompressed layers reach it through the default, spooling `put_computed_blob`.
struct DigestFirst(LayoutDestination);

impl std::fmt::Display for DigestFirst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl ImageDestination for DigestFirst {
    fn has_blob<'a>(&'a self, digest: &'a Digest) -> BoxFuture<'a, Result<bool, Error>> {
        self.0.has_blob(digest)
    }

    fn start_blob<'a>(
        &'a self,
        digest: &'a Digest,
        mount_from: Option<&'a RepositoryRef>,
    ) -> BoxFuture<'a, Result<BlobStart, Error>> {
        self.0.start_blob(digest, mount_from)
    }

    fn put_manifest<'a>(
        &'a self,
        manifest: &'a ManifestData,
        role: ManifestRole<'a>,
    ) -> BoxFuture<'a, Result<Digest, Error>> {
        self.0.put_manifest(manifest, role)
    }
}

#[tokio::test]
async fn a_destination_that_needs_the_digest_first_gets_the_layer_spooled() {
    let image = RandomImage::build("spooled/app", &[200_000, 50]);
    let dir = tempfile::tempdir().unwrap();
    let layout = OciLayout::create(dir.path()).await.unwrap();
    let tag: LayoutTag = "z".parse().unwrap();
    let destination = DigestFirst(LayoutDestination::new(&layout, Some(&tag)));
    let from = source(&image).await;
    let report = image::copy_image(&from, &destination, &zstd(), Arc::new(NoProgress))
        .await
        .unwrap();
    let (_, bytes) = layout.manifest(Some(&tag)).await.unwrap();
    assert_eq!(&Digest::sha256(&bytes), report.digest());
    let manifest = Manifest::parse(&bytes, None).unwrap();
    for (layer, diff_id) in manifest.layer_descriptors().unwrap().iter().zip(image.diff_ids()) {
        assert_eq!(layer.media_type(), &MediaType::OciLayerZstd);
        let packed = layout.read_blob(layer.digest(), 1 << 20).await.unwrap();
        let tar = zstd::decode_all(&packed[..]).unwrap();
        assert_eq!(&Digest::sha256(&tar).to_string(), diff_id);
    }
    // The same image straight into a layout that writes in place is the same image.
    let other = tempfile::tempdir().unwrap();
    let in_place = OciLayout::create(other.path()).await.unwrap();
    let straight = LayoutDestination::new(&in_place, Some(&tag));
    let again = image::copy_image(&from, &straight, &zstd(), Arc::new(NoProgress))
        .await
        .unwrap();
    assert_eq!(again.digest(), report.digest());
}
