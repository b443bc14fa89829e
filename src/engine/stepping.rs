//! The core's policy, stepped by hand: every test feeds inputs with the time it chooses and
//! asserts exactly what comes out (requests, cancels, reads, asks, storage, events, the timer).
//! No executor, no platform, no simulated server: answers are written here.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::ops::Range;

use super::checkpoint::Checkpoint;
use super::{
    AskFor, AskId, Credentials, Described, Event, FileState, Grant, Hashed, Network, Options,
    ReadId, RequestId,
};
use super::{Core, Digest, Output};
use crate::auth::{UploadAddress, UploadAuth};
use crate::crc64;
use crate::error::Code;
use crate::oss::response::Response;
use crate::oss::xml::{document, element, leaf};

const T0: f64 = 1_700_000_000_000.0;
const KIB: u64 = 1024;
const ONLINE: Network = Network {
    online: true,
    cellular: false,
};

fn options() -> Options {
    Options {
        part_size: 100 * KIB,
        parallel: 3,
        retry_count: 2,
        retry_duration_ms: 1000,
        timeout_ms: 5000,
        ..Options::default()
    }
}

/// A core whose files are named by a number; `refresh`: the page gave `refreshUploadAuth`.
fn core(options: Options, refresh: bool) -> Core<u8> {
    Core::new(options, [7; 32], refresh, ONLINE, T0).unwrap()
}

fn described(name: &str, size: u64) -> Described {
    Described {
        name: name.into(),
        size,
        content_type: "video/mp4".into(),
        last_modified: 1.0,
        meta: Default::default(),
    }
}

/// Credentials for `object` that live `seconds`.
fn credentials(object: &str, seconds: u64) -> Credentials {
    Credentials {
        auth: UploadAuth {
            access_key_id: "id".into(),
            access_key_secret: "secret".into(),
            security_token: "token".into(),
            expiration_secs: seconds,
            ..UploadAuth::default()
        },
        address: UploadAddress {
            endpoint: "https://oss.example".into(),
            bucket: "b".into(),
            file_name: object.into(),
        },
        video_id: Some("v1".into()),
        image: None,
        from_sts: false,
    }
}

/// Everything the core says now, its events apart.
fn drain(core: &mut Core<u8>) -> Vec<Output<u8>> {
    core::iter::from_fn(|| core.poll()).collect()
}

fn events(core: &mut Core<u8>) -> Vec<Event> {
    core::iter::from_fn(|| core.poll_event()).collect()
}

/// What matters of one output, compared whole. A request: its method, full URL (bucket host,
/// key, every query parameter), body (the file's byte range, or its XML), the security token
/// it is signed with and its content type; the signature itself is the signing tests' concern.
/// A read: the file, its bytes and the digest. An ask: what is asked, for which file.
#[derive(Debug, PartialEq)]
enum Said {
    Send {
        method: &'static str,
        url: String,
        body: Body,
        token: String,
        content_type: Option<String>,
    },
    Cancel(RequestId),
    Read {
        file: u8,
        bytes: Range<u64>,
        digest: Digest,
    },
    Ask(&'static str, String),
    Release(u8, Range<u64>),
    Store(String),
    Forget(String),
    Warn(&'static str),
}

#[derive(Debug, PartialEq)]
enum Body {
    None,
    File(u8, Range<u64>),
    Xml(String),
}

fn said(outputs: &[Output<u8>]) -> Vec<Said> {
    outputs
        .iter()
        .map(|o| match o {
            Output::Send { request, body, .. } => {
                let header = |name: &str| {
                    let mut found = request.headers.iter().filter(|(n, _)| *n == name);
                    let value = found.next().map(|(_, v)| v.clone());
                    assert!(
                        found.next().is_none(),
                        "{name} twice: {:?}",
                        request.headers
                    );
                    value
                };
                Said::Send {
                    method: request.method,
                    url: request.url.clone(),
                    body: match (body, &request.body) {
                        (Some((file, bytes)), None) => Body::File(*file, bytes.clone()),
                        (None, Some(xml)) => Body::Xml(xml.clone()),
                        (None, None) => Body::None,
                        (Some(_), Some(_)) => panic!("a file and XML: {request:?}"),
                    },
                    token: header("x-oss-security-token").unwrap_or_default(),
                    content_type: header("content-type"),
                }
            }
            Output::Cancel(id) => Said::Cancel(*id),
            Output::Read {
                file,
                bytes,
                digest,
                ..
            } => Said::Read {
                file: *file,
                bytes: bytes.clone(),
                digest: *digest,
            },
            Output::Ask { ask, .. } => match ask {
                AskFor::UploadAuth(info) => Said::Ask("UploadAuth", info.name.clone()),
                AskFor::Refresh(info) => Said::Ask("Refresh", info.name.clone()),
                AskFor::StsToken => Said::Ask("StsToken", String::new()),
            },
            Output::Release { file, bytes } => Said::Release(*file, bytes.clone()),
            Output::Store { key, .. } => Said::Store(key.clone()),
            Output::Forget(key) => Said::Forget(key.clone()),
            Output::Warn(message) => Said::Warn(message),
        })
        .collect()
}

/// Asserts that `outputs` are `expected`, whole; on a difference, names each output that
/// differs, with what was expected of it.
#[track_caller]
fn assert_said(outputs: &[Output<u8>], expected: &[Said]) {
    let got = said(outputs);
    if got == expected {
        return;
    }
    let mut report = String::new();
    for i in 0..got.len().max(expected.len()) {
        let (g, e) = (got.get(i), expected.get(i));
        if g != e {
            report += &format!("output {i}:\n  got      {g:?}\n  expected {e:?}\n");
        }
    }
    panic!("the core said other than expected\n{report}");
}

const OBJECT: &str = "https://b.oss.example/sv/a.mp4";
const TOKEN: &str = "token";

fn send(method: &'static str, url: String, body: Body, content_type: Option<&str>) -> Said {
    Said::Send {
        method,
        url,
        body,
        token: TOKEN.into(),
        content_type: content_type.map(Into::into),
    }
}

/// The PutObject of file `file`'s `bytes` to sv/a.mp4.
fn put_object(file: u8, bytes: Range<u64>) -> Said {
    let body = Body::File(file, bytes);
    send("PUT", OBJECT.into(), body, Some("video/mp4"))
}

/// The UploadPart `n` of upload u1 of sv/a.mp4, with file 1's `bytes`.
fn part(n: u32, bytes: Range<u64>) -> Said {
    let url = format!("{OBJECT}?partNumber={n}&uploadId=u1");
    let body = Body::File(1, bytes);
    send("PUT", url, body, Some("application/octet-stream"))
}

fn list_parts() -> Said {
    let url = format!("{OBJECT}?part-number-marker=0&uploadId=u1");
    send("GET", url, Body::None, None)
}

fn abort() -> Said {
    send("DELETE", format!("{OBJECT}?uploadId=u1"), Body::None, None)
}

/// CompleteMultipartUpload of u1 with these parts' ETags.
fn complete(etags: &[(u32, &str)]) -> Said {
    let parts: String = etags
        .iter()
        .map(|(n, etag)| {
            element(
                "Part",
                &(leaf("PartNumber", &n.to_string()) + &leaf("ETag", etag)),
            )
        })
        .collect();
    let xml = Body::Xml(document("CompleteMultipartUpload", &parts));
    let url = format!("{OBJECT}?uploadId=u1");
    send("POST", url, xml, Some("application/xml"))
}

fn reading(file: u8, bytes: Range<u64>, digest: Digest) -> Said {
    Said::Read {
        file,
        bytes,
        digest,
    }
}

fn ask(what: &'static str, name: &str) -> Said {
    Said::Ask(what, name.into())
}

/// Writing the checkpoint of the file `name` of `size` bytes, as `described` makes it.
fn store(name: &str, size: u64) -> Said {
    Said::Store(described(name, size).checkpoint_key(false))
}

fn forget(name: &str, size: u64) -> Said {
    Said::Forget(described(name, size).checkpoint_key(false))
}

/// The ids of the outputs of one kind (`Send`, `Read`, `Ask`), in order.
macro_rules! ids {
    ($outputs:expr, $kind:ident) => {
        $outputs
            .iter()
            .filter_map(|o| match o {
                Output::$kind { id, .. } => Some(*id),
                _ => None,
            })
            .collect()
    };
}

fn sends(outputs: &[Output<u8>]) -> Vec<RequestId> {
    ids!(outputs, Send)
}

fn reads(outputs: &[Output<u8>]) -> Vec<ReadId> {
    ids!(outputs, Read)
}

fn asks(outputs: &[Output<u8>]) -> Vec<AskId> {
    ids!(outputs, Ask)
}

fn ok(body: String) -> Response {
    Response {
        status: 200,
        body,
        ..Response::default()
    }
}

/// What OSS answers an UploadPart or a PutObject of bytes with CRC-64 `crc`.
fn stored(crc: u64) -> Response {
    Response {
        status: 200,
        etag: Some("\"e\"".into()),
        crc64: Some(crc.to_string()),
        ..Response::default()
    }
}

fn oss_error(status: u16, code: &str, extra: &str) -> Response {
    Response {
        status,
        body: document("Error", &format!("{}{extra}", leaf("Code", code))),
        ..Response::default()
    }
}

/// A one-part file, started: returns the core at the moment its PutObject and the read of its
/// CRC are out, with their ids.
fn putting(options: Options) -> (Core<u8>, RequestId, ReadId) {
    let mut core = core(options, false);
    core.add_file(7, described("a.mp4", 1000), None).unwrap();
    core.start(T0).unwrap();
    let out = drain(&mut core);
    assert_said(&out, &[ask("UploadAuth", "a.mp4")]);
    let grant = Grant::Credentials(credentials("sv/a.mp4", 3600));
    core.handle_answer(asks(&out)[0], Ok(grant), T0 + 10.0);
    let out = drain(&mut core);
    assert_said(
        &out,
        &[reading(7, 0..1000, Digest::Crc64), put_object(7, 0..1000)],
    );
    (core, sends(&out)[0], reads(&out)[0])
}

/// A file of `size` bytes started with credentials living `seconds`, its Initiate answered:
/// returns the core with what it said then (a checkpoint, the first parts and their reads).
fn sending_parts(refresh: bool, size: u64, seconds: u64) -> (Core<u8>, Vec<Output<u8>>) {
    let mut core = core(options(), refresh);
    core.add_file(1, described("a.mp4", size), None).unwrap();
    core.start(T0).unwrap();
    let ask = asks(&drain(&mut core))[0];
    let grant = Grant::Credentials(credentials("sv/a.mp4", seconds));
    core.handle_answer(ask, Ok(grant), T0);
    let initiate = sends(&drain(&mut core))[0];
    let answer = document("InitiateMultipartUploadResult", &leaf("UploadId", "u1"));
    core.handle_response(initiate, Ok(ok(answer)), T0 + 10.0);
    let out = drain(&mut core);
    (core, out)
}

#[test]
fn a_transient_failure_is_retried_after_the_backoff_and_the_page_hears_of_both() {
    let (mut core, put, read) = putting(options());
    core.handle_read(read, Some(Hashed::Crc64(42)), T0 + 11.0);
    core.handle_response(put, Ok(oss_error(503, "ServiceUnavailable", "")), T0 + 20.0);
    assert_eq!(
        drain(&mut core).len(),
        0,
        "nothing goes out during the backoff"
    );
    let events = events(&mut core);
    assert!(
        matches!(&events[..], [Event::Started(_), Event::Retry(_, e)] if e.code.as_str() == "ServiceUnavailable")
    );
    // The first backoff is 1000 ms with a jitter of half to all of it.
    let due = core.poll_timeout().unwrap();
    assert!((T0 + 520.0..=T0 + 1020.0).contains(&due), "{}", due - T0);
    core.handle_timeout(due);
    let out = drain(&mut core);
    // The CRC already read is kept.
    assert_said(&out, &[put_object(7, 0..1000)]);
    core.handle_response(sends(&out)[0], Ok(stored(42)), due + 10.0);
    let names: Vec<&str> = events_names(&mut core);
    assert_eq!(names, ["RetryResume", "Progress", "Succeeded", "End"]);
}

fn events_names(core: &mut Core<u8>) -> Vec<&'static str> {
    events(core)
        .iter()
        .map(|e| match e {
            Event::Started(_) => "Started",
            Event::Progress(_) => "Progress",
            Event::Succeeded(_) => "Succeeded",
            Event::Failed(..) => "Failed",
            Event::TokenExpired(_) => "TokenExpired",
            Event::Retry(..) => "Retry",
            Event::RetryResume(_) => "RetryResume",
            Event::End => "End",
        })
        .collect()
}

#[test]
fn retries_used_up_fail_the_file() {
    let (mut core, mut put, read) = putting(options());
    core.handle_read(read, Some(Hashed::Crc64(42)), T0 + 11.0);
    let mut now = T0 + 20.0;
    for _ in 0..2 {
        core.handle_response(put, Ok(oss_error(500, "InternalError", "")), now);
        now = core.poll_timeout().unwrap();
        core.handle_timeout(now);
        put = sends(&drain(&mut core))[0];
    }
    core.handle_response(put, Ok(oss_error(500, "InternalError", "")), now + 10.0);
    // Nothing is left to resume.
    assert_said(&drain(&mut core), &[forget("a.mp4", 1000)]);
    let names = events_names(&mut core);
    assert_eq!(names, ["Started", "Retry", "Retry", "Failed", "End"]);
    assert_eq!(core.list_files()[0].state, FileState::Failure);
    assert_eq!(core.poll_timeout(), None, "no timer is left");
}

#[test]
fn a_request_without_an_answer_times_out_and_is_cancelled() {
    let (mut core, put, _) = putting(options());
    assert_eq!(core.poll_timeout(), Some(T0 + 10.0 + 5000.0));
    core.handle_timeout(T0 + 5010.0);
    assert_said(&drain(&mut core), &[Said::Cancel(put)]);
    let events = events(&mut core);
    assert!(matches!(&events[1], Event::Retry(_, e) if e.code == Code::Timeout));
}

#[test]
fn credentials_are_renewed_ahead_of_expiry_while_parts_go_on() {
    // They live 100 s; the time limit is 5 s: renewed 10 s ahead.
    let (mut core, out) = sending_parts(true, 250 * KIB, 100);
    let [first, second, last] = [0..100 * KIB, 100 * KIB..200 * KIB, 200 * KIB..250 * KIB];
    assert_said(
        &out,
        &[
            store("a.mp4", 250 * KIB),
            reading(1, first.clone(), Digest::Crc64),
            reading(1, second.clone(), Digest::Crc64),
            reading(1, last.clone(), Digest::Crc64),
            part(1, first.clone()),
            part(2, second.clone()),
            part(3, last.clone()),
        ],
    );
    // The parts' time limits come first, then the renewal.
    for id in sends(&out) {
        core.handle_response(
            id,
            Err(crate::error::TransportError {
                message: "x".into(),
            }),
            T0 + 20.0,
        );
    }
    let backoffs = core.poll_timeout().unwrap();
    assert!(backoffs < T0 + 90_000.0);
    core.handle_timeout(T0 + 90_000.0);
    // Parts go on meanwhile, with the credentials they have, their CRCs not read again.
    assert_said(
        &drain(&mut core),
        &[
            ask("Refresh", "a.mp4"),
            part(1, first),
            part(2, second),
            part(3, last),
        ],
    );
}

#[test]
fn a_skewed_clock_is_corrected_once_and_a_second_skew_fails() {
    let (mut core, put, read) = putting(options());
    core.handle_read(read, Some(Hashed::Crc64(42)), T0 + 11.0);
    let server = "<ServerTime>2023-11-14T23:13:20.000Z</ServerTime>";
    core.handle_response(
        put,
        Ok(oss_error(403, "RequestTimeTooSkewed", server)),
        T0 + 20.0,
    );
    let out = drain(&mut core);
    let Output::Send { request, .. } = &out[0] else {
        panic!("{:?}", said(&out));
    };
    assert_said(&out, &[put_object(7, 0..1000)]);
    let date = request
        .headers
        .iter()
        .find(|(n, _)| *n == "x-oss-date")
        .unwrap();
    // 2023-11-14T22:13:20Z is T0; the server said an hour later.
    assert_eq!(date.1, "Tue, 14 Nov 2023 23:13:20 GMT");
    let again = sends(&out)[0];
    core.handle_response(
        again,
        Ok(oss_error(403, "RequestTimeTooSkewed", server)),
        T0 + 30.0,
    );
    assert_eq!(events_names(&mut core), ["Started", "Failed", "End"]);
}

#[test]
fn offline_a_request_in_flight_is_cancelled_and_sent_again_when_the_network_is_back() {
    let (mut core, put, _) = putting(options());
    core.handle_network(
        Network {
            online: false,
            cellular: false,
        },
        T0 + 15.0,
    );
    // Nothing else goes out offline.
    assert_said(&drain(&mut core), &[Said::Cancel(put)]);
    assert_eq!(core.list_files()[0].state, FileState::Waiting);
    let events = events(&mut core);
    assert!(matches!(&events[1], Event::Retry(_, e) if e.code == Code::NetworkOffline));
    core.handle_network(ONLINE, T0 + 600_000.0);
    // No retry used, no backoff.
    assert_said(&drain(&mut core), &[put_object(7, 0..1000)]);
    assert_eq!(events_names(&mut core), ["RetryResume"]);
}

#[test]
fn on_a_cellular_connection_with_pause_on_cellular_the_upload_waits() {
    let mut core = core(
        Options {
            pause_on_cellular: true,
            ..options()
        },
        false,
    );
    core.handle_network(
        Network {
            online: true,
            cellular: true,
        },
        T0,
    );
    core.add_file(1, described("a.mp4", 10), None).unwrap();
    core.start(T0).unwrap();
    // Not even the page is asked.
    assert_said(&drain(&mut core), &[]);
    let events = events(&mut core);
    assert!(matches!(&events[1], Event::Retry(_, e) if e.code == Code::CellularNetwork));
    core.handle_network(ONLINE, T0 + 1.0);
    assert_said(&drain(&mut core), &[ask("UploadAuth", "a.mp4")]);
}

#[test]
fn a_part_damaged_on_the_way_is_sent_again_and_fails_after_retry_count_times() {
    let (mut core, mut put, read) = putting(options());
    core.handle_read(read, Some(Hashed::Crc64(42)), T0 + 11.0);
    for n in 1..=2 {
        core.handle_response(put, Ok(stored(41)), T0 + 20.0 * n as f64);
        let out = drain(&mut core);
        // Sent again, the CRC not read again.
        assert_said(&out, &[put_object(7, 0..1000)]);
        put = sends(&out)[0];
    }
    core.handle_response(put, Ok(stored(41)), T0 + 100.0);
    let events = events(&mut core);
    let codes: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Retry(_, e) | Event::Failed(_, e) => Some(e.code.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(codes, ["Crc64Mismatch", "Crc64Mismatch", "Crc64Mismatch"]);
}

/// A two-part file an earlier page left with part 1 on the server.
fn resumable() -> (Core<u8>, Checkpoint) {
    let checkpoint = Checkpoint {
        video_id: Some("v1".into()),
        endpoint: "https://oss.example".into(),
        bucket: "b".into(),
        object: "sv/a.mp4".into(),
        upload_id: "u1".into(),
        part_size: 100 * KIB,
        loaded: 100 * KIB,
        saved_ms: T0 as u64,
    };
    let mut core = core(options(), false);
    let found = Some(checkpoint.clone());
    core.add_file(1, described("a.mp4", 150 * KIB), found)
        .unwrap();
    (core, checkpoint)
}

fn listed(etag: &str) -> Response {
    let part = format!(
        "{}{}{}",
        leaf("PartNumber", "1"),
        leaf("ETag", etag),
        leaf("Size", &(100 * KIB).to_string())
    );
    ok(document(
        "ListPartsResult",
        &format!("{}{}", leaf("IsTruncated", "false"), element("Part", &part)),
    ))
}

/// Resumes and lists part 1 with `etag`; returns the core with the MD5 read of part 1 out.
fn verifying(etag: &str) -> (Core<u8>, ReadId) {
    let (mut core, _) = resumable();
    core.start(T0).unwrap();
    let out = drain(&mut core);
    assert_said(&out, &[ask("UploadAuth", "a.mp4")]);
    let Output::Ask {
        ask: AskFor::UploadAuth(info),
        ..
    } = &out[0]
    else {
        unreachable!()
    };
    assert_eq!(
        info.video_id.as_deref(),
        Some("v1"),
        "the page is asked for the same video"
    );
    let grant = Grant::Credentials(credentials("sv/a.mp4", 3600));
    core.handle_answer(asks(&out)[0], Ok(grant), T0);
    let list = drain(&mut core);
    assert_said(&list, &[list_parts()]);
    core.handle_response(sends(&list)[0], Ok(listed(etag)), T0 + 10.0);
    let out = drain(&mut core);
    assert_said(&out, &[reading(1, 0..100 * KIB, Digest::Md5)]);
    (core, reads(&out)[0])
}

#[test]
fn a_resumed_upload_goes_on_only_if_the_server_holds_this_files_bytes() {
    let (mut core, read) = verifying("\"ABCDEF\"");
    core.handle_read(read, Some(Hashed::Md5("abcdef".into())), T0 + 11.0);
    let rest = 100 * KIB..150 * KIB;
    // Part 1 is not sent again.
    assert_said(
        &drain(&mut core),
        &[reading(1, rest.clone(), Digest::Crc64), part(2, rest)],
    );

    let (mut core, read) = verifying("\"ABCDEF\"");
    core.handle_read(read, Some(Hashed::Md5("000000".into())), T0 + 11.0);
    // Another file's upload: aborted, forgotten, and a new video asked for.
    assert_said(
        &drain(&mut core),
        &[
            forget("a.mp4", 150 * KIB),
            ask("UploadAuth", "a.mp4"),
            abort(),
        ],
    );
}

#[test]
fn files_take_slots_in_the_order_of_the_list() {
    let mut core = core(
        Options {
            parallel: 1,
            ..options()
        },
        false,
    );
    for (n, name) in [(1, "a.mp4"), (2, "b.mp4")] {
        core.add_file(n, described(name, 10), None).unwrap();
    }
    core.start(T0).unwrap();
    let asked = drain(&mut core);
    // b is prepared ahead.
    assert_said(
        &asked,
        &[ask("UploadAuth", "a.mp4"), ask("UploadAuth", "b.mp4")],
    );
    // b's credentials come first, but a has its turn.
    let [a, b] = asks(&asked)[..] else {
        unreachable!()
    };
    core.handle_answer(
        b,
        Ok(Grant::Credentials(credentials("sv/b.mp4", 3600))),
        T0 + 1.0,
    );
    assert_said(&drain(&mut core), &[]);
    core.handle_answer(
        a,
        Ok(Grant::Credentials(credentials("sv/a.mp4", 3600))),
        T0 + 2.0,
    );
    // a's PutObject, and b's read ahead of its turn.
    assert_said(
        &drain(&mut core),
        &[
            reading(1, 0..10, Digest::Crc64),
            put_object(1, 0..10),
            reading(2, 0..10, Digest::Crc64),
        ],
    );
}

#[test]
fn stop_while_the_page_is_asked_ignores_its_late_answer() {
    let mut core = core(options(), false);
    core.add_file(1, described("a.mp4", 10), None).unwrap();
    core.start(T0).unwrap();
    let ask = asks(&drain(&mut core))[0];
    core.stop(T0 + 1.0);
    assert_said(&drain(&mut core), &[]);
    core.handle_answer(
        ask,
        Ok(Grant::Credentials(credentials("sv/a.mp4", 60))),
        T0 + 2.0,
    );
    assert_said(&drain(&mut core), &[]);
    assert_eq!(core.list_files()[0].state, FileState::Stopped);
}

#[test]
fn stop_with_requests_in_flight_cancels_them_and_start_lists_the_parts() {
    let (mut core, out) = sending_parts(false, 250 * KIB, 3600);
    let parts = sends(&out);
    core.stop(T0 + 11.0);
    let cancels: Vec<Said> = parts.into_iter().map(Said::Cancel).collect();
    assert_said(&drain(&mut core), &cancels);
    assert_eq!(core.poll_timeout(), None, "no timer is left");
    core.start(T0 + 20.0).unwrap();
    assert_said(&drain(&mut core), &[list_parts()]);
}

#[test]
fn delete_mid_upload_cancels_aborts_and_forgets() {
    let (mut core, out) = sending_parts(false, 250 * KIB, 3600);
    let parts = sends(&out);
    core.delete_file(0, T0 + 11.0).unwrap();
    let mut expected: Vec<Said> = parts.into_iter().map(Said::Cancel).collect();
    expected.extend([forget("a.mp4", 250 * KIB), abort()]);
    assert_said(&drain(&mut core), &expected);
    assert!(core.list_files().is_empty());
    assert_eq!(
        events_names(&mut core),
        Vec::<&str>::new(),
        "a deleted file's events are dropped"
    );
}

#[test]
fn the_objects_crc_is_combined_from_the_parts_and_checked_after_complete() {
    let bytes: Vec<u8> = (0..150 * KIB).map(|i| i as u8).collect();
    let (mut core, out) = sending_parts(false, bytes.len() as u64, 3600);
    let crc = |r: core::ops::Range<usize>| crc64::checksum(&bytes[r]);
    let crcs = [crc(0..100 * 1024), crc(100 * 1024..bytes.len())];
    for (i, (send, read)) in sends(&out).into_iter().zip(reads(&out)).enumerate() {
        core.handle_read(read, Some(Hashed::Crc64(crcs[i])), T0 + 11.0);
        core.handle_response(send, Ok(stored(crcs[i])), T0 + 20.0);
    }
    let completing = drain(&mut core);
    let checkpoint = store("a.mp4", 150 * KIB);
    assert_said(
        &completing,
        &[
            checkpoint,
            store("a.mp4", 150 * KIB),
            complete(&[(1, "\"e\""), (2, "\"e\"")]),
        ],
    );
    let result = format!("{}{}", leaf("Bucket", "b"), leaf("Key", "sv/a.mp4"));
    let mut answer = ok(document("CompleteMultipartUploadResult", &result));
    answer.crc64 = Some((crc64::checksum(&bytes) ^ 1).to_string());
    core.handle_response(sends(&completing)[0], Ok(answer), T0 + 30.0);
    assert_said(&drain(&mut core), &[forget("a.mp4", 150 * KIB), abort()]);
    let events = events(&mut core);
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Failed(_, e) if e.code == Code::Crc64Mismatch)));
}

#[test]
fn credentials_due_while_offline_wait_for_the_network_without_a_timer() {
    let (mut core, _) = sending_parts(true, 250 * KIB, 100);
    let offline = Network {
        online: false,
        cellular: false,
    };
    core.handle_network(offline, T0 + 5.0);
    drain(&mut core);
    // Renewal falls due at T0 + 90 s; offline, the network's change wakes the core, not a
    // timer that would fire at once, again and again.
    assert_eq!(core.poll_timeout(), None);
    core.handle_timeout(T0 + 90_000.0);
    assert_said(&drain(&mut core), &[]);
    assert_eq!(core.poll_timeout(), None);
    core.handle_network(ONLINE, T0 + 95_000.0);
    // The parts given up go again, beside the renewal, their CRCs not read again.
    let back = [
        ask("Refresh", "a.mp4"),
        part(1, 0..100 * KIB),
        part(2, 100 * KIB..200 * KIB),
        part(3, 200 * KIB..250 * KIB),
    ];
    assert_said(&drain(&mut core), &back);
}

#[test]
fn a_get_sts_token_pending_at_stop_is_asked_again_after_start() {
    let mut core = core(
        Options {
            sts: true,
            ..options()
        },
        false,
    );
    core.add_file(1, described("a.mp4", 10), None).unwrap();
    core.start(T0).unwrap();
    assert_said(&drain(&mut core), &[ask("StsToken", "")]);
    core.stop(T0 + 1.0);
    core.start(T0 + 2.0).unwrap();
    assert_said(&drain(&mut core), &[ask("StsToken", "")]);
}

/// A core in STS mode seeded with `entropy`: the URL of its first VOD call, and when it retries
/// that call after a 503.
fn first_vod_call(entropy: [u8; 32]) -> (String, f64) {
    let options = Options {
        sts: true,
        ..options()
    };
    let mut core: Core<u8> = Core::new(options, entropy, false, ONLINE, T0).unwrap();
    core.add_file(1, described("a.mp4", 10), None).unwrap();
    core.start(T0).unwrap();
    let asked = asks(&drain(&mut core))[0];
    let token = crate::auth::StsToken {
        access_key_id: "STS.id".into(),
        access_key_secret: "secret".into(),
        security_token: "token".into(),
        expires_at_ms: T0 + 3_600_000.0,
    };
    core.handle_answer(asked, Ok(Grant::Sts(token)), T0 + 1.0);
    let out = drain(&mut core);
    let Some(Output::Send { id, request, .. }) = out.first() else {
        panic!("no VOD call: {out:?}");
    };
    let url = request.url.clone();
    let refused = Response {
        status: 503,
        body: r#"{"Code":"ServiceUnavailable","Message":"busy","RequestId":"r"}"#.into(),
        ..Response::default()
    };
    core.handle_response(*id, Ok(refused), T0 + 2.0);
    (url, core.poll_timeout().unwrap())
}

fn nonce_of(url: &str) -> &str {
    let (_, after) = crate::text::split_once(url, "SignatureNonce=").unwrap();
    crate::text::split_once(after, "&").map_or(after, |(nonce, _)| nonce)
}

#[test]
fn nonces_and_jitter_come_only_from_the_entropy_the_core_is_given() {
    let (url, retry_at) = first_vod_call([7; 32]);
    // The same entropy: the same nonce and the same jitter, to the bit; nothing else is drawn on.
    assert_eq!(first_vod_call([7; 32]), (url.clone(), retry_at));
    let nonce = nonce_of(&url);
    assert_eq!(nonce.len(), 32, "128 bits in hex: {nonce}");
    assert!(nonce.bytes().all(|b| b.is_ascii_hexdigit()), "{nonce}");
    // Other entropy: another nonce and another jitter.
    let (other, other_retry_at) = first_vod_call([8; 32]);
    assert_ne!(nonce_of(&other), nonce);
    assert_ne!(other_retry_at, retry_at);
}
