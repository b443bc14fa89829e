//! What the server remembers: credentials it minted, videos, multipart uploads, objects, and the
//! test controls' settings. Object and part bytes live in files under `--data`; this holds only
//! their index, so an object key never becomes a path.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::faults::Faults;

pub struct Config {
    pub listen: SocketAddr,
    pub data: PathBuf,
    pub bucket: String,
    pub token_ttl: Duration,
    pub region: String,
    pub www: PathBuf,
    pub pkg: PathBuf,
    pub dist: PathBuf,
}

/// Temporary credentials, scoped to the one object they were minted for.
pub struct Credential {
    pub secret: String,
    /// None for a permanent AccessKey; minted credentials always have one.
    pub token: Option<String>,
    pub expires: SystemTime,
    pub bucket: String,
    pub key: String,
}

/// What `CreateUploadVideo` allocated, so that `RefreshUploadVideo` can answer the same address.
pub struct Video {
    pub key: String,
}

#[derive(Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadState {
    Open,
    Completed,
    Aborted,
}

/// A stored part and the digests the server computed while receiving it.
pub struct Part {
    pub file: PathBuf,
    pub size: u64,
    pub md5: [u8; 16],
    pub crc64: u64,
    pub last_modified: SystemTime,
}

/// How often a part number was sent, and how often the server stored it and said so.
#[derive(Default, Clone, Copy, serde::Serialize)]
pub struct PartCount {
    pub received: u32,
    pub stored: u32,
}

pub struct Upload {
    pub bucket: String,
    pub key: String,
    pub content_type: String,
    pub meta: Vec<(String, String)>,
    pub state: UploadState,
    pub parts: BTreeMap<u32, Part>,
    pub counts: BTreeMap<u32, PartCount>,
}

pub struct Object {
    pub file: PathBuf,
    pub size: u64,
    pub md5: [u8; 16],
    pub etag: String,
    pub crc64: u64,
    pub content_type: String,
    pub meta: Vec<(String, String)>,
    pub last_modified: SystemTime,
    pub multipart: bool,
}

pub struct AppState {
    pub config: Config,
    /// The address the server answers at, as a page reaches it.
    pub endpoint: String,
    pub credentials: Mutex<HashMap<String, Credential>>,
    pub videos: Mutex<HashMap<String, Video>>,
    pub uploads: Mutex<HashMap<String, Upload>>,
    pub objects: Mutex<BTreeMap<(String, String), Object>>,
    pub faults: Mutex<Faults>,
    pub expose_etag: AtomicBool,
    /// Lifetime of new credentials; `--token-ttl`, changed by the test controls.
    pub token_ttl_secs: AtomicU64,
    /// `RefreshUploadVideo` answers given.
    pub refreshes: AtomicU64,
    next_file: AtomicU64,
}

impl AppState {
    /// Starts from empty folders under `--data`: the index is not persisted, so older files
    /// would only be orphans.
    pub fn new(config: Config, addr: SocketAddr) -> std::io::Result<AppState> {
        for dir in ["objects", "parts", "tmp"] {
            let dir = config.data.join(dir);
            if dir.exists() {
                std::fs::remove_dir_all(&dir)?;
            }
            std::fs::create_dir_all(&dir)?;
        }
        let token_ttl_secs = config.token_ttl.as_secs();
        Ok(AppState {
            endpoint: format!("http://localhost:{}", addr.port()),
            config,
            credentials: Mutex::default(),
            videos: Mutex::default(),
            uploads: Mutex::default(),
            objects: Mutex::default(),
            faults: Mutex::default(),
            expose_etag: AtomicBool::new(true),
            token_ttl_secs: AtomicU64::new(token_ttl_secs),
            refreshes: AtomicU64::new(0),
            next_file: AtomicU64::new(0),
        })
    }

    /// A fresh file name in one of the server's own folders.
    pub fn new_file(&self, folder: &str) -> PathBuf {
        let n = self.next_file.fetch_add(1, Ordering::Relaxed);
        self.config.data.join(folder).join(n.to_string())
    }
}

/// A random string of `len` characters from `alphabet`.
pub fn random_string(alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| alphabet[fastrand::usize(..alphabet.len())] as char)
        .collect()
}

pub const HEX_UPPER: &[u8] = b"0123456789ABCDEF";
pub const HEX_LOWER: &[u8] = b"0123456789abcdef";
pub const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
