//! Legacy docker-archives, as `docker save` wrote them before Docker 1.10: no
//! `manifest.json`, one `ID/` directory per v1 image (`VERSION`, `json` naming
//! its `parent`, `layer.tar`), and `repositories` tagging some of them. Built
//! member by member with [`TarBuilder`], so hostile ones can be built too.

use serde_json::{json, Value};

use crate::archive::{HostileArchive, TarBuilder};
use crate::image::sha256;

/// One v1 image of a legacy archive.
#[derive(Debug, Clone)]
pub struct V1Image {
    /// Its v1 ID (64 hex characters, or anything, for a hostile archive).
    pub id: String,
    /// Its parent's v1 ID.
    pub parent: Option<String>,
    /// Its `layer.tar`: an uncompressed tar (an empty one for a metadata-only step).
    pub layer: Vec<u8>,
    /// The build step (`container_config.Cmd`).
    pub step: String,
}

impl V1Image {
    /// Its `json`, as Docker 1.9 wrote it.
    pub fn json(&self) -> Value {
        let mut json = json!({
            "id": self.id,
            "created": "2015-11-20T22:34:47.123456789Z",
            "container_config": {"Cmd": ["/bin/sh", "-c", self.step]},
            "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/bin/sh"]},
            "docker_version": "1.9.1",
            "author": "legacy <legacy@example.com>",
            "architecture": "amd64",
            "os": "linux",
            "Size": self.layer.len(),
        });
        if let Some(parent) = &self.parent {
            json["parent"] = json!(parent);
        }
        json
    }
}

/// A legacy archive: its v1 images and its `repositories`.
#[derive(Debug, Clone)]
pub struct LegacyArchive {
    /// The v1 images, in the order they are written.
    pub images: Vec<V1Image>,
    /// `repositories`, or `None` to write none.
    pub repositories: Option<Value>,
}

/// The v1 ID made of `seed`: its SHA-256 in hex.
pub fn v1_id(seed: &str) -> String {
    sha256(seed.as_bytes())["sha256:".len()..].to_owned()
}

/// A tar holding one file.
fn layer(name: &str, content: &str) -> Vec<u8> {
    TarBuilder::new().file(name, content.as_bytes()).finish()
}

impl LegacyArchive {
    /// Two images sharing their two lowest v1 images: a base with a file, then a
    /// metadata-only step (an empty tar, as Docker wrote for `ENV`), then each image's own
    /// layer; `repositories` tags them `team/one:1` and `team/two:2`.
    pub fn two_images() -> LegacyArchive {
        let (base, meta, one, two) = (v1_id("base"), v1_id("meta"), v1_id("one"), v1_id("two"));
        let images = vec![
            V1Image {
                id: base.clone(),
                parent: None,
                layer: layer("etc/os-release", "NAME=legacy\n"),
                step: "#(nop) ADD file:os-release in /".to_owned(),
            },
            V1Image {
                id: meta.clone(),
                parent: Some(base),
                layer: TarBuilder::new().finish(),
                step: "#(nop) ENV LEGACY=1".to_owned(),
            },
            V1Image {
                id: one.clone(),
                parent: Some(meta.clone()),
                layer: layer("one.txt", "one\n"),
                step: "echo one > /one.txt".to_owned(),
            },
            V1Image {
                id: two.clone(),
                parent: Some(meta),
                layer: layer("two.txt", "two\n"),
                step: "echo two > /two.txt".to_owned(),
            },
        ];
        LegacyArchive {
            images,
            repositories: Some(json!({"team/one": {"1": one}, "team/two": {"2": two}})),
        }
    }

    /// The v1 image `id`.
    pub fn image(&self, id: &str) -> &V1Image {
        self.images
            .iter()
            .find(|image| image.id == id)
            .unwrap_or_else(|| panic!("no v1 image {id}"))
    }

    /// The chain from `top` to its base, base first.
    pub fn chain(&self, top: &str) -> Vec<&V1Image> {
        let mut chain = vec![self.image(top)];
        while let Some(parent) = &chain.last().expect("not empty").parent {
            chain.push(self.image(parent));
        }
        chain.reverse();
        chain
    }

    /// The diffIDs of the image `top`: each `layer.tar`'s SHA-256, base first.
    pub fn diff_ids(&self, top: &str) -> Vec<String> {
        self.chain(top).iter().map(|image| sha256(&image.layer)).collect()
    }

    /// The archive's members (without a `repositories` when there is none).
    pub fn builder(&self) -> TarBuilder {
        let mut builder = TarBuilder::new();
        for image in &self.images {
            builder = builder
                .dir(&format!("{}/", image.id))
                .file(&format!("{}/VERSION", image.id), b"1.0")
                .file(&format!("{}/json", image.id), image.json().to_string().as_bytes())
                .file(&format!("{}/layer.tar", image.id), &image.layer);
        }
        if let Some(repositories) = &self.repositories {
            builder = builder.file("repositories", repositories.to_string().as_bytes());
        }
        builder
    }
}

/// Every kind of hostile legacy archive a reader must refuse: a parent chain that loops, a
/// parent that is not there, an image without `json` or without `layer.tar`, IDs that are
/// no v1 IDs (in `repositories`, as a directory), a json naming another ID than its
/// directory, a member name with `..`, a `layer.tar` linking out of the archive, a chain
/// deeper than Docker's 125 layers.
pub fn hostile_legacy_archives() -> Vec<HostileArchive> {
    let (a, b) = (v1_id("a"), v1_id("b"));
    let step = |id: &str, parent: Option<&str>| V1Image {
        id: id.to_owned(),
        parent: parent.map(str::to_owned),
        layer: TarBuilder::new().finish(),
        step: "true".to_owned(),
    };
    let tagged = |images: Vec<V1Image>, top: &str| LegacyArchive {
        images,
        repositories: Some(json!({"x/y": {"1": top}})),
    };
    let hostile = |case, builder: TarBuilder| HostileArchive {
        case,
        bytes: builder.finish(),
    };
    let deep: Vec<V1Image> = (0..126)
        .map(|i| {
            let parent = (i > 0).then(|| v1_id(&format!("deep {}", i - 1)));
            step(&v1_id(&format!("deep {i}")), parent.as_deref())
        })
        .collect();
    let deep_top = deep.last().expect("126 of them").id.clone();
    let mut renamed = step(&a, None);
    renamed.id = b.clone();
    vec![
        hostile(
            "a legacy parent cycle",
            tagged(vec![step(&a, Some(&b)), step(&b, Some(&a))], &a).builder(),
        ),
        hostile(
            "a legacy parent that is missing",
            tagged(vec![step(&a, Some(&b))], &a).builder(),
        ),
        hostile("a legacy image without json", tagged(Vec::new(), &a).builder()),
        hostile(
            "a legacy image without layer.tar",
            TarBuilder::new()
                .file(&format!("{a}/json"), step(&a, None).json().to_string().as_bytes())
                .file("repositories", json!({"x/y": {"1": a}}).to_string().as_bytes()),
        ),
        hostile(
            "a legacy tag of an ID that is not 64 hex",
            tagged(vec![step(&a, None)], "../../etc").builder(),
        ),
        hostile(
            "a legacy directory that is not 64 hex",
            LegacyArchive {
                images: vec![step("not-an-id", None)],
                repositories: None,
            }
            .builder(),
        ),
        hostile(
            "a legacy json naming another ID",
            TarBuilder::new()
                .file(&format!("{a}/json"), renamed.json().to_string().as_bytes())
                .file(&format!("{a}/layer.tar"), &TarBuilder::new().finish()),
        ),
        hostile(
            "a legacy member name with ..",
            tagged(vec![step(&a, None)], &a)
                .builder()
                .file(&format!("{a}/../../layer.tar"), b"x"),
        ),
        hostile(
            "a legacy layer.tar linking out of the archive",
            TarBuilder::new()
                .file(&format!("{a}/json"), step(&a, None).json().to_string().as_bytes())
                .symlink(&format!("{a}/layer.tar"), "../../../etc/passwd"),
        ),
        hostile(
            "a legacy chain deeper than Docker's",
            tagged(deep, &deep_top).builder(),
        ),
    ]
}
