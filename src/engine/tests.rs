//! The engine under simulated faults, deterministic to the millisecond.

use std::rc::Rc;

use super::sim::{decode_auth, Ending, Fault, Logged, SimPlatform, World};
use super::*;
use crate::error::code;

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
    }
}

fn uploader(world: &Rc<World>) -> Uploader<SimPlatform> {
    Uploader::new(world.platform(), options()).unwrap()
}

fn add(up: &Uploader<SimPlatform>, name: &str, file: &Rc<Vec<u8>>) -> usize {
    up.add_file(
        file.clone(),
        name.into(),
        file.len() as u64,
        "video/mp4".into(),
    )
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

/// Progress per file never goes backwards and never passes the size.
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
            assert!(info.loaded <= info.size);
        }
    }
}

/// No part that the server answered 200 for is ever sent again.
fn assert_no_acknowledged_part_resent(log: &[Logged]) {
    let mut acknowledged = std::collections::HashSet::new();
    for entry in log.iter().filter(|l| l.method == "PUT") {
        let part = entry.part.unwrap();
        assert!(
            !acknowledged.contains(&part),
            "part {part} was sent again after the server acknowledged it"
        );
        if entry.ending == Some(Ending::Answered(200)) {
            acknowledged.insert(part);
        }
    }
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
    up.start().unwrap();
    world.run();
    let events = world.take_events();
    assert_eq!(succeeded(&events), ["f0.mp4", "f1.mp4", "f2.mp4"]);
    assert_eq!(events.last(), Some(&Event::End));
    let mut objects = stored(&world);
    objects.sort_by_key(|o| o.len());
    assert_eq!(
        objects,
        files.iter().map(|f| f.to_vec()).collect::<Vec<_>>()
    );
    // File 2 began only after file 1 completed.
    let started: Vec<usize> = events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| matches!(e, Event::Started(f) if f.index == 2).then_some(i))
        .collect();
    let done_1 = events
        .iter()
        .position(|e| matches!(e, Event::Succeeded(f) if f.index == 1))
        .unwrap();
    assert!(started[0] > done_1);
    assert_progress_monotone(&events);
    for info in up.list_files() {
        assert_eq!(
            (info.state, info.loaded, info.percent),
            (FileState::Success, info.size, 100.0)
        );
        assert!(info.video_id.is_some() && info.object.is_some());
    }
    // At most `parallel` parts were ever in flight at once.
    let log = world.log();
    for entry in &log {
        let overlapping = log
            .iter()
            .filter(|o| {
                o.method == "PUT"
                    && o.sent_at <= entry.sent_at
                    && o.sent_at + sim::LATENCY_MS > entry.sent_at
            })
            .count();
        assert!(overlapping <= 3, "{overlapping} parts in flight");
    }
}

#[test]
fn expiry_with_parts_in_flight_stops_everything_and_resumes_with_only_missing_parts() {
    let world = World::new();
    let up = uploader(&world);
    let file = bytes(1000 * KIB, 9);
    add(&up, "movie.mp4", &file);
    world.oss.borrow_mut().expire_after_parts = Some(5);
    up.start().unwrap();
    world.run();
    let events = world.take_events();
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
    up.resume_with_token(decode_auth(&auth)).unwrap();
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
        code::NO_SUCH_FILE
    );
}

#[test]
fn thirty_percent_transient_failures_complete_with_retry_events() {
    let world = World::new();
    let up = uploader(&world);
    let file = bytes(2000 * KIB, 7);
    add(&up, "flaky.mp4", &file);
    world.oss.borrow_mut().fail_fraction = Some(0.3);
    up.start().unwrap();
    world.run();
    let events = world.take_events();
    assert_eq!(succeeded(&events), ["flaky.mp4"]);
    assert_eq!(stored(&world), vec![file.to_vec()]);
    let retries = count(
        &events,
        |e| matches!(e, Event::Retry(_, err) if err.code == "ServiceUnavailable"),
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
    up.start().unwrap();
    world.run();
    let events = world.take_events();
    let failed: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Failed(info, err) => Some((info.name.clone(), err.code.to_string())),
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
        (info.state, info.error_code.as_deref()),
        (FileState::Failure, Some("InvalidDigest"))
    );
    assert_progress_monotone(&events);
}

#[test]
fn a_wrong_secret_is_fatal_signature_does_not_match() {
    let world = World::new();
    let up = uploader(&world);
    let (auth, address) = world.mint("sv/x.mp4", 3_000_000.0);
    let json = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &auth).unwrap(),
    )
    .unwrap();
    let forged = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        json.replace("secret", "guess"),
    );
    world
        .auth_answers
        .borrow_mut()
        .insert("x.mp4".into(), Ok((forged, address)));
    add(&up, "x.mp4", &bytes(10, 1));
    up.start().unwrap();
    world.run();
    let events = world.take_events();
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Failed(_, err) if err.code == "SignatureDoesNotMatch")));
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
    add(&up, "cors.mp4", &bytes(10, 3));
    up.start().unwrap();
    world.run();
    let events = world.take_events();
    let error = events
        .iter()
        .find_map(|e| match e {
            Event::Failed(_, err) => Some(err.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(error.code, code::CORS_ETAG_NOT_EXPOSED);
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
            code::GET_UPLOAD_AUTH_FAILED,
        ),
        (
            "badauth.mp4",
            Ok(("bm90IGpzb24=".to_string(), good_address.clone())),
            code::INVALID_UPLOAD_AUTH,
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
            code::INVALID_UPLOAD_ADDRESS,
        ),
    ];
    for (name, answer, _) in &cases {
        world
            .auth_answers
            .borrow_mut()
            .insert(name.to_string(), answer.clone());
        add(&up, name, &bytes(10, 1));
    }
    up.start().unwrap();
    world.run();
    let events = world.take_events();
    for (name, _, expected) in cases {
        assert!(events.iter().any(|e| matches!(e, Event::Failed(info, err) if info.name == name && err.code == expected)), "{name}");
    }
    assert!(
        world.log().is_empty(),
        "a request went out with bad credentials"
    );
    assert_eq!(events.last(), Some(&Event::End));
}

fn sim_getter_failed() -> crate::error::UploadError {
    crate::error::UploadError::new(
        code::GET_UPLOAD_AUTH_FAILED,
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
    up.start().unwrap();
    world.run();
    let events = world.take_events();
    assert_eq!(
        count(
            &events,
            |e| matches!(e, Event::Retry(_, err) if err.code == code::NETWORK_ERROR)
        ),
        3
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Failed(_, err) if err.code == code::NETWORK_ERROR)));
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
    up.start().unwrap();
    world.run();
    let events = world.take_events();
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Retry(_, err) if err.code == code::TIMEOUT)));
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
        up.add_file(bytes(0, 0), "empty.mp4".into(), 0, String::new())
            .unwrap_err()
            .code,
        code::EMPTY_FILE
    );
    assert_eq!(up.delete_file(42).unwrap_err().code, code::NO_SUCH_FILE);
    assert_eq!(
        up.resume_with_token(decode_auth(&world.mint("k", 1.0).0))
            .unwrap_err()
            .code,
        code::NOT_EXPIRED
    );
    add(&up, "a.mp4", &bytes(10, 0));
    up.start().unwrap();
    assert_eq!(up.start().unwrap_err().code, code::ALREADY_STARTED);
    let small = Options {
        part_size: 100 * 1024 - 1,
        ..options()
    };
    assert_eq!(
        Uploader::new(world.platform(), small).err().unwrap().code,
        code::INVALID_PART_SIZE
    );
    let zero = Options {
        parallel: 0,
        ..options()
    };
    assert_eq!(
        Uploader::new(world.platform(), zero).err().unwrap().code,
        code::INVALID_ARGUMENT
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
