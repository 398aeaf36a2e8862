//! Tar archives built member by member: as `docker save` writes them, or as an attacker
//! would (names with `..` or a leading `/`, links out of the archive, members cut short).
//! The headers are written raw, so nothing here refuses what a hostile archive holds.

use std::path::Path;

use serde_json::json;

use crate::image::{gzip, sha256};

/// A tar archive under construction.
#[derive(Debug, Default, Clone)]
pub struct TarBuilder {
    bytes: Vec<u8>,
}

impl TarBuilder {
    /// An empty archive.
    pub fn new() -> TarBuilder {
        TarBuilder::default()
    }

    fn header(mut self, name: &str, kind: tar::EntryType, size: u64, link: &str) -> TarBuilder {
        let mut header = tar::Header::new_ustar();
        {
            let old = header.as_old_mut();
            assert!(name.len() <= old.name.len() && link.len() <= old.linkname.len());
            old.name[..name.len()].copy_from_slice(name.as_bytes());
            old.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        header.set_size(size);
        header.set_entry_type(kind);
        header.set_mode(if kind == tar::EntryType::Directory {
            0o755
        } else {
            0o644
        });
        header.set_mtime(0);
        header.set_cksum();
        self.bytes.extend_from_slice(header.as_bytes());
        self
    }

    /// A regular file `name` (written as given) holding `content`.
    pub fn file(self, name: &str, content: &[u8]) -> TarBuilder {
        let mut builder = self.header(name, tar::EntryType::Regular, content.len() as u64, "");
        builder.bytes.extend_from_slice(content);
        let padding = (512 - content.len() % 512) % 512;
        builder.bytes.resize(builder.bytes.len() + padding, 0);
        builder
    }

    /// A directory `name`.
    pub fn dir(self, name: &str) -> TarBuilder {
        self.header(name, tar::EntryType::Directory, 0, "")
    }

    /// A symbolic link `name` -> `target`.
    pub fn symlink(self, name: &str, target: &str) -> TarBuilder {
        self.header(name, tar::EntryType::Symlink, 0, target)
    }

    /// A hard link `name` -> `target` (relative to the archive's root).
    pub fn hardlink(self, name: &str, target: &str) -> TarBuilder {
        self.header(name, tar::EntryType::Link, 0, target)
    }

    /// The archive with its two end blocks.
    pub fn finish(mut self) -> Vec<u8> {
        self.bytes.extend_from_slice(&[0; 1024]);
        self.bytes
    }

    /// Writes the finished archive to `path`.
    pub fn write_to(self, path: &Path) {
        std::fs::write(path, self.finish()).expect("write the archive");
    }
}

/// A small image as a docker-archive holds it: a config and uncompressed layer tars.
#[derive(Debug, Clone)]
pub struct ArchiveImage {
    /// The image config's bytes.
    pub config: Vec<u8>,
    /// The layers, uncompressed tars, bottom first.
    pub layers: Vec<Vec<u8>>,
}

impl ArchiveImage {
    /// An image of `layers` small layers whose content depends on `seed`.
    pub fn new(seed: &str, layers: usize) -> ArchiveImage {
        let layers: Vec<Vec<u8>> = (0..layers)
            .map(|i| {
                TarBuilder::new()
                    .file(&format!("file-{i}.txt"), format!("{seed} layer {i}\n").as_bytes())
                    .finish()
            })
            .collect();
        let diff_ids: Vec<String> = layers.iter().map(|layer| sha256(layer)).collect();
        ArchiveImage::with_diff_ids(layers, &diff_ids)
    }

    /// An image of `layers` whose config claims `diff_ids` (true or not).
    pub fn with_diff_ids(layers: Vec<Vec<u8>>, diff_ids: &[String]) -> ArchiveImage {
        let config = json!({
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": diff_ids.iter().map(|_| json!({"created_by": "test"})).collect::<Vec<_>>(),
        });
        ArchiveImage {
            config: serde_json::to_vec(&config).expect("config serialises"),
            layers,
        }
    }

    /// The config's member name, `HEX.json`.
    pub fn config_name(&self) -> String {
        format!("{}.json", &sha256(&self.config)["sha256:".len()..])
    }

    /// The layers' member names, `HEX.tar`.
    pub fn layer_names(&self) -> Vec<String> {
        self.layers
            .iter()
            .map(|layer| format!("{}.tar", &sha256(layer)["sha256:".len()..]))
            .collect()
    }

    /// The `manifest.json` entry naming this image's members as given, tagged `tags`.
    pub fn manifest_item(&self, config: &str, layers: &[String], tags: &[&str]) -> serde_json::Value {
        json!({"Config": config, "RepoTags": tags, "Layers": layers})
    }

    /// The archive `docker save` would write for this image alone (without the legacy
    /// directories), tagged `tags`.
    pub fn archive(&self, tags: &[&str]) -> TarBuilder {
        let mut builder = TarBuilder::new().file(&self.config_name(), &self.config);
        for (name, layer) in self.layer_names().iter().zip(&self.layers) {
            builder = builder.file(name, layer);
        }
        let manifest = json!([self.manifest_item(&self.config_name(), &self.layer_names(), tags)]);
        builder.file("manifest.json", manifest.to_string().as_bytes())
    }
}

/// Every member of the tar file at `path` but its directories: name and content, in order.
pub fn tar_members(path: &Path) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut archive = tar::Archive::new(file);
    let mut members = Vec::new();
    for entry in archive.entries().expect("a tar archive") {
        let mut entry = entry.expect("a tar member");
        let name = entry
            .path()
            .expect("a member name")
            .to_string_lossy()
            .into_owned();
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).expect("a member's content");
        if !name.ends_with('/') {
            members.push((name, content));
        }
    }
    members
}

/// The names of the files in `dir`, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    let mut names: Vec<String> = entries
        .map(|entry| {
            entry
                .expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// A docker-archive an attacker (or a broken download) could hand over.
#[derive(Debug, Clone)]
pub struct HostileArchive {
    /// What is wrong with it.
    pub case: &'static str,
    /// The archive's bytes.
    pub bytes: Vec<u8>,
}

/// Every kind of hostile docker-archive a reader must refuse: a member name with `..` or an
/// absolute one, links standing in for a layer that leave the archive, point at nothing or
/// at another link, a tar cut short in a member or in a header, a manifest naming a missing
/// member, a layer that is not its diffID, a name given twice, a file that is not a tar, a
/// gzipped tar, an empty file.
pub fn hostile_archives() -> Vec<HostileArchive> {
    let image = ArchiveImage::new("hostile", 1);
    let layer = image.layer_names()[0].clone();
    let with_layer_member = |member: TarBuilder, name: &str| {
        let manifest = json!([image.manifest_item(&image.config_name(), &[name.to_owned()], &[])]);
        member
            .file(&image.config_name(), &image.config)
            .file("manifest.json", manifest.to_string().as_bytes())
            .finish()
    };
    let whole = image.archive(&[]).finish();
    // The members are the config, the layer, manifest.json: cut inside the layer's content,
    // and inside its header.
    let config_end = 512 + image.config.len().div_ceil(512) * 512;
    let lying = ArchiveImage::with_diff_ids(image.layers.clone(), &[sha256(b"something else")]);
    let gzipped = gzip(&whole);
    let hostile = |case, bytes| HostileArchive { case, bytes };
    vec![
        hostile(
            "a member name with ..",
            image.archive(&[]).file("../escape", b"x").finish(),
        ),
        hostile(
            "an absolute member name",
            image.archive(&[]).file("/etc/cron.d/x", b"x").finish(),
        ),
        hostile(
            "a symlink standing in for a layer, out of the archive",
            with_layer_member(
                TarBuilder::new().symlink("layer.tar", "../../../etc/passwd"),
                "layer.tar",
            ),
        ),
        hostile(
            "an absolute symlink standing in for a layer",
            with_layer_member(TarBuilder::new().symlink("layer.tar", "/etc/passwd"), "layer.tar"),
        ),
        hostile(
            "a hard link standing in for a layer, to nothing",
            with_layer_member(
                TarBuilder::new().hardlink("layer.tar", "missing.tar"),
                "layer.tar",
            ),
        ),
        hostile(
            "a symlink to a symlink",
            with_layer_member(
                TarBuilder::new()
                    .file(&layer, &image.layers[0])
                    .symlink("b.tar", &layer)
                    .symlink("a.tar", "b.tar"),
                "a.tar",
            ),
        ),
        hostile("a truncated tar", whole[..config_end + 512 + 10].to_vec()),
        hostile("a tar cut inside a header", whole[..config_end + 100].to_vec()),
        hostile(
            "a manifest naming a missing member",
            with_layer_member(TarBuilder::new(), "nowhere.tar"),
        ),
        hostile(
            "a layer that is not the config's diffID",
            lying.archive(&[]).finish(),
        ),
        hostile(
            "a member named twice",
            image.archive(&[]).file(&layer, b"other content").finish(),
        ),
        hostile(
            "a file that is not a tar",
            b"{\"this is\": \"json, not a tar\"}".repeat(40),
        ),
        hostile("a gzipped tar", gzipped),
        hostile("an empty file", Vec::new()),
    ]
}
