//! The engine under simulated faults, deterministic to the millisecond.
#![cfg(not(target_arch = "wasm32"))]

mod broken;
mod files;
mod grants;
mod sim;
mod streams;
// vod-local's own signature checks, which the simulation's OSS and VOD check with too.
#[path = "../../server/src/signing.rs"]
mod signing;
mod vod;

use std::rc::Rc;

use sim::{decode_auth, Ending, Fault, Logged, Refresh, SimFile, SimPlatform, StsAnswer, World};
use vod_upload::engine::{Described, Event, FileState, Grant, Options, Uploader};
use vod_upload::error::{Code, UploadError};
use vod_upload::vod::meta::Meta;

const KIB: usize = 1024;

fn bytes(len: usize, seed: u8) -> Rc<Vec<u8>> {
    Rc::new(
        (0..len)
            .map(|i| (i as u32).wrapping_mul(2654435761).to_le_bytes()[1] ^ seed)
            .collect(),
    )
}

fn options() -> Options {
    Options {
        part_size: 100 * KIB as u64,
        parallel: 3,
        retry_count: 3,
        retry_duration_ms: 100,
        timeout_ms: 5_000,
        vod_endpoint: vod::ENDPOINT.into(),
        ..Options::default()
    }
}

fn uploader(world: &Rc<World>) -> Uploader<SimPlatform> {
    Uploader::new(world.platform(), options()).unwrap()
}

/// What the browser would tell of a file of that name and content, last changed at `date`.
fn described(name: &str, file: &[u8], date: f64) -> Described {
    Described {
        name: name.into(),
        size: file.len() as u64,
        content_type: "video/mp4".into(),
        last_modified: date,
        meta: Default::default(),
    }
}

const DATE: f64 = 1_600_000_000_000.0;

fn add(up: &Uploader<SimPlatform>, name: &str, file: &Rc<Vec<u8>>) -> usize {
    up.add(SimFile::new(file), described(name, file, DATE), None)
        .unwrap()
}

/// The object the server assembled for the only completed upload of `key`.
fn stored(world: &World) -> Vec<Vec<u8>> {
    world.oss.borrow().objects.values().cloned().collect()
}

fn succeeded(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Succeeded(info) => Some(info.name.clone()),
            _ => None,
        })
        .collect()
}

/// Progress per file never goes backwards and never passes the size (a stream's is 0 until it
/// ends).
fn assert_progress_monotone(events: &[Event]) {
    let mut last: std::collections::HashMap<usize, u64> = Default::default();
    for event in events {
        if let Event::Progress(info) = event {
            let previous = last.insert(info.index, info.loaded).unwrap_or(0);
            assert!(
                info.loaded >= previous,
                "progress went back from {previous} to {}",
                info.loaded
            );
            assert!(info.loaded <= info.size || info.size == 0);
        }
    }
}

/// No part that the server answered 200 for is ever sent again.
fn assert_no_acknowledged_part_resent(log: &[Logged]) {
    let mut acknowledged = std::collections::HashSet::new();
    for entry in log.iter().filter(|l| l.call == "UploadPart") {
        let part = (&entry.key, entry.part.unwrap());
        assert!(
            !acknowledged.contains(&part),
            "part {part:?} was sent again after the server acknowledged it"
        );
        if entry.ending == Some(Ending::Answered(200)) {
            acknowledged.insert(part);
        }
    }
}

/// The indexes of the files in the `Started` events, in order.
fn started(events: &[Event]) -> Vec<usize> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Started(f) => Some(f.index),
            _ => None,
        })
        .collect()
}

fn count(events: &[Event], pick: impl Fn(&Event) -> bool) -> usize {
    events.iter().filter(|e| pick(e)).count()
}

#[test]
fn three_files_upload_in_order_and_arrive_byte_identical() {
    let world = World::new();
    let up = uploader(&world);
    let files = [bytes(1, 1), bytes(250 * KIB, 2), bytes(1000 * KIB + 7, 3)];
    for (i, f) in files.iter().enumerate() {
        assert_eq!(add(&up, &format!("f{i}.mp4"), f), i);
    }
    let events = start_and_run(&world, &up);
    assert_eq!(succeeded(&events), ["f0.mp4", "f1.mp4", "f2.mp4"]);
    assert_eq!(events.last(), Some(&Event::End));
    let mut objects = stored(&world);
    objects.sort_by_key(|o| o.len());
    assert_eq!(
        objects,
        files.iter().map(|f| f.to_vec()).collect::<Vec<_>>()
    );
    // Started in the order added; file 2 was under way before file 1 was done.
    assert_eq!(started(&events), [0, 1, 2]);
    let position = |pick: &dyn Fn(&Event) -> bool| events.iter().position(pick).unwrap();
    assert!(
        position(&|e| matches!(e, Event::Started(f) if f.index == 2))
            < position(&|e| matches!(e, Event::Succeeded(f) if f.index == 1))
    );
    assert_progress_monotone(&events);
    for info in up.list_files() {
        assert_eq!(
            (info.state, info.loaded, info.percent),
            (FileState::Success, info.size, 100.0)
        );
        assert!(info.video_id.is_some() && info.object.is_some());
    }
    assert!(max_in_flight(&world.log()) <= 3);
}

/// The most requests ever in flight at once.
fn max_in_flight(log: &[Logged]) -> usize {
    log.iter()
        .map(|entry| {
            log.iter()
                .filter(|o| {
                    o.sent_at <= entry.sent_at && o.ended_at.is_none_or(|end| end > entry.sent_at)
                })
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn expiry_with_parts_in_flight_stops_everything_and_resumes_with_only_missing_parts() {
    let world = World::new();
    let up = uploader(&world);
    let file = bytes(1000 * KIB, 9);
    add(&up, "movie.mp4", &file);
    world.oss.borrow_mut().expire_after_parts = Some(5);
    let events = start_and_run(&world, &up);
    assert_eq!(count(&events, |e| matches!(e, Event::TokenExpired(_))), 1);
    assert!(!events.contains(&Event::End));
    assert_eq!(up.list_files()[0].state, FileState::Expired);
    let log = world.log();
    let first_expired = log
        .iter()
        .position(|l| l.ending == Some(Ending::Answered(403)))
        .unwrap();
    let expired_at = log[first_expired].sent_at + sim::LATENCY_MS;
    assert!(
        log.iter().all(|l| l.sent_at <= expired_at),
        "a request was sent after expiry"
    );
    let requests_before = log.len();

    // New credentials for the same object; only the parts the server lacks go out again.
    let expired = match &events
        .iter()
        .find(|e| matches!(e, Event::TokenExpired(_)))
        .unwrap()
    {
        Event::TokenExpired(info) => info.clone(),
        _ => unreachable!(),
    };
    assert_eq!(expired.video_id.as_deref(), Some("video-movie.mp4"));
    let (auth, _) = world.mint(&expired.object.clone().unwrap(), 3_000_000.0);
    up.resume_with_token(Grant::Auth(decode_auth(&auth)))
        .unwrap();
    world.run();
    let events = world.take_events();
    assert_eq!(succeeded(&events), ["movie.mp4"]);
    assert_eq!(stored(&world), vec![file.to_vec()]);
    let log = world.log();
    assert_no_acknowledged_part_resent(&log);
    assert!(
        log[requests_before..]
            .iter()
            .all(|l| l.access_key_id != log[0].access_key_id),
        "old credentials used after resume"
    );
    assert_eq!(
        log[requests_before].method, "GET",
        "resume asks the server which parts it has"
    );
    assert_progress_monotone(&events);
}

#[test]
fn stop_and_start_ten_times_completes_without_resending_acknowledged_parts() {
    let world = World::new();
    let up = uploader(&world);
    let file = bytes(2000 * KIB + 3, 4);
    add(&up, "long.mp4", &file);
    let mut all_events = Vec::new();
    for _ in 0..10 {
        up.start().unwrap();
        world.run_for(27.0);
        up.stop();
        assert!(!up.is_running());
        all_events.extend(world.take_events());
        assert!(matches!(
            up.list_files()[0].state,
            FileState::Stopped | FileState::Success
        ));
        // Stopped really means quiet: nothing is sent while stopped.
        let before = world.log().len();
        world.run_for(1000.0);
        assert_eq!(world.log().len(), before);
    }
    up.start().unwrap();
    world.run();
    all_events.extend(world.take_events());
    assert_eq!(succeeded(&all_events), ["long.mp4"]);
    assert_eq!(stored(&world), vec![file.to_vec()]);
    let log = world.log();
    assert!(
        log.iter().any(|l| l.ending == Some(Ending::Aborted)),
        "stop aborts requests in flight"
    );
    assert_no_acknowledged_part_resent(&log);
    assert_progress_monotone(&all_events);
}

#[test]
fn deleting_an_uploading_file_aborts_its_multipart_upload_and_goes_on() {
    let world = World::new();
    let up = uploader(&world);
    let big = bytes(1500 * KIB, 5);
    let next = bytes(300 * KIB, 6);
    let big_index = add(&up, "big.mp4", &big);
    add(&up, "next.mp4", &next);
    up.start().unwrap();
    world.run_for(40.0);
    assert_eq!(up.list_files()[0].state, FileState::Uploading);
    up.delete_file(big_index).unwrap();
    world.run();
    let events = world.take_events();
    assert_eq!(succeeded(&events), ["next.mp4"]);
    let oss = world.oss.borrow();
    assert!(
        oss.uploads.values().all(|u| u.state != "open"),
        "an upload was left open"
    );
    assert!(oss.uploads.values().any(|u| u.state == "aborted"));
    assert!(world
        .log()
        .iter()
        .any(|l| l.method == "DELETE" && l.ending == Some(Ending::Answered(204))));
    assert_eq!(up.list_files().len(), 1);
    assert_eq!(
        up.delete_file(big_index).unwrap_err().code,
        Code::NoSuchFile
    );
}

#[test]
fn thirty_percent_transient_failures_complete_with_retry_events() {
    let world = World::new();
    let up = uploader(&world);
    let file = bytes(2000 * KIB, 7);
    add(&up, "flaky.mp4", &file);
    world.oss.borrow_mut().fail_fraction = Some(0.3);
    let events = start_and_run(&world, &up);
    assert_eq!(succeeded(&events), ["flaky.mp4"]);
    assert_eq!(stored(&world), vec![file.to_vec()]);
    let retries = count(
        &events,
        |e| matches!(e, Event::Retry(_, err) if err.code.as_str() == "ServiceUnavailable"),
    );
    let failed_requests = world
        .log()
        .iter()
        .filter(|l| l.ending == Some(Ending::Answered(503)))
        .count();
    assert!(
        retries >= 5 && retries == failed_requests,
        "{retries} retries for {failed_requests} failures"
    );
    assert!(count(&events, |e| matches!(e, Event::RetryResume(_))) >= 1);
    assert_progress_monotone(&events);
}

#[test]
fn fatal_errors_fail_the_file_with_the_code_and_no_retries() {
    let world = World::new();
    let up = uploader(&world);
    add(&up, "bad.mp4", &bytes(300 * KIB, 1));
    add(&up, "good.mp4", &bytes(150 * KIB, 2));
    world
        .oss
        .borrow_mut()
        .faults
        .push_back(Fault::Status(400, "InvalidDigest"));
    let events = start_and_run(&world, &up);
    let failed: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Failed(info, err) => Some((info.name.clone(), err.code.as_str().to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(
        failed,
        [("bad.mp4".to_string(), "InvalidDigest".to_string())]
    );
    assert_eq!(count(&events, |e| matches!(e, Event::Retry(..))), 0);
    assert_eq!(succeeded(&events), ["good.mp4"]);
    assert_eq!(events.last(), Some(&Event::End));
    let info = &up.list_files()[0];
    assert_eq!(
        (info.state, info.error.clone().map(|e| e.code)),
        (
            FileState::Failure,
            Some(Code::Server("InvalidDigest".into()))
        )
    );
    assert_progress_monotone(&events);
}

#[test]
fn a_wrong_secret_is_fatal_signature_does_not_match() {
    let world = World::new();
    let up = uploader(&world);
    world
        .auth_answers
        .borrow_mut()
        .insert("x.mp4".into(), Ok(world.mint_forged("sv/x.mp4")));
    add(&up, "x.mp4", &bytes(10, 1));
    let events = start_and_run(&world, &up);
    assert!(events.iter().any(
        |e| matches!(e, Event::Failed(_, err) if err.code.as_str() == "SignatureDoesNotMatch")
    ));
    assert_eq!(world.log().len(), 1);
}

#[test]
fn clock_skew_is_corrected_from_server_time_and_retried_once() {
    let world = World::new();
    let up = uploader(&world);
    world.oss.borrow_mut().server_skew_ms = 20.0 * 60_000.0;
    let file = bytes(250 * KIB, 3);
    add(&up, "skew.mp4", &file);
    up.start().unwrap();
    world.run();
    assert_eq!(succeeded(&world.take_events()), ["skew.mp4"]);
    let skewed = world
        .log()
        .iter()
        .filter(|l| l.ending == Some(Ending::Answered(403)))
        .count();
    assert_eq!(skewed, 1);
}

#[test]
fn hidden_etag_fails_naming_the_cors_rule() {
    let world = World::new();
    let up = uploader(&world);
    world.oss.borrow_mut().hide_etag = true;
    add(&up, "cors.mp4", &bytes(300 * KIB, 3));
    // A file of one part is one PutObject, which needs no ETag: it goes through.
    add(&up, "one part.mp4", &bytes(10, 4));
    let events = start_and_run(&world, &up);
    assert_eq!(succeeded(&events), ["one part.mp4"]);
    let error = events
        .iter()
        .find_map(|e| match e {
            Event::Failed(_, err) => Some(err.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(error.code, Code::CorsEtagNotExposed);
    assert!(error.message.contains("CORS") && error.message.contains("ETag"));
}

#[test]
fn credentials_that_cannot_be_had_fail_before_any_request() {
    let world = World::new();
    let up = uploader(&world);
    let (good_auth, good_address) = world.mint("sv/k", 1e6);
    let cases = [
        (
            "rejects.mp4",
            Err(sim_getter_failed()),
            Code::GetUploadAuthFailed,
        ),
        (
            "badauth.mp4",
            Ok(("bm90IGpzb24=".to_string(), good_address.clone())),
            Code::InvalidUploadAuth,
        ),
        (
            "badaddress.mp4",
            Ok((
                good_auth.clone(),
                base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    r#"{"Endpoint":"http://h","Bucket":"b"}"#,
                ),
            )),
            Code::InvalidUploadAddress,
        ),
    ];
    for (name, answer, _) in &cases {
        world
            .auth_answers
            .borrow_mut()
            .insert(name.to_string(), answer.clone());
        add(&up, name, &bytes(10, 1));
    }
    let events = start_and_run(&world, &up);
    for (name, _, expected) in cases {
        assert!(events.iter().any(|e| matches!(e, Event::Failed(info, err) if info.name == name && err.code == expected)), "{name}");
    }
    assert!(
        world.log().is_empty(),
        "a request went out with bad credentials"
    );
    assert_eq!(events.last(), Some(&Event::End));
}

fn sim_getter_failed() -> UploadError {
    UploadError::new(
        Code::GetUploadAuthFailed,
        "getUploadAuth rejected: backend down",
    )
}

#[test]
fn an_unreachable_server_is_retried_then_fails_with_network_error() {
    let world = World::new();
    let up = uploader(&world);
    add(&up, "net.mp4", &bytes(10, 1));
    for _ in 0..4 {
        world.oss.borrow_mut().faults.push_back(Fault::Network);
    }
    let events = start_and_run(&world, &up);
    assert_eq!(
        count(
            &events,
            |e| matches!(e, Event::Retry(_, err) if err.code == Code::NetworkError)
        ),
        3
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Failed(_, err) if err.code == Code::NetworkError)));
}

#[test]
fn a_stalled_request_times_out_and_is_retried() {
    let world = World::new();
    let up = uploader(&world);
    let file = bytes(10, 1);
    add(&up, "slow.mp4", &file);
    world
        .oss
        .borrow_mut()
        .faults
        .push_back(Fault::Stall(60_000.0));
    let events = start_and_run(&world, &up);
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Retry(_, err) if err.code == Code::Timeout)));
    assert_eq!(succeeded(&events), ["slow.mp4"]);
    assert!(
        world
            .log()
            .iter()
            .any(|l| l.ending == Some(Ending::Aborted)),
        "the timed-out request is aborted"
    );
}

#[test]
fn a_vanished_multipart_upload_starts_the_file_over() {
    let world = World::new();
    let up = uploader(&world);
    let file = bytes(600 * KIB, 8);
    add(&up, "gone.mp4", &file);
    up.start().unwrap();
    world.run_for(25.0);
    for upload in world.oss.borrow_mut().uploads.values_mut() {
        upload.state = "aborted";
    }
    world.run();
    let events = world.take_events();
    assert_eq!(succeeded(&events), ["gone.mp4"]);
    assert_eq!(stored(&world), vec![file.to_vec()]);
    assert_progress_monotone(&events);
}

#[test]
fn bad_calls_get_named_errors() {
    let world = World::new();
    let up = uploader(&world);
    assert_eq!(
        up.add(SimFile::default(), described("empty.mp4", &[], DATE), None)
            .unwrap_err()
            .code,
        Code::EmptyFile
    );
    assert_eq!(up.delete_file(42).unwrap_err().code, Code::NoSuchFile);
    assert_eq!(
        up.resume_with_token(Grant::Auth(decode_auth(&world.mint("k", 1.0).0)))
            .unwrap_err()
            .code,
        Code::NotExpired
    );
    add(&up, "a.mp4", &bytes(10, 0));
    up.start().unwrap();
    assert_eq!(up.start().unwrap_err().code, Code::AlreadyStarted);
    let small = Options {
        part_size: 100 * 1024 - 1,
        ..options()
    };
    assert_eq!(
        Uploader::new(world.platform(), small).err().unwrap().code,
        Code::InvalidPartSize
    );
    let zero = Options {
        parallel: 0,
        ..options()
    };
    assert_eq!(
        Uploader::new(world.platform(), zero).err().unwrap().code,
        Code::InvalidArgument
    );
}

#[test]
fn no_secret_in_file_infos_or_events() {
    let world = World::new();
    let up = uploader(&world);
    add(&up, "s.mp4", &bytes(10, 0));
    world
        .oss
        .borrow_mut()
        .faults
        .push_back(Fault::Status(403, "AccessDenied"));
    up.start().unwrap();
    world.run();
    let everything = format!("{:?}{:?}", world.take_events(), up.list_files());
    assert!(
        !everything.contains("secret") && !everything.contains("token1"),
        "{everything}"
    );
}

/// Starts the uploader and runs the world until nothing moves; the events it raised.
fn start_and_run(world: &World, up: &Uploader<SimPlatform>) -> Vec<Event> {
    up.start().unwrap();
    world.run();
    world.take_events()
}

fn codes_of_retries(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Retry(_, err) => Some(err.code.as_str().to_string()),
            _ => None,
        })
        .collect()
}

/// No multipart upload is left open on the server.
fn assert_no_open_upload(world: &World) {
    let oss = world.oss.borrow();
    let open = oss.uploads.values().filter(|u| u.state == "open").count();
    assert_eq!(open, 0, "{open} multipart uploads left open");
}

#[test]
fn offline_for_ten_minutes_mid_upload_waits_then_finishes_without_using_a_retry() {
    let world = World::new();
    let up = uploader(&world);
    let file = bytes(1500 * KIB, 11);
    add(&up, "train.mp4", &file);
    up.start().unwrap();
    world.run_for(25.0);
    world.set_network(false, false);
    world.run_for(1.0);
    assert_eq!(up.list_files()[0].state, FileState::Waiting);
    let quiet_from = world.log().len();
    world.run_for(600_000.0);
    assert_eq!(
        world.log().len(),
        quiet_from,
        "a request was sent while offline"
    );
    assert_eq!(up.list_files()[0].state, FileState::Waiting);
    let online_at = world.now();
    world.set_network(true, false);
    world.run();
    let events = world.take_events();
    assert_eq!(succeeded(&events), ["train.mp4"]);
    assert_eq!(codes_of_retries(&events), ["NetworkOffline"]);
    assert_eq!(count(&events, |e| matches!(e, Event::RetryResume(_))), 1);
    assert_eq!(count(&events, |e| matches!(e, Event::Failed(..))), 0);
    let log = world.log();
    let next = log[quiet_from..].first().unwrap();
    assert!(
        next.sent_at - online_at < 1000.0,
        "went on after {} ms",
        next.sent_at - online_at
    );
    // Parts in flight when the network went were sent again: none of them counts as done.
    assert!(log
        .iter()
        .any(|l| matches!(l.ending, Some(Ending::Aborted) | Some(Ending::NetworkError))));
    assert_eq!(stored(&world), vec![file.to_vec()]);
    assert_no_acknowledged_part_resent(&log);
    assert_progress_monotone(&events);
    assert_no_open_upload(&world);
}

#[test]
fn offline_online_offline_online_finishes() {
    let world = World::new();
    let up = uploader(&world);
    let file = bytes(2000 * KIB, 12);
    add(&up, "bumpy.mp4", &file);
    up.start().unwrap();
    for _ in 0..2 {
        world.run_for(25.0);
        world.set_network(false, false);
        world.run_for(30_000.0);
        assert_eq!(up.list_files()[0].state, FileState::Waiting);
        world.set_network(true, false);
    }
    world.run();
    let events = world.take_events();
    assert_eq!(succeeded(&events), ["bumpy.mp4"]);
    assert_eq!(
        codes_of_retries(&events),
        ["NetworkOffline", "NetworkOffline"]
    );
    assert_eq!(count(&events, |e| matches!(e, Event::RetryResume(_))), 2);
    assert_eq!(stored(&world), vec![file.to_vec()]);
    assert_no_acknowledged_part_resent(&world.log());
    assert_progress_monotone(&events);
}

#[test]
fn going_offline_before_credentials_waits_instead_of_failing() {
    let world = World::new();
    let up = uploader(&world);
    let file = bytes(300 * KIB, 13);
    add(&up, "early.mp4", &file);
    world.set_network(false, false);
    up.start().unwrap();
    world.run_for(60_000.0);
    assert_eq!(up.list_files()[0].state, FileState::Waiting);
    assert!(world.log().is_empty());
    world.set_network(true, false);
    world.run();
    assert_eq!(succeeded(&world.take_events()), ["early.mp4"]);
}

#[test]
fn cellular_waits_with_pause_on_cellular_and_goes_on_over_wifi() {
    let world = World::new();
    let up = Uploader::new(
        world.platform(),
        Options {
            pause_on_cellular: true,
            ..options()
        },
    )
    .unwrap();
    let file = bytes(1500 * KIB, 14);
    add(&up, "phone.mp4", &file);
    up.start().unwrap();
    world.run_for(25.0);
    world.set_network(true, true);
    world.run_for(1.0);
    let quiet_from = world.log().len();
    world.run_for(120_000.0);
    assert_eq!(up.list_files()[0].state, FileState::Waiting);
    assert_eq!(world.log().len(), quiet_from, "sent over cellular");
    world.set_network(true, false);
    world.run();
    let events = world.take_events();
    assert_eq!(succeeded(&events), ["phone.mp4"]);
    assert_eq!(codes_of_retries(&events), ["CellularNetwork"]);
    assert_eq!(count(&events, |e| matches!(e, Event::RetryResume(_))), 1);
    assert_eq!(stored(&world), vec![file.to_vec()]);
    assert_no_acknowledged_part_resent(&world.log());
}

#[test]
fn cellular_changes_nothing_without_pause_on_cellular() {
    let world = World::new();
    let up = uploader(&world);
    add(&up, "any.mp4", &bytes(600 * KIB, 15));
    world.set_network(true, true);
    let events = start_and_run(&world, &up);
    assert_eq!(succeeded(&events), ["any.mp4"]);
    assert!(codes_of_retries(&events).is_empty());
}

/// Parts slowed to 300 ms each, so that an upload of `parts` parts lasts a while.
fn slow_parts(world: &World, parts: usize) {
    world
        .oss
        .borrow_mut()
        .faults
        .extend((0..parts).map(|_| Fault::Stall(300.0)));
}

/// A 30-part upload of 300 ms parts (over 3 s) with credentials that live 2 s, and the page's
/// `refreshUploadAuth` as given; run until nothing moves.
fn outlive_credentials(
    name: &str,
    refresh: Option<Refresh>,
) -> (Rc<World>, Uploader<SimPlatform>, Rc<Vec<u8>>, Vec<Event>) {
    let world = World::new();
    world.ttl_ms.set(2_000.0);
    world.refresh.set(refresh);
    let up = uploader(&world);
    let file = bytes(3000 * KIB, 16);
    add(&up, name, &file);
    slow_parts(&world, 30);
    let events = start_and_run(&world, &up);
    (world, up, file, events)
}

#[test]
fn credentials_are_refreshed_ahead_of_expiry_without_aborting_parts_in_flight() {
    let (world, _up, file, events) = outlive_credentials("long.mp4", Some(Refresh::Works));
    assert_eq!(succeeded(&events), ["long.mp4"]);
    assert_eq!(count(&events, |e| matches!(e, Event::TokenExpired(_))), 0);
    let log = world.log();
    assert!(
        world.now() - log[0].sent_at > 3_000.0,
        "the upload outlived its credentials"
    );
    assert!(
        world.refreshes.get() >= 2,
        "{} refreshes",
        world.refreshes.get()
    );
    assert!(
        log.iter().all(|l| l.ending != Some(Ending::Aborted)),
        "a request was aborted"
    );
    assert!(
        log.iter().all(|l| l.ending == Some(Ending::Answered(200))),
        "a request met expired credentials"
    );
    let keys: std::collections::HashSet<_> = log.iter().map(|l| &l.access_key_id).collect();
    assert!(
        keys.len() >= 3,
        "parts went out with {} credentials",
        keys.len()
    );
    assert_eq!(stored(&world), vec![file.to_vec()]);
}

#[test]
fn credentials_expired_early_are_renewed_once_without_token_expired() {
    let world = World::new();
    world.refresh.set(Some(Refresh::Works));
    let up = uploader(&world);
    let file = bytes(1000 * KIB, 17);
    add(&up, "early-expiry.mp4", &file);
    world.oss.borrow_mut().expire_after_parts = Some(5);
    let events = start_and_run(&world, &up);
    assert_eq!(succeeded(&events), ["early-expiry.mp4"]);
    assert_eq!(count(&events, |e| matches!(e, Event::TokenExpired(_))), 0);
    // Parts in flight all met the expiry; one renewal served them all.
    assert_eq!(world.refreshes.get(), 1);
    assert_eq!(stored(&world), vec![file.to_vec()]);
    assert_no_acknowledged_part_resent(&world.log());
}

#[test]
fn a_failing_refresh_falls_back_to_token_expired_and_resume_with_token() {
    let (world, up, file, events) = outlive_credentials("fallback.mp4", Some(Refresh::Fails));
    assert_eq!(count(&events, |e| matches!(e, Event::TokenExpired(_))), 1);
    assert_eq!(up.list_files()[0].state, FileState::Expired);
    assert_eq!(world.refreshes.get(), 1);
    assert!(!up.is_running());
    let object = up.list_files()[0].object.clone().unwrap();
    world.ttl_ms.set(3_000_000.0);
    let (auth, _) = world.mint(&object, 3_000_000.0);
    up.resume_with_token(Grant::Auth(decode_auth(&auth)))
        .unwrap();
    world.run();
    assert_eq!(succeeded(&world.take_events()), ["fallback.mp4"]);
    assert_eq!(stored(&world), vec![file.to_vec()]);
    assert_no_acknowledged_part_resent(&world.log());
}

#[test]
fn without_refresh_upload_auth_expiry_is_the_seed_flow() {
    let (world, _up, _file, events) = outlive_credentials("seed.mp4", None);
    assert_eq!(count(&events, |e| matches!(e, Event::TokenExpired(_))), 1);
    assert_eq!(world.refreshes.get(), 0);
    // Expired keeps the multipart upload open: it can be resumed.
    assert_eq!(
        world
            .oss
            .borrow()
            .uploads
            .values()
            .filter(|u| u.state == "open")
            .count(),
        1
    );
}

#[test]
fn a_fatal_error_mid_upload_aborts_the_multipart_upload() {
    let world = World::new();
    let up = uploader(&world);
    add(&up, "denied.mp4", &bytes(1000 * KIB, 20));
    {
        let mut oss = world.oss.borrow_mut();
        oss.faults
            .extend((0..4).map(|_| Fault::Stall(sim::LATENCY_MS)));
        oss.faults.push_back(Fault::Status(403, "AccessDenied"));
    }
    let events = start_and_run(&world, &up);
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Failed(_, err) if err.code.as_str() == "AccessDenied")));
    let aborts: Vec<_> = world
        .log()
        .into_iter()
        .filter(|l| l.method == "DELETE")
        .collect();
    assert_eq!(aborts.len(), 1, "one Abort, best effort");
    assert_eq!(aborts[0].ending, Some(Ending::Answered(204)));
    assert_no_open_upload(&world);
    let info = &up.list_files()[0];
    assert_eq!(info.state, FileState::Failure);
    assert!(
        info.video_id.is_some(),
        "a failed file still names its video"
    );
}

#[test]
fn retries_used_up_abort_the_multipart_upload() {
    let world = World::new();
    let up = uploader(&world);
    add(&up, "flaky.mp4", &bytes(300 * KIB, 21));
    world.oss.borrow_mut().fail_fraction = Some(1.0);
    let events = start_and_run(&world, &up);
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Failed(_, err) if err.code.as_str() == "ServiceUnavailable")));
    assert_no_open_upload(&world);
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Start,
    Stop,
    Delete,
}

fn kind_of(event: &Event) -> &'static str {
    match event {
        Event::Started(_) => "started",
        Event::Progress(_) => "progress",
        Event::Succeeded(_) => "succeeded",
        Event::Failed(..) => "failed",
        Event::TokenExpired(_) => "expired",
        Event::Retry(..) => "retry",
        Event::RetryResume(_) => "retryResume",
        Event::End => "end",
    }
}

fn index_of(event: &Event) -> Option<usize> {
    match event {
        Event::Started(i)
        | Event::Progress(i)
        | Event::Succeeded(i)
        | Event::Failed(i, _)
        | Event::TokenExpired(i)
        | Event::Retry(i, _)
        | Event::RetryResume(i) => Some(i.index),
        Event::End => None,
    }
}

/// Three files that, between them, raise every kind of event: a retried part, a fatal error,
/// credentials that expire before the first request.
fn every_event_scenario(world: &Rc<World>, up: &Uploader<SimPlatform>) {
    add(up, "retried.mp4", &bytes(300 * KIB, 1));
    add(up, "fatal.mp4", &bytes(200 * KIB, 2));
    add(up, "expiring.mp4", &bytes(300 * KIB, 3));
    world
        .oss
        .borrow_mut()
        .faults
        .push_back(Fault::Status(503, "ServiceUnavailable"));
    let mut answers = world.auth_answers.borrow_mut();
    answers.insert("fatal.mp4".into(), Ok(world.mint_forged("sv/fatal.mp4")));
    answers.insert(
        "expiring.mp4".into(),
        Ok(world.mint("sv/expiring.mp4", 5.0)),
    );
}

#[test]
fn a_callback_may_call_start_stop_or_delete_file_from_inside_every_callback() {
    let kinds = [
        "started",
        "progress",
        "retry",
        "retryResume",
        "succeeded",
        "failed",
        "expired",
        "end",
    ];
    for kind in kinds {
        for action in [Action::Start, Action::Stop, Action::Delete] {
            let world = World::new();
            let up = uploader(&world);
            every_event_scenario(&world, &up);
            let done = Rc::new(std::cell::Cell::new(false));
            let once = done.clone();
            *world.react.borrow_mut() = Some(Box::new(move |up, event| {
                if kind_of(event) != kind || once.replace(true) {
                    return;
                }
                match action {
                    Action::Start => {
                        let _ = up.start();
                    }
                    Action::Stop => up.stop(),
                    Action::Delete => {
                        let index = index_of(event).unwrap_or(0);
                        let _ = up.delete_file(index);
                    }
                }
                // The uploader answers from inside a callback too.
                let _ = up.list_files();
            }));
            up.start().unwrap();
            // Whatever the callback did, the page can bring every file to an end.
            for _ in 0..10 {
                world.run();
                let files = up.list_files();
                if let Some(expired) = files.iter().find(|f| f.state == FileState::Expired) {
                    let (auth, _) = world.mint(expired.object.as_ref().unwrap(), 3_000_000.0);
                    up.resume_with_token(Grant::Auth(decode_auth(&auth)))
                        .unwrap();
                } else if files
                    .iter()
                    .any(|f| matches!(f.state, FileState::Ready | FileState::Stopped))
                {
                    let _ = up.start();
                } else {
                    break;
                }
            }
            let files = up.list_files();
            assert!(done.get(), "{kind}/{action:?}: the callback never ran");
            assert!(
                files
                    .iter()
                    .all(|f| matches!(f.state, FileState::Success | FileState::Failure)),
                "{kind}/{action:?}: {files:?}"
            );
            if matches!(action, Action::Delete) {
                assert_eq!(files.len(), 2, "{kind}/{action:?}");
            }
            assert_no_open_upload(&world);
            assert_progress_monotone(&world.take_events());
        }
    }
}

const PREFIX: &str = vod_upload::engine::checkpoint::PREFIX;

fn checkpoints(world: &World) -> Vec<(String, String)> {
    world
        .storage
        .borrow()
        .iter()
        .filter(|(k, _)| k.starts_with(PREFIX))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A page that uploads part of `file`, then goes away (its requests aborted, as on unload).
fn upload_half(world: &Rc<World>, name: &str, file: &Rc<Vec<u8>>) -> String {
    let up = uploader(world);
    add(&up, name, file);
    up.start().unwrap();
    world.run_for(45.0);
    up.stop();
    let info = up.list_files()[0].clone();
    assert!(info.loaded > 0 && info.loaded < info.size, "{info:?}");
    world.take_events();
    info.video_id.unwrap()
}

#[test]
fn a_checkpoint_holds_where_the_upload_is_and_no_secret() {
    let world = World::new();
    let file = bytes(1000 * KIB, 30);
    upload_half(&world, "cp.mp4", &file);
    let stored = checkpoints(&world);
    assert_eq!(stored.len(), 1);
    let (_, value) = &stored[0];
    let checkpoint = vod_upload::engine::checkpoint::Checkpoint::decode(value).unwrap();
    let oss = world.oss.borrow();
    assert!(oss.uploads.contains_key(&checkpoint.upload_id));
    assert_eq!(checkpoint.video_id.as_deref(), Some("video-cp.mp4"));
    assert_eq!(checkpoint.part_size, 100 * KIB as u64);
    assert!(checkpoint.loaded > 0);
    assert!(
        !value.contains("secret") && !value.contains("token"),
        "{value}"
    );
    assert!(value.len() < 400, "{} bytes: {value}", value.len());
}

#[test]
fn after_a_reload_the_same_file_resumes_in_the_same_video_sending_only_what_is_missing() {
    for refresh in [None, Some(Refresh::Works)] {
        let world = World::new();
        world.refresh.set(refresh);
        let file = bytes(1000 * KIB, 31);
        let video = upload_half(&world, "reload.mp4", &file);
        let sent_before = world.log().len();
        // The page after the reload.
        let up = uploader(&world);
        add(&up, "reload.mp4", &file);
        let info = up.list_files()[0].clone();
        assert_eq!(info.state, FileState::Ready);
        assert!(info.resumed && info.loaded > 0, "{info:?}");
        assert_eq!(info.video_id.as_deref(), Some(video.as_str()));
        up.start().unwrap();
        world.run();
        let events = world.take_events();
        assert_eq!(succeeded(&events), ["reload.mp4"], "{refresh:?}");
        let done = &up.list_files()[0];
        assert_eq!(done.video_id.as_deref(), Some(video.as_str()));
        assert_eq!(stored(&world), vec![file.to_vec()]);
        let log = world.log();
        assert_eq!(
            log[sent_before].method, "GET",
            "asks the server what it has"
        );
        assert_eq!(
            world.oss.borrow().uploads.len(),
            1,
            "no new multipart upload"
        );
        assert_no_acknowledged_part_resent(&log);
        assert_progress_monotone(&events);
        assert!(checkpoints(&world).is_empty(), "removed on success");
        assert_eq!(world.refreshes.get(), u32::from(refresh.is_some()));
    }
}

#[test]
fn a_different_date_is_a_different_file() {
    let world = World::new();
    let file = bytes(1000 * KIB, 32);
    upload_half(&world, "dated.mp4", &file);
    let up = uploader(&world);
    up.add(
        SimFile::new(&file),
        described("dated.mp4", &file, DATE + 1.0),
        None,
    )
    .unwrap();
    let info = &up.list_files()[0];
    assert!(!info.resumed && info.loaded == 0, "{info:?}");
}

#[test]
fn another_file_with_the_same_name_size_and_date_uploads_as_a_new_video() {
    let world = World::new();
    let first = bytes(1000 * KIB, 33);
    upload_half(&world, "same.mp4", &first);
    let old_upload = world.oss.borrow().uploads.keys().next().unwrap().clone();
    let second = bytes(1000 * KIB, 34);
    let up = uploader(&world);
    add(&up, "same.mp4", &second);
    assert!(up.list_files()[0].resumed);
    up.start().unwrap();
    world.run();
    assert_eq!(succeeded(&world.take_events()), ["same.mp4"]);
    assert_eq!(stored(&world), vec![second.to_vec()]);
    let oss = world.oss.borrow();
    assert_eq!(oss.uploads[&old_upload].state, "aborted");
    assert_eq!(oss.uploads.len(), 2, "a new multipart upload");
    drop(oss);
    assert!(checkpoints(&world).is_empty());
}

#[test]
fn an_upload_the_server_forgot_starts_over() {
    let world = World::new();
    let file = bytes(800 * KIB, 35);
    upload_half(&world, "forgot.mp4", &file);
    for upload in world.oss.borrow_mut().uploads.values_mut() {
        upload.state = "aborted";
    }
    let up = uploader(&world);
    add(&up, "forgot.mp4", &file);
    up.start().unwrap();
    world.run();
    assert_eq!(succeeded(&world.take_events()), ["forgot.mp4"]);
    assert_eq!(stored(&world), vec![file.to_vec()]);
    assert!(checkpoints(&world).is_empty());
}

#[test]
fn credentials_that_cannot_be_had_on_resume_start_the_file_over() {
    let world = World::new();
    world.refresh.set(Some(Refresh::Fails));
    let file = bytes(800 * KIB, 36);
    upload_half(&world, "noauth.mp4", &file);
    let up = uploader(&world);
    add(&up, "noauth.mp4", &file);
    up.start().unwrap();
    world.run();
    assert_eq!(succeeded(&world.take_events()), ["noauth.mp4"]);
    assert_eq!(stored(&world), vec![file.to_vec()]);
    assert_eq!(
        world.oss.borrow().uploads.len(),
        2,
        "uploaded from the start"
    );
}

#[test]
fn old_checkpoints_are_cleared_and_checkpoints_can_be_turned_off() {
    let world = World::new();
    let file = bytes(1000 * KIB, 37);
    upload_half(&world, "old.mp4", &file);
    assert_eq!(checkpoints(&world).len(), 1);
    world
        .storage
        .borrow_mut()
        .insert(format!("{PREFIX}junk"), "not json".into());
    world.advance(8.0 * 24.0 * 3600.0 * 1000.0);
    let _up = uploader(&world);
    assert!(checkpoints(&world).is_empty(), "a week old, or unreadable");

    let world = World::new();
    let up = Uploader::new(
        world.platform(),
        Options {
            checkpoint_max_age_ms: None,
            ..options()
        },
    )
    .unwrap();
    add(&up, "off.mp4", &file);
    up.start().unwrap();
    world.run_for(45.0);
    assert!(world.storage.borrow().is_empty());
}

#[test]
fn delete_file_aborts_then_removes_the_checkpoint() {
    let world = World::new();
    let up = uploader(&world);
    add(&up, "deleted.mp4", &bytes(1000 * KIB, 38));
    up.start().unwrap();
    world.run_for(45.0);
    assert_eq!(checkpoints(&world).len(), 1);
    up.delete_file(0).unwrap();
    world.run();
    assert!(checkpoints(&world).is_empty());
    assert_no_open_upload(&world);
}

fn sts_uploader(world: &Rc<World>) -> Uploader<SimPlatform> {
    Uploader::new(
        world.platform(),
        Options {
            sts: true,
            ..options()
        },
    )
    .unwrap()
}

fn add_with(up: &Uploader<SimPlatform>, name: &str, file: &Rc<Vec<u8>>, kind: &str, meta: Meta) {
    up.add(
        SimFile::new(file),
        Described {
            content_type: kind.into(),
            meta,
            ..described(name, file, DATE)
        },
        None,
    )
    .unwrap();
}

#[test]
fn sts_mode_asks_vod_for_the_upload_with_the_files_metadata() {
    let world = World::new();
    let up = sts_uploader(&world);
    let file = bytes(500 * KIB, 40);
    let meta = Meta {
        title: Some("我的 视频 *+/~(1)".into()),
        tags: vec!["a".into(), "b".into()],
        cate_id: Some(9),
        user_data: Some(r#"{"k":"v"}"#.into()),
        ..Meta::default()
    };
    add_with(&up, "trip.mp4", &file, "video/mp4", meta);
    add_with(&up, "song.mp3", &file, "audio/mpeg", Meta::default());
    add_with(
        &up,
        "cover.png",
        &bytes(5 * KIB, 41),
        "image/png",
        Meta::default(),
    );
    let events = start_and_run(&world, &up);
    // Files overlap, so the small image may finish before the audio ahead of it.
    let mut done = succeeded(&events);
    done.sort();
    assert_eq!(done, ["cover.png", "song.mp3", "trip.mp4"]);
    let calls = world.vod.borrow().calls.clone();
    let actions: Vec<&str> = calls.iter().map(|c| c["Action"].as_str()).collect();
    assert_eq!(
        actions,
        [
            "CreateUploadVideo",
            "CreateUploadVideo",
            "CreateUploadImage"
        ]
    );
    assert_eq!(calls[0]["Title"], "我的 视频 *+/~(1)");
    assert_eq!(calls[0]["Tags"], "a,b");
    assert_eq!(calls[0]["CateId"], "9");
    assert_eq!(calls[0]["UserData"], r#"{"k":"v"}"#);
    assert_eq!(
        calls[1]["Title"], "song",
        "the file name without its extension"
    );
    assert_eq!(calls[2]["ImageExt"], "png");
    let files = up.list_files();
    assert_eq!(files[0].video_id.as_deref(), Some("video-trip.mp4"));
    let (image_id, image_url) = files[2].image.clone().unwrap();
    assert!(image_id.starts_with("image-") && image_url.ends_with(".png"));
    assert!(files[2].video_id.is_none());
    // One STS token served every call.
    assert_eq!(world.sts_calls.get(), 1);
    let everything = format!("{events:?}{files:?}");
    assert!(!everything.contains("secret"), "{everything}");
}

#[test]
fn sts_mode_renews_the_token_and_the_credentials_while_uploading() {
    let world = World::new();
    world.ttl_ms.set(2_000.0);
    world.sts_ttl_ms.set(1_500.0);
    let up = sts_uploader(&world);
    let file = bytes(3000 * KIB, 42);
    add(&up, "long.mp4", &file);
    slow_parts(&world, 30);
    let events = start_and_run(&world, &up);
    assert_eq!(succeeded(&events), ["long.mp4"]);
    assert_eq!(count(&events, |e| matches!(e, Event::TokenExpired(_))), 0);
    let refreshes = world
        .vod
        .borrow()
        .calls
        .iter()
        .filter(|c| c["Action"] == "RefreshUploadVideo")
        .count();
    assert!(refreshes >= 2, "{refreshes} RefreshUploadVideo calls");
    assert!(
        world.sts_calls.get() >= 2,
        "{} getSTSToken calls",
        world.sts_calls.get()
    );
    assert_eq!(stored(&world), vec![file.to_vec()]);
}

#[test]
fn sts_mode_retries_transient_vod_failures() {
    let world = World::new();
    world.vod.borrow_mut().faults.extend([503, 500]);
    let up = sts_uploader(&world);
    add(&up, "busy.mp4", &bytes(300 * KIB, 43));
    let events = start_and_run(&world, &up);
    assert_eq!(succeeded(&events), ["busy.mp4"]);
    assert_eq!(
        codes_of_retries(&events),
        ["ServiceUnavailable", "ServiceUnavailable"]
    );
}

#[test]
fn a_wrong_sts_secret_fails_with_vods_code_before_any_oss_request() {
    let world = World::new();
    world.sts.set(StsAnswer::WrongSecret);
    let up = sts_uploader(&world);
    add(&up, "denied.mp4", &bytes(300 * KIB, 44));
    let events = start_and_run(&world, &up);
    assert!(events.iter().any(
        |e| matches!(e, Event::Failed(_, err) if err.code.as_str() == "SignatureDoesNotMatch")
    ));
    assert!(
        world.log().iter().all(|l| l.access_key_id.is_empty()),
        "no OSS request"
    );
    assert!(world.oss.borrow().uploads.is_empty());
}

#[test]
fn a_failing_get_sts_token_waits_for_resume_upload_with_token() {
    let world = World::new();
    world.sts.set(StsAnswer::Fails);
    let up = sts_uploader(&world);
    let file = bytes(300 * KIB, 45);
    add(&up, "later.mp4", &file);
    let events = start_and_run(&world, &up);
    assert_eq!(count(&events, |e| matches!(e, Event::TokenExpired(_))), 1);
    assert_eq!(up.list_files()[0].state, FileState::Expired);
    let refused = up.resume_with_token(Grant::Auth(decode_auth(&world.mint("k", 1e6).0)));
    assert_eq!(
        refused.unwrap_err().code,
        Code::InvalidArgument,
        "STS mode takes an STS token"
    );
    up.resume_with_token(Grant::Sts(world.sts_token(3_600_000.0)))
        .unwrap();
    world.run();
    assert_eq!(succeeded(&world.take_events()), ["later.mp4"]);
    assert_eq!(stored(&world), vec![file.to_vec()]);
}

#[test]
fn bad_metadata_is_refused_at_add_file() {
    let world = World::new();
    let up = sts_uploader(&world);
    let file = bytes(10, 46);
    let error = up
        .add(
            SimFile::new(&file),
            Described {
                meta: Meta {
                    title: Some("x".repeat(129)),
                    ..Meta::default()
                },
                ..described("long title.mp4", &file, DATE)
            },
            None,
        )
        .unwrap_err();
    assert_eq!(error.code, Code::InvalidArgument);
    assert!(up.list_files().is_empty());
}

#[test]
fn vods_quote_of_the_security_token_never_reaches_the_page() {
    let world = World::new();
    world.sts.set(StsAnswer::WrongSecret);
    let up = sts_uploader(&world);
    add(&up, "quoted.mp4", &bytes(10, 47));
    up.start().unwrap();
    world.run();
    let events = format!("{:?}{:?}", world.take_events(), up.list_files());
    assert!(events.contains("SignatureDoesNotMatch"));
    assert!(events.contains("***"), "{events}");
    assert!(!events.contains("token"), "{events}");
}

#[test]
fn sts_mode_resumes_after_a_reload_through_refresh_upload_video() {
    let world = World::new();
    let file = bytes(1000 * KIB, 48);
    let first = sts_uploader(&world);
    add(&first, "sts reload.mp4", &file);
    first.start().unwrap();
    world.run_for(55.0);
    first.stop();
    let half = first.list_files()[0].loaded;
    assert!(half > 0 && half < file.len() as u64, "{half}");
    world.take_events();
    let again = sts_uploader(&world);
    add(&again, "sts reload.mp4", &file);
    assert!(again.list_files()[0].resumed);
    again.start().unwrap();
    world.run();
    assert_eq!(succeeded(&world.take_events()), ["sts reload.mp4"]);
    let actions: Vec<String> = world
        .vod
        .borrow()
        .calls
        .iter()
        .map(|c| c["Action"].clone())
        .collect();
    assert_eq!(actions, ["CreateUploadVideo", "RefreshUploadVideo"]);
    assert_eq!(
        world.oss.borrow().uploads.len(),
        1,
        "the same multipart upload"
    );
    assert_eq!(stored(&world), vec![file.to_vec()]);
    assert_no_acknowledged_part_resent(&world.log());
}

#[test]
fn a_part_damaged_on_the_way_is_sent_again() {
    let world = World::new();
    let up = uploader(&world);
    let file = bytes(500 * KIB, 50);
    add(&up, "damaged once.mp4", &file);
    world.oss.borrow_mut().faults.push_back(Fault::Damage);
    let events = start_and_run(&world, &up);
    assert_eq!(succeeded(&events), ["damaged once.mp4"]);
    assert_eq!(codes_of_retries(&events), ["Crc64Mismatch"]);
    assert_eq!(stored(&world), vec![file.to_vec()]);
    let puts = world.log().iter().filter(|l| l.method == "PUT").count();
    assert_eq!(puts, 6, "5 parts, one of them twice");
    assert!(world.warnings.borrow().is_empty());
}

#[test]
fn a_part_damaged_on_every_try_fails_the_file_and_aborts() {
    let world = World::new();
    let up = uploader(&world);
    add(&up, "always damaged.mp4", &bytes(50 * KIB, 51));
    world
        .oss
        .borrow_mut()
        .faults
        .extend((0..4).map(|_| Fault::Damage));
    let events = start_and_run(&world, &up);
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Failed(_, err) if err.code == Code::Crc64Mismatch)));
    assert_eq!(codes_of_retries(&events).len(), 3, "retryCount re-sends");
    assert_no_open_upload(&world);
}

#[test]
fn a_whole_object_that_is_not_the_file_fails_with_crc64_mismatch() {
    let world = World::new();
    world.oss.borrow_mut().damage_object = true;
    let up = uploader(&world);
    add(&up, "object.mp4", &bytes(300 * KIB, 52));
    let events = start_and_run(&world, &up);
    let message = events
        .iter()
        .find_map(|e| match e {
            Event::Failed(_, err) if err.code == Code::Crc64Mismatch => Some(err.message.clone()),
            _ => None,
        })
        .expect("a Crc64Mismatch failure");
    assert!(message.contains("not the file"), "{message}");
}

#[test]
fn a_resumed_upload_hashes_the_parts_the_server_held_for_the_whole_object_check() {
    let world = World::new();
    let file = bytes(1000 * KIB, 53);
    upload_half(&world, "resumed crc.mp4", &file);
    world.oss.borrow_mut().damage_object = true;
    let up = uploader(&world);
    add(&up, "resumed crc.mp4", &file);
    let events = start_and_run(&world, &up);
    // Had the parts from before the reload gone unhashed, no whole-object check could be made.
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Failed(_, err) if err.code == Code::Crc64Mismatch)));
}

#[test]
fn without_the_crc_header_the_check_is_skipped_and_said_once() {
    let world = World::new();
    world.oss.borrow_mut().hide_crc = true;
    let up = uploader(&world);
    add(&up, "hidden a.mp4", &bytes(300 * KIB, 54));
    add(&up, "hidden b.mp4", &bytes(300 * KIB, 55));
    up.start().unwrap();
    world.run();
    let mut done = succeeded(&world.take_events());
    done.sort();
    assert_eq!(done, ["hidden a.mp4", "hidden b.mp4"]);
    let warnings = world.warnings.borrow();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("ExposeHeader: x-oss-hash-crc64ecma"));
}

#[test]
fn check_crc64_false_checks_nothing() {
    let world = World::new();
    let up = Uploader::new(
        world.platform(),
        Options {
            check_crc64: false,
            ..options()
        },
    )
    .unwrap();
    add(&up, "unchecked.mp4", &bytes(300 * KIB, 56));
    world.oss.borrow_mut().faults.push_back(Fault::Damage);
    up.start().unwrap();
    world.run();
    assert_eq!(succeeded(&world.take_events()), ["unchecked.mp4"]);
    assert_ne!(
        stored(&world),
        vec![bytes(300 * KIB, 56).to_vec()],
        "the damage went unseen"
    );
}

#[test]
fn an_uploader_the_page_lets_go_of_after_start_finishes_its_uploads() {
    let world = World::new();
    let up = uploader(&world);
    let files = [bytes(700 * KIB, 1), bytes(30 * KIB, 2)];
    add(&up, "kept.mp4", &files[0]);
    add(&up, "small.mp4", &files[1]);
    up.start().unwrap();
    // The page keeps no reference to its uploader, as a page may.
    drop(up);
    world.run();
    let mut done = succeeded(&world.take_events());
    done.sort();
    assert_eq!(done, ["kept.mp4", "small.mp4"]);
    let mut stored = stored(&world);
    stored.sort();
    let mut expected: Vec<Vec<u8>> = files.iter().map(|f| f.to_vec()).collect();
    expected.sort();
    assert_eq!(stored, expected);
}
