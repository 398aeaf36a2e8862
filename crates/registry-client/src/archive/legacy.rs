//! The legacy docker-archive format: what `docker save` wrote before Docker
//! 1.10, and what any archive without `manifest.json` is read as.
//!
//! Such an archive is a set of v1 images, one directory each, named by its v1
//! ID: `ID/json` (the v1 image JSON, naming its `parent`), `ID/layer.tar` (the
//! layer, uncompressed; an empty tar for a metadata-only step) and
//! `ID/VERSION`. `repositories` (`{"NAME":{"TAG":"ID"}}`) tags some of them.
//! An image is the chain from its ID down to the v1 image without a parent.
//!
//! It is read the way Docker's legacy loader (`image/tarexport`'s
//! `legacyLoadImage`) read it: every v1 image of the chain is a layer whose
//! diffID is the digest of its `layer.tar` (`throwaway` was never written
//! there and is not honoured), and the config is Docker's
//! `MakeConfigFromV1Config` of the top v1 JSON ([`legacy_to_config`]), so it
//! is the image ID `docker load` gave the same archive. Every ID (a directory,
//! a `parent`, a `repositories` target) must be a v1 ID, 64 lowercase
//! hexadecimal characters, so none can name a path outside its directory; the
//! chain must end, within Docker's 125 layers, at a v1 image that is there.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use oci_digest::Digest;
use oci_manifest::v1::{legacy_to_config, V1History, V1Id, V1Layer};
use oci_manifest::Reference;
use serde::Deserialize;

use super::tar_index::{compression_of, Member, TarIndex};
use super::{ArchiveImage, METADATA_LIMIT};
use crate::image::docker_archive::{hash_member, read_json};
use crate::Error;

/// The member that tags a legacy archive's images.
pub(crate) const REPOSITORIES: &str = "repositories";

/// The deepest chain Docker's layer store takes (`layer.maxLayerDepth`).
const MAX_DEPTH: usize = 125;

/// `repositories`: for each name, each tag's v1 ID, in the order written.
type Repositories = serde_json::Map<String, serde_json::Value>;

/// The two fields of a v1 image JSON that make the chain.
#[derive(Deserialize)]
struct Links {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    parent: Option<String>,
}

/// One image of a legacy archive, ready for the engine.
#[derive(Debug)]
pub(crate) struct LegacyImage {
    /// The config built from the chain.
    pub(crate) config: Vec<u8>,
    /// Each v1 image's `layer.tar`, base first, with its digest (its diffID).
    pub(crate) layers: Vec<(Member, Digest)>,
    /// The image's `NAME:TAG`s in `repositories`.
    pub(crate) repo_tags: Vec<String>,
}

/// Whether the archive is in the legacy format: no `manifest.json`, but `repositories`
/// or a v1 image's `ID/json`.
pub(crate) fn is_legacy(index: &TarIndex) -> bool {
    index.has(REPOSITORIES) || index.names().any(|name| v1_dir(name).is_some())
}

/// The directory of `name` if it is a v1 image's `DIR/json`.
fn v1_dir(name: &str) -> Option<&str> {
    name.strip_suffix("/json").filter(|dir| !dir.contains('/'))
}

fn broken(index: &TarIndex, id: &str, reason: String) -> Error {
    Error::LegacyImage {
        path: index.path().to_path_buf(),
        id: id.to_owned(),
        reason,
    }
}

/// `text` as a v1 ID; `what` says where it was found.
fn v1_id(index: &TarIndex, text: &str, what: &str) -> Result<V1Id, Error> {
    text.parse().map_err(|_| {
        broken(
            index,
            text,
            format!("{what} is not a v1 image ID (64 lowercase hexadecimal characters)"),
        )
    })
}

/// The archive's tags, in the order written: (`NAME:TAG`, v1 ID).
async fn tags(index: &TarIndex) -> Result<Vec<(String, V1Id)>, Error> {
    if !index.has(REPOSITORIES) {
        return Ok(Vec::new());
    }
    let repositories: Repositories =
        read_json(index, REPOSITORIES, "the legacy format", METADATA_LIMIT).await?;
    let mut tags = Vec::new();
    for (name, tagged) in repositories {
        let serde_json::Value::Object(tagged) = tagged else {
            return Err(broken(
                index,
                &name,
                "repositories gives it no {\"TAG\": \"ID\"} object".to_owned(),
            ));
        };
        for (tag, id) in tagged {
            let tag = format!("{name}:{tag}");
            let Some(id) = id.as_str() else {
                return Err(broken(
                    index,
                    &tag,
                    "repositories tags no v1 ID with it".to_owned(),
                ));
            };
            tags.push((tag, v1_id(index, id, "the ID repositories tags")?));
        }
    }
    Ok(tags)
}

/// Every v1 image's `id` and `parent` as its json gives them, by its directory.
async fn links(index: &TarIndex) -> Result<HashMap<V1Id, Option<V1Id>>, Error> {
    let mut links = HashMap::new();
    let dirs: BTreeSet<&str> = index.names().filter_map(v1_dir).collect();
    for dir in dirs {
        let id = v1_id(index, dir, "the directory name")?;
        let member = format!("{dir}/json");
        let json: Links = read_json(index, &member, "the legacy format", METADATA_LIMIT).await?;
        if json.id.as_deref() != Some(dir) {
            return Err(broken(
                index,
                dir,
                format!(
                    "its json names id {:?}, not its directory",
                    json.id.unwrap_or_default()
                ),
            ));
        }
        let parent = match json.parent.filter(|p| !p.is_empty()) {
            Some(parent) => Some(v1_id(index, &parent, "its parent")?),
            None => None,
        };
        links.insert(id, parent);
    }
    Ok(links)
}

/// The image `wanted` names: its v1 ID and its tags.
fn choose(
    index: &TarIndex,
    tags: &[(String, V1Id)],
    links: &HashMap<V1Id, Option<V1Id>>,
    wanted: Option<&ArchiveImage>,
) -> Result<(V1Id, Vec<String>), Error> {
    // The images: those tagged, in the order written, then the untagged tops by ID.
    let mut images: Vec<V1Id> = Vec::new();
    for (_, id) in tags {
        if !images.contains(id) {
            images.push(id.clone());
        }
    }
    let parents: HashSet<&V1Id> = links.values().flatten().collect();
    let mut tops: Vec<&V1Id> = links
        .keys()
        .filter(|id| !parents.contains(id) && !images.contains(id))
        .collect();
    tops.sort();
    images.extend(tops.into_iter().cloned());
    let not_found = |wanted: String| Error::ArchiveImageNotFound {
        path: index.path().to_path_buf(),
        wanted,
        count: images.len(),
    };
    let id = match wanted {
        None => match images.as_slice() {
            [only] => only.clone(),
            _ => {
                return Err(Error::AmbiguousArchive {
                    path: index.path().to_path_buf(),
                    count: images.len(),
                })
            }
        },
        Some(ArchiveImage::Index(n)) => images
            .get(*n)
            .cloned()
            .ok_or_else(|| not_found(format!("@{n}")))?,
        Some(ArchiveImage::Tagged(wanted)) => tags
            .iter()
            .find(|(tag, _)| Reference::parse(tag).is_ok_and(|tag| tag == *wanted))
            .map(|(_, id)| id.clone())
            .ok_or_else(|| not_found(wanted.to_string()))?,
    };
    let repo_tags = tags
        .iter()
        .filter(|(_, tagged)| *tagged == id)
        .map(|(tag, _)| tag.clone())
        .collect();
    Ok((id, repo_tags))
}

/// The chain from `top` to its base, base first.
fn chain(index: &TarIndex, links: &HashMap<V1Id, Option<V1Id>>, top: &V1Id) -> Result<Vec<V1Id>, Error> {
    if !links.contains_key(top) {
        return Err(Error::MissingArchiveMember {
            path: index.path().to_path_buf(),
            member: format!("{top}/json"),
            referrer: "repositories",
            reason: "is not in the archive",
        });
    }
    let mut chain = vec![top.clone()];
    let mut seen: HashSet<&V1Id> = HashSet::from([top]);
    let mut id = top;
    while let Some(parent) = &links[id] {
        if !links.contains_key(parent) {
            return Err(broken(
                index,
                id.as_str(),
                format!("its parent {parent} is not in the archive (no {parent}/json)"),
            ));
        }
        if !seen.insert(parent) {
            return Err(broken(
                index,
                top.as_str(),
                format!("its parent chain loops back to {parent}"),
            ));
        }
        if chain.len() == MAX_DEPTH {
            return Err(broken(
                index,
                top.as_str(),
                format!("its parent chain is deeper than Docker's {MAX_DEPTH} layers"),
            ));
        }
        chain.push(parent.clone());
        id = parent;
    }
    chain.reverse();
    Ok(chain)
}

/// Reads the image `wanted` names from a legacy archive: its chain, each `layer.tar`
/// hashed once for its diffID, and the config Docker builds from them.
pub(crate) async fn read(index: &Arc<TarIndex>, wanted: Option<&ArchiveImage>) -> Result<LegacyImage, Error> {
    let tags = tags(index).await?;
    let links = links(index).await?;
    let (top, repo_tags) = choose(index, &tags, &links, wanted)?;
    let mut v1_layers = Vec::new();
    let mut layers = Vec::new();
    for (position, id) in chain(index, &links, &top)?.iter().enumerate() {
        let name = format!("{id}/layer.tar");
        let member = index.file(&name, "the legacy format")?.clone();
        let head = index.peek(&member, 6).await?;
        if let Some(compression) = compression_of(&head) {
            return Err(Error::UnsupportedLayerCompression {
                path: index.path().to_path_buf(),
                layer: name,
                compression,
            });
        }
        let diff_id = hash_member(index, &member).await?;
        let json = index
            .read(&format!("{id}/json"), "the legacy format", METADATA_LIMIT)
            .await?;
        let json = String::from_utf8(json)
            .map_err(|_| broken(index, id.as_str(), "its json is not UTF-8".to_owned()))?;
        let v1 = V1Layer::new(diff_id.clone(), json, position)
            .map_err(|e| broken(index, id.as_str(), format!("its json: {e}")))?;
        v1_layers.push(v1);
        layers.push((member, diff_id));
    }
    let config = V1History::new(v1_layers)
        .and_then(|history| legacy_to_config(&history))
        .map_err(|e| broken(index, top.as_str(), e.to_string()))?;
    Ok(LegacyImage {
        config: config.into_bytes(),
        layers,
        repo_tags,
    })
}
