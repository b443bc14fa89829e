//! Checkpoints: what the browser keeps of a file's open multipart upload so that the upload can
//! be found again after a reload, a crash or the next day. One small record per file, keyed by a
//! fingerprint of the file and of the upload mode; never a secret, and never a list of parts
//! (ListParts on the server is the truth), so a 10,000-part upload takes as little as a 1-part
//! one.

use alloc::{format, string::String};

use super::{Clock, Storage};
use crate::json::{Fields, Writer};

/// Every checkpoint's key starts with this, so old ones can be found and cleared.
pub const PREFIX: &str = "vod-upload:checkpoint:";

/// What identifies a file across page loads: what the browser tells of it, and the upload mode
/// (a checkpoint of one mode is no use to the other).
pub struct Fingerprint<'a> {
    /// STS mode, or upload address and credential.
    pub sts: bool,
    pub name: &'a str,
    pub size: u64,
    /// `File.lastModified`, ms since the epoch.
    pub last_modified: f64,
    pub content_type: &'a str,
}

/// Where the checkpoint of the stream a platform named `id` is kept.
pub fn stream_key(id: &str) -> String {
    format!("{PREFIX}stream:{id}")
}

/// `ms` as whole milliseconds, written as `i64`'s `Display` writes them (`-` before a time
/// before 1970), so that keys stay those earlier versions wrote.
fn whole_ms(ms: f64) -> String {
    let ms = ms as i64;
    let digits = crate::encoding::decimal(ms.unsigned_abs());
    if ms < 0 {
        format!("-{digits}")
    } else {
        digits
    }
}

impl Fingerprint<'_> {
    /// The storage key: a hash, so that names of any length make keys of one length.
    pub fn key(&self) -> String {
        use sha1::Digest;
        let mut hash = sha1::Sha1::new();
        for field in [
            if self.sts { "sts" } else { "upload-auth" },
            self.name,
            &crate::encoding::decimal(self.size),
            // Whole milliseconds, as the browser gives them (no float formatting in the wasm).
            &whole_ms(self.last_modified),
            self.content_type,
        ] {
            hash.update(field.as_bytes());
            hash.update([0]);
        }
        let hex = crate::encoding::hex(&hash.finalize());
        format!("{PREFIX}{hex}")
    }
}

/// Where an upload went and how far it got. No AccessKeySecret, no security token.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    pub video_id: Option<String>,
    pub endpoint: String,
    pub bucket: String,
    pub object: String,
    pub upload_id: String,
    pub part_size: u64,
    /// Bytes the server had acknowledged when it was written, to show before the server is
    /// asked.
    pub loaded: u64,
    /// When it was written, ms since the epoch.
    pub saved_ms: u64,
}

impl Checkpoint {
    pub fn encode(&self) -> String {
        let writer = Writer::default()
            .string("endpoint", &self.endpoint)
            .string("bucket", &self.bucket)
            .string("object", &self.object)
            .string("uploadId", &self.upload_id)
            .number("partSize", self.part_size)
            .number("loaded", self.loaded)
            .number("saved", self.saved_ms);
        match &self.video_id {
            Some(id) => writer.string("videoId", id),
            None => writer,
        }
        .finish()
    }

    /// A checkpoint read from storage, which anything may have written: `None` unless every
    /// field is one an upload can go on with.
    pub fn decode(text: &str) -> Option<Checkpoint> {
        let fields = Fields::parse(text)?;
        let present = |name: &str| fields.string(name).filter(|v| !v.is_empty());
        Some(Checkpoint {
            video_id: fields.string("videoId"),
            endpoint: crate::auth::checked_endpoint(&fields.string("endpoint")?)?,
            bucket: present("bucket")?,
            object: present("object")?,
            upload_id: present("uploadId")?,
            part_size: fields.whole_number("partSize")?,
            loaded: fields.whole_number("loaded")?,
            saved_ms: fields.whole_number("saved")?,
        })
    }

    /// Where the earlier page's upload was going.
    pub fn destination(&self) -> super::Destination {
        super::Destination {
            endpoint: self.endpoint.clone(),
            bucket: self.bucket.clone(),
            object: self.object.clone(),
            video_id: self.video_id.clone(),
            image: None,
        }
    }

    fn fresh(&self, now_ms: f64, max_age_ms: f64) -> bool {
        now_ms - self.saved_ms as f64 <= max_age_ms
    }
}

/// The checkpoints of one uploader: off, or on with a maximum age.
pub struct Checkpoints {
    pub max_age_ms: Option<f64>,
}

impl Checkpoints {
    /// The fresh checkpoint under `key`; a stale or unreadable one is removed.
    pub fn find<P: Storage + Clock>(&self, platform: &P, key: &str) -> Option<Checkpoint> {
        let max_age = self.max_age_ms?;
        let text = platform.load(key)?;
        match Checkpoint::decode(&text).filter(|c| c.fresh(platform.now_ms(), max_age)) {
            Some(checkpoint) => Some(checkpoint),
            None => {
                platform.forget(key);
                None
            }
        }
    }

    /// Removes every checkpoint older than the maximum age, or unreadable.
    pub fn clear_stale<P: Storage + Clock>(&self, platform: &P) {
        for key in platform.stored_keys() {
            if key.starts_with(PREFIX) {
                self.find(platform, &key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Plan;
    use std::println;

    fn fingerprint(name: &str, size: u64, date: f64, kind: &str) -> String {
        Fingerprint {
            sts: false,
            name,
            size,
            last_modified: date,
            content_type: kind,
        }
        .key()
    }

    #[test]
    fn the_key_changes_with_every_field_and_only_with_them() {
        let key = fingerprint("a.mp4", 10, 1.0, "video/mp4");
        assert_eq!(key, fingerprint("a.mp4", 10, 1.0, "video/mp4"));
        assert!(key.starts_with(PREFIX));
        for other in [
            fingerprint("b.mp4", 10, 1.0, "video/mp4"),
            fingerprint("a.mp4", 11, 1.0, "video/mp4"),
            fingerprint("a.mp4", 10, 2.0, "video/mp4"),
            fingerprint("a.mp4", 10, 1.0, "video/webm"),
        ] {
            assert_ne!(key, other);
        }
        let sts = Fingerprint {
            sts: true,
            name: "a.mp4",
            size: 10,
            last_modified: 1.0,
            content_type: "video/mp4",
        };
        assert_ne!(key, sts.key(), "another mode, another checkpoint");
    }

    /// Keys are what earlier versions wrote (the size and the date through `core::fmt`), or a
    /// page would not find the checkpoints they left.
    #[test]
    fn keys_are_those_earlier_versions_wrote() {
        use sha1::Digest;
        for (size, date) in [(0, 0.0), (10, 1.5), (u64::MAX, 1.7e12), (3, -86_400_000.0)] {
            let text = format!("upload-auth\0a.mp4\0{size}\0{}\0video/mp4\0", date as i64);
            let hex = crate::encoding::hex(&sha1::Sha1::digest(text.as_bytes()));
            assert_eq!(
                fingerprint("a.mp4", size, date, "video/mp4"),
                format!("{PREFIX}{hex}")
            );
        }
    }

    #[test]
    fn a_checkpoint_of_a_10000_part_upload_is_a_few_hundred_bytes() {
        let size = 48_800_000_000_000;
        let plan = Plan::new(size, crate::engine::plan::DEFAULT_PART_SIZE).unwrap();
        assert_eq!(plan.count, 10_000);
        let checkpoint = Checkpoint {
            video_id: Some("0f2c1d3a4b5c6d7e8f9a0b1c2d3e4f5a".into()),
            endpoint: "https://oss-cn-shanghai.aliyuncs.com".into(),
            bucket: "outin-0123456789abcdef0123456789abcdef".into(),
            object: "sv/5b2c7d1e-18a3c4f2b7d/5b2c7d1e-18a3c4f2b7d.mp4".into(),
            upload_id: "0004B9895DBBB6EC98E36D6A4B2E1F5C".into(),
            part_size: plan.part_size,
            loaded: plan.part_size * 9_999,
            saved_ms: 1_795_000_000_000,
        };
        let text = checkpoint.encode();
        println!("a checkpoint of a 10,000-part upload: {} bytes", text.len());
        assert!(text.len() < 400, "{text}");
        assert_eq!(Checkpoint::decode(&text), Some(checkpoint));
        assert_eq!(Checkpoint::decode("{\"upload_id\": 3}"), None);
    }
}
