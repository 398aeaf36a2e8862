//! Writing a tar file: into a temp file beside the target, member by member,
//! renamed over the target only once it is complete.
//!
//! A member's header is written last: a placeholder goes first, the content
//! streams after it (its size and name need not be known in advance, so a
//! layer decompressed or recompressed on the way streams straight in), and
//! the real header replaces the placeholder when the member is finished. A
//! member that fails half-way is cut off again (the file is truncated back
//! to where it began), so the archive only ever holds finished members. The
//! temp file is removed unless [`TarWriter::commit`] renamed it.
//!
//! Headers are ustar with numeric fields GNU tar and Go read (base-256 sizes
//! past 8 GiB), mode 0644, owner 0 and time 0: the same input makes the same
//! archive, byte for byte.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Error;

/// The tar block size.
const BLOCK: u64 = 512;

/// Content is handed to the file in pieces of this size.
const WRITE_BUFFER: usize = 1024 * 1024;

/// Keeps the temp files of concurrent writers of one process apart.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A finished member, by its place in the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct MemberId(usize);

#[derive(Debug)]
struct Written {
    header_at: u64,
    size: u64,
    name: String,
}

/// A tar file being written.
#[derive(Debug)]
pub(crate) struct TarWriter {
    target: PathBuf,
    temp: PathBuf,
    file: std::fs::File,
    /// Where the next header goes: the end of the last finished member.
    end: u64,
    members: Vec<Written>,
    /// A member could not be cut off again: the temp file is no archive any more.
    poisoned: bool,
    committed: bool,
}

impl TarWriter {
    /// Starts an archive that will replace `target` when committed; its temp
    /// file is created beside it now (blocking, microseconds).
    pub(crate) fn create(target: &Path) -> Result<TarWriter, Error> {
        let name = target.file_name().ok_or_else(|| Error::Io {
            action: "cannot write an archive to",
            path: target.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path names no file"),
        })?;
        if target.is_dir() {
            return Err(Error::Io {
                action: "cannot write an archive to",
                path: target.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "it is a directory"),
            });
        }
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(
            ".{}.tmp-{}-{n}",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|source| Error::Io {
                action: "cannot create",
                path: temp.clone(),
                source,
            })?;
        Ok(TarWriter {
            target: target.to_path_buf(),
            temp,
            file,
            end: 0,
            members: Vec::new(),
            poisoned: false,
            committed: false,
        })
    }

    fn io(&self, action: &'static str) -> impl FnOnce(std::io::Error) -> Error {
        let path = self.temp.clone();
        move |source| Error::Io { action, path, source }
    }

    fn check_usable(&self) -> Result<(), Error> {
        if self.poisoned || self.committed {
            return Err(Error::ArchiveClosed {
                path: self.target.clone(),
            });
        }
        Ok(())
    }

    /// Appends a directory member `name` (ending in `/`).
    pub(crate) fn directory(&mut self, name: &str) -> Result<(), Error> {
        self.check_usable()?;
        let header = header(&self.target, name, 0, tar::EntryType::Directory)?;
        self.file
            .seek(SeekFrom::Start(self.end))
            .map_err(self.io("cannot write"))?;
        self.file
            .write_all(header.as_bytes())
            .map_err(self.io("cannot write"))?;
        self.end += BLOCK;
        Ok(())
    }

    /// Appends a file member `name` holding `content`.
    pub(crate) fn file(&mut self, name: &str, content: &[u8]) -> Result<MemberId, Error> {
        let mut member = self.begin()?;
        member.write_all(content).map_err(|source| Error::Io {
            action: "cannot write",
            path: PathBuf::from(name),
            source,
        })?;
        member.finish(name)
    }

    /// Begins a file member whose name and size are given when it is finished.
    pub(crate) fn begin(&mut self) -> Result<OpenMember<'_>, Error> {
        self.check_usable()?;
        let header_at = self.end;
        self.file
            .seek(SeekFrom::Start(header_at))
            .map_err(self.io("cannot write"))?;
        self.file
            .write_all(&[0; BLOCK as usize])
            .map_err(self.io("cannot write"))?;
        Ok(OpenMember {
            writer: self,
            header_at,
            size: 0,
            buffer: Vec::with_capacity(WRITE_BUFFER),
            finished: false,
        })
    }

    /// Renames the finished member `id` (its header is rewritten in place).
    pub(crate) fn rename(&mut self, id: MemberId, name: &str) -> Result<(), Error> {
        self.check_usable()?;
        let written = &self.members[id.0];
        if written.name == name {
            return Ok(());
        }
        let header = header(&self.target, name, written.size, tar::EntryType::Regular)?;
        let at = written.header_at;
        self.file
            .seek(SeekFrom::Start(at))
            .map_err(self.io("cannot write"))?;
        self.file
            .write_all(header.as_bytes())
            .map_err(self.io("cannot write"))?;
        self.members[id.0].name = name.to_owned();
        Ok(())
    }

    /// The size of finished member `id`.
    pub(crate) fn size(&self, id: MemberId) -> u64 {
        self.members[id.0].size
    }

    /// The content of finished member `id`, read back (at most `limit` bytes).
    pub(crate) fn read_back(&mut self, id: MemberId, limit: u64) -> Result<Vec<u8>, Error> {
        self.check_usable()?;
        let written = &self.members[id.0];
        if written.size > limit {
            return Err(Error::ArchiveMemberTooLarge {
                path: self.target.clone(),
                member: written.name.clone(),
                size: written.size,
                limit,
            });
        }
        let (at, size) = (written.header_at + BLOCK, written.size);
        self.file
            .seek(SeekFrom::Start(at))
            .map_err(self.io("cannot read"))?;
        let mut content = vec![0; size as usize];
        self.file
            .read_exact(&mut content)
            .map_err(self.io("cannot read"))?;
        Ok(content)
    }

    /// Ends the archive, makes it durable and renames it over the target.
    pub(crate) fn commit(mut self) -> Result<(), Error> {
        self.check_usable()?;
        self.file
            .seek(SeekFrom::Start(self.end))
            .map_err(self.io("cannot write"))?;
        // Two zero blocks end a tar archive.
        self.file
            .write_all(&[0; 2 * BLOCK as usize])
            .map_err(self.io("cannot write"))?;
        self.file
            .set_len(self.end + 2 * BLOCK)
            .map_err(self.io("cannot write"))?;
        self.file.sync_all().map_err(self.io("cannot flush"))?;
        std::fs::rename(&self.temp, &self.target).map_err(|source| Error::Io {
            action: "cannot rename the finished archive to",
            path: self.target.clone(),
            source,
        })?;
        self.committed = true;
        if let Some(dir) = self.target.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename is durable once the directory is.
            if let Ok(dir) = std::fs::File::open(dir) {
                let _ = dir.sync_all();
            }
        }
        Ok(())
    }
}

impl Drop for TarWriter {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// A member being written: content through [`Write`], then [`finish`](Self::finish)
/// with its name. Dropped unfinished, it is cut off the archive again.
pub(crate) struct OpenMember<'a> {
    writer: &'a mut TarWriter,
    header_at: u64,
    size: u64,
    buffer: Vec<u8>,
    finished: bool,
}

impl OpenMember<'_> {
    fn flush_buffer(&mut self) -> std::io::Result<()> {
        self.writer.file.write_all(&self.buffer)?;
        self.buffer.clear();
        Ok(())
    }

    /// Completes the member as `name`: pads its content to a block and writes its header.
    pub(crate) fn finish(mut self, name: &str) -> Result<MemberId, Error> {
        let header = header(&self.writer.target, name, self.size, tar::EntryType::Regular)?;
        let padding = (BLOCK - self.size % BLOCK) % BLOCK;
        self.buffer.resize(self.buffer.len() + padding as usize, 0);
        self.flush_buffer().map_err(self.writer.io("cannot write"))?;
        let file = &mut self.writer.file;
        file.seek(SeekFrom::Start(self.header_at))
            .map_err(self.writer.io("cannot write"))?;
        self.writer
            .file
            .write_all(header.as_bytes())
            .map_err(self.writer.io("cannot write"))?;
        self.finished = true;
        let writer = &mut *self.writer;
        writer.end = self.header_at + BLOCK + self.size + padding;
        writer.members.push(Written {
            header_at: self.header_at,
            size: self.size,
            name: name.to_owned(),
        });
        Ok(MemberId(writer.members.len() - 1))
    }
}

impl Write for OpenMember<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buffer.len() + data.len() > WRITE_BUFFER && !self.buffer.is_empty() {
            self.flush_buffer()?;
        }
        if data.len() >= WRITE_BUFFER {
            self.writer.file.write_all(data)?;
        } else {
            self.buffer.extend_from_slice(data);
        }
        self.size += data.len() as u64;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for OpenMember<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // Cut the member off: the archive ends with its last finished member again.
        let at = self.header_at;
        let file = &mut self.writer.file;
        if file
            .set_len(at)
            .and_then(|()| file.seek(SeekFrom::Start(at)))
            .is_err()
        {
            self.writer.poisoned = true;
        }
    }
}

/// The header of a member `name` of `size` bytes.
fn header(archive: &Path, name: &str, size: u64, kind: tar::EntryType) -> Result<tar::Header, Error> {
    let mut header = tar::Header::new_ustar();
    header.set_path(name).map_err(|_| Error::ArchiveCannotHold {
        path: archive.to_path_buf(),
        what: format!("member {name:?}"),
        reason: "its name does not fit a tar header",
    })?;
    header.set_size(size);
    header.set_entry_type(kind);
    header.set_mode(if kind == tar::EntryType::Directory {
        0o755
    } else {
        0o644
    });
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_cksum();
    Ok(header)
}

#[cfg(test)]
mod tests {
    use skiff_integration::tar_members as members;

    use super::*;

    #[test]
    fn members_are_named_when_finished_and_cut_off_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.tar");
        let mut writer = TarWriter::create(&target).unwrap();
        writer.directory("blobs/").unwrap();
        let mut member = writer.begin().unwrap();
        member.write_all(b"first").unwrap();
        let first = member.finish("provisional").unwrap();
        {
            let mut member = writer.begin().unwrap();
            member.write_all(&vec![7; 3000]).unwrap();
            // Dropped unfinished: gone again.
        }
        let big = vec![9u8; WRITE_BUFFER * 2 + 3];
        let mut member = writer.begin().unwrap();
        member.write_all(&big[..10]).unwrap();
        member.write_all(&big[10..]).unwrap();
        member.finish("blobs/big").unwrap();
        writer.rename(first, "first.json").unwrap();
        assert_eq!(writer.read_back(first, 100).unwrap(), b"first");
        writer.file("manifest.json", b"[]").unwrap();
        assert!(!target.exists(), "nothing at the target before the commit");
        writer.commit().unwrap();
        let found = members(&target);
        let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["first.json", "blobs/big", "manifest.json"]);
        assert_eq!(found[0].1, b"first");
        assert_eq!(found[1].1, big);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn an_uncommitted_archive_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.tar");
        std::fs::write(&target, b"the old file").unwrap();
        let mut writer = TarWriter::create(&target).unwrap();
        writer.file("a", b"content").unwrap();
        drop(writer);
        assert_eq!(std::fs::read(&target).unwrap(), b"the old file");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn the_same_input_makes_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str| {
            let target = dir.path().join(name);
            let mut writer = TarWriter::create(&target).unwrap();
            writer.file("a.json", b"{}").unwrap();
            writer.commit().unwrap();
            std::fs::read(target).unwrap()
        };
        assert_eq!(write("one.tar"), write("two.tar"));
    }
}
