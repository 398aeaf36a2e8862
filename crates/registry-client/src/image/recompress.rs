//! Recompressing one layer while it streams: the source's verified chunks go through a
//! bounded channel to a blocking thread that unpacks them (gzip, zstd or a plain tar, as
//! the first bytes show), hashes the tar for its diffID, packs it again and hands the
//! packed chunks back through a second bounded channel. Memory stays a few buffers per
//! layer whatever its size, and a slow side makes the other wait instead of piling up.
//!
//! The packed stream ends only after the source reached its end verified and the tar
//! proved to be the one the image config names; otherwise it ends with that error, so a
//! destination never commits a recompressed layer that is not the image's.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};

use bytes::{Buf, Bytes, BytesMut};
use futures_util::stream;
use oci_digest::{Digest, HashingReader, Mismatch};
use tokio::sync::mpsc;

use super::compression::{LayerCompression, Recompress};
use super::{ComputedBlob, VerifiedBlob};
use crate::archive::tar_index::compression_of;
use crate::Error;

/// Chunks in flight on each side of the thread.
const IN_FLIGHT: usize = 8;

/// The size of the chunks the packed stream is cut into, and of the read buffers.
const CHUNK: usize = 256 * 1024;

/// `source` (a layer whose tar must hash to `diff_id`) packed as `recompress` says.
pub(crate) fn recompress(source: VerifiedBlob, diff_id: Digest, recompress: Recompress) -> ComputedBlob {
    let layer = source.digest().clone();
    let (input, receiver) = mpsc::channel::<Input>(IN_FLIGHT);
    let (output, packed) = mpsc::channel::<Piece>(IN_FLIGHT);
    let source_failure: Arc<Mutex<Option<Error>>> = Arc::default();
    let pump = tokio::spawn(pump(source, input, Arc::clone(&source_failure)));
    let reader = ChannelReader {
        receiver,
        chunk: Bytes::new(),
        ended: false,
    };
    let writer = ChannelWriter {
        sender: output.clone(),
        buffer: BytesMut::new(),
    };
    tokio::task::spawn_blocking(move || {
        let outcome = pack(reader, writer, &layer, &diff_id, recompress);
        let piece = match outcome {
            Ok(()) => Piece::Done,
            Err(Failure::Gone) => return,
            Err(Failure::Read(error)) => Piece::Failed(
                lock(&source_failure)
                    .take()
                    .unwrap_or(Error::Recompress { layer, source: error }),
            ),
            Err(Failure::Unpack(compression, source)) => {
                Piece::Failed(lock(&source_failure).take().unwrap_or(Error::CorruptLayer {
                    digest: layer,
                    compression,
                    source,
                }))
            }
            Err(Failure::Content(error)) => Piece::Failed(error),
        };
        let _ = output.blocking_send(piece);
    });
    let pump = AbortOnDrop(pump);
    let chunks = stream::unfold((packed, Some(pump)), |(mut packed, pump)| async move {
        // Dropping the stream aborts the pump; the thread then stops at its next send.
        let pump = pump?;
        match packed.recv().await {
            Some(Piece::Chunk(chunk)) => Some((Ok(chunk), (packed, Some(pump)))),
            Some(Piece::Failed(error)) => Some((Err(error), (packed, None))),
            Some(Piece::Done) => None,
            None => Some((Err(Error::RecompressStopped), (packed, None))),
        }
    });
    ComputedBlob::from_stream(chunks)
}

/// What the thread hands back.
enum Piece {
    Chunk(Bytes),
    Failed(Error),
    Done,
}

/// Why the thread stopped early.
enum Failure {
    /// Reading the layer failed: the source (its error is in the pump's slot), or it is
    /// packed in a way not unpacked here.
    Read(io::Error),
    /// The packed layer does not unpack as the compression its first bytes show (unless
    /// the source failed: its error is then in the pump's slot).
    Unpack(&'static str, io::Error),
    /// The content is not the image's.
    Content(Error),
    /// Nobody reads the packed stream any more.
    Gone,
}

/// Feeds the source's chunks to the thread; a source failure is left in `failed` and ends
/// the channel early, which the thread reads as a broken input.
async fn pump(mut source: VerifiedBlob, input: mpsc::Sender<Input>, failed: Arc<Mutex<Option<Error>>>) {
    while let Some(chunk) = source.next_chunk().await {
        match chunk {
            Ok(chunk) => {
                if input.send(Input::Chunk(chunk)).await.is_err() {
                    return;
                }
            }
            Err(error) => {
                *lock(&failed) = Some(error);
                // The thread sees the end of the channel before the end of the content.
                drop(input);
                return;
            }
        }
    }
    let _ = input.send(Input::End).await;
}

/// The blocking side: unpack, hash, pack.
fn pack(
    reader: ChannelReader,
    writer: ChannelWriter,
    layer: &Digest,
    diff_id: &Digest,
    recompress: Recompress,
) -> Result<(), Failure> {
    let mut input = BufReader::with_capacity(CHUNK, reader);
    let mut packer = Packer::new(writer, recompress).map_err(|source| {
        Failure::Content(Error::Recompress {
            layer: layer.clone(),
            source,
        })
    })?;
    let actual = {
        let head = input.fill_buf().map_err(Failure::Read)?;
        let packing = detect(head)?;
        let failed = |error| match packing {
            LayerCompression::None => Failure::Read(error),
            packed => Failure::Unpack(packed.name(), error),
        };
        let unpacked: Box<dyn Read + '_> = match packing {
            LayerCompression::None => Box::new(&mut input),
            LayerCompression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(&mut input)),
            LayerCompression::Zstd => {
                Box::new(zstd::stream::read::Decoder::with_buffer(&mut input).map_err(failed)?)
            }
        };
        let mut tar = HashingReader::sha256(unpacked);
        let mut buffer = vec![0u8; CHUNK];
        let unpacked = loop {
            match tar.read(&mut buffer) {
                Ok(0) => break Ok(()),
                Ok(n) => packer.write_all(&buffer[..n]).map_err(|_| Failure::Gone)?,
                Err(error) => break Err(error),
            }
        };
        match unpacked {
            Ok(()) => tar.finish(),
            Err(error) => {
                drop(tar);
                // A layer that does not unpack may be one that is not its digest's: read on
                // to its end, where the source says so, and report that first.
                let _ = io::copy(&mut input, &mut io::sink());
                return Err(failed(error));
            }
        }
    };
    // Whatever follows the packed stream is read too: the source proves its digest at its
    // end, and a layer is only good once its source is.
    io::copy(&mut input, &mut io::sink()).map_err(Failure::Read)?;
    if &actual != diff_id {
        return Err(Failure::Content(Error::DiffIdMismatch {
            path: None,
            layer: layer.to_string(),
            mismatch: Box::new(Mismatch::new(diff_id.clone(), actual)),
        }));
    }
    packer.finish().map_err(|_| Failure::Gone)
}

/// The packing the first bytes of a layer show: gzip, zstd, else a plain tar. bzip2 and xz
/// are recognised and refused (no registry tool writes them for layers any more).
fn detect(head: &[u8]) -> Result<LayerCompression, Failure> {
    match compression_of(head) {
        None => Ok(LayerCompression::None),
        Some("gzip") => Ok(LayerCompression::Gzip),
        Some("zstd") => Ok(LayerCompression::Zstd),
        Some(other) => Err(Failure::Read(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the layer is packed with {other}, which is not unpacked here"),
        ))),
    }
}

/// The packing side, writing into the channel.
enum Packer {
    Plain(ChannelWriter),
    Gzip(flate2::write::GzEncoder<ChannelWriter>),
    Zstd(zstd::stream::write::Encoder<'static, ChannelWriter>),
}

impl Packer {
    fn new(writer: ChannelWriter, recompress: Recompress) -> io::Result<Packer> {
        let level = recompress.effective_level();
        Ok(match recompress.compression() {
            LayerCompression::None => Packer::Plain(writer),
            LayerCompression::Gzip => Packer::Gzip(flate2::write::GzEncoder::new(
                writer,
                flate2::Compression::new(level.unsigned_abs()),
            )),
            LayerCompression::Zstd => Packer::Zstd(zstd::stream::write::Encoder::new(writer, level)?),
        })
    }

    /// Ends the packed stream and hands its last chunk over.
    fn finish(self) -> io::Result<()> {
        let writer = match self {
            Packer::Plain(writer) => writer,
            Packer::Gzip(encoder) => encoder.finish()?,
            Packer::Zstd(encoder) => encoder.finish()?,
        };
        writer.close()
    }
}

impl Write for Packer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Packer::Plain(writer) => writer.write(buf),
            Packer::Gzip(encoder) => encoder.write(buf),
            Packer::Zstd(encoder) => encoder.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What the pump sends the thread.
enum Input {
    Chunk(Bytes),
    /// The content ended, verified.
    End,
}

/// The thread's side of the input channel, as a blocking reader. A channel that closes
/// before the pump's [`Input::End`] means the source failed.
struct ChannelReader {
    receiver: mpsc::Receiver<Input>,
    chunk: Bytes,
    ended: bool,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            if self.ended {
                return Ok(0);
            }
            match self.receiver.blocking_recv() {
                Some(Input::Chunk(chunk)) => self.chunk = chunk,
                Some(Input::End) => self.ended = true,
                None => return Err(io::Error::other("the source of the layer failed")),
            }
        }
        let n = self.chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        self.chunk.advance(n);
        Ok(n)
    }
}

/// The thread's side of the output channel: packed bytes gathered into chunks.
struct ChannelWriter {
    sender: mpsc::Sender<Piece>,
    buffer: BytesMut,
}

impl ChannelWriter {
    fn send_buffer(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = self.buffer.split().freeze();
        self.sender
            .blocking_send(Piece::Chunk(chunk))
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }

    /// Hands over what is left.
    fn close(mut self) -> io::Result<()> {
        self.send_buffer()
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.buffer.capacity() == 0 {
            self.buffer.reserve(CHUNK);
        }
        let room = CHUNK - self.buffer.len();
        let n = room.min(buf.len());
        self.buffer.extend_from_slice(&buf[..n]);
        if self.buffer.len() >= CHUNK {
            self.send_buffer()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    /// A tar-like content (the transform does not read the tar, only hashes it).
    fn tar(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    async fn run(
        source: Vec<u8>,
        diff_id: &Digest,
        to: LayerCompression,
    ) -> Result<(Vec<u8>, Digest, u64), Error> {
        let blob = VerifiedBlob::from_bytes(source);
        let mut made = recompress(blob, diff_id.clone(), Recompress::new(to));
        let mut out = Vec::new();
        while let Some(chunk) = made.next_chunk().await {
            out.extend_from_slice(&chunk?);
        }
        let (digest, size) = made.computed().expect("the digest is known at the end");
        Ok((out, digest, size))
    }

    #[tokio::test]
    async fn every_packing_becomes_every_other_with_the_same_tar() {
        let content = tar(3 * CHUNK + 17);
        let diff_id = Digest::sha256(&content);
        let packed = [
            (LayerCompression::None, content.clone()),
            (LayerCompression::Gzip, gzip(&content)),
            (LayerCompression::Zstd, zstd::encode_all(&content[..], 1).unwrap()),
        ];
        for (from, source) in &packed {
            for to in [
                LayerCompression::None,
                LayerCompression::Gzip,
                LayerCompression::Zstd,
            ] {
                let (out, digest, size) = run(source.clone(), &diff_id, to).await.unwrap();
                assert_eq!(digest, Digest::sha256(&out), "{from} -> {to}");
                assert_eq!(size, out.len() as u64);
                let unpacked = match to {
                    LayerCompression::None => out,
                    LayerCompression::Gzip => {
                        let mut unpacked = Vec::new();
                        flate2::read::GzDecoder::new(&out[..])
                            .read_to_end(&mut unpacked)
                            .unwrap();
                        unpacked
                    }
                    LayerCompression::Zstd => zstd::decode_all(&out[..]).unwrap(),
                };
                assert!(unpacked == content, "{from} -> {to}");
            }
        }
    }

    #[tokio::test]
    async fn a_tar_that_is_not_the_configs_ends_the_stream_with_a_mismatch() {
        let content = tar(1000);
        let wrong = Digest::sha256(b"another tar");
        let err = run(gzip(&content), &wrong, LayerCompression::Zstd)
            .await
            .unwrap_err();
        match &err {
            Error::DiffIdMismatch { mismatch, .. } => {
                assert_eq!(mismatch.expected(), &wrong);
                assert_eq!(mismatch.actual(), &Digest::sha256(&content));
            }
            other => panic!("unexpected {other}"),
        }
        assert!(err.is_digest_mismatch());
    }

    #[tokio::test]
    async fn a_source_that_fails_its_digest_is_reported_as_such_even_when_it_does_not_unpack() {
        let content = tar(100_000);
        let mut packed = gzip(&content);
        let digest = Digest::sha256(&packed);
        let middle = packed.len() / 2;
        packed[middle] ^= 0xff;
        let size = packed.len() as u64;
        let blob = VerifiedBlob::hashing(io::Cursor::new(packed), &digest, size).unwrap();
        let mut made = recompress(
            blob,
            Digest::sha256(&content),
            Recompress::new(LayerCompression::Zstd),
        );
        let mut last = None;
        while let Some(chunk) = made.next_chunk().await {
            if let Err(error) = chunk {
                last = Some(error);
            }
        }
        let err = last.expect("the stream fails");
        assert!(matches!(err, Error::DigestMismatch(_)), "{err}");
        assert!(made.computed().is_none());
    }

    #[tokio::test]
    async fn truncated_gzip_and_bzip2_are_errors_of_the_layer() {
        let content = tar(50_000);
        let packed = gzip(&content);
        let truncated = packed[..packed.len() / 2].to_vec();
        let err = run(truncated, &Digest::sha256(&content), LayerCompression::Zstd)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::CorruptLayer {
                    compression: "gzip",
                    ..
                }
            ),
            "{err}"
        );
        let err = run(
            b"BZh91AY&SY".to_vec(),
            &Digest::sha256(&content),
            LayerCompression::Gzip,
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("packed with bzip2"), "{err}");
    }
}
