//! What the server remembers: credentials it minted, videos, multipart uploads, objects, and the
//! test controls' settings. Object and part bytes live in files under `--data`; this holds only
//! their index, so an object key never becomes a path. Everything but the test controls'
//! settings is also kept in the database (`db`), written through at every change, and read back
//! at start: a restarted server knows all it knew.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::db::{self, Db};
use crate::faults::Faults;

pub struct Config {
    pub listen: SocketAddr,
    pub data: PathBuf,
    /// Empty `data` at start.
    pub reset: bool,
    pub bucket: String,
    pub token_ttl: Duration,
    pub region: String,
    pub www: PathBuf,
    pub pkg: PathBuf,
    pub dist: PathBuf,
}

/// Temporary credentials, scoped to the one object they were minted for.
#[derive(Serialize, Deserialize)]
pub struct Credential {
    pub secret: String,
    /// None for a permanent AccessKey; minted credentials always have one.
    pub token: Option<String>,
    pub expires: SystemTime,
    pub bucket: String,
    pub key: String,
}

/// What `CreateUploadVideo` allocated, so that `RefreshUploadVideo` can answer the same address.
#[derive(Serialize, Deserialize)]
pub struct Video {
    pub key: String,
    /// What it was created with (`Title`, `Description`, `Tags`, …), for `GetVideoInfo`.
    #[serde(default)]
    pub meta: BTreeMap<String, String>,
}

#[derive(Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UploadState {
    Open,
    Completed,
    Aborted,
}

/// A stored part and the digests the server computed while receiving it.
#[derive(Serialize, Deserialize)]
pub struct Part {
    pub file: PathBuf,
    pub size: u64,
    pub md5: [u8; 16],
    pub crc64: u64,
    pub last_modified: SystemTime,
}

/// How often a part number was sent, and how often the server stored it and said so.
#[derive(Default, Clone, Copy, Serialize, Deserialize)]
pub struct PartCount {
    pub received: u32,
    pub stored: u32,
}

#[derive(Serialize, Deserialize)]
pub struct Upload {
    pub bucket: String,
    pub key: String,
    pub content_type: String,
    pub meta: Vec<(String, String)>,
    pub state: UploadState,
    pub parts: BTreeMap<u32, Part>,
    pub counts: BTreeMap<u32, PartCount>,
}

#[derive(Serialize, Deserialize)]
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
    pub db: Db,
    pub credentials: Mutex<HashMap<String, Credential>>,
    pub videos: Mutex<HashMap<String, Video>>,
    pub uploads: Mutex<HashMap<String, Upload>>,
    pub objects: Mutex<BTreeMap<(String, String), Object>>,
    pub faults: Mutex<Faults>,
    pub broken: Mutex<crate::broken::Broken>,
    pub holds: crate::hold::Holds,
    pub expose_etag: AtomicBool,
    pub expose_crc64: AtomicBool,
    /// A Content-Security-Policy header sent with the static files, set by the test controls.
    pub csp: Mutex<Option<String>>,
    /// How many of the next stored parts to damage.
    pub damage_parts: AtomicU64,
    /// Lifetime of new credentials; `--token-ttl`, changed by the test controls.
    pub token_ttl_secs: AtomicU64,
    /// `RefreshUploadVideo` answers given.
    pub refreshes: AtomicU64,
    /// Requests that came for the bucket, of every kind.
    pub bucket_requests: AtomicU64,
    /// PutObject and UploadPart bodies whose file the server has begun writing.
    pub bodies_begun: AtomicU64,
    /// `SignatureNonce`s of VOD calls in the last 15 minutes, with when they came.
    pub nonces: Mutex<HashMap<String, SystemTime>>,
}

/// An object's key in the database: bucket and key, which holds no newline's worth of doubt
/// since a bucket name has none.
fn object_id(bucket: &str, key: &str) -> String {
    format!("{bucket}\n{key}")
}

impl AppState {
    /// Opens `--data` (emptied first with `--reset`) and reads back everything a previous run
    /// stored. Files no record points at (a write cut short by a crash) are removed.
    pub fn new(config: Config, addr: SocketAddr) -> Result<AppState, String> {
        let data = &config.data;
        let io = |what: &Path, e: std::io::Error| format!("{}: {e}", what.display());
        if config.reset && data.exists() {
            std::fs::remove_dir_all(data).map_err(|e| io(data, e))?;
        }
        let db = Db::open(data)?;
        for dir in ["objects", "parts", "tmp"] {
            let dir = data.join(dir);
            std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        }
        let credentials: HashMap<_, Credential> = db.load(db::CREDENTIALS)?.into_iter().collect();
        let videos: HashMap<_, Video> = db.load(db::VIDEOS)?.into_iter().collect();
        let uploads: HashMap<_, Upload> = db.load(db::UPLOADS)?.into_iter().collect();
        let mut objects = BTreeMap::new();
        for (id, object) in db.load::<Object>(db::OBJECTS)? {
            let (bucket, key) = id
                .split_once('\n')
                .ok_or_else(|| format!("{}: a malformed object record", db::FILE))?;
            objects.insert((bucket.to_string(), key.to_string()), object);
        }
        let kept: HashSet<&Path> = uploads
            .values()
            .flat_map(|u| u.parts.values().map(|p| p.file.as_path()))
            .chain(objects.values().map(|o: &Object| o.file.as_path()))
            .collect();
        for dir in ["objects", "parts", "tmp"] {
            let dir = data.join(dir);
            for entry in std::fs::read_dir(&dir).map_err(|e| io(&dir, e))?.flatten() {
                if !kept.contains(entry.path().as_path()) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let token_ttl_secs = config.token_ttl.as_secs();
        Ok(AppState {
            endpoint: format!("http://localhost:{}", addr.port()),
            config,
            db,
            credentials: Mutex::new(credentials),
            videos: Mutex::new(videos),
            uploads: Mutex::new(uploads),
            objects: Mutex::new(objects),
            faults: Mutex::default(),
            broken: Mutex::default(),
            holds: Default::default(),
            expose_etag: AtomicBool::new(true),
            expose_crc64: AtomicBool::new(true),
            csp: Mutex::new(None),
            damage_parts: AtomicU64::new(0),
            token_ttl_secs: AtomicU64::new(token_ttl_secs),
            refreshes: AtomicU64::new(0),
            bucket_requests: AtomicU64::new(0),
            bodies_begun: AtomicU64::new(0),
            nonces: Mutex::default(),
        })
    }

    /// A fresh file name in one of the server's own folders; random, so that no restart reuses
    /// one.
    pub fn new_file(&self, folder: &str) -> PathBuf {
        self.config
            .data
            .join(folder)
            .join(random_string(HEX_LOWER, 24))
    }

    pub fn save_credential(&self, id: &str, credential: &Credential) {
        self.db.put(db::CREDENTIALS, id, credential);
    }

    pub fn save_video(&self, id: &str, video: &Video) {
        self.db.put(db::VIDEOS, id, video);
    }

    pub fn save_upload(&self, id: &str, upload: &Upload) {
        self.db.put(db::UPLOADS, id, upload);
    }

    pub fn save_object(&self, bucket: &str, key: &str, object: &Object) {
        self.db.put(db::OBJECTS, &object_id(bucket, key), object);
    }

    pub fn remove_object(&self, bucket: &str, key: &str) {
        self.db.remove(db::OBJECTS, &object_id(bucket, key));
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
