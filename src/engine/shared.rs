//! What every upload shares, and where their outputs and events are queued.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use super::ids::{AskId, ReadId, RequestId};
use super::output::{AskFor, Out, Sink};
use super::session::{FileData, Kept, Wait};
use super::{Credentials, Network, Options};
use crate::auth::StsToken;

/// What every upload shares: the options, the time and the network as last told, the clock
/// offset learnt from the server, the page's STS token, and the multipart uploads to abort.
pub(super) struct Shared {
    pub options: Options,
    pub now: f64,
    pub clock_offset_ms: f64,
    pub network: Network,
    /// The page gave `refreshUploadAuth`.
    pub can_refresh: bool,
    /// The STS token held, once the page gave one.
    pub sts: Option<StsToken>,
    /// `getSTSToken` asked, by id: one at a time, its answer shared.
    pub sts_asking: Option<AskId>,
    crc_warned: bool,
    next_id: u32,
    /// For nonces and jitter: ChaCha20, seeded with the platform's entropy.
    rng: chacha20::ChaCha20Rng,
    /// Multipart uploads to abort that no file owns any more.
    pub aborts: VecDeque<(Credentials, String)>,
    /// Those aborts in flight, by request id.
    pub aborting: Vec<RequestId>,
}

impl Shared {
    /// `entropy` seeds nonces and jitter; `can_refresh`: the page gave `refreshUploadAuth`.
    pub fn new(
        options: Options,
        entropy: [u8; 32],
        can_refresh: bool,
        network: Network,
        now: f64,
    ) -> Shared {
        Shared {
            options,
            now,
            clock_offset_ms: 0.0,
            network,
            can_refresh,
            sts: None,
            sts_asking: None,
            crc_warned: false,
            next_id: 0,
            rng: chacha20::rand_core::SeedableRng::from_seed(entropy),
            aborts: VecDeque::new(),
            aborting: Vec::new(),
        }
    }

    fn next_id(&mut self) -> u32 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    pub fn request_id(&mut self) -> RequestId {
        RequestId(self.next_id())
    }

    pub fn read_id(&mut self) -> ReadId {
        ReadId(self.next_id())
    }

    pub fn ask_id(&mut self) -> AskId {
        AskId(self.next_id())
    }

    /// A number in [0, 1), for jitter.
    pub fn random(&mut self) -> f64 {
        f64::from(chacha20::rand_core::Rng::next_u32(&mut self.rng)) / 4_294_967_296.0
    }

    /// A `SignatureNonce`: 128 random bits, in hex.
    pub fn nonce(&mut self) -> String {
        let mut bits = [0u8; 16];
        chacha20::rand_core::Rng::fill_bytes(&mut self.rng, &mut bits);
        crate::encoding::hex(&bits)
    }

    /// Why uploads must wait now, if they must.
    pub fn wait_reason(&self) -> Option<Wait> {
        if !self.network.online {
            Some(Wait::Offline)
        } else if self.network.cellular && self.options.pause_on_cellular {
            Some(Wait::Cellular)
        } else {
            None
        }
    }

    /// Now on the server's clock, as far as the SDK knows it.
    pub fn server_now_ms(&self) -> f64 {
        self.now + self.clock_offset_ms
    }

    /// The date a request is signed with (RFC 1123, the clock as corrected).
    pub fn http_date(&self) -> String {
        crate::date::http_date(self.server_now_ms().max(0.0) as u64)
    }

    /// How long to wait before the `retries`-th retry, with jitter.
    pub fn backoff_ms(&mut self, retries: u32) -> u32 {
        let random = self.random();
        super::exchange::backoff_ms(self.options.retry_duration_ms, retries, random)
    }

    /// Keeps an STS token the page handed over, for every VOD call until it nears its expiry.
    pub fn hold(&mut self, token: StsToken) {
        self.sts = Some(token);
    }

    /// The STS token to sign with: the one held, unless it expires within the margin; else
    /// `getSTSToken` is asked (once for every call that waits).
    pub fn token(&mut self, out: &mut Sink) -> Option<StsToken> {
        let margin = (2.0 * self.options.timeout_ms as f64).min(60_000.0);
        let now = self.server_now_ms();
        if let Some(token) = self.sts.as_ref().filter(|t| t.expires_at_ms - margin > now) {
            return Some(token.clone());
        }
        if self.sts_asking.is_none() {
            let id = self.ask_id();
            self.sts_asking = Some(id);
            out.push(Out::Ask {
                id,
                ask: AskFor::StsToken,
            });
        }
        None
    }

    /// The server's CRC-64 of what it stored; when the browser cannot read it, the page is told
    /// once which CORS rule to add, and the check is skipped.
    pub fn server_crc(&mut self, out: &mut Sink, crc: Option<u64>) -> Option<u64> {
        if crc.is_none() && self.options.check_crc64 && !self.crc_warned {
            self.crc_warned = true;
            out.push(Out::Warn(
                "vod-upload: the x-oss-hash-crc64ecma header cannot be read, so parts are not checked for damage; add it to the bucket's CORS rule (ExposeHeader: x-oss-hash-crc64ecma)",
            ));
        }
        crc
    }

    /// Aborts the open multipart upload kept, if there is one: no file goes on with it.
    pub fn abandon(&mut self, kept: Kept) {
        if let Some(upload) = kept.upload {
            self.abort(kept.session.credentials, upload.id);
        }
    }

    /// A file's upload is over for good: its open multipart upload, if any, is aborted, and its
    /// checkpoint forgotten.
    pub fn close(&mut self, out: &mut Sink, kept: Option<Kept>, data: &FileData) {
        if let Some(kept) = kept {
            self.abandon(kept);
        }
        out.forget(data);
    }

    /// Aborts a multipart upload no file goes on with (best effort, once).
    pub fn abort(&mut self, credentials: Credentials, upload_id: String) {
        self.aborts.push_back((credentials, upload_id));
    }
}
