//! Whole-image conversion against a real `docker-registry`, with skopeo as
//! the judge: what we write, skopeo reads, and where skopeo converts the same
//! image itself, our result agrees with its result.

use oci_digest::{known, Digest};
use oci_manifest::{
    Descriptor, Flavour, ImageIndex, ImageManifest, Manifest, MediaType, Platform, Reference,
};
use registry_client::{Client, RepositoryRef};
use serde_json::{json, Value};
use skiff_integration::{ImageFormat, ImageRef, RandomImage, Registry, Skopeo};
use v1_compat::{convert, ConvertOptions, Converted, Error, TargetFormat};

fn reference(registry: &Registry, name: &str) -> Reference {
    registry.reference(name).parse().expect("a valid reference")
}

/// Converts `source` to `target` at `destination`, failing with the registry log.
async fn convert_or_fail(
    client: &Client,
    registry: &Registry,
    source: &str,
    destination: &str,
    target: TargetFormat,
) -> Converted {
    let source = reference(registry, source);
    let destination = reference(registry, destination);
    convert(client, &source, &destination, target, &ConvertOptions::new())
        .await
        .unwrap_or_else(|e| registry.fail(format!("convert {source} -> {destination} as {target}: {e}")))
}

/// The manifest and the config JSON of an image.
struct Pulled {
    manifest: Manifest,
    media_type: MediaType,
    digest: Digest,
    config: Value,
}

async fn pull(client: &Client, reference: &Reference) -> Pulled {
    let fetched = client.get_manifest(reference).await.expect("fetch manifest");
    let manifest = fetched.parse().expect("parse manifest");
    let config = match manifest.config() {
        Some(descriptor) => {
            let blob = client
                .get_blob(&RepositoryRef::from(reference), descriptor.digest())
                .await
                .expect("fetch config")
                .bytes(1 << 20)
                .await
                .expect("read config");
            serde_json::from_slice(&blob).expect("config JSON")
        }
        None => Value::Null,
    };
    Pulled {
        media_type: fetched.media_type().clone(),
        digest: fetched.digest().clone(),
        manifest,
        config,
    }
}

fn layer_digests(manifest: &Manifest) -> Vec<String> {
    manifest
        .layer_infos()
        .iter()
        .map(|info| info.digest().to_string())
        .collect()
}

fn layer_types(manifest: &Manifest) -> Vec<MediaType> {
    manifest
        .layer_descriptors()
        .unwrap_or_default()
        .iter()
        .map(|layer| layer.media_type().clone())
        .collect()
}

/// The config members a format conversion must carry over unchanged.
fn essentials(config: &Value) -> Value {
    json!({
        "diff_ids": config["rootfs"]["diff_ids"],
        "env": config["config"]["Env"],
        "labels": config["config"]["Labels"],
        "architecture": config["architecture"],
        "os": config["os"],
        "created": config["created"],
        "history_length": config["history"].as_array().map(Vec::len),
    })
}

fn assert_pushed_as_reported(converted: &Converted, pulled: &Pulled) {
    assert_eq!(converted.digest(), &pulled.digest);
    assert_eq!(converted.media_type(), &pulled.media_type);
}

#[tokio::test]
async fn schema1_converts_to_schema2_and_oci_as_skopeo_does() {
    let registry = Registry::builder().schema1().start();
    let skopeo = Skopeo::new();
    let pushed = skopeo.push_random_image(&registry, "old/app:1", &[2048, 1000, 3000], ImageFormat::V2s1);
    let client = Client::new().unwrap();
    // By digest, so the schema1 manifest is verified before it is read.
    let source = format!("old/app@{}", pushed.digest());
    let original = pull(&client, &reference(&registry, &source)).await;
    assert_eq!(original.media_type, MediaType::DockerSchema1Signed);

    for (target, format, layer_type, config_type) in [
        (
            TargetFormat::V2s2,
            ImageFormat::V2s2,
            MediaType::DockerLayerGzip,
            MediaType::DockerContainerConfig,
        ),
        (
            TargetFormat::Oci,
            ImageFormat::Oci,
            MediaType::OciLayerGzip,
            MediaType::OciConfig,
        ),
    ] {
        // Another repository of the same registry: layers are mounted, not re-sent.
        let ours_name = format!("ours/{target}:1");
        let converted = convert_or_fail(&client, &registry, &source, &ours_name, target).await;
        let ours = pull(&client, &reference(&registry, &ours_name)).await;
        assert_pushed_as_reported(&converted, &ours);
        assert_eq!(ours.media_type, target.media_type());
        assert_eq!(converted.digest(), &Digest::sha256(converted.manifest()));

        let peer_name = format!("peer/{target}:1");
        skopeo
            .copy(
                &ImageRef::registry(&registry, &source),
                &ImageRef::registry(&registry, &peer_name),
                Some(format),
            )
            .unwrap_or_else(|e| registry.fail(e));
        let peer = pull(&client, &reference(&registry, &peer_name)).await;

        assert_eq!(essentials(&ours.config), essentials(&peer.config), "{target}");
        assert_eq!(
            layer_digests(&ours.manifest),
            layer_digests(&peer.manifest),
            "{target}"
        );
        // The same config values; skopeo re-encodes an OCI config through the OCI
        // image-spec types, which only reorders its members, while ours keeps
        // Docker's bytes, so for schema2 the image IDs are equal too.
        assert_eq!(ours.config, peer.config, "{target}");
        if target == TargetFormat::V2s2 {
            assert_eq!(
                ours.manifest.config().unwrap().digest(),
                peer.manifest.config().unwrap().digest()
            );
        }
        assert_eq!(layer_types(&ours.manifest), vec![layer_type; 3], "{target}");
        assert_eq!(ours.manifest.config().unwrap().media_type(), &config_type);
        // The diffIDs are the real ones, from the layers' uncompressed tars.
        assert_eq!(
            ours.config["rootfs"]["diff_ids"],
            json!(pushed.image().diff_ids())
        );

        // skopeo reads what we wrote, and copies it elsewhere.
        let inspected = skopeo
            .inspect(&ImageRef::registry(&registry, &ours_name))
            .unwrap_or_else(|e| registry.fail(e));
        assert_eq!(inspected["Digest"], json!(converted.digest().to_string()));
        let layout = tempfile::tempdir().unwrap();
        skopeo
            .copy(
                &ImageRef::registry(&registry, &ours_name),
                &ImageRef::local(format!("oci:{}:copy", layout.path().display())),
                None,
            )
            .unwrap_or_else(|e| registry.fail(e));
    }
}

#[tokio::test]
async fn schema2_converts_to_schema1_that_skopeo_reads_and_signatures_verify() {
    let registry = Registry::builder().schema1().start();
    let skopeo = Skopeo::new();
    let pushed = skopeo.push_random_image(&registry, "new/app:2", &[1500, 700], ImageFormat::V2s2);
    let client = Client::new().unwrap();

    let converted = convert_or_fail(
        &client,
        &registry,
        "new/app:2",
        "legacy/app:2",
        TargetFormat::V2s1,
    )
    .await;
    assert_eq!(converted.media_type(), &MediaType::DockerSchema1Signed);
    let fetched = client
        .get_manifest(&reference(&registry, "legacy/app:2"))
        .await
        .unwrap();
    assert_eq!(fetched.media_type(), &MediaType::DockerSchema1Signed);
    assert_eq!(fetched.digest(), converted.digest());
    let signatures = oci_manifest::jws::verify(fetched.bytes()).expect("our signature verifies");
    assert_eq!(signatures.len(), 1);
    let Manifest::Schema1(schema1) = fetched.parse().unwrap() else {
        panic!("not schema1: {}", fetched.media_type());
    };
    assert_eq!((schema1.name(), schema1.tag()), ("legacy/app", "2"));
    assert_eq!(schema1.architecture(), "amd64");

    // skopeo reads it: same layers, same config values.
    let inspected = skopeo
        .inspect(&ImageRef::registry(&registry, "legacy/app:2"))
        .unwrap_or_else(|e| registry.fail(e));
    let layers: Vec<&str> = pushed.image().layers().iter().map(|l| l.digest()).collect();
    assert_eq!(inspected["Layers"], json!(layers));
    assert_eq!(inspected["Digest"], json!(converted.digest().to_string()));
    assert_eq!(inspected["Env"], json!(["PATH=/usr/bin:/bin"]));
    assert_eq!(inspected["Architecture"], json!("amd64"));
    assert_eq!(inspected["Os"], json!("linux"));

    // And back: the same diffIDs and layers as the original.
    let back = convert_or_fail(
        &client,
        &registry,
        "legacy/app:2",
        "again/app:2",
        TargetFormat::V2s2,
    )
    .await;
    let again = pull(&client, &reference(&registry, "again/app:2")).await;
    assert_pushed_as_reported(&back, &again);
    let original = pull(&client, &reference(&registry, "new/app:2")).await;
    assert_eq!(layer_digests(&again.manifest), layer_digests(&original.manifest));
    assert_eq!(essentials(&again.config), essentials(&original.config));
}

#[tokio::test]
async fn throwaway_layers_leave_layers_but_keep_their_history() {
    let registry = Registry::builder().schema1().start();
    let skopeo = Skopeo::new();
    let client = Client::new().unwrap();
    let repository: RepositoryRef = registry.reference("built/app").parse().unwrap();

    // A schema2 image whose middle history entry is an empty layer.
    let image = RandomImage::build("throwaway", &[900, 400]);
    let mut layers = Vec::new();
    for layer in image.layers() {
        let digest = client
            .push_blob_bytes(&repository, image.blob(layer.digest()))
            .await
            .unwrap();
        layers.push(Descriptor::new(MediaType::DockerLayerGzip, digest, layer.size()));
    }
    let config = json!({
        "created": "2021-03-04T05:06:07Z",
        "architecture": "amd64",
        "os": "linux",
        "config": { "Env": ["A=1"], "Cmd": ["sh"] },
        "rootfs": { "type": "layers", "diff_ids": image.diff_ids() },
        "history": [
            { "created": "2021-03-04T05:06:05Z", "created_by": "ADD base" },
            { "created": "2021-03-04T05:06:06Z", "created_by": "ENV A=1", "empty_layer": true },
            { "created": "2021-03-04T05:06:07Z", "created_by": "RUN make" },
        ],
    });
    let config = config.to_string().into_bytes();
    let config_descriptor = Descriptor::new(
        MediaType::DockerContainerConfig,
        Digest::sha256(&config),
        config.len() as u64,
    );
    client.push_blob_bytes(&repository, config).await.unwrap();
    let manifest = ImageManifest::new(Flavour::Docker, config_descriptor, layers).unwrap();
    client
        .put_manifest(
            &reference(&registry, "built/app:1"),
            &MediaType::DockerSchema2,
            manifest.as_bytes().to_vec(),
        )
        .await
        .unwrap();

    // To schema1: three v1 layers, the middle one the gzipped empty tar.
    convert_or_fail(&client, &registry, "built/app:1", "v1/app:1", TargetFormat::V2s1).await;
    let schema1 = pull(&client, &reference(&registry, "v1/app:1")).await;
    let mut base_first = layer_digests(&schema1.manifest);
    base_first.reverse();
    assert_eq!(base_first[1], known::EMPTY_TAR_GZIP);
    assert_eq!(base_first.len(), 3);

    // Back to schema2 by us and by skopeo: the throwaway layer is gone from
    // `layers`, its history entry stays.
    convert_or_fail(&client, &registry, "v1/app:1", "ours/app:1", TargetFormat::V2s2).await;
    skopeo
        .copy(
            &ImageRef::registry(&registry, "v1/app:1"),
            &ImageRef::registry(&registry, "peer/app:1"),
            Some(ImageFormat::V2s2),
        )
        .unwrap_or_else(|e| registry.fail(e));
    let ours = pull(&client, &reference(&registry, "ours/app:1")).await;
    let peer = pull(&client, &reference(&registry, "peer/app:1")).await;
    let expected_layers: Vec<&str> = image.layers().iter().map(|l| l.digest()).collect();
    assert_eq!(layer_digests(&ours.manifest), expected_layers);
    assert_eq!(layer_digests(&peer.manifest), expected_layers);
    assert_eq!(essentials(&ours.config), essentials(&peer.config));
    assert_eq!(ours.config, peer.config);
    assert_eq!(ours.config["rootfs"]["diff_ids"], json!(image.diff_ids()));
    let empty: Vec<&Value> = ours.config["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| &h["empty_layer"])
        .collect();
    assert_eq!(empty, [&Value::Null, &json!(true), &Value::Null]);
    assert_eq!(ours.config["history"], peer.config["history"]);
}

#[tokio::test]
async fn schema2_and_oci_swap_media_types_and_keep_blobs_across_registries() {
    let registry = Registry::anonymous();
    let other = Registry::anonymous();
    let skopeo = Skopeo::new();
    let pushed = skopeo.push_random_image(&registry, "src/app:3", &[1200, 2400], ImageFormat::Oci);
    let client = Client::new().unwrap();
    let original = pull(&client, &reference(&registry, "src/app:3")).await;
    assert_eq!(original.media_type, MediaType::OciManifest);

    // To another registry: every blob is downloaded, verified and uploaded.
    let source = reference(&registry, "src/app:3");
    let docker = reference(&other, "dst/app:3");
    let converted = convert(
        &client,
        &source,
        &docker,
        TargetFormat::V2s2,
        &ConvertOptions::new().jobs(1),
    )
    .await
    .unwrap_or_else(|e| other.fail(e));
    let as_docker = pull(&client, &docker).await;
    assert_pushed_as_reported(&converted, &as_docker);
    assert_eq!(
        as_docker.manifest.config().unwrap().digest(),
        original.manifest.config().unwrap().digest()
    );
    assert_eq!(
        layer_digests(&as_docker.manifest),
        layer_digests(&original.manifest)
    );
    assert_eq!(
        layer_types(&as_docker.manifest),
        vec![MediaType::DockerLayerGzip; 2]
    );
    assert_eq!(
        as_docker.manifest.config().unwrap().media_type(),
        &MediaType::DockerContainerConfig
    );
    assert_eq!(
        as_docker.config["rootfs"]["diff_ids"],
        json!(pushed.image().diff_ids())
    );

    // And back to OCI: the same blobs under OCI types again.
    let back = convert_or_fail(&client, &other, "dst/app:3", "dst/oci:3", TargetFormat::Oci).await;
    let as_oci = pull(&client, &reference(&other, "dst/oci:3")).await;
    assert_pushed_as_reported(&back, &as_oci);
    assert_eq!(layer_types(&as_oci.manifest), vec![MediaType::OciLayerGzip; 2]);
    assert_eq!(layer_digests(&as_oci.manifest), layer_digests(&original.manifest));
    skopeo
        .inspect(&ImageRef::registry(&other, "dst/oci:3"))
        .unwrap_or_else(|e| other.fail(e));

    // Converting to the format it already has is a copy.
    let same = convert_or_fail(&client, &registry, "src/app:3", "copy/app:3", TargetFormat::Oci).await;
    assert_eq!(same.digest(), &original.digest);
}

#[tokio::test]
async fn a_list_converts_the_chosen_platform_or_says_which_exist() {
    let registry = Registry::anonymous();
    let skopeo = Skopeo::new();
    let pushed = skopeo.push_random_image(&registry, "multi/app:img", &[800], ImageFormat::V2s2);
    let client = Client::new().unwrap();
    let image = pull(&client, &reference(&registry, "multi/app:img")).await;
    let entry = Descriptor::new(
        MediaType::DockerSchema2,
        image.digest.clone(),
        image.manifest.as_bytes().len() as u64,
    )
    .with_platform(Platform::new("linux", "amd64"));
    let list = ImageIndex::new(Flavour::Docker, vec![entry]).unwrap();
    client
        .put_manifest(
            &reference(&registry, "multi/app:list"),
            &MediaType::DockerManifestList,
            list.as_bytes().to_vec(),
        )
        .await
        .unwrap();

    convert_or_fail(
        &client,
        &registry,
        "multi/app:list",
        "one/app:oci",
        TargetFormat::Oci,
    )
    .await;
    let converted = pull(&client, &reference(&registry, "one/app:oci")).await;
    assert_eq!(converted.media_type, MediaType::OciManifest);
    assert_eq!(
        converted.config["rootfs"]["diff_ids"],
        json!(pushed.image().diff_ids())
    );

    let arm = ConvertOptions::new().platform(Platform::new("linux", "arm64"));
    let err = convert(
        &client,
        &reference(&registry, "multi/app:list"),
        &reference(&registry, "one/app:arm"),
        TargetFormat::Oci,
        &arm,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Image { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("linux/arm64") && message.contains("linux/amd64"),
        "{message}"
    );
}

#[tokio::test]
async fn a_layer_that_fails_its_digest_stops_the_conversion() {
    let registry = Registry::builder().schema1().start();
    let skopeo = Skopeo::new();
    let pushed = skopeo.push_random_image(&registry, "bad/app:1", &[3000], ImageFormat::V2s1);
    let layer = pushed.image().layers()[0].digest().to_owned();
    let hex = layer.strip_prefix("sha256:").unwrap();
    let data = registry
        .storage()
        .join("docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data");
    let mut bytes =
        std::fs::read(&data).unwrap_or_else(|e| registry.fail(format!("{}: {e}", data.display())));
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&data, bytes).unwrap();

    let client = Client::new().unwrap();
    let err = convert(
        &client,
        &reference(&registry, "bad/app:1"),
        &reference(&registry, "good/app:1"),
        TargetFormat::V2s2,
        &ConvertOptions::new(),
    )
    .await
    .unwrap_err();
    match &err {
        // The engine's own error, whole: the registry's blob failed its digest.
        Error::Image { source, .. } => {
            assert!(source.is_digest_mismatch(), "{err}");
        }
        other => panic!("expected a download failure, got {other}"),
    }
    let missing = client
        .get_manifest(&reference(&registry, "good/app:1"))
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
}
