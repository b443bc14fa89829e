//! Many files: a file of one part in a single PutObject, and the next file prepared while one
//! uploads, within `parallel` requests in flight.

use super::*;

#[test]
fn a_file_of_one_part_is_one_put_object_checked_like_a_part() {
    let part = options().part_size as usize;
    for size in [1, part - 1, part] {
        let world = World::new();
        let up = uploader(&world);
        let file = bytes(size, 60);
        add(&up, "small.mp4", &file);
        // The first try arrives damaged: its CRC-64 gives it away and it is sent again.
        world.add_faults([Fault::Damage]);
        let events = start_and_run(&world, &up);
        assert_eq!(succeeded(&events), ["small.mp4"], "{size} bytes");
        assert_eq!(codes_of_retries(&events), ["Crc64Mismatch"]);
        assert_eq!(count(&events, |e| matches!(e, Event::Progress(_))), 1);
        let calls: Vec<&str> = world.log().iter().map(|l| l.call).collect();
        assert_eq!(calls, ["PutObject", "PutObject"], "{size} bytes");
        assert_eq!(stored(&world), [file.to_vec()]);
        let info = &up.list_files()[0];
        assert_eq!((info.state, info.loaded), (FileState::Success, size as u64));
        // Nothing to resume: no checkpoint was written.
        assert!(checkpoints(&world).is_empty());
    }
    // One byte more is two parts.
    let world = World::new();
    let up = uploader(&world);
    add(&up, "two parts.mp4", &bytes(part + 1, 61));
    start_and_run(&world, &up);
    let calls: Vec<&str> = world.log().iter().map(|l| l.call).collect();
    assert_eq!(
        calls,
        [
            "InitiateMultipartUpload",
            "UploadPart",
            "UploadPart",
            "CompleteMultipartUpload"
        ]
    );
}

#[test]
fn a_file_of_one_part_damaged_on_every_try_fails() {
    let world = World::new();
    let up = uploader(&world);
    add(&up, "damaged.mp4", &bytes(10, 62));
    world.add_faults((0..4).map(|_| Fault::Damage));
    let events = start_and_run(&world, &up);
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::Failed(_, err) if err.code == Code::Crc64Mismatch)));
    assert_eq!(world.log().len(), 4, "the first try and 3 retries");
}

/// Five files of one to ten parts.
fn five_files(up: &Uploader<SimPlatform>) -> Vec<Rc<Vec<u8>>> {
    let files = vec![
        bytes(1000 * KIB, 63),
        bytes(700 * KIB, 64),
        bytes(50 * KIB, 65),
        bytes(20, 66),
        bytes(450 * KIB, 67),
    ];
    for (i, file) in files.iter().enumerate() {
        add(up, &format!("o{i}.mp4"), file);
    }
    files
}

/// The first request of `call` for the object `key`.
fn first<'a>(log: &'a [Logged], key: &str, call: &str) -> &'a Logged {
    log.iter()
        .find(|l| l.key == key && l.call == call)
        .unwrap_or_else(|| panic!("no {call} for {key}"))
}

/// Every file arrived byte for byte, and nothing is left open.
fn assert_all_stored(world: &World, files: &[Rc<Vec<u8>>]) {
    let mut objects = stored(world);
    objects.sort();
    let mut expected: Vec<Vec<u8>> = files.iter().map(|f| f.to_vec()).collect();
    expected.sort();
    assert_eq!(objects, expected);
    assert_no_open_upload(world);
    assert_no_acknowledged_part_resent(&world.log());
}

#[test]
fn the_next_file_is_prepared_while_one_uploads_within_parallel() {
    let world = World::new();
    let up = uploader(&world);
    let files = five_files(&up);
    let events = start_and_run(&world, &up);
    assert_eq!(
        started(&events),
        [0, 1, 2, 3, 4],
        "onUploadStarted in the order added"
    );
    assert_eq!(succeeded(&events).len(), 5);
    assert_eq!(events.last(), Some(&Event::End));
    assert_all_stored(&world, &files);
    assert_progress_monotone(&events);

    let log = world.log();
    // File 1's Initiate was answered, with its own credentials, before file 0's Complete went
    // out; its first part went out before file 0's Complete was answered.
    let complete_0 = first(&log, "sv/o0.mp4", "CompleteMultipartUpload");
    let initiate_1 = first(&log, "sv/o1.mp4", "InitiateMultipartUpload");
    assert!(initiate_1.ended_at.unwrap() <= complete_0.sent_at);
    assert_ne!(initiate_1.access_key_id, complete_0.access_key_id);
    assert!(first(&log, "sv/o1.mp4", "UploadPart").sent_at < complete_0.ended_at.unwrap());
    assert_eq!(max_in_flight(&log), 3, "parallel is 3, and it was used");
    // 10 + 7 + 1 + 1 + 5 parts, 3 at a time, 10 ms each: one file after another would take
    // at least 60 ms of credentials, Initiates and Completes more than this.
    let first_sent = log[0].sent_at;
    let last_ended = log.iter().filter_map(|l| l.ended_at).fold(0.0, f64::max);
    assert!(
        last_ended - first_sent <= 130.0,
        "{} ms",
        last_ended - first_sent
    );
}

/// Runs until file `o1.mp4` has its multipart upload and waits for its turn to send parts.
fn run_until_the_next_file_is_prepared(world: &World) {
    for _ in 0..1000 {
        world.step(1.0);
        let log = world.log();
        let prepared = log.iter().any(|l| {
            l.key == "sv/o1.mp4"
                && l.call == "InitiateMultipartUpload"
                && l.ending == Some(Ending::Answered(200))
        });
        if prepared {
            assert!(!log
                .iter()
                .any(|l| l.key == "sv/o1.mp4" && l.call == "UploadPart"));
            assert!(!log.iter().any(|l| l.call == "CompleteMultipartUpload"));
            return;
        }
    }
    panic!("the next file was never prepared");
}

fn initiates(world: &World, key: &str) -> usize {
    world
        .log()
        .iter()
        .filter(|l| l.key == key && l.call == "InitiateMultipartUpload")
        .count()
}

#[test]
fn stop_while_the_next_file_is_prepared_keeps_both_uploads() {
    let world = World::new();
    let up = uploader(&world);
    let files = five_files(&up);
    up.start().unwrap();
    run_until_the_next_file_is_prepared(&world);
    up.stop();
    let states: Vec<FileState> = up.list_files().iter().map(|f| f.state).collect();
    use FileState::{Ready, Stopped};
    assert_eq!(states, [Stopped, Stopped, Ready, Ready, Ready]);
    world.run();
    let events = start_and_run(&world, &up);
    assert_eq!(succeeded(&events).len(), 5);
    assert_all_stored(&world, &files);
    // File 1 went on in the multipart upload it had prepared.
    assert_eq!(initiates(&world, "sv/o1.mp4"), 1);
}

#[test]
fn deleting_the_prepared_file_aborts_its_upload_and_leaves_the_others_alone() {
    let world = World::new();
    let up = uploader(&world);
    let mut files = five_files(&up);
    up.start().unwrap();
    run_until_the_next_file_is_prepared(&world);
    up.delete_file(1).unwrap();
    world.run();
    files.remove(1);
    assert_all_stored(&world, &files);
    let log = world.log();
    let aborted = |key: &str| {
        log.iter()
            .filter(|l| l.key == key && l.ending == Some(Ending::Aborted))
            .count()
    };
    assert_eq!(aborted("sv/o0.mp4"), 0, "file 0 went on undisturbed");
    assert_eq!(
        first(&log, "sv/o1.mp4", "AbortMultipartUpload").ending,
        Some(Ending::Answered(204))
    );
    let events = world.take_events();
    assert_eq!(succeeded(&events), ["o0.mp4", "o2.mp4", "o3.mp4", "o4.mp4"]);
    assert_eq!(events.last(), Some(&Event::End));
}

#[test]
fn expiry_while_the_next_file_is_prepared_stops_both_and_resumes_both() {
    let world = World::new();
    let up = uploader(&world);
    // File 0's credentials expire after file 1 is prepared, and cannot be refreshed.
    let short = world.mint("sv/o0.mp4", 45.0);
    world
        .auth_answers
        .borrow_mut()
        .insert("o0.mp4".into(), Ok(short));
    let files = five_files(&up);
    up.start().unwrap();
    run_until_the_next_file_is_prepared(&world);
    world.run();
    let events = world.take_events();
    assert_eq!(count(&events, |e| matches!(e, Event::TokenExpired(_))), 1);
    let states: Vec<FileState> = up.list_files().iter().map(|f| f.state).collect();
    use FileState::{Expired, Ready, Stopped};
    assert_eq!(states, [Expired, Stopped, Ready, Ready, Ready]);
    let (auth, _) = world.mint("sv/o0.mp4", 3_000_000.0);
    up.resume_with_token(Grant::Auth(decode_auth(&auth)))
        .unwrap();
    world.run();
    let events = world.take_events();
    assert_eq!(succeeded(&events).len(), 5);
    assert_eq!(count(&events, |e| matches!(e, Event::Started(_))), 3);
    assert_all_stored(&world, &files);
    assert_eq!(initiates(&world, "sv/o1.mp4"), 1);
}
