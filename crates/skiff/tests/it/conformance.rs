//! Real-world conformance: signed schema1 read from its payload alone, and signature
//! errors that describe the document they were given.

use serde_json::Value;
use skiff_integration::{ImageFormat, ImageRef, Registry, Skopeo};

use super::util::Skiff;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../oci-manifest/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A signed fixture with `extra` spliced in right after its signed payload: members a reader
/// of the whole document sees but neither the signature nor the digest covers.
fn with_unsigned_members(name: &str, extra: &str) -> Vec<u8> {
    let signed = fixture(name);
    let length = oci_manifest::jws::parse_signatures(&signed).unwrap()[0].format_length() as usize;
    [&signed[..length], extra.as_bytes(), &signed[length..]].concat()
}

#[test]
fn digest_and_verify_of_a_file_read_the_signed_payload() {
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let expected = oci_digest::Digest::sha256(&fixture("schema1-unsigned.json")).to_string();
    for extra in [
        ",\n   \"name\": \"library/evil\"",
        ",\n   \"fsLayers\": [], \"x-unsigned\": 1",
    ] {
        let file = work.path().join("manifest.json");
        std::fs::write(&file, with_unsigned_members("schema1-signed-rs256.json", extra)).unwrap();
        let file = file.to_str().unwrap();
        assert_eq!(skiff.ok_text(&["digest", "--file", file]), expected, "{extra}");
        let verified = skiff.ok_text(&["verify", "--file", file]);
        assert!(verified.starts_with("RS256 "), "{extra}: {verified}");
    }
}

#[test]
fn verify_names_a_signatures_member_that_is_not_an_array() {
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    let unsigned = String::from_utf8(fixture("schema1-unsigned.json")).unwrap();
    let body = unsigned.trim_end().strip_suffix('}').unwrap();
    for (signatures, found) in [("{}", "an object"), ("\"sig\"", "a string"), ("7", "a number")] {
        let file = work.path().join("manifest.json");
        std::fs::write(&file, format!("{body},\"signatures\":{signatures}}}")).unwrap();
        let file = file.to_str().unwrap();
        let stderr = skiff.fails(&["verify", "--file", file], 1);
        assert!(!stderr.contains("signature 0"), "{stderr}");
        assert!(
            stderr.contains(&format!("`signatures` member is not an array (it is {found})")),
            "{stderr}"
        );
        // digest refuses it for the same reason: there is no payload to digest.
        let stderr = skiff.fails(&["digest", "--file", file], 1);
        assert!(stderr.contains("not an array"), "{stderr}");
    }
}

/// `convert --to oci` keeps the config bytes (the image ID stays), and its manifest is skopeo's
/// exactly when skopeo's re-encoding of the config leaves it unchanged: what docs/CLI.md says.
#[test]
fn convert_to_oci_keeps_the_config_and_equals_skopeo_exactly_when_skopeo_keeps_it() {
    let registry = Registry::builder().schema1().start();
    let skopeo = Skopeo::new();
    let skiff = Skiff::new();
    // A Docker config, as Docker builds them from v1 history, and one skopeo itself wrote.
    let old = skopeo.push_random_image(&registry, "conv/old:1", &[500, 60], ImageFormat::V2s1);
    let docker = registry.reference("conv/docker:1");
    skiff.ok_text(&["convert", "-q", "--to", "v2s2", old.reference(), &docker]);
    skopeo.push_random_image(&registry, "conv/native:1", &[400, 30], ImageFormat::V2s2);

    let manifest = |reference: &str| -> Value {
        serde_json::from_slice(&skiff.ok(&["inspect", "--raw", reference])).unwrap()
    };
    let mut compared = Vec::new();
    for source in ["conv/docker:1", "conv/native:1"] {
        let source_ref = registry.reference(source);
        let ours_ref = registry.reference(&format!("{source}-ours"));
        let ours_digest = skiff.ok_text(&["convert", "-q", "--to", "oci", &source_ref, &ours_ref]);
        let theirs_digest = skopeo
            .copy(
                &ImageRef::registry(&registry, source),
                &ImageRef::registry(&registry, &format!("{source}-theirs")),
                Some(ImageFormat::Oci),
            )
            .unwrap();
        let (original, ours, theirs) = (
            manifest(&source_ref),
            manifest(&ours_ref),
            manifest(&registry.reference(&format!("{source}-theirs"))),
        );
        // The image ID stays: the config blob is the source's, byte for byte.
        assert_eq!(ours["config"]["digest"], original["config"]["digest"], "{source}");
        assert_eq!(
            skiff.ok(&["inspect", "--config", &ours_ref]),
            skiff.ok(&["inspect", "--config", &source_ref]),
            "{source}"
        );
        assert_eq!(
            ours["layers"].as_array().map(Vec::len),
            theirs["layers"].as_array().map(Vec::len)
        );
        for (a, b) in ours["layers"]
            .as_array()
            .unwrap()
            .iter()
            .zip(theirs["layers"].as_array().unwrap())
        {
            assert_eq!(
                (&a["digest"], &a["mediaType"]),
                (&b["digest"], &b["mediaType"]),
                "{source}"
            );
        }
        let skopeo_kept_the_config = theirs["config"]["digest"] == original["config"]["digest"];
        assert_eq!(ours_digest == theirs_digest, skopeo_kept_the_config, "{source}");
        compared.push(skopeo_kept_the_config);
    }
    // skopeo rewrites Docker's config and keeps its own: both sides of the rule were seen.
    assert_eq!(compared, [false, true]);
}

/// Sets the media type of the first `index.json` entry of the layout at `dir`.
fn set_descriptor_type(dir: &std::path::Path, media_type: &str) {
    let path = dir.join("index.json");
    let mut index: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    index["manifests"][0]["mediaType"] = Value::from(media_type);
    std::fs::write(&path, serde_json::to_vec(&index).unwrap()).unwrap();
}

/// The `Content-Type` the registry serves `name:tag` with.
fn served_type(registry: &Registry, name: &str, tag: &str) -> String {
    let response = skiff_integration::HttpRequest::get(registry.url(&format!("/v2/{name}/manifests/{tag}")))
        .header(
            "accept",
            "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, */*",
        )
        .send_blocking();
    response.header("content-type").unwrap_or_default().to_owned()
}

#[test]
fn manifests_travel_with_the_type_of_their_bytes_not_of_their_descriptor() {
    let registry = Registry::anonymous();
    let skiff = Skiff::new();
    let work = tempfile::tempdir().unwrap();
    for (i, declared) in [
        "application/vnd.oci.descriptor.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
    .iter()
    .enumerate()
    {
        let image = skiff_integration::RandomImage::build(&format!("types/{i}"), &[100]);
        set_descriptor_type(image.layout_dir(), declared);
        let tag = format!("t{i}");
        let digest = skiff.ok_text(&[
            "push",
            "-q",
            &format!("{}:latest", image.layout_dir().display()),
            &registry.reference(&format!("types/app:{tag}")),
        ]);
        assert_eq!(digest, image.manifest().digest());
        assert_eq!(
            served_type(&registry, "types/app", &tag),
            "application/vnd.oci.image.manifest.v1+json",
            "{declared}"
        );
        // Into a layout, the entry gets the type of the bytes too.
        let dir = work.path().join(format!("copy{i}"));
        skiff.ok(&[
            "copy",
            "-q",
            &format!("oci:{}:latest", image.layout_dir().display()),
            &format!("oci:{}:x", dir.display()),
        ]);
        let index: Value = serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
        assert_eq!(
            index["manifests"][0]["mediaType"],
            "application/vnd.oci.image.manifest.v1+json"
        );
        let theirs = Skopeo::new()
            .inspect(&ImageRef::local(format!("oci:{}:x", dir.display())))
            .unwrap();
        assert_eq!(theirs["Digest"], image.manifest().digest());
    }

    // Bytes that show no manifest, under a descriptor that names no manifest type: refused,
    // and nothing is pushed.
    let image = skiff_integration::RandomImage::build("types/bad", &[100]);
    let manifest_path = image.blob_path(image.manifest().digest());
    let bytes = std::fs::read(&manifest_path).unwrap();
    let mut parsed: Value = serde_json::from_slice(&bytes).unwrap();
    parsed.as_object_mut().unwrap().remove("mediaType");
    parsed.as_object_mut().unwrap().remove("layers");
    let changed = serde_json::to_vec(&parsed).unwrap();
    let digest = skiff_integration::sha256(&changed);
    std::fs::write(image.blob_path(&digest), &changed).unwrap();
    let path = image.layout_dir().join("index.json");
    let mut index: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    index["manifests"][0]["digest"] = Value::from(digest.as_str());
    index["manifests"][0]["size"] = Value::from(changed.len());
    index["manifests"][0]["mediaType"] = Value::from("application/vnd.oci.descriptor.v1+json");
    std::fs::write(&path, serde_json::to_vec(&index).unwrap()).unwrap();
    let out = skiff.run(&[
        "push",
        "-q",
        &format!("{}:latest", image.layout_dir().display()),
        &registry.reference("types/app:bad"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a manifest type"), "{stderr}");
    assert_ne!(
        served_type(&registry, "types/app", "bad"),
        "application/vnd.oci.descriptor.v1+json"
    );
}

/// Where Debian's `golang-github-containers-image-dev` puts containers/image's sources.
const CONTAINERS_IMAGE: &str = "/usr/share/gocode/src/github.com/containers/image";

/// containers/image's fixtures that skiff refuses to read as manifests, with why. Each is
/// malformed on purpose (containers/image's tests feed them to its error paths) or is not a
/// manifest at all; `skopeo manifest-digest` hashes any bytes, so it has an answer for them.
const REFUSED: &[(&str, &str)] = &[
    ("manifest/fixtures/non-json.manifest.json", "not JSON"),
    ("manifest/fixtures/ociv1.artifact.json", "config digest is empty"),
    (
        "manifest/fixtures/ociv1nomime.artifact.json",
        "no mediaType and no layers: no manifest shape",
    ),
    (
        "manifest/fixtures/schema2-to-schema1-by-docker.json",
        "truncated JSON",
    ),
    (
        "manifest/fixtures/unknown-version.manifest.json",
        "unknown schemaVersion",
    ),
    (
        "manifest/fixtures/v2s1-invalid-signatures.manifest.json",
        "signatures is not an array",
    ),
    (
        "internal/image/fixtures/oci1-config.json",
        "an image config, not a manifest",
    ),
    (
        "internal/image/fixtures/schema2-config.json",
        "an image config, not a manifest",
    ),
    (
        "internal/image/fixtures/schema1-to-oci1-config.json",
        "an image config, not a manifest",
    ),
    (
        "internal/image/fixtures/schema1-to-schema2-config.json",
        "an image config, not a manifest",
    ),
    (
        "internal/image/fixtures/schema1-to-oci1.json",
        "a size of -1 (a placeholder in that test)",
    ),
    (
        "internal/image/fixtures/schema1-to-schema2.json",
        "a size of -1 (a placeholder in that test)",
    ),
    (
        "internal/image/fixtures/schema2-to-schema1-by-docker.json",
        "truncated JSON",
    ),
];

#[test]
fn containers_image_fixtures_get_skopeos_digests_or_a_clear_refusal() {
    let root = std::path::Path::new(CONTAINERS_IMAGE);
    assert!(
        root.is_dir(),
        "containers/image's fixtures are missing: run `cargo xtask test` (it installs the test \
         peers), or `sudo apt-get install -y golang-github-containers-image-dev`"
    );
    let skiff = Skiff::new();
    let skopeo = Skopeo::new();
    let mut agreed = 0;
    for dir in ["manifest/fixtures", "internal/image/fixtures"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for path in files {
            let name = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
            let out = skiff.run(&["digest", "--file", path.to_str().unwrap()]);
            let refused = REFUSED.iter().find(|(file, _)| *file == name);
            match refused {
                Some((_, why)) => {
                    assert_eq!(out.status.code(), Some(1), "{name} ({why}): {out:?}");
                    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1, "{name}");
                }
                None => {
                    assert!(out.status.success(), "{name}: {out:?}");
                    let ours = String::from_utf8(out.stdout).unwrap().trim().to_owned();
                    let theirs = skopeo.manifest_digest(&path).unwrap();
                    assert_eq!(ours, theirs, "{name}");
                    agreed += 1;
                }
            }
        }
    }
    // Debian's package of containers/image 5.23 has 35 readable fixtures here.
    assert!(agreed >= 30, "only {agreed} fixtures compared");

    // Schema1 signatures: the one signed by a real key verifies; `v2s1.manifest.json`'s does
    // not (its payload is the unsigned fixture's, byte for byte, and its signature does not
    // cover it), and skiff says so rather than trust it.
    let verify = |file: &str| skiff.run(&["verify", "--file", root.join(file).to_str().unwrap()]);
    let good = verify("internal/image/fixtures/schema1.json");
    assert!(good.status.success(), "{good:?}");
    assert!(
        String::from_utf8_lossy(&good.stdout).starts_with("ES256 "),
        "{good:?}"
    );
    assert_eq!(
        verify("manifest/fixtures/v2s1.manifest.json").status.code(),
        Some(1)
    );
    assert_eq!(
        verify("manifest/fixtures/v2s1-unsigned.manifest.json")
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn a_registry_serving_members_outside_the_signed_payload_gets_the_payload_read() {
    use skiff_integration::{Hostile, Reply};
    let expected = oci_digest::Digest::sha256(&fixture("schema1-unsigned.json")).to_string();
    let layers_signed = {
        let unsigned: Value = serde_json::from_slice(&fixture("schema1-unsigned.json")).unwrap();
        unsigned["fsLayers"].as_array().unwrap().len()
    };
    // What a reader of the whole document would see: no layers, another name.
    let served = with_unsigned_members(
        "schema1-signed-rs256.json",
        ",\n   \"fsLayers\": [], \"name\": \"library/evil\"",
    );
    let server = Hostile::start(move |seen| {
        if seen.path_only() == "/v2/" {
            Reply::json(&serde_json::json!({}))
        } else if seen.path_only() == "/v2/team/app/tags/list" {
            Reply::json(&serde_json::json!({"name": "team/app", "tags": ["1"]}))
        } else if seen.path_only().starts_with("/v2/team/app/manifests/") {
            Reply::status(200)
                .header(
                    "content-type",
                    "application/vnd.docker.distribution.manifest.v1+prettyjws",
                )
                .body(served.clone())
        } else {
            Reply::status(404)
        }
    });
    let skiff = Skiff::new();
    let by_tag = format!("{}/team/app:1", server.host());
    let by_digest = format!("{}/team/app@{expected}", server.host());
    // Pull by digest checks the payload's digest; by tag the same digest comes out.
    assert_eq!(skiff.ok_text(&["digest", &by_tag]), expected);
    assert_eq!(skiff.ok_text(&["digest", &by_digest]), expected);
    // The content is the payload's: its layers, not the empty list outside it.
    let summary: Value = serde_json::from_slice(&skiff.ok(&["inspect", &by_digest])).unwrap();
    assert_eq!(summary["Digest"], expected.as_str());
    assert_eq!(summary["Layers"].as_array().unwrap().len(), layers_signed);
}
