//! A deterministic world for the engine's tests: a virtual clock, an executor that runs until
//! nothing can move and then jumps the clock to the next timer, a network that goes offline or
//! cellular on command, a page whose `refreshUploadAuth` works or fails on command and whose
//! callbacks may call back into the uploader, and an in-memory OSS that checks signatures,
//! expiry, clock skew and part sizes by the SDK's own rules, stores parts, and fails, stalls or
//! expires on command. It logs every request with how it ended, including the ones aborted in
//! flight.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::ops::Range;
use std::rc::Rc;

use base64::{engine::general_purpose::STANDARD, Engine};
use md5::Digest;

use vod_upload::auth::{StsToken, UploadAuth};
use vod_upload::engine::{
    Connectivity, Credentials, Done, Event, FileInfo, Files, Grant, Hashed, Hasher, Http, Network,
    Page, Platform, Storage, Uploader,
};
use vod_upload::error::{Code, TransportError, UploadError};
use vod_upload::oss::limits::{MAX_CLOCK_SKEW_MS, MIN_PART_SIZE};
use vod_upload::oss::request::Request;
use vod_upload::oss::response::Response;
use vod_upload::oss::xml;

use super::signing;

const START_MS: f64 = 1_700_000_000_000.0;
/// Every request takes this long on the simulated network.
pub const LATENCY_MS: f64 = 10.0;

/// Virtual time, and what is to happen when: tasks run in the order of their time, and of
/// their scheduling at the same time.
#[derive(Default)]
pub struct Clock {
    now: Cell<f64>,
    seq: Cell<u64>,
    #[allow(clippy::type_complexity)]
    tasks: RefCell<BTreeMap<(u64, u64), (f64, Box<dyn FnOnce()>)>>,
}

impl Clock {
    /// Runs `task` in `millis` ms.
    pub fn schedule(&self, millis: f64, task: impl FnOnce() + 'static) {
        let at = self.now.get() + millis.max(0.0);
        let seq = self.seq.get() + 1;
        self.seq.set(seq);
        // Times are whole or fractional ms: keyed by their bits, which order as the numbers do
        // for the non-negative times of the simulation.
        self.tasks
            .borrow_mut()
            .insert((at.to_bits(), seq), (at, Box::new(task)));
    }

    fn next_at(&self) -> Option<f64> {
        self.tasks.borrow().values().next().map(|(at, _)| *at)
    }

    fn pop(&self) -> Option<(f64, Box<dyn FnOnce()>)> {
        self.tasks.borrow_mut().pop_first().map(|(_, task)| task)
    }
}

/// A timer's or request's handle: dropping it cancels what is scheduled.
pub struct Cancelled(Rc<Cell<bool>>);

impl Drop for Cancelled {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

/// What the simulated OSS does to the next requests that carry file bytes (UploadPart and
/// PutObject).
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    Status(u16, &'static str),
    /// No answer: a network failure.
    Network,
    /// Answers this much later.
    Stall(f64),
    /// The part is damaged on the way: stored, and answered for, as it arrived.
    Damage,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Ending {
    Answered(u16),
    NetworkError,
    Aborted,
}

#[derive(Clone, Debug)]
pub struct Logged {
    pub method: &'static str,
    /// The OSS operation (`PutObject`, `InitiateMultipartUpload`, `UploadPart`, ...), or `VOD`.
    pub call: &'static str,
    /// The object's key.
    pub key: String,
    pub part: Option<u32>,
    pub access_key_id: String,
    pub sent_at: f64,
    /// When it was answered, failed or aborted.
    pub ended_at: Option<f64>,
    pub ending: Option<Ending>,
}

/// The OSS operation a request is, from its method and query.
fn operation(request: &Request, query: &str) -> &'static str {
    let has = |name: &str| query_param(query, name).is_some();
    match request.method {
        _ if request.url.starts_with(super::vod::ENDPOINT) => "VOD",
        "PUT" if has("partNumber") => "UploadPart",
        "PUT" => "PutObject",
        "POST" if has("uploads") => "InitiateMultipartUpload",
        "POST" => "CompleteMultipartUpload",
        "GET" => "ListParts",
        "HEAD" => "HeadObject",
        _ => "AbortMultipartUpload",
    }
}

struct SimCredential {
    secret: String,
    token: String,
    expires: f64,
}

#[derive(Default)]
pub struct SimUpload {
    pub parts: BTreeMap<u32, (String, Vec<u8>)>,
    pub state: &'static str,
}

#[derive(Default)]
pub struct Oss {
    credentials: HashMap<String, SimCredential>,
    pub uploads: BTreeMap<String, SimUpload>,
    /// Completed objects, by upload id, or by key for a PutObject.
    pub objects: HashMap<String, Vec<u8>>,
    pub faults: VecDeque<Fault>,
    /// This share of requests with file bytes fails with 503, spread evenly, on top of
    /// `faults`.
    pub fail_fraction: Option<f64>,
    part_requests: u32,
    /// The server's clock minus the client's.
    pub server_skew_ms: f64,
    /// Answer UploadPart without an ETag, as a browser does when CORS hides it.
    pub hide_etag: bool,
    /// Answer without `x-oss-hash-crc64ecma`, likewise.
    pub hide_crc: bool,
    /// Complete answers a CRC that is not the object's, as if it were stored damaged.
    pub damage_object: bool,
    /// The size and CRC-64 of every object, by its URL's path, for HeadObject.
    pub heads: HashMap<String, (u64, u64)>,
    /// How the next answers to an operation are broken: the operation, how, how many times.
    pub broken: Vec<(&'static str, Broken, u32)>,
    /// Expire every credential after this many requests with file bytes.
    pub expire_after_parts: Option<u32>,
    pub log: Vec<Logged>,
    next_id: u32,
}

pub struct World {
    pub clock: Rc<Clock>,
    pub oss: Rc<RefCell<Oss>>,
    pub events: Rc<RefCell<Vec<Event>>>,
    /// What `getUploadAuth` answers next, per file name; otherwise fresh credentials.
    pub auth_answers: Rc<RefCell<HashMap<String, AuthAnswer>>>,
    /// Files for which `getUploadAuth` answers an STS token, by name.
    pub sts_files: RefCell<HashSet<String>>,
    /// What the platform gives the core to seed its nonces and jitter.
    entropy: Cell<[u8; 32]>,
    network: Cell<Network>,
    /// The uploaders' network watchers.
    #[allow(clippy::type_complexity)]
    network_watchers: RefCell<Vec<Rc<dyn Fn()>>>,
    /// How the page's `refreshUploadAuth` answers; `None`: the page gave none.
    pub refresh: Cell<Option<Refresh>>,
    /// Calls of `refreshUploadAuth` so far.
    pub refreshes: Cell<u32>,
    /// Lifetime of the credentials `getUploadAuth` and `refreshUploadAuth` mint.
    pub ttl_ms: Cell<f64>,
    /// The browser's storage, which outlives any one uploader: a new uploader on the same
    /// world is the page after a reload.
    pub storage: RefCell<BTreeMap<String, String>>,
    /// How the page's `getSTSToken` answers, and how often it was called.
    pub sts: Cell<StsAnswer>,
    pub sts_calls: Cell<u32>,
    /// Lifetime of the STS tokens `getSTSToken` gives.
    pub sts_ttl_ms: Cell<f64>,
    /// The VOD calls received, with their parameters, and what VOD answers next.
    pub vod: RefCell<super::vod::Vod>,
    /// What the SDK told the developer on the console.
    pub warnings: RefCell<Vec<String>>,
    /// What the page does on each event, as its callbacks would.
    #[allow(clippy::type_complexity)]
    pub react: RefCell<Option<Box<dyn Fn(&Uploader<SimPlatform>, &Event)>>>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StsAnswer {
    Works,
    /// A token whose secret is wrong.
    WrongSecret,
    /// `getSTSToken` rejects.
    Fails,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Refresh {
    /// Fresh credentials for the same object.
    Works,
    /// Credentials of a new video, at another object.
    Elsewhere,
    /// An STS token, for the SDK to call RefreshUploadVideo with.
    Sts,
    /// `refreshUploadAuth` rejects.
    Fails,
}

/// (UploadAuth, UploadAddress), or the error `getUploadAuth` gives.
pub type AuthAnswer = Result<(String, String), UploadError>;

#[derive(Clone)]
pub struct SimPlatform(Rc<World>);

impl World {
    pub fn new() -> Rc<World> {
        let clock = Rc::new(Clock::default());
        clock.now.set(START_MS);
        Rc::new(World {
            clock,
            oss: Rc::default(),
            events: Rc::default(),
            auth_answers: Rc::default(),
            entropy: Cell::new([7; 32]),
            network: Cell::new(Network {
                online: true,
                cellular: false,
            }),
            network_watchers: RefCell::default(),
            refresh: Cell::new(None),
            refreshes: Cell::new(0),
            ttl_ms: Cell::new(3_000_000.0),
            react: RefCell::new(None),
            storage: RefCell::default(),
            warnings: RefCell::default(),
            sts: Cell::new(StsAnswer::Works),
            sts_files: RefCell::default(),
            sts_calls: Cell::new(0),
            sts_ttl_ms: Cell::new(3_600_000.0),
            vod: RefCell::default(),
        })
    }

    /// Changes the network, as the browser's online, offline and connection events tell it.
    pub fn set_network(&self, online: bool, cellular: bool) {
        self.network.set(Network { online, cellular });
        for watcher in self.network_watchers.borrow().iter() {
            let watcher = watcher.clone();
            self.clock.schedule(0.0, move || watcher());
        }
    }

    pub fn platform(self: &Rc<Self>) -> SimPlatform {
        SimPlatform(self.clone())
    }

    pub fn now(&self) -> f64 {
        self.clock.now.get()
    }

    /// Runs until nothing is left to do, moving the clock from task to task; `limit_ms`
    /// bounds how far the clock may go.
    pub fn run_for(&self, limit_ms: f64) {
        let end = self.now() + limit_ms;
        while self.clock.next_at().is_some_and(|at| at <= end) {
            let (at, task) = self.clock.pop().expect("a task is due");
            self.clock.now.set(at.max(self.now()));
            task();
        }
    }

    /// What the OSS does to the next requests with file bytes, after the faults already queued.
    pub fn add_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.oss.borrow_mut().faults.extend(faults);
    }

    /// Runs for exactly `ms` of virtual time: the clock ends `ms` later.
    pub fn step(&self, ms: f64) {
        let end = self.now() + ms;
        self.run_for(ms);
        self.clock.now.set(end);
    }

    /// Moves the clock on with nothing running: the page closed for that long.
    pub fn advance(&self, ms: f64) {
        self.clock.now.set(self.now() + ms);
    }

    pub fn run(&self) {
        self.run_for(3_600_000.0);
    }

    /// Mints credentials for a key, valid for `ttl_ms`; returns (UploadAuth, UploadAddress).
    /// New temporary credentials valid for `ttl_ms`: (AccessKeyId, secret, security token).
    pub fn credential(&self, ttl_ms: f64) -> (String, String, String) {
        let mut oss = self.oss.borrow_mut();
        oss.next_id += 1;
        let id = format!("STS.key{}", oss.next_id);
        let secret = format!("secret{}", oss.next_id);
        let token = format!("token{}", oss.next_id);
        oss.credentials.insert(
            id.clone(),
            SimCredential {
                secret: secret.clone(),
                token: token.clone(),
                expires: self.now() + ttl_ms,
            },
        );
        (id, secret, token)
    }

    /// The secret and security token of a credential, if it exists and has not expired.
    pub fn valid_credential(&self, id: &str) -> Option<(String, String)> {
        let oss = self.oss.borrow();
        let credential = oss.credentials.get(id)?;
        (self.now() < credential.expires)
            .then(|| (credential.secret.clone(), credential.token.clone()))
    }

    /// An STS token as the page's `getSTSToken` would give it.
    pub fn sts_token(&self, ttl_ms: f64) -> StsToken {
        let (id, secret, token) = self.credential(ttl_ms);
        StsToken {
            access_key_id: id,
            access_key_secret: secret,
            security_token: token,
            expires_at_ms: self.now() + ttl_ms,
        }
    }

    pub fn mint(&self, key: &str, ttl_ms: f64) -> (String, String) {
        let (id, secret, token) = self.credential(ttl_ms);
        let auth = format!(
            r#"{{"AccessKeyId":"{id}","AccessKeySecret":"{secret}","SecurityToken":"{token}","Expiration":"{}"}}"#,
            (ttl_ms / 1000.0) as u64
        );
        let address =
            format!(r#"{{"Endpoint":"http://localhost:1","Bucket":"b","FileName":"{key}"}}"#);
        (STANDARD.encode(auth), STANDARD.encode(address))
    }

    /// Like `mint`, but with a secret that is not the credential's: every request is refused
    /// with `SignatureDoesNotMatch`.
    pub fn mint_forged(&self, key: &str) -> (String, String) {
        let (auth, address) = self.mint(key, 3_000_000.0);
        let json = String::from_utf8(STANDARD.decode(auth).unwrap()).unwrap();
        (STANDARD.encode(json.replace("secret", "guess")), address)
    }

    pub fn take_events(&self) -> Vec<Event> {
        std::mem::take(&mut self.events.borrow_mut())
    }

    pub fn log(&self) -> Vec<Logged> {
        self.oss.borrow().log.clone()
    }
}

/// A request on the simulated network: dropped before it ends, it is aborted and logged so.
pub struct InFlight {
    oss: Rc<RefCell<Oss>>,
    entry: usize,
    clock: Rc<Clock>,
    _cancelled: Cancelled,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut oss = self.oss.borrow_mut();
        let now = self.clock.now.get();
        let logged = &mut oss.log[self.entry];
        if logged.ending.is_none() {
            logged.ending = Some(Ending::Aborted);
            logged.ended_at = Some(now);
        }
    }
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|p| {
        let (n, v) = p.split_once('=').unwrap_or((p, ""));
        (n == name).then_some(v)
    })
}

fn oss_error(status: u16, code: &str, extra: &str) -> Response {
    Response {
        status,
        ..answer(xml::document(
            "Error",
            &(xml::leaf("Code", code)
                + &xml::leaf("Message", &format!("simulated {code}"))
                + &xml::leaf("RequestId", "SIM")
                + extra),
        ))
    }
}

/// A 200 with `body`.
fn answer(body: String) -> Response {
    Response {
        status: 200,
        body,
        ..Response::default()
    }
}

/// How the simulated OSS (or VOD) breaks an answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Broken {
    /// This status and body instead, the call not carried out.
    Instead(u16, String),
    /// The call carried out, then this status and body, the headers kept.
    Answer(u16, String),
    /// This for the `x-oss-hash-crc64ecma` header.
    Crc(&'static str),
    /// No answer reaches the page: a network failure.
    Lost,
}

/// The bucket and the object key of a virtual-hosted URL's path.
fn bucket_and_key(path: &str) -> (String, String) {
    let (host, key) = path
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('/'))
        .unwrap_or_default();
    let bucket = host.split('.').next().unwrap_or_default();
    let key = percent_encoding::percent_decode_str(key).decode_utf8_lossy();
    (bucket.to_string(), key.into_owned())
}

/// The StringToSign of an OSS request as it arrived: its method, headers and URL, built by
/// vod-local's own signing (nothing of the SDK's), so that a request the SDK signed over a
/// wrongly built string is refused, as OSS would refuse it.
fn string_to_sign(request: &Request) -> String {
    let (path, query) = request.url.split_once('?').unwrap_or((&request.url, ""));
    let (bucket, key) = bucket_and_key(path);
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let query: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .map(|(n, v)| (decode(n), decode(v)))
        .collect();
    let headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    signing::OssRequest {
        method: request.method,
        headers: &headers,
        bucket: &bucket,
        key: &key,
        query: &query,
    }
    .string_to_sign()
}

#[test]
fn a_request_signed_over_a_wrongly_built_string_is_refused() {
    use vod_upload::auth::decode_upload_address;
    use vod_upload::oss::request::Call;
    let world = World::new();
    let (auth, address) = world.mint("sv/signed ü.mp4", 60_000.0);
    let (auth, address) = (decode_auth(&auth), decode_upload_address(&address).unwrap());
    let now = std::time::UNIX_EPOCH + std::time::Duration::from_millis(world.now() as u64);
    let date = httpdate::fmt_http_date(now);
    let call = Call::UploadPart {
        upload_id: "1",
        part_number: 2,
    };
    let status = |request: &Request| {
        let answer = world
            .oss
            .borrow_mut()
            .handle(request, Some(vec![7; 10]), world.now());
        let answer = answer.expect("an answer");
        (answer.status, answer.body.contains("SignatureDoesNotMatch"))
    };
    let right = call.build(&address, &auth, &date);
    assert_eq!(
        status(&right),
        (404, false),
        "signed right: on to NoSuchUpload"
    );
    let string = string_to_sign(&right);
    for wrong in [
        string.replace("?partNumber=2&uploadId=1", ""),
        string.replace("?partNumber=2&uploadId=1", "?uploadId=1&partNumber=2"),
        string.replace("application/octet-stream", ""),
        string.replace("signed ü", "signed%20%C3%BC"),
        string.replacen('\n', "\n\n", 1),
    ] {
        let mut request = call.build(&address, &auth, &date);
        let signature = signing::hmac_sha1_base64(&auth.access_key_secret, &wrong);
        let signed = format!("OSS {}:{signature}", auth.access_key_id);
        request.headers.retain(|(n, _)| *n != "authorization");
        request.headers.push(("authorization", signed));
        assert_eq!(status(&request), (403, true), "{wrong:?}");
    }
}

impl Oss {
    /// What a PutObject or an UploadPart answers: the ETag and CRC-64 of the bytes stored.
    fn stored(&self, etag: String, crc: u64) -> Response {
        Response {
            etag: (!self.hide_etag).then_some(etag),
            crc64: (!self.hide_crc).then(|| crc.to_string()),
            ..answer(String::new())
        }
    }

    /// How the next answer to `operation` is broken, if a rule says so.
    fn next_broken(&mut self, operation: &str) -> Option<Broken> {
        let rule = self
            .broken
            .iter_mut()
            .find(|(op, _, count)| *op == operation && *count > 0)?;
        rule.2 -= 1;
        Some(rule.1.clone())
    }
}

impl Broken {
    /// The answer to a call carried out, broken; `None`: lost.
    fn apply(self, answer: Response) -> Option<Response> {
        match self {
            Broken::Instead(status, body) | Broken::Answer(status, body) => Some(Response {
                status,
                body,
                ..answer
            }),
            Broken::Crc(crc) => Some(Response {
                crc64: Some(crc.into()),
                ..answer
            }),
            Broken::Lost => None,
        }
    }
}

impl Oss {
    /// Answers a request the way OSS would, or None for a network failure.
    fn handle(&mut self, request: &Request, body: Option<Vec<u8>>, now: f64) -> Option<Response> {
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        let (path, query) = request.url.split_once('?').unwrap_or((&request.url, ""));
        let part = query_param(query, "partNumber").and_then(|n| n.parse::<u32>().ok());
        if request.method == "PUT" {
            self.part_requests += 1;
            if self.expire_after_parts == Some(self.part_requests) {
                for c in self.credentials.values_mut() {
                    c.expires = c.expires.min(now);
                }
            }
            if let Some(f) = self.fail_fraction {
                let n = self.part_requests as f64;
                if (n * f).floor() > ((n - 1.0) * f).floor() {
                    return Some(oss_error(503, "ServiceUnavailable", ""));
                }
            }
        }
        let (id, provided) = header("authorization")?
            .strip_prefix("OSS ")?
            .split_once(':')?;
        let Some(credential) = self.credentials.get(id) else {
            return Some(oss_error(403, "InvalidAccessKeyId", ""));
        };
        if header("x-oss-security-token") != Some(credential.token.as_str()) {
            return Some(oss_error(403, "InvalidSecurityToken", ""));
        }
        if now >= credential.expires {
            return Some(oss_error(403, "SecurityTokenExpired", ""));
        }
        if signing::hmac_sha1_base64(&credential.secret, &string_to_sign(request)) != provided {
            return Some(oss_error(403, "SignatureDoesNotMatch", ""));
        }
        let sent = httpdate::parse_http_date(header("x-oss-date")?).ok()?;
        let sent_ms = sent.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis() as f64;
        let server_now = now + self.server_skew_ms;
        if (server_now - sent_ms).abs() > MAX_CLOCK_SKEW_MS as f64 {
            let server_time = humantime::format_rfc3339_millis(
                std::time::UNIX_EPOCH + std::time::Duration::from_millis(server_now as u64),
            );
            return Some(oss_error(
                403,
                "RequestTimeTooSkewed",
                &xml::leaf("ServerTime", &server_time.to_string()),
            ));
        }
        let upload_id = query_param(query, "uploadId").map(str::to_string);
        let open = |uploads: &BTreeMap<String, SimUpload>, id: &Option<String>| {
            id.as_ref()
                .is_some_and(|id| uploads.get(id).is_some_and(|u| u.state == "open"))
        };
        Some(match (request.method, part, upload_id) {
            ("POST", None, None) => {
                self.next_id += 1;
                let id = format!("UPLOAD{}", self.next_id);
                self.uploads.insert(
                    id.clone(),
                    SimUpload {
                        state: "open",
                        ..SimUpload::default()
                    },
                );
                answer(xml::document(
                    "InitiateMultipartUploadResult",
                    &xml::leaf("UploadId", &id),
                ))
            }
            ("PUT", Some(number), id) if open(&self.uploads, &id) => {
                let bytes = body.unwrap_or_default();
                let etag = format!("\"{}\"", upper_hex(&md5::Md5::digest(&bytes)));
                let crc = crc::Crc::<u64>::new(&crc::CRC_64_XZ).checksum(&bytes);
                self.uploads
                    .get_mut(&id.unwrap())
                    .unwrap()
                    .parts
                    .insert(number, (etag.clone(), bytes));
                self.stored(etag, crc)
            }
            ("GET", None, id) if open(&self.uploads, &id) => {
                let upload = &self.uploads[id.as_ref().unwrap()];
                let marker: u32 = query_param(query, "part-number-marker")
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(0);
                let page: Vec<_> = upload.parts.range(marker + 1..).take(2).collect();
                let truncated = upload.parts.range(marker + 1..).nth(2).is_some();
                let mut doc = xml::leaf("IsTruncated", &truncated.to_string());
                if let Some((n, _)) = page.last() {
                    doc += &xml::leaf("NextPartNumberMarker", &n.to_string());
                }
                for (n, (etag, bytes)) in page {
                    doc += &xml::element(
                        "Part",
                        &(xml::leaf("PartNumber", &n.to_string())
                            + &xml::leaf("ETag", etag)
                            + &xml::leaf("Size", &bytes.len().to_string())),
                    );
                }
                answer(xml::document("ListPartsResult", &doc))
            }
            ("POST", None, id) if open(&self.uploads, &id) => {
                let listed = xml::parse(request.body.as_deref().unwrap_or("")).unwrap();
                let upload = self.uploads.get_mut(id.as_ref().unwrap()).unwrap();
                let mut whole = Vec::new();
                let listed: Vec<_> = listed.children_named("Part").collect();
                for (i, p) in listed.iter().enumerate() {
                    let n: u32 = p.text_of("PartNumber").unwrap().parse().unwrap();
                    match upload.parts.get(&n) {
                        Some((etag, bytes)) if etag == p.text_of("ETag").unwrap() => {
                            if i + 1 < listed.len() && (bytes.len() as u64) < MIN_PART_SIZE {
                                return Some(oss_error(400, "EntityTooSmall", ""));
                            }
                            whole.extend_from_slice(bytes)
                        }
                        _ => return Some(oss_error(400, "InvalidPart", "")),
                    }
                }
                upload.state = "completed";
                let crc = crc::Crc::<u64>::new(&crc::CRC_64_XZ).checksum(&whole)
                    ^ u64::from(self.damage_object);
                self.heads
                    .insert(path.to_string(), (whole.len() as u64, crc));
                self.objects.insert(id.unwrap(), whole);
                let (bucket, key) = bucket_and_key(path);
                Response {
                    crc64: (!self.hide_crc).then(|| crc.to_string()),
                    ..answer(xml::document(
                        "CompleteMultipartUploadResult",
                        &(xml::leaf("Bucket", &bucket) + &xml::leaf("Key", &key)),
                    ))
                }
            }
            ("HEAD", None, None) => match self.heads.get(path) {
                Some((size, crc)) => Response {
                    crc64: (!self.hide_crc).then(|| crc.to_string()),
                    length: Some(size.to_string()),
                    ..answer(String::new())
                },
                None => oss_error(404, "NoSuchKey", ""),
            },
            ("PUT", None, None) => {
                let bytes = body.unwrap_or_default();
                let etag = format!("\"{}\"", upper_hex(&md5::Md5::digest(&bytes)));
                let crc = crc::Crc::<u64>::new(&crc::CRC_64_XZ).checksum(&bytes);
                self.heads
                    .insert(path.to_string(), (bytes.len() as u64, crc));
                self.objects.insert(path.to_string(), bytes);
                self.stored(etag, crc)
            }
            ("DELETE", None, id) if open(&self.uploads, &id) => {
                self.uploads.get_mut(id.as_ref().unwrap()).unwrap().state = "aborted";
                Response {
                    status: 204,
                    ..Response::default()
                }
            }
            _ => oss_error(404, "NoSuchUpload", ""),
        })
    }
}

impl SimPlatform {
    /// Answers `done` after the page's usual delay.
    fn later<T: 'static>(&self, done: Done<T>, answer: impl FnOnce(&World) -> T + 'static) {
        let world = self.0.clone();
        self.0
            .clock
            .schedule(LATENCY_MS, move || done(answer(&world)));
    }
}

/// A file as the simulated browser holds it: a whole file, or a stream's bytes so far. What the
/// engine released is dropped: reading it fails, and is counted.
#[derive(Clone, Default)]
pub struct SimFile(pub Rc<RefCell<Held>>);

#[derive(Default)]
pub struct Held {
    /// Every byte that came, to compare with what arrived (the released ones too).
    pub bytes: Vec<u8>,
    /// The ranges released, in the order they were.
    pub released: Vec<Range<u64>>,
    /// Reads and sends of released bytes.
    pub released_reads: u32,
    /// The most bytes held at once: come, and not released.
    pub held_max: u64,
    /// The upload is over: nothing is kept for a later page.
    pub forgotten: bool,
}

impl SimFile {
    pub fn new(bytes: &[u8]) -> SimFile {
        SimFile(Rc::new(RefCell::new(Held {
            bytes: bytes.to_vec(),
            ..Held::default()
        })))
    }

    /// A stream's next bytes came; returns how many it has.
    pub fn extend(&self, chunk: &[u8]) -> u64 {
        let mut held = self.0.borrow_mut();
        held.bytes.extend_from_slice(chunk);
        let now =
            held.bytes.len() as u64 - held.released.iter().map(|r| r.end - r.start).sum::<u64>();
        held.held_max = held.held_max.max(now);
        held.bytes.len() as u64
    }

    /// The bytes of `range`, unless some were released.
    fn read(&self, range: Range<u64>) -> Result<Vec<u8>, TransportError> {
        let mut held = self.0.borrow_mut();
        if held
            .released
            .iter()
            .any(|r| r.start < range.end && range.start < r.end)
        {
            held.released_reads += 1;
            return Err(TransportError {
                message: "those bytes were released".into(),
            });
        }
        Ok(held.bytes[range.start as usize..range.end as usize].to_vec())
    }
}

impl Files for SimPlatform {
    type File = SimFile;

    fn hash(
        &self,
        file: &SimFile,
        bytes: Range<u64>,
        digest: vod_upload::engine::Digest,
        done: Done<Result<Hashed, TransportError>>,
    ) {
        let file = file.clone();
        self.0.clock.schedule(0.0, move || {
            let mut hasher = Hasher::new(digest);
            // In pieces of an odd size, as a browser's stream may cut them.
            let read = file.read(bytes).map(|bytes| {
                bytes.chunks(10_007).for_each(|piece| hasher.update(piece));
                hasher.finish()
            });
            done(read)
        });
    }

    fn rest(&self) {}

    fn release(&self, file: &SimFile, bytes: Range<u64>) {
        let mut held = file.0.borrow_mut();
        if bytes == (0..u64::MAX) {
            held.forgotten = true;
            return;
        }
        assert!(
            !held
                .released
                .iter()
                .any(|r| r.start < bytes.end && bytes.start < r.end),
            "{bytes:?} released twice"
        );
        held.released.push(bytes);
    }
}

impl Http for SimPlatform {
    type Sending = InFlight;

    fn send(
        &self,
        request: Request,
        body: Option<(SimFile, Range<u64>)>,
        done: Done<Result<Response, TransportError>>,
    ) -> InFlight {
        let world = self.0.clone();
        // Released bytes cannot be sent: the request fails as a browser's unreadable body would.
        let (body, gone) = match body.map(|(file, bytes)| file.read(bytes)).transpose() {
            Ok(body) => (body, false),
            Err(_) => (None, true),
        };
        let (path, query) = request.url.split_once('?').unwrap_or((&request.url, ""));
        let key = path.splitn(4, '/').nth(3).unwrap_or_default().to_string();
        let query = query.to_string();
        let access_key_id = request
            .headers
            .iter()
            .find(|(n, _)| *n == "authorization")
            .and_then(|(_, v)| v.strip_prefix("OSS ")?.split_once(':'))
            .map(|(id, _)| id.to_string())
            .unwrap_or_default();
        let part = query_param(&query, "partNumber").and_then(|n| n.parse().ok());
        let call = operation(&request, &query);
        let entry = {
            let mut oss = world.oss.borrow_mut();
            oss.log.push(Logged {
                method: request.method,
                call,
                key,
                part,
                access_key_id,
                sent_at: world.now(),
                ended_at: None,
                ending: None,
            });
            oss.log.len() - 1
        };
        let fault = if request.method == "PUT" {
            world.oss.borrow_mut().faults.pop_front()
        } else {
            None
        };
        let latency = match fault {
            Some(Fault::Stall(ms)) => ms,
            _ => LATENCY_MS,
        };
        let online = world.network.get().online;
        let cancelled = Rc::new(Cell::new(false));
        let in_flight = InFlight {
            oss: world.oss.clone(),
            entry,
            clock: world.clock.clone(),
            _cancelled: Cancelled(cancelled.clone()),
        };
        // Offline, a browser fails a request at once; one in flight when the network goes
        // fails too.
        self.0
            .clock
            .schedule(if online { latency } else { 1.0 }, move || {
                if cancelled.get() {
                    return;
                }
                let broken = world.oss.borrow_mut().next_broken(call);
                let answer = match fault {
                    _ if !world.network.get().online || gone => None,
                    _ if matches!(broken, Some(Broken::Instead(..))) => Some(Response::default()),
                    _ if request.url.starts_with(super::vod::ENDPOINT) => {
                        Some(super::vod::handle(&world, &request))
                    }
                    Some(Fault::Network) => None,
                    Some(Fault::Status(status, code)) => Some(oss_error(status, code, "")),
                    Some(Fault::Damage) => {
                        let damaged = body.map(|mut b| {
                            b[0] ^= 0xFF;
                            b
                        });
                        world
                            .oss
                            .borrow_mut()
                            .handle(&request, damaged, world.now())
                    }
                    _ => world.oss.borrow_mut().handle(&request, body, world.now()),
                };
                let answer = match (broken, answer) {
                    (Some(broken), Some(answer)) => broken.apply(answer),
                    (_, answer) => answer,
                };
                let ending = answer
                    .as_ref()
                    .map_or(Ending::NetworkError, |a| Ending::Answered(a.status));
                {
                    let logged = &mut world.oss.borrow_mut().log[entry];
                    logged.ending = Some(ending);
                    logged.ended_at = Some(world.now());
                }
                done(answer.ok_or_else(|| TransportError {
                    message: "simulated network failure".into(),
                }))
            });
        in_flight
    }
}

impl vod_upload::engine::Clock for SimPlatform {
    type Timer = Cancelled;

    fn now_ms(&self) -> f64 {
        self.0.now()
    }

    fn set_timer(&self, millis: f64, fire: Done<()>) -> Cancelled {
        let cancelled = Rc::new(Cell::new(false));
        let handle = Cancelled(cancelled.clone());
        self.0.clock.schedule(millis, move || {
            if !cancelled.get() {
                fire(())
            }
        });
        handle
    }

    fn entropy(&self) -> Option<[u8; 32]> {
        // Deterministic nonces and jitter.
        Some(self.0.entropy.get())
    }
}

impl Storage for SimPlatform {
    fn load(&self, key: &str) -> Option<String> {
        self.0.storage.borrow().get(key).cloned()
    }

    fn store(&self, key: &str, value: &str) {
        self.0
            .storage
            .borrow_mut()
            .insert(key.to_string(), value.to_string());
    }

    fn forget(&self, key: &str) {
        self.0.storage.borrow_mut().remove(key);
    }

    fn stored_keys(&self) -> Vec<String> {
        self.0.storage.borrow().keys().cloned().collect()
    }
}

impl Connectivity for SimPlatform {
    fn network(&self) -> Network {
        self.0.network.get()
    }

    fn watch_network(&self, changed: Box<dyn Fn()>) {
        self.0.network_watchers.borrow_mut().push(Rc::from(changed));
    }
}

impl Page for SimPlatform {
    fn upload_auth(&self, file: &FileInfo, done: Done<Result<Grant, UploadError>>) {
        let name = file.name.clone();
        self.later(done, move |world| {
            if world.sts_files.borrow().contains(&name) {
                return Ok(Grant::Sts(world.sts_token(world.sts_ttl_ms.get())));
            }
            let answer = world.auth_answers.borrow_mut().remove(&name);
            let (auth, address) = match answer {
                Some(Ok(pair)) => pair,
                Some(Err(e)) => return Err(e),
                None => world.mint(&format!("sv/{name}"), world.ttl_ms.get()),
            };
            Credentials::decode(&auth, &address, Some(format!("video-{name}")), None)
                .map(Grant::Credentials)
        });
    }

    fn sts_token(&self, done: Done<Result<StsToken, UploadError>>) {
        self.later(done, |world| {
            world.sts_calls.set(world.sts_calls.get() + 1);
            let mut token = world.sts_token(world.sts_ttl_ms.get());
            match world.sts.get() {
                StsAnswer::Works => Ok(token),
                StsAnswer::WrongSecret => {
                    token.access_key_secret = "guess".into();
                    Ok(token)
                }
                StsAnswer::Fails => Err(UploadError::new(
                    Code::GetStsTokenFailed,
                    "getSTSToken rejected: STS down",
                )),
            }
        });
    }

    fn can_refresh(&self) -> bool {
        self.0.refresh.get().is_some()
    }

    fn refresh_upload_auth(&self, file: &FileInfo, done: Done<Result<Grant, UploadError>>) {
        let key = file
            .object
            .clone()
            .expect("a refreshed file has its object");
        let name = file.name.clone();
        self.later(done, move |world| {
            world.refreshes.set(world.refreshes.get() + 1);
            let ttl = world.ttl_ms.get();
            match world.refresh.get() {
                Some(Refresh::Works) => Ok(Grant::Auth(decode_auth(&world.mint(&key, ttl).0))),
                Some(Refresh::Elsewhere) => {
                    let (auth, address) = world.mint(&format!("sv/moved-{name}"), ttl);
                    let video_id = Some(format!("video-moved-{name}"));
                    Credentials::decode(&auth, &address, video_id, None).map(Grant::Credentials)
                }
                Some(Refresh::Sts) => Ok(Grant::Sts(world.sts_token(world.sts_ttl_ms.get()))),
                _ => Err(UploadError::new(
                    Code::InvalidArgument,
                    "refreshUploadAuth rejected: backend down",
                )),
            }
        });
    }

    fn warn(&self, message: &str) {
        self.0.warnings.borrow_mut().push(message.to_string());
    }
}

impl Platform for SimPlatform {
    fn wake(&self, uploader: Uploader<SimPlatform>) {
        let world = self.0.clone();
        self.0.clock.schedule(0.0, move || {
            while let Some(event) = uploader.poll_event() {
                world.events.borrow_mut().push(event.clone());
                if let Some(react) = world.react.borrow().as_ref() {
                    react(&uploader, &event);
                }
            }
        });
    }
}

/// An UploadAuth as `resumeUploadWithToken` takes it.
pub fn decode_auth(b64: &str) -> UploadAuth {
    vod_upload::auth::decode_upload_auth(b64).unwrap()
}

/// An MD5 as OSS writes it in an ETag: upper-case hex.
fn upper_hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02X}")).collect()
}
