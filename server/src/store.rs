//! Request bodies streamed to files, hashed on the way (MD5 for ETags, CRC-64/XZ for
//! `x-oss-hash-crc64ecma`); no body is ever held whole in memory.

use std::path::{Path, PathBuf};

use axum::body::Body;
use crc::{Crc, CRC_64_XZ};
use futures_util::StreamExt;
use md5::{Digest, Md5};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};

static CRC64: Crc<u64> = Crc::<u64>::new(&CRC_64_XZ);

const BUFFER: usize = 256 * 1024;

/// What was written, and its digests.
pub struct Written {
    pub file: PathBuf,
    pub size: u64,
    pub md5: [u8; 16],
    pub crc64: u64,
}

pub enum WriteError {
    /// The body was larger than allowed.
    TooLarge,
    /// The client went away, or the disk failed.
    Io(String),
}

struct Hasher {
    md5: Md5,
    crc: crc::Digest<'static, u64>,
    size: u64,
}

impl Hasher {
    fn new() -> Hasher {
        Hasher {
            md5: Md5::new(),
            crc: CRC64.digest(),
            size: 0,
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        self.md5.update(bytes);
        self.crc.update(bytes);
        self.size += bytes.len() as u64;
    }

    fn finish(self, file: PathBuf) -> Written {
        Written {
            file,
            size: self.size,
            md5: self.md5.finalize().into(),
            crc64: self.crc.finalize(),
        }
    }
}

/// Streams `body` into a new file at `path`, calling `began` once the file is made; the file is
/// removed again on any error.
pub async fn write_body(
    body: Body,
    path: PathBuf,
    limit: u64,
    began: impl FnOnce(),
) -> Result<Written, WriteError> {
    let result = write_stream(body, &path, limit, began).await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&path).await;
    }
    result.map(|hasher| hasher.finish(path))
}

async fn write_stream(
    body: Body,
    path: &Path,
    limit: u64,
    began: impl FnOnce(),
) -> Result<Hasher, WriteError> {
    let io = |e: std::io::Error| WriteError::Io(e.to_string());
    let mut out =
        BufWriter::with_capacity(BUFFER, tokio::fs::File::create(path).await.map_err(io)?);
    began();
    let mut hasher = Hasher::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| WriteError::Io(e.to_string()))?;
        if hasher.size + chunk.len() as u64 > limit {
            return Err(WriteError::TooLarge);
        }
        hasher.update(&chunk);
        out.write_all(&chunk).await.map_err(io)?;
    }
    durable(out, path).await.map_err(io)?;
    Ok(hasher)
}

/// Writes the files one after the other into a new file at `path`, hashing the whole.
pub async fn concatenate(parts: &[PathBuf], path: PathBuf) -> std::io::Result<Written> {
    let mut out = BufWriter::with_capacity(BUFFER, tokio::fs::File::create(&path).await?);
    let mut hasher = Hasher::new();
    let mut buffer = vec![0u8; BUFFER];
    for part in parts {
        let mut input = tokio::fs::File::open(part).await?;
        loop {
            let n = input.read(&mut buffer).await?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            out.write_all(&buffer[..n]).await?;
        }
    }
    durable(out, &path).await?;
    Ok(hasher.finish(path))
}

/// Flushes a new file and makes it and its name durable, so that what the server answers for
/// survives a crash.
async fn durable(mut out: BufWriter<tokio::fs::File>, path: &Path) -> std::io::Result<()> {
    out.flush().await?;
    out.get_ref().sync_all().await?;
    if let Some(dir) = path.parent() {
        tokio::fs::File::open(dir).await?.sync_all().await?;
    }
    Ok(())
}

/// Flips the first byte of a written file, as a transfer corrupted on the way would have
/// delivered it, and hashes it again.
pub async fn damage(written: Written) -> std::io::Result<Written> {
    let mut bytes = tokio::fs::read(&written.file).await?;
    if let Some(first) = bytes.first_mut() {
        *first ^= 0xFF;
    }
    tokio::fs::write(&written.file, &bytes).await?;
    let mut hasher = Hasher::new();
    hasher.update(&bytes);
    Ok(hasher.finish(written.file))
}

/// The ETag OSS gives bytes with this MD5: upper-case hex, in quotes.
pub fn etag(md5: &[u8; 16]) -> String {
    format!("\"{}\"", hex::encode_upper(md5))
}

/// The ETag of a multipart object: the MD5 of the parts' MD5s, then `-<count>`.
pub fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    let mut md5 = Md5::new();
    for part in part_md5s {
        md5.update(part);
    }
    let digest: [u8; 16] = md5.finalize().into();
    format!("\"{}-{}\"", hex::encode_upper(digest), part_md5s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_check_values() {
        assert_eq!(CRC64.checksum(b"123456789"), 11051210869376104954);
        assert_eq!(CRC64.checksum(b""), 0);
    }

    #[test]
    fn etag_is_quoted_upper_hex_md5() {
        let md5: [u8; 16] = Md5::digest(b"0123456789").into();
        assert_eq!(etag(&md5), "\"781E5E245D69B566979B86E28D23F2C7\"");
    }

    #[tokio::test]
    async fn write_then_concatenate_hashes_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let a = write_body(Body::from("12345"), dir.path().join("a"), 10, || ())
            .await
            .ok()
            .unwrap();
        let b = write_body(Body::from("6789"), dir.path().join("b"), 10, || ())
            .await
            .ok()
            .unwrap();
        let whole = concatenate(&[a.file, b.file], dir.path().join("c"))
            .await
            .unwrap();
        assert_eq!(whole.size, 9);
        assert_eq!(whole.crc64, 11051210869376104954);
        assert_eq!(std::fs::read(&whole.file).unwrap(), b"123456789");
    }

    #[tokio::test]
    async fn too_large_body_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        let result = write_body(Body::from("12345"), path.clone(), 4, || ()).await;
        assert!(matches!(result, Err(WriteError::TooLarge)));
        assert!(!path.exists());
    }
}
