//! Every manifest format end to end, on the committed fixtures: parsing with
//! and without a `Content-Type`, byte-exact retention, digests (checked
//! against `skopeo manifest-digest`), layer access, platform selection,
//! editing, size limits, and typed errors for every kind of bad input.

use std::path::PathBuf;
use std::process::Command;

use oci_digest::{Algorithm, Digest};
use oci_manifest::{
    jws, BlobInfo, Error, Flavour, ImageIndex, Manifest, MediaType, ParseOptions, Platform, Schema1Layout,
    DEFAULT_MAX_MANIFEST_SIZE,
};
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A committed test-only signing key, as PEM.
fn keys(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keys")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every well-formed fixture: (file, the type it is, how many layers or entries).
const FIXTURES: &[(&str, MediaType, usize)] = &[
    ("schema1-unsigned.json", MediaType::DockerSchema1, 2),
    ("schema1-signed-rs256.json", MediaType::DockerSchema1Signed, 2),
    ("schema1-signed-rs384.json", MediaType::DockerSchema1Signed, 2),
    ("schema1-signed-rs512.json", MediaType::DockerSchema1Signed, 2),
    ("schema1-signed-es256.json", MediaType::DockerSchema1Signed, 2),
    ("schema1-signed-es384.json", MediaType::DockerSchema1Signed, 2),
    ("schema1-signed-multi.json", MediaType::DockerSchema1Signed, 2),
    ("schema2.json", MediaType::DockerSchema2, 2),
    ("schema2-pretty.json", MediaType::DockerSchema2, 2),
    ("schema2-nomime.json", MediaType::DockerSchema2, 2),
    ("manifest-list.json", MediaType::DockerManifestList, 2),
    ("manifest-list-pretty.json", MediaType::DockerManifestList, 2),
    ("oci-manifest.json", MediaType::OciManifest, 2),
    ("oci-manifest-nomime.json", MediaType::OciManifest, 2),
    ("oci-artifact.json", MediaType::OciManifest, 1),
    ("oci-index.json", MediaType::OciIndex, 2),
    ("oci-index-nomime.json", MediaType::OciIndex, 2),
];

fn entries(manifest: &Manifest) -> usize {
    match manifest.manifests() {
        Some(manifests) => manifests.len(),
        None => manifest.layer_infos().len(),
    }
}

#[test]
fn every_fixture_parses_with_and_without_content_type() {
    for (name, media_type, count) in FIXTURES {
        let bytes = fixture(name);
        for content_type in [
            Some(media_type.as_str()),
            None,
            Some("text/plain"),
            Some("application/json"),
        ] {
            let manifest = Manifest::parse(&bytes, content_type)
                .unwrap_or_else(|e| panic!("{name} as {content_type:?}: {e}"));
            assert_eq!(&manifest.media_type(), media_type, "{name} as {content_type:?}");
            assert_eq!(manifest.as_bytes(), bytes, "{name}: bytes are kept exactly");
            assert_eq!(entries(&manifest), *count, "{name}");
        }
    }
}

#[test]
fn digests_are_of_the_bytes_or_the_signed_payload() {
    for (name, media_type, _) in FIXTURES {
        let bytes = fixture(name);
        let manifest = Manifest::parse(&bytes, None).unwrap();
        let digested = if *media_type == MediaType::DockerSchema1Signed {
            let payload = jws::signed_payload(&bytes).unwrap();
            assert_ne!(
                manifest.digest(),
                Digest::sha256(&bytes),
                "{name}: signatures are not digested"
            );
            payload
        } else {
            bytes.clone()
        };
        assert_eq!(manifest.digest(), Digest::sha256(&digested), "{name}");
        assert_eq!(manifest.digested_bytes(), digested, "{name}");
        assert!(manifest.matches_digest(&manifest.digest()), "{name}");
        let sha512 = Digest::compute(Algorithm::Sha512, &digested).unwrap();
        assert!(manifest.matches_digest(&sha512), "{name}: sha512");
        assert!(!manifest.matches_digest(&Digest::sha256(b"other")), "{name}");
    }
}

#[test]
fn signed_schema1_digests_agree_across_algorithms() {
    // Same payload, different signatures: one digest.
    let unsigned = Manifest::parse(&fixture("schema1-unsigned.json"), None).unwrap();
    for (name, media_type, _) in FIXTURES {
        if *media_type == MediaType::DockerSchema1Signed {
            let signed = Manifest::parse(&fixture(name), None).unwrap();
            assert_eq!(signed.digest(), unsigned.digest(), "{name}");
        }
    }
}

#[test]
fn digests_agree_with_skopeo() {
    let mut checked = 0;
    for (name, _, _) in FIXTURES {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let output = Command::new("skopeo")
            .arg("manifest-digest")
            .arg(&path)
            .output()
            .expect("skopeo is a test peer: install it with `cargo xtask install-peers`");
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let theirs = String::from_utf8(output.stdout).unwrap();
        let ours = Manifest::parse(&fixture(name), None).unwrap().digest();
        assert_eq!(theirs.trim(), ours.as_str(), "{name}");
        checked += 1;
    }
    assert_eq!(checked, FIXTURES.len());
}

fn skopeo(args: &[&str]) {
    let output = Command::new("skopeo")
        .arg("--insecure-policy")
        .args(args)
        .output()
        .expect("skopeo is a test peer: install it with `cargo xtask install-peers`");
    assert!(
        output.status.success(),
        "skopeo {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Manifests we create are byte-identical to the ones containers/image writes
/// for the same content: skopeo converts our schema2 fixture to OCI and back,
/// and both results equal the fixtures our builders produced; its schema1
/// conversion's signed payload equals our re-serialisation of it.
#[test]
fn canonical_bytes_match_skopeo() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("schema2");
    std::fs::create_dir(&source).unwrap();
    std::fs::write(source.join("version"), "Directory Transport Version: 1.1\n").unwrap();
    std::fs::write(source.join("manifest.json"), fixture("schema2.json")).unwrap();
    let config = fixture("config-docker.json");
    let blobs: [&[u8]; 3] = [
        &config,
        &oci_digest::known::EMPTY_TAR_GZIP_BYTES,
        b"fixture layer 2",
    ];
    for blob in blobs {
        std::fs::write(source.join(Digest::sha256(blob).encoded()), blob).unwrap();
    }
    let dir_ref = |name: &str| format!("dir:{}", dir.path().join(name).display());

    skopeo(&[
        "copy",
        "--quiet",
        "--format",
        "oci",
        &dir_ref("schema2"),
        &dir_ref("oci"),
    ]);
    let oci = std::fs::read(dir.path().join("oci/manifest.json")).unwrap();
    assert_eq!(
        String::from_utf8(oci).unwrap(),
        String::from_utf8(fixture("oci-manifest.json")).unwrap()
    );

    skopeo(&[
        "copy",
        "--quiet",
        "--format",
        "v2s2",
        &dir_ref("oci"),
        &dir_ref("back"),
    ]);
    let back = std::fs::read(dir.path().join("back/manifest.json")).unwrap();
    assert_eq!(
        String::from_utf8(back).unwrap(),
        String::from_utf8(fixture("schema2.json")).unwrap()
    );
}

#[test]
fn schema1_layers_run_base_first_with_duplicates() {
    let manifest = Manifest::parse(&fixture("schema1-signed-rs256.json"), None).unwrap();
    let Manifest::Schema1(schema1) = &manifest else {
        panic!("not schema1: {manifest:?}");
    };
    assert!(schema1.is_signed());
    assert_eq!(schema1.name(), "library/fixture");
    assert_eq!(schema1.tag(), "latest");
    assert_eq!(schema1.architecture(), "amd64");
    let layers: Vec<_> = schema1.layers().collect();
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[0].blob_sum(), layers[1].blob_sum(), "duplicates are kept");
    // The base layer is the last history entry, the one without a parent.
    assert!(!layers[0].v1_compatibility().contains("parent"));
    assert!(layers[1].v1_compatibility().contains("parent"));
    assert_eq!(layers[0].v1_compatibility(), schema1.history()[1]);
    assert!(manifest.config().is_none());
}

#[test]
fn descriptor_formats_expose_config_layers_and_subject() {
    let schema2 = Manifest::parse(&fixture("schema2.json"), None).unwrap();
    let config = schema2.config().unwrap();
    assert_eq!(config.media_type(), &MediaType::DockerContainerConfig);
    assert!(config.digest().matches(&fixture("config-docker.json")));
    let layers = schema2.layer_infos();
    assert_eq!(layers[0].digest().as_str(), oci_digest::known::EMPTY_TAR_GZIP);
    assert_eq!(layers[0].size(), Some(32));
    assert_eq!(layers[0].media_type(), Some(&MediaType::DockerLayerGzip));

    let artifact = Manifest::parse(&fixture("oci-artifact.json"), None).unwrap();
    let Manifest::Image(oci) = &artifact else {
        panic!("not an OCI manifest");
    };
    assert_eq!(
        oci.artifact_type().unwrap().as_str(),
        "application/vnd.example.sbom"
    );
    assert_eq!(oci.config().media_type(), &MediaType::OciEmpty);
    assert_eq!(oci.config().data(), Some(&b"{}"[..]));
    let subject = artifact.subject().unwrap();
    assert_eq!(
        subject,
        &Manifest::parse(&fixture("oci-manifest.json"), None)
            .map(|m| {
                oci_manifest::Descriptor::new(MediaType::OciManifest, m.digest(), m.as_bytes().len() as u64)
            })
            .unwrap()
    );
    assert_eq!(
        oci.annotations()["org.opencontainers.image.created"],
        "2015-01-01T00:00:00Z"
    );
}

#[test]
fn lists_and_indexes_select_platforms() {
    let list = Manifest::parse(&fixture("manifest-list.json"), None).unwrap();
    assert!(list.is_index());
    assert!(list.layer_infos().is_empty());
    let arm = list.find_platform(&"linux/arm64".parse().unwrap()).unwrap();
    assert_eq!(arm.platform().unwrap().variant(), Some("v8"));
    assert!(list.find_platform(&"linux/x86_64".parse().unwrap()).is_some());
    assert!(list.find_platform(&"linux/s390x".parse().unwrap()).is_none());

    let index = Manifest::parse(&fixture("oci-index.json"), None).unwrap();
    let windows = index.find_platform(&Platform::new("windows", "amd64")).unwrap();
    assert_eq!(windows.platform().unwrap().os_version(), Some("10.0.17763.1"));
}

#[test]
fn editing_layers_produces_canonical_bytes() {
    let replacement = [
        BlobInfo::new(Digest::sha256(b"a"))
            .with_size(1)
            .with_media_type(MediaType::DockerLayerGzip),
        BlobInfo::new(Digest::sha256(b"bb")).with_size(2),
    ];
    for name in ["schema2.json", "schema2-pretty.json", "oci-manifest.json"] {
        let manifest = Manifest::parse(&fixture(name), None).unwrap();
        let edited = manifest.with_layers(&replacement).unwrap();
        let reparsed = Manifest::parse(edited.as_bytes(), Some(manifest.media_type().as_str())).unwrap();
        assert_eq!(
            reparsed, edited,
            "{name}: the new bytes parse to the same manifest"
        );
        assert_eq!(edited.config(), manifest.config(), "{name}: the config stays");
        let layers = edited.layer_infos();
        assert_eq!(layers[0].digest(), replacement[0].digest(), "{name}");
        assert_eq!(layers[1].size(), Some(2), "{name}");
        // Unspecified members keep their old values.
        assert_eq!(
            layers[1].media_type(),
            manifest.layer_infos()[1].media_type(),
            "{name}"
        );
        assert_ne!(edited.digest(), manifest.digest(), "{name}");
    }
}

#[test]
fn editing_with_the_same_layers_reproduces_the_canonical_form() {
    // The generator wrote `schema2.json` canonically; the pretty variant is the
    // same content, so re-serialising either gives the canonical bytes back.
    let canonical = fixture("schema2.json");
    for name in ["schema2.json", "schema2-pretty.json"] {
        let manifest = Manifest::parse(&fixture(name), None).unwrap();
        let same = manifest.with_layers(&manifest.layer_infos()).unwrap();
        assert_eq!(same.as_bytes(), canonical, "{name}");
    }
    let oci = fixture("oci-manifest.json");
    let manifest = Manifest::parse(&oci, None).unwrap();
    assert_eq!(
        manifest.with_layers(&manifest.layer_infos()).unwrap().as_bytes(),
        oci
    );
}

#[test]
fn editing_signed_schema1_drops_the_signatures() {
    let manifest = Manifest::parse(&fixture("schema1-signed-rs256.json"), None).unwrap();
    let new_base = Digest::sha256(b"new base");
    let layers = [BlobInfo::new(new_base.clone()), manifest.layer_infos()[1].clone()];
    let edited = manifest.with_layers(&layers).unwrap();
    assert_eq!(edited.media_type(), MediaType::DockerSchema1);
    let Manifest::Schema1(schema1) = &edited else {
        panic!("not schema1");
    };
    // fsLayers are leaf first: the new base is the last one.
    assert_eq!(schema1.fs_layers()[1], new_base);
    assert_eq!(schema1.layers().next().unwrap().blob_sum(), &new_base);
    let Manifest::Schema1(original) = &manifest else {
        panic!("not schema1");
    };
    assert_eq!(schema1.history(), original.history(), "v1 metadata is kept");
    assert_eq!(Manifest::parse(edited.as_bytes(), None).unwrap(), edited);
}

/// The RS256 fixture with `extra` spliced in after its signed payload, where a
/// reader of the whole document sees it but the signatures and the digest do not.
fn with_unsigned_members(extra: &str) -> Vec<u8> {
    let signed = fixture("schema1-signed-rs256.json");
    let signed_length = jws::parse_signatures(&signed).unwrap()[0].format_length() as usize;
    let mut bytes = signed[..signed_length].to_vec();
    bytes.extend_from_slice(extra.as_bytes());
    bytes.extend_from_slice(&signed[signed_length..]);
    bytes
}

#[test]
fn signed_schema1_is_read_from_its_payload_alone() {
    let original = Manifest::parse(&fixture("schema1-signed-rs256.json"), None).unwrap();
    let unsigned = Manifest::parse(&fixture("schema1-unsigned.json"), None).unwrap();
    for extra in [
        // A repeated key: a reader of the outer document would see another name.
        ",\n   \"name\": \"library/evil\"",
        // A member the payload does not have.
        ",\n   \"architecture\": \"arm64\",\n   \"x-unsigned\": true",
        // Other layers altogether.
        r#","fsLayers":[{"blobSum":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}],"history":[{"v1Compatibility":"{}"}]"#,
    ] {
        let bytes = with_unsigned_members(extra);
        // The signatures still verify: they cover the payload, which is unchanged.
        assert_eq!(jws::verify(&bytes).unwrap().len(), 1, "{extra}");
        let manifest = Manifest::parse(&bytes, None).unwrap_or_else(|e| panic!("{extra}: {e}"));
        assert_eq!(manifest.as_bytes(), bytes, "the document is kept whole");
        assert_eq!(manifest.digest(), original.digest(), "{extra}");
        assert_eq!(manifest.digest(), unsigned.digest(), "{extra}");
        let (Manifest::Schema1(read), Manifest::Schema1(signed)) = (&manifest, &original) else {
            panic!("not schema1");
        };
        assert_eq!(
            (read.name(), read.architecture(), read.fs_layers(), read.history()),
            (
                signed.name(),
                signed.architecture(),
                signed.fs_layers(),
                signed.history()
            ),
            "{extra}: read from the payload"
        );
        assert!(read.unknown_fields().is_empty(), "{extra}");
        // An edit starts from the payload's content, never the unsigned members.
        let edited = manifest.with_layers(&manifest.layer_infos()).unwrap();
        assert_eq!(edited, original.with_layers(&original.layer_infos()).unwrap());
    }
}

#[test]
fn a_payload_that_stops_early_is_not_a_manifest() {
    // A `formatLength` that ends the payload before its layers leaves them
    // unsigned: reading from the payload finds no layers.
    let signed = fixture("schema1-signed-rs256.json");
    let text = String::from_utf8(signed).unwrap();
    let cut = text.find(",\n   \"fsLayers\"").unwrap();
    let key = jws::SigningKey::from_pkcs8_pem(&keys("rsa-2048.pem")).unwrap();
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_420_070_400);
    let early = jws::sign(format!("{}\n}}", &text[..cut]).as_bytes(), &key, time).unwrap();
    let early = String::from_utf8(early).unwrap();
    // The layers put back outside the signed part.
    let layers_at = early.find(",\n   \"signatures\"").unwrap();
    let rest = &text[cut..text.find(",\n   \"signatures\"").unwrap()];
    let forged = format!("{}{rest}{}", &early[..layers_at], &early[layers_at..]);
    assert!(jws::verify(forged.as_bytes()).is_ok());
    assert!(
        matches!(Manifest::parse(forged.as_bytes(), None), Err(Error::Json { .. })),
        "{:?}",
        Manifest::parse(forged.as_bytes(), None)
    );
}

#[test]
fn new_schema1_is_written_like_containers_image() {
    let base = oci_digest::known::empty_tar_gzip();
    let top = Digest::sha256(b"top");
    let layers = [
        (base.clone(), r#"{"id":"b"}"#),
        (top.clone(), r#"{"id":"t","parent":"b"}"#),
    ];
    let schema1 =
        oci_manifest::Schema1::new(Schema1Layout::ContainersImage, "library/x", "v1", "amd64", layers)
            .unwrap();
    let expected = format!(
        r#"{{"name":"library/x","tag":"v1","architecture":"amd64","fsLayers":[{{"blobSum":"{top}"}},{{"blobSum":"{base}"}}],"history":[{{"v1Compatibility":"{{\"id\":\"t\",\"parent\":\"b\"}}"}},{{"v1Compatibility":"{{\"id\":\"b\"}}"}}],"schemaVersion":1}}"#
    );
    assert_eq!(String::from_utf8(schema1.as_bytes().to_vec()).unwrap(), expected);
    assert!(!schema1.is_signed());
    let parsed = Manifest::parse(schema1.as_bytes(), None).unwrap();
    assert_eq!(parsed.media_type(), MediaType::DockerSchema1);
    assert_eq!(parsed.layer_infos()[0].digest(), &base);
    assert!(matches!(
        oci_manifest::Schema1::new(Schema1Layout::ContainersImage, "a", "b", "amd64", []),
        Err(Error::Schema1NoLayers)
    ));
}

#[test]
fn new_lists_and_indexes_parse_back() {
    let entry = oci_manifest::Descriptor::new(MediaType::DockerSchema2, Digest::sha256(b"m"), 1)
        .with_platform(Platform::new("linux", "amd64"));
    let list = ImageIndex::new(Flavour::Docker, vec![entry.clone()]).unwrap();
    let parsed = Manifest::parse(list.as_bytes(), None).unwrap();
    assert_eq!(parsed.media_type(), MediaType::DockerManifestList);
    assert_eq!(parsed.manifests().unwrap(), std::slice::from_ref(&entry));
    let index = ImageIndex::new(Flavour::Oci, vec![entry.clone()]).unwrap();
    let parsed = Manifest::parse(index.as_bytes(), None).unwrap();
    assert_eq!(parsed.media_type(), MediaType::OciIndex);
    assert_eq!(parsed.manifests().unwrap(), [entry]);
}

/// The OCI 1.1 members are the OCI flavour's: in a Docker manifest, members of
/// those names are unknown members, kept where they were, and cannot be set.
#[test]
fn docker_manifests_have_no_oci_members() {
    let d = oci_digest::known::EMPTY_JSON;
    let descriptor = format!(
        r#"{{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"{d}"}}"#
    );
    let bytes = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","x-first":1,"annotations":{{"a":[1]}},"config":{descriptor},"layers":[],"subject":{descriptor}}}"#
    );
    let manifest = Manifest::parse(bytes.as_bytes(), None).unwrap();
    let Manifest::Image(image) = &manifest else {
        panic!("not an image manifest: {manifest:?}");
    };
    assert_eq!(image.flavour(), Flavour::Docker);
    assert!(manifest.subject().is_none() && image.annotations().is_empty());
    let unknown: Vec<&str> = image.unknown_fields().keys().map(String::as_str).collect();
    assert_eq!(unknown, ["x-first", "annotations", "subject"]);
    // Written again, they follow the known members in their own order.
    let again = image.with_layers(&[]).unwrap();
    assert_eq!(
        String::from_utf8(again.as_bytes().to_vec()).unwrap(),
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{descriptor},"layers":[],"x-first":1,"annotations":{{"a":[1]}},"subject":{descriptor}}}"#
        )
    );
    let subject = image.config().clone();
    assert!(matches!(
        image.with_subject(subject),
        Err(Error::NotInFormat {
            member: "subject",
            ..
        })
    ));
    let list = ImageIndex::new(Flavour::Docker, Vec::new()).unwrap();
    assert!(matches!(
        list.with_annotations([("k".to_owned(), "v".to_owned())].into()),
        Err(Error::NotInFormat {
            member: "annotations",
            ..
        })
    ));

    // The same members in an OCI index are its own, written in their places.
    let index = ImageIndex::new(Flavour::Oci, Vec::new())
        .unwrap()
        .with_annotations([("k".to_owned(), "v".to_owned())].into())
        .unwrap()
        .with_artifact_type(MediaType::from("application/vnd.example"))
        .unwrap();
    assert_eq!(
        index.as_bytes(),
        br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","artifactType":"application/vnd.example","manifests":[],"annotations":{"k":"v"}}"#
    );
    assert_eq!(
        ImageIndex::from_slice(Flavour::Oci, index.as_bytes()).unwrap(),
        index
    );
}

#[test]
fn editing_errors_are_typed() {
    let manifest = Manifest::parse(&fixture("schema2.json"), None).unwrap();
    assert!(matches!(
        manifest.with_layers(&[]),
        Err(Error::LayerCountMismatch {
            expected: 2,
            actual: 0
        })
    ));
    let list = Manifest::parse(&fixture("oci-index.json"), None).unwrap();
    assert!(matches!(list.with_layers(&[]), Err(Error::NotAnImage { .. })));
}

#[test]
fn size_limit_refuses_oversized_input() {
    let mut huge = fixture("schema2.json");
    huge.resize(DEFAULT_MAX_MANIFEST_SIZE as usize + 1, b' ');
    let err = Manifest::parse(&huge, None).unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { size, max } if size == huge.len() as u64 && max == DEFAULT_MAX_MANIFEST_SIZE)
    );
    assert!(
        err.to_string().contains("larger than the 4194304-byte limit"),
        "{err}"
    );

    // At the limit is fine (trailing whitespace is valid JSON).
    huge.truncate(DEFAULT_MAX_MANIFEST_SIZE as usize);
    assert!(Manifest::parse(&huge, None).is_ok());

    let small = ParseOptions::default().with_max_size(100);
    let bytes = fixture("schema2.json");
    assert!(matches!(
        Manifest::parse_with(&bytes, None, &small),
        Err(Error::TooLarge { max: 100, .. })
    ));
}

#[test]
fn unknown_members_are_tolerated_everywhere() {
    let d = oci_digest::known::EMPTY_JSON;
    let bytes = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","x-top":1,"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{d}","size":2,"x-desc":true}},"layers":[],"subject":{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{d}","size":2}}}}"#
    );
    let manifest = Manifest::parse(bytes.as_bytes(), None).unwrap();
    let Manifest::Image(oci) = &manifest else {
        panic!("not OCI");
    };
    assert_eq!(oci.unknown_fields()["x-top"], 1);
    assert_eq!(oci.config().unknown_fields()["x-desc"], true);
    assert!(manifest.subject().is_some());
}

/// Malformed input of every kind, each with the error it must produce.
#[test]
fn malformed_input_gets_typed_errors() {
    let d = oci_digest::known::EMPTY_JSON;
    let config = format!(
        r#""config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{d}","size":2}}"#
    );
    let schema1 = |fs: &str, history: &str| {
        format!(
            r#"{{"schemaVersion":1,"name":"a","tag":"b","architecture":"amd64","fsLayers":[{fs}],"history":[{history}]}}"#
        )
    };
    let layer = format!(r#"{{"blobSum":"{d}"}}"#);
    let v1 = r#"{"v1Compatibility":"{}"}"#;
    type Check = fn(&Error) -> bool;
    let table: Vec<(&str, String, Option<&str>, Check)> = vec![
        ("not JSON", "hello".into(), None, |e| {
            matches!(e, Error::UnknownFormat { .. })
        }),
        ("empty", "".into(), None, |e| {
            matches!(e, Error::UnknownFormat { .. })
        }),
        (
            "array",
            "[]".into(),
            Some("application/vnd.oci.image.manifest.v1+json"),
            |e| matches!(e, Error::Json { .. }),
        ),
        (
            "unknown mediaType",
            r#"{"schemaVersion":2,"mediaType":"application/vnd.example+json"}"#.into(),
            None,
            |e| matches!(e, Error::UnknownFormat { media_type: Some(t), .. } if t == "application/vnd.example+json"),
        ),
        (
            "declared OCI, body says Docker",
            format!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",{config},"layers":[]}}"#
            ),
            Some("application/vnd.oci.image.manifest.v1+json"),
            |e| {
                matches!(
                    e,
                    Error::MediaTypeMismatch {
                        declared: MediaType::OciManifest,
                        found: MediaType::DockerSchema2
                    }
                )
            },
        ),
        (
            "schema version 3",
            format!(r#"{{"schemaVersion":3,{config},"layers":[]}}"#),
            Some("application/vnd.oci.image.manifest.v1+json"),
            |e| {
                matches!(
                    e,
                    Error::SchemaVersion {
                        expected: 2,
                        found: Some(3),
                        ..
                    }
                )
            },
        ),
        (
            "schema version missing",
            format!(r#"{{{config},"layers":[]}}"#),
            Some("application/vnd.oci.image.manifest.v1+json"),
            |e| matches!(e, Error::SchemaVersion { found: None, .. }),
        ),
        (
            "layers missing",
            format!(r#"{{"schemaVersion":2,{config}}}"#),
            Some("application/vnd.oci.image.manifest.v1+json"),
            |e| matches!(e, Error::Json { .. }),
        ),
        (
            "bad layer digest",
            format!(
                r#"{{"schemaVersion":2,{config},"layers":[{{"mediaType":"a","digest":"sha256:00","size":1}}]}}"#
            ),
            None,
            |e| matches!(e, Error::Json { .. }),
        ),
        (
            "negative size",
            format!(r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"a","digest":"{d}","size":-2}}]}}"#),
            None,
            |e| matches!(e, Error::Json { .. }),
        ),
        (
            "embedded data does not match",
            format!(
                r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{d}","size":2,"data":"W10="}},"layers":[]}}"#
            ),
            None,
            |e| matches!(e, Error::Json { .. }) && e.to_string().contains("does not match the digest"),
        ),
        ("schema1 without layers", schema1("", ""), None, |e| {
            matches!(e, Error::Schema1NoLayers)
        }),
        (
            "schema1 lengths differ",
            schema1(&format!("{layer},{layer}"), v1),
            None,
            |e| {
                matches!(
                    e,
                    Error::Schema1LengthMismatch {
                        fs_layers: 2,
                        history: 1
                    }
                )
            },
        ),
        (
            "schema1 declared, schema2 served",
            format!(r#"{{"schemaVersion":2,{config},"layers":[]}}"#),
            Some("application/vnd.docker.distribution.manifest.v1+prettyjws"),
            |e| matches!(e, Error::SchemaVersion { expected: 1, .. }),
        ),
        (
            "schema1 with empty signatures",
            schema1(&layer, v1).replacen('{', r#"{"signatures":[],"#, 1),
            None,
            |e| matches!(e, Error::Signature(_)),
        ),
        (
            "schema1 with garbage signatures",
            schema1(&layer, v1).replacen('{', r#"{"signatures":[{"protected":"!!"}],"#, 1),
            None,
            |e| matches!(e, Error::Signature(_)),
        ),
    ];
    for (what, bytes, content_type, check) in table {
        let err = Manifest::parse(bytes.as_bytes(), content_type).expect_err(what);
        assert!(check(&err), "{what}: unexpected error {err:?}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn truncated_fixtures_are_typed_errors() {
    for (name, media_type, _) in FIXTURES {
        let bytes = fixture(name);
        // The last byte that is not trailing whitespace: cutting there damages the JSON.
        let last = bytes.iter().rposition(|b| !b.is_ascii_whitespace()).unwrap();
        for cut in [1, bytes.len() / 3, bytes.len() / 2, last] {
            let truncated = &bytes[..cut];
            for content_type in [None, Some(media_type.as_str())] {
                match Manifest::parse(truncated, content_type) {
                    Err(Error::Json { .. } | Error::UnknownFormat { .. } | Error::Signature(_)) => {}
                    other => panic!("{name} cut at {cut} as {content_type:?}: {other:?}"),
                }
            }
        }
    }
    let truncated = fixture("schema1-signed-truncated.json");
    assert!(Manifest::parse(&truncated, None).is_err());
}

proptest! {
    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = Manifest::parse(&bytes, None);
        let _ = Manifest::parse(&bytes, Some("application/vnd.docker.distribution.manifest.v1+prettyjws"));
    }

    #[test]
    fn parse_never_panics_on_damaged_fixtures(
        which in 0..FIXTURES.len(),
        position in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let (name, media_type, _) = &FIXTURES[which];
        let mut bytes = fixture(name);
        let at = position.index(bytes.len());
        bytes[at] = byte;
        let _ = Manifest::parse(&bytes, None);
        let _ = Manifest::parse(&bytes, Some(media_type.as_str()));
    }
}
