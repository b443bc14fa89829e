//! What one file's upload works with: what is known of the file from the moment it is added,
//! its session once credentials came, and the multipart upload once one is open.

use alloc::string::String;

use alloc::vec::Vec;

use super::{Credentials, Plan};
use crate::oss::response::ListedPart;
use crate::vec_map::VecMap;
use crate::vod::meta::Meta;

/// A multipart upload the server holds open, and the parts it acknowledged.
pub(super) struct OpenUpload {
    pub id: String,
    /// Part number → ETag, exactly as the server gave it.
    pub parts: VecMap<u32, String>,
    /// Part number → CRC-64 of the part's bytes, as checked; parts the server held before
    /// this page have none until they are hashed from the file.
    pub crcs: VecMap<u32, u64>,
    /// Bytes of `parts`.
    pub loaded: u64,
}

impl OpenUpload {
    /// An upload with no part acknowledged yet.
    pub fn new(id: String) -> OpenUpload {
        OpenUpload {
            id,
            parts: VecMap::default(),
            crcs: VecMap::default(),
            loaded: 0,
        }
    }

    /// Takes what the server `listed` as the truth about what is done, so that a resumed upload
    /// sends only what the server does not have. Listed parts that are not the plan's are left
    /// out; the CRCs checked on this page still hold for the parts listed as sent.
    pub fn keep_listed(&mut self, listed: Vec<ListedPart>, plan: Plan) {
        let (parts, crcs) = (
            core::mem::take(&mut self.parts),
            core::mem::take(&mut self.crcs),
        );
        self.loaded = 0;
        for part in listed {
            if (1..=plan.count).contains(&part.number) && part.size == plan.len(part.number) {
                if parts.get(&part.number) == Some(&part.etag) {
                    if let Some(crc) = crcs.get(&part.number) {
                        self.crcs.insert(part.number, *crc);
                    }
                }
                self.loaded += part.size;
                self.parts.insert(part.number, part.etag);
            }
        }
    }
}

/// A file's credentials, from the moment they came.
pub(super) struct Session {
    pub credentials: Credentials,
    /// When the credentials arrived (local clock), for an `Expiration` lifetime.
    pub received_ms: f64,
}

/// What a file keeps of its upload between transfers (stopped, expired, or failed and to be
/// cleaned up): its session, and the multipart upload it holds open, if any.
pub(super) struct Kept {
    pub session: Session,
    pub upload: Option<OpenUpload>,
}

impl Kept {
    /// Credentials just come, with no multipart upload open yet.
    pub fn new(credentials: Credentials, received_ms: f64) -> Kept {
        Kept {
            session: Session {
                credentials,
                received_ms,
            },
            upload: None,
        }
    }
}

impl Session {
    /// When the credentials should be renewed, on the local clock (the server's minus
    /// `clock_offset_ms`): ahead of their expiry by twice the request time limit, so that parts
    /// in flight finish with them, or by half their lifetime when they live shorter than that;
    /// never sooner than a second after they came.
    pub fn refresh_due_ms(&self, timeout_ms: u32, clock_offset_ms: f64) -> f64 {
        let auth = &self.credentials.auth;
        let expires = match auth.expires_at_ms {
            Some(server_ms) => server_ms - clock_offset_ms,
            None => self.received_ms + auth.expiration_secs as f64 * 1000.0,
        };
        let lifetime = (expires - self.received_ms).max(0.0);
        let margin = (2.0 * timeout_ms as f64).min(lifetime / 2.0);
        (expires - margin).max(self.received_ms + MIN_REFRESH_GAP_MS)
    }
}

/// Credentials are never renewed more often than this, however short their life.
const MIN_REFRESH_GAP_MS: f64 = 1_000.0;

/// Why an upload waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Wait {
    Offline,
    Cellular,
}

/// What a running transfer is doing, for the page's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Activity {
    Sending,
    /// A request failed and is retried; no request has succeeded since.
    Retrying,
    Waiting(Wait),
}

/// What is known of a file from the moment it is added, and never changes but for a stream's
/// plan, which grows as its bytes come.
pub(super) struct FileData {
    pub index: usize,
    pub name: String,
    pub content_type: String,
    /// Its parts, and its size (`plan.size`).
    pub plan: Plan,
    /// A stream: its parts go through a multipart upload however many there are, and each
    /// part's bytes are released once OSS holds them, so that it cannot start over.
    pub stream: bool,
    /// Where its checkpoint is kept, when checkpoints are on.
    pub checkpoint_key: Option<String>,
    pub resumed: bool,
    /// What the page said of it for VOD.
    pub meta: Meta,
    /// For an image: its extension, as `CreateUploadImage` takes it.
    pub image: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{UploadAddress, UploadAuth};

    /// A session whose credentials came at 1,000,000 ms and live `seconds`, or until the
    /// server's `expires_at_ms` when given.
    fn session(seconds: u64, expires_at_ms: Option<f64>) -> Session {
        let auth = UploadAuth {
            expiration_secs: seconds,
            expires_at_ms,
            ..UploadAuth::default()
        };
        let credentials = Credentials {
            auth,
            address: UploadAddress {
                endpoint: "http://o".into(),
                bucket: "b".into(),
                file_name: "k".into(),
            },
            video_id: None,
            image: None,
            from_sts: false,
        };
        Kept::new(credentials, 1_000_000.0).session
    }

    #[test]
    fn credentials_are_renewed_twice_the_time_limit_ahead_of_expiry() {
        // 3000 s, a 60 s time limit: 120 s ahead.
        let due = session(3000, None).refresh_due_ms(60_000, 0.0);
        assert_eq!(due, 1_000_000.0 + 3_000_000.0 - 120_000.0);
    }

    #[test]
    fn short_lived_credentials_are_renewed_at_half_their_life_and_not_within_a_second() {
        assert_eq!(session(8, None).refresh_due_ms(60_000, 0.0), 1_004_000.0);
        assert_eq!(session(1, None).refresh_due_ms(60_000, 0.0), 1_001_000.0);
        assert_eq!(session(0, None).refresh_due_ms(60_000, 0.0), 1_001_000.0);
    }

    #[test]
    fn the_servers_expiry_time_is_read_on_the_corrected_clock() {
        // The server's clock is 5 s ahead: its 3000 s mark is 2995 s on ours.
        let s = session(9999, Some(1_000_000.0 + 3_000_000.0));
        assert_eq!(
            s.refresh_due_ms(60_000, 5_000.0),
            1_000_000.0 + 2_995_000.0 - 120_000.0
        );
    }

    #[test]
    fn the_servers_list_is_the_truth_and_crcs_hold_only_for_the_same_etags() {
        let part = crate::engine::plan::MIN_PART_SIZE;
        let plan = Plan::new(3 * part - 1, part).unwrap();
        let mut upload = OpenUpload::new("u".into());
        for (n, etag) in [(1, "a"), (2, "b")] {
            upload.parts.insert(n, etag.into());
            upload.crcs.insert(n, u64::from(n));
        }
        upload.loaded = 2 * part;
        let listed = |number, etag: &str, size| ListedPart {
            number,
            etag: etag.into(),
            size,
        };
        // Part 1 as this page sent it, part 2 sent again by another page, part 3 cut to another
        // size, part 4 not the plan's.
        let list = [
            listed(1, "a", part),
            listed(2, "c", part),
            listed(3, "d", 1),
            listed(4, "e", part),
        ];
        upload.keep_listed(list.into(), plan);
        assert_eq!(upload.parts.entries(), [(1, "a".into()), (2, "c".into())]);
        assert_eq!(upload.crcs.entries(), [(1, 1)]);
        assert_eq!((upload.id.as_str(), upload.loaded), ("u", 2 * part));
    }
}
