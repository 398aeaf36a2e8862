//! Reading a tar file by an index of its members: one pass over the headers
//! (seeking past the content), then each member opened at its offset.
//!
//! Nothing is unpacked. The archive comes from outside, so the index refuses
//! what a careful unpacker would refuse: member names that are absolute or
//! hold a `..` component, the same name twice, content that runs past the end
//! of the file (a truncated download); a link is followed only to a regular
//! file inside the archive, one level deep, as containers/image and
//! containerd follow them.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};

use crate::Error;

/// The kinds of member the index tells apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MemberKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link, with its target as written (relative to the link's directory).
    Symlink(String),
    /// A hard link, with its target as written (relative to the archive's root).
    Hardlink(String),
    /// Anything else (a device, a FIFO): never content.
    Other,
}

/// One member: its name as written, its kind, and where its content is.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    name: String,
    kind: MemberKind,
    offset: u64,
    size: u64,
}

impl Member {
    /// The offset of the content in the file.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// The size of the content.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The name as the archive writes it.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

/// The members of one tar file, by normalised name.
#[derive(Debug)]
pub(crate) struct TarIndex {
    path: PathBuf,
    members: HashMap<String, Member>,
}

/// The magic bytes of whole-file compressions users meet (`docker save | gzip`).
const COMPRESSED_MAGIC: [(&[u8], &str); 4] = [
    (&[0x1f, 0x8b], "gzip"),
    (&[0x28, 0xb5, 0x2f, 0xfd], "zstd"),
    (b"BZh", "bzip2"),
    (&[0xfd, b'7', b'z', b'X', b'Z', 0x00], "xz"),
];

/// The compression `start` (the first bytes of a stream) shows, if any.
pub(crate) fn compression_of(start: &[u8]) -> Option<&'static str> {
    COMPRESSED_MAGIC
        .iter()
        .find(|(magic, _)| start.starts_with(magic))
        .map(|(_, name)| *name)
}

impl TarIndex {
    /// Indexes the tar file at `path` (blocking: call it on the blocking pool).
    pub(crate) fn open(path: &Path) -> Result<TarIndex, Error> {
        let io = |action| {
            let path = path.to_path_buf();
            move |source| Error::Io { action, path, source }
        };
        let mut file = std::fs::File::open(path).map_err(io("cannot open"))?;
        let metadata = file.metadata().map_err(io("cannot read"))?;
        if !metadata.is_file() {
            return Err(Error::NotATar {
                path: path.to_path_buf(),
                reason: "it is not a regular file".to_owned(),
            });
        }
        let len = metadata.len();
        let mut start = [0u8; 512];
        let mut read = 0;
        while read < start.len() {
            match file.read(&mut start[read..]).map_err(io("cannot read"))? {
                0 => break,
                n => read += n,
            }
        }
        if let Some(compression) = compression_of(&start[..read]) {
            return Err(Error::CompressedArchive {
                path: path.to_path_buf(),
                compression,
            });
        }
        if read < start.len() {
            return Err(Error::NotATar {
                path: path.to_path_buf(),
                reason: format!("it has {len} bytes, less than one tar header"),
            });
        }
        file.seek(SeekFrom::Start(0)).map_err(io("cannot read"))?;
        let mut index = TarIndex {
            path: path.to_path_buf(),
            members: HashMap::new(),
        };
        let not_a_tar = |error: std::io::Error| Error::NotATar {
            path: path.to_path_buf(),
            reason: error.to_string(),
        };
        let mut archive = tar::Archive::new(file);
        let mut first = true;
        let mut last = String::new();
        for entry in archive.entries_with_seek().map_err(not_a_tar)? {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) if first => return Err(not_a_tar(error)),
                // A header that breaks off or does not add up after good ones: a damaged
                // archive, not some other kind of file.
                Err(error) => {
                    return Err(Error::DamagedArchive {
                        path: path.to_path_buf(),
                        after: last,
                        reason: if error.to_string().contains("entire block") {
                            "it ends inside a member header (the file is truncated)".to_owned()
                        } else {
                            error.to_string()
                        },
                    })
                }
            };
            first = false;
            let name = match String::from_utf8(entry.path_bytes().into_owned()) {
                Ok(name) => name,
                // No JSON document can name it, so nothing can refer to it.
                Err(_) => continue,
            };
            let end = entry.raw_file_position().saturating_add(entry.size());
            if end > len {
                return Err(Error::TruncatedArchive {
                    path: path.to_path_buf(),
                    member: name,
                    missing: end - len,
                });
            }
            last.clone_from(&name);
            let link = || {
                entry
                    .link_name_bytes()
                    .map(|target| String::from_utf8_lossy(target.as_ref()).into_owned())
                    .unwrap_or_default()
            };
            let kind = match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => MemberKind::File,
                tar::EntryType::Directory => MemberKind::Directory,
                tar::EntryType::Symlink => MemberKind::Symlink(link()),
                tar::EntryType::Link => MemberKind::Hardlink(link()),
                _ => MemberKind::Other,
            };
            let member = Member {
                name: name.clone(),
                kind,
                offset: entry.raw_file_position(),
                size: entry.size(),
            };
            index.insert(member)?;
        }
        if first {
            return Err(Error::NotATar {
                path: path.to_path_buf(),
                reason: "it holds no member".to_owned(),
            });
        }
        Ok(index)
    }

    fn insert(&mut self, member: Member) -> Result<(), Error> {
        let key = self.clean(&member.name)?;
        if key.is_empty() {
            // The root directory (`./`).
            return Ok(());
        }
        match self.members.get(&key) {
            Some(existing)
                if existing.kind == MemberKind::Directory && member.kind == MemberKind::Directory => {}
            // Tools disagree on which of two same-named members counts; refusing is the one
            // reading on which they cannot disagree.
            Some(_) => {
                return Err(Error::UnsafeArchiveMember {
                    path: self.path.clone(),
                    member: member.name,
                    reason: "the archive holds two members of that name",
                })
            }
            None => {
                self.members.insert(key, member);
            }
        }
        Ok(())
    }

    /// `name` without `./` and empty components; an absolute name or one with a
    /// `..` component is refused.
    fn clean(&self, name: &str) -> Result<String, Error> {
        let refuse = |reason| Error::UnsafeArchiveMember {
            path: self.path.clone(),
            member: name.to_owned(),
            reason,
        };
        if name.starts_with('/') {
            return Err(refuse("its name is absolute"));
        }
        let mut parts = Vec::new();
        for part in name.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(refuse("its name has a `..` component")),
                part => parts.push(part),
            }
        }
        Ok(parts.join("/"))
    }

    /// Whether the archive holds a member called `name` (of any kind).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.clean(name).is_ok_and(|key| self.members.contains_key(&key))
    }

    /// The members' names, normalised (no `./`, no empty components), in no order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.members.keys().map(String::as_str)
    }

    /// The file this archive was read from.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The regular file `name` (which `referrer` names) stands for: the member
    /// itself, or the file a link member points at inside the archive.
    pub(crate) fn file(&self, name: &str, referrer: &'static str) -> Result<&Member, Error> {
        let key = self.clean(name)?;
        let missing = |reason| Error::MissingArchiveMember {
            path: self.path.clone(),
            member: name.to_owned(),
            referrer,
            reason,
        };
        let member = self
            .members
            .get(&key)
            .ok_or_else(|| missing("is not in the archive"))?;
        let link_error = |target: &str, reason| Error::ArchiveLink {
            path: self.path.clone(),
            member: member.name.clone(),
            target: target.to_owned(),
            reason,
        };
        let target_key = match &member.kind {
            MemberKind::File => return Ok(member),
            MemberKind::Directory => return Err(missing("is a directory, not a file")),
            MemberKind::Other => return Err(missing("is not a regular file")),
            MemberKind::Symlink(target) => {
                let dir = key.rsplit_once('/').map_or("", |(dir, _)| dir);
                resolve_link(dir, target)
                    .ok_or_else(|| link_error(target, "the target is outside the archive"))?
            }
            MemberKind::Hardlink(target) => resolve_link("", target)
                .ok_or_else(|| link_error(target, "the target is outside the archive"))?,
        };
        let target = match &member.kind {
            MemberKind::Symlink(target) | MemberKind::Hardlink(target) => target.as_str(),
            _ => "",
        };
        match self.members.get(&target_key) {
            Some(found) if found.kind == MemberKind::File => Ok(found),
            Some(found) if matches!(found.kind, MemberKind::Symlink(_) | MemberKind::Hardlink(_)) => {
                Err(link_error(
                    target,
                    "the target is a link itself (links are followed one level)",
                ))
            }
            Some(_) => Err(link_error(target, "the target is not a regular file")),
            None => Err(link_error(target, "the target is not in the archive")),
        }
    }

    /// Reads the whole member `name` (named by `referrer`) into memory, refusing one larger
    /// than `limit`.
    pub(crate) async fn read(
        &self,
        name: &str,
        referrer: &'static str,
        limit: u64,
    ) -> Result<Vec<u8>, Error> {
        let member = self.file(name, referrer)?;
        if member.size > limit {
            return Err(Error::ArchiveMemberTooLarge {
                path: self.path.clone(),
                member: name.to_owned(),
                size: member.size,
                limit,
            });
        }
        let mut reader = self.open_member(member).await?;
        let mut bytes = Vec::with_capacity(member.size as usize);
        reader.read_to_end(&mut bytes).await.map_err(|source| Error::Io {
            action: "cannot read",
            path: self.path.clone(),
            source,
        })?;
        self.check_length(member, bytes.len() as u64)?;
        Ok(bytes)
    }

    /// A reader of `member`'s content, from its own handle on the file.
    pub(crate) async fn open_member(
        &self,
        member: &Member,
    ) -> Result<impl AsyncRead + Send + Unpin + 'static, Error> {
        let io = |action| {
            let path = self.path.clone();
            move |source| Error::Io { action, path, source }
        };
        let mut file = tokio::fs::File::open(&self.path)
            .await
            .map_err(io("cannot open"))?;
        file.seek(SeekFrom::Start(member.offset))
            .await
            .map_err(io("cannot read"))?;
        Ok(file.take(member.size))
    }

    /// Fails when a member read back `read` bytes instead of its size (the file shrank
    /// after it was indexed).
    pub(crate) fn check_length(&self, member: &Member, read: u64) -> Result<(), Error> {
        if read == member.size {
            return Ok(());
        }
        Err(Error::TruncatedArchive {
            path: self.path.clone(),
            member: member.name.clone(),
            missing: member.size.saturating_sub(read),
        })
    }

    /// The first bytes of `member` (at most `n`).
    pub(crate) async fn peek(&self, member: &Member, n: usize) -> Result<Vec<u8>, Error> {
        let mut reader = self.open_member(member).await?;
        let mut start = vec![0u8; n.min(member.size as usize)];
        reader.read_exact(&mut start).await.map_err(|source| Error::Io {
            action: "cannot read",
            path: self.path.clone(),
            source,
        })?;
        Ok(start)
    }
}

/// The member a link in directory `dir` with target `target` points at, as a normalised
/// name; `None` when the target is absolute or climbs out of the archive's root.
fn resolve_link(dir: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_inside_the_root_only() {
        let table = [
            ("abc", "../def/layer.tar", Some("def/layer.tar")),
            ("abc", "layer.tar", Some("abc/layer.tar")),
            ("", "./x.tar", Some("x.tar")),
            ("a/b", "../../c", Some("c")),
            ("abc", "../../etc/passwd", None),
            ("", "../x", None),
            ("abc", "/etc/passwd", None),
        ];
        for (dir, target, expected) in table {
            assert_eq!(resolve_link(dir, target).as_deref(), expected, "{dir} {target}");
        }
    }

    #[test]
    fn whole_file_compression_is_recognised() {
        assert_eq!(compression_of(&[0x1f, 0x8b, 8, 0]), Some("gzip"));
        assert_eq!(compression_of(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Some("zstd"));
        assert_eq!(compression_of(b"BZh91AY"), Some("bzip2"));
        assert_eq!(compression_of(b"manifest.json\0"), None);
        assert_eq!(compression_of(b""), None);
    }
}
