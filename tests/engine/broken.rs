//! Broken answers: lost, garbled, for another object, with headers that are not numbers or
//! codes that are not codes. None may pass for success, and every file ends.

use std::rc::Rc;

use super::sim::{decode_auth, Broken, World};
use super::{
    add, assert_no_open_upload, bytes, start_and_run, stored, sts_uploader, succeeded, uploader,
    KIB,
};
use vod_upload::engine::Event;
use vod_upload::error::Code;

/// How many requests of `call` the server saw.
fn sent(world: &World, call: &str) -> usize {
    world.log().iter().filter(|l| l.call == call).count()
}

fn failure(events: &[Event]) -> Option<(Code, String)> {
    events.iter().find_map(|e| match e {
        Event::Failed(_, err) => Some((err.code.clone(), err.message.clone())),
        _ => None,
    })
}

fn break_next(world: &World, call: &'static str, how: Broken, count: u32) {
    world.oss.borrow_mut().broken.push((call, how, count));
}

/// Bodies a broken proxy or server might send with a 200.
fn garbage() -> Vec<String> {
    vec![
        String::new(),
        "<CompleteMultipartUploadResult><Bucket>b</Bu".into(),
        "\u{fffd}PNG\u{1a}\0\u{fffd}\u{fffd}".into(),
        "<html><body>502 Bad Gateway</body></html>".into(),
        "<a>".repeat(200_000) + &"</a>".repeat(200_000),
        "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>another.mp4</Key>\
         </CompleteMultipartUploadResult>"
            .into(),
        format!(
            "<CompleteMultipartUploadResult><Key>{}</Key></CompleteMultipartUploadResult>",
            "k".repeat(3 << 20)
        ),
    ]
}

/// The file uploaded once: one multipart upload, completed, and the object is the file.
fn assert_uploaded_once(world: &World, events: &[Event], name: &str, file: &[u8]) {
    assert_eq!(succeeded(events), [name], "{events:?}");
    assert_eq!(stored(world), vec![file.to_vec()]);
    assert_eq!(sent(world, "InitiateMultipartUpload"), 1);
    assert_no_open_upload(world);
}

#[test]
fn a_complete_whose_answer_was_lost_is_confirmed_by_head_object() {
    let world = World::new();
    break_next(&world, "CompleteMultipartUpload", Broken::Lost, 1);
    let up = uploader(&world);
    let file = bytes(300 * KIB, 60);
    add(&up, "lost.mp4", &file);
    let events = start_and_run(&world, &up);
    assert_uploaded_once(&world, &events, "lost.mp4", &file);
    // Complete again met NoSuchUpload, and HeadObject found the file.
    assert_eq!(sent(&world, "CompleteMultipartUpload"), 2);
    assert_eq!(sent(&world, "HeadObject"), 1);
}

#[test]
fn every_garbled_answer_to_complete_is_retried_then_confirmed() {
    for body in garbage() {
        let world = World::new();
        break_next(
            &world,
            "CompleteMultipartUpload",
            Broken::Answer(200, body.clone()),
            1,
        );
        let up = uploader(&world);
        let file = bytes(300 * KIB, 61);
        add(&up, "garbled.mp4", &file);
        let events = start_and_run(&world, &up);
        let head: String = body.chars().take(40).collect();
        assert_uploaded_once(&world, &events, "garbled.mp4", &file);
        assert_eq!(sent(&world, "HeadObject"), 1, "{head}");
        let retried = events
            .iter()
            .any(|e| matches!(e, Event::Retry(_, err) if err.code == Code::InvalidResponse));
        assert!(retried, "{head}");
    }
}

#[test]
fn a_complete_never_answered_well_and_never_done_fails_and_aborts() {
    let world = World::new();
    let html = "<html>proxy error</html>".to_string();
    break_next(
        &world,
        "CompleteMultipartUpload",
        Broken::Instead(200, html),
        100,
    );
    let up = uploader(&world);
    add(&up, "never.mp4", &bytes(300 * KIB, 62));
    let events = start_and_run(&world, &up);
    assert!(succeeded(&events).is_empty());
    let (code, message) = failure(&events).expect("the file fails");
    assert_eq!(code, Code::InvalidResponse, "{message}");
    assert!(message.contains("proxy error"), "{message}");
    // 1 + 3 retries, then HeadObject found no object.
    assert_eq!(sent(&world, "CompleteMultipartUpload"), 4);
    assert_eq!(sent(&world, "HeadObject"), 1);
    assert!(stored(&world).is_empty());
    assert_no_open_upload(&world);
}

#[test]
fn a_complete_unanswered_whose_upload_then_vanished_starts_the_file_over() {
    let world = World::new();
    let html = "<html>gateway</html>".to_string();
    break_next(
        &world,
        "CompleteMultipartUpload",
        Broken::Instead(502, html),
        1,
    );
    // While Complete waits to be sent again, the multipart upload goes.
    let oss = world.oss.clone();
    *world.react.borrow_mut() = Some(Box::new(move |_, event| {
        if matches!(event, Event::Retry(..)) {
            for upload in oss.borrow_mut().uploads.values_mut() {
                upload.state = "aborted";
            }
        }
    }));
    let up = uploader(&world);
    let file = bytes(300 * KIB, 71);
    add(&up, "vanished.mp4", &file);
    let events = start_and_run(&world, &up);
    assert_eq!(succeeded(&events), ["vanished.mp4"]);
    assert_eq!(stored(&world), vec![file.to_vec()]);
    // Complete, Complete again (NoSuchUpload), HeadObject (no object), then the file anew.
    assert_eq!(sent(&world, "HeadObject"), 1);
    assert_eq!(sent(&world, "InitiateMultipartUpload"), 2);
    assert_eq!(sent(&world, "CompleteMultipartUpload"), 3);
}

#[test]
fn a_lost_complete_of_an_object_that_is_not_the_file_is_no_success() {
    let world = World::new();
    world.oss.borrow_mut().damage_object = true;
    break_next(&world, "CompleteMultipartUpload", Broken::Lost, 1);
    let up = uploader(&world);
    add(&up, "other.mp4", &bytes(300 * KIB, 63));
    let events = start_and_run(&world, &up);
    assert!(succeeded(&events).is_empty());
    let (code, message) = failure(&events).expect("the file fails");
    assert_eq!(code, Code::Crc64Mismatch, "{message}");
    assert!(message.contains("not the file"), "{message}");
}

#[test]
fn a_crc_header_that_is_not_a_number_is_a_broken_answer() {
    for (call, size) in [
        ("PutObject", 50 * KIB),
        ("UploadPart", 300 * KIB),
        ("CompleteMultipartUpload", 300 * KIB),
    ] {
        for crc in ["", "abc", "-1", "18446744073709551616", "1 2"] {
            let world = World::new();
            break_next(&world, call, Broken::Crc(crc), 1);
            let up = uploader(&world);
            let file = bytes(size, 64);
            add(&up, "crc.mp4", &file);
            let events = start_and_run(&world, &up);
            assert_eq!(succeeded(&events), ["crc.mp4"], "{call} {crc:?}");
            assert_eq!(stored(&world), vec![file.to_vec()], "{call} {crc:?}");
            let retried = events.iter().any(|e| {
                matches!(e, Event::Retry(_, err) if err.code == Code::InvalidResponse
                    && err.message.contains("CRC-64 header is not a number"))
            });
            assert!(retried, "{call} {crc:?}");
        }
    }
    // Always broken: the PutObject fails, never succeeds.
    let world = World::new();
    break_next(&world, "PutObject", Broken::Crc("x"), 100);
    let up = uploader(&world);
    add(&up, "never.mp4", &bytes(50 * KIB, 65));
    let events = start_and_run(&world, &up);
    assert!(succeeded(&events).is_empty());
    assert_eq!(failure(&events).unwrap().0, Code::InvalidResponse);
}

#[test]
fn broken_initiate_list_parts_and_part_answers_are_retried() {
    // A 200 to UploadPart without an ETag reads as a CORS rule that hides it: that is fatal, and
    // tested elsewhere.
    let cases = [
        (
            "InitiateMultipartUpload",
            200,
            "<InitiateMultipartUploadResult><UploadId></UploadId></InitiateMultipartUploadResult>",
        ),
        ("InitiateMultipartUpload", 200, "<a><a><a>"),
        ("UploadPart", 502, "<html>oops</html>"),
    ];
    for (call, status, body) in cases {
        let world = World::new();
        break_next(&world, call, Broken::Instead(status, body.into()), 1);
        let up = uploader(&world);
        let file = bytes(300 * KIB, 66);
        add(&up, "retried.mp4", &file);
        let events = start_and_run(&world, &up);
        assert_eq!(succeeded(&events), ["retried.mp4"], "{call} {body}");
        assert_eq!(stored(&world), vec![file.to_vec()]);
        assert_no_open_upload(&world);
    }
    // ListParts, after a stop: its broken page is asked for again.
    let world = World::new();
    let up = uploader(&world);
    let file = bytes(600 * KIB, 67);
    add(&up, "listed.mp4", &file);
    up.start().unwrap();
    world.run_for(25.0);
    up.stop();
    world.run();
    let body = "<ListPartsResult><Part><PartNumber>x</PartNumber></Part></ListPartsResult>";
    break_next(&world, "ListParts", Broken::Answer(200, body.into()), 1);
    let events = start_and_run(&world, &up);
    assert_eq!(succeeded(&events), ["listed.mp4"]);
    assert_eq!(stored(&world), vec![file.to_vec()]);
    assert_eq!(sent(&world, "ListParts"), 2);
}

#[test]
fn an_error_code_that_is_not_a_code_is_a_broken_answer() {
    let doc = format!(
        "<Error><Code>{}</Code><Message>m</Message></Error>",
        "Denied ".repeat(40_000)
    );
    // Once: retried, and the file arrives.
    let world = World::new();
    break_next(&world, "UploadPart", Broken::Instead(403, doc.clone()), 1);
    let up = uploader(&world);
    let file = bytes(300 * KIB, 68);
    add(&up, "coded once.mp4", &file);
    let events = start_and_run(&world, &up);
    assert_eq!(succeeded(&events), ["coded once.mp4"]);
    assert_eq!(stored(&world), vec![file.to_vec()]);
    // For good: the file fails as InvalidResponse, quoting the start of the code.
    let world = World::new();
    break_next(&world, "UploadPart", Broken::Instead(403, doc), 100);
    let up = uploader(&world);
    add(&up, "coded.mp4", &bytes(300 * KIB, 68));
    let events = start_and_run(&world, &up);
    let (code, message) = failure(&events).expect("the file fails");
    assert_eq!(code, Code::InvalidResponse);
    assert!(
        message.len() <= 1024 && message.contains("Denied Denied"),
        "{message}"
    );
    assert_no_open_upload(&world);
    // The same uploader goes on with the next file.
    world.oss.borrow_mut().broken.clear();
    let file = bytes(300 * KIB, 69);
    add(&up, "next.mp4", &file);
    let events = start_and_run(&world, &up);
    assert_eq!(succeeded(&events), ["next.mp4"]);
}

#[test]
fn a_server_that_quotes_the_credentials_does_not_pass_them_on() {
    let world = World::new();
    let (auth, address) = world.mint("quoted.mp4", 3_000_000.0);
    let decoded = decode_auth(&auth);
    let (secret, token) = (decoded.access_key_secret, decoded.security_token);
    world
        .auth_answers
        .borrow_mut()
        .insert("quoted.mp4".into(), Ok((auth, address)));
    let doc = format!(
        "<Error><Code>AccessDenied</Code><Message>key {secret}, token {token}</Message></Error>"
    );
    break_next(&world, "PutObject", Broken::Instead(403, doc), 1);
    let up = uploader(&world);
    add(&up, "quoted.mp4", &Rc::new(vec![7; 1000]));
    let events = start_and_run(&world, &up);
    let (code, message) = failure(&events).expect("the file fails");
    assert_eq!(code, Code::Server("AccessDenied".into()));
    assert_eq!(message, "key ***, token *** (HTTP 403, request )");
}

#[test]
fn broken_vod_answers_are_retried() {
    for body in [
        String::new(),
        "{\"UploadAuth\":".into(),
        "[".repeat(100_000),
        r#"{"VideoId":"v","UploadAuth":"bm90IGpzb24=","UploadAddress":"e30="}"#.into(),
    ] {
        let world = World::new();
        break_next(&world, "VOD", Broken::Instead(200, body.clone()), 1);
        let up = sts_uploader(&world);
        let file = bytes(300 * KIB, 70);
        add(&up, "vod.mp4", &file);
        let events = start_and_run(&world, &up);
        let head: String = body.chars().take(40).collect();
        assert_eq!(succeeded(&events), ["vod.mp4"], "{head}");
        assert_eq!(world.vod.borrow().calls.len(), 1, "{head}");
    }
}
