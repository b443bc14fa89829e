//! Streams: parts go up while the stream grows, under faults, with the memory held bounded, and
//! a stream whose page died resumes from the bytes the platform kept.

use std::cell::Cell;

use std::rc::Rc;

use super::sim::{Fault, Refresh, SimFile, SimPlatform, World};
use super::*;
use vod_upload::engine::Stream;

const PART: u64 = 100 * KIB as u64;

/// A small generator of chunk sizes, the same for the same seed.
struct Sizes(u64);

impl Sizes {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

/// `total` bytes cut into chunks of 1 B to `largest`, as `seed` picks them.
fn chunks(total: usize, largest: u64, seed: u64) -> Vec<Vec<u8>> {
    let data = bytes(total, seed as u8);
    let mut sizes = Sizes(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut at = 0;
    let mut chunks = Vec::new();
    while at < total {
        let len = (1 + sizes.next(largest) as usize).min(total - at);
        chunks.push(data[at..at + len].to_vec());
        at += len;
    }
    chunks
}

/// `total` bytes in chunks of `size`, as a recorder gives them at a steady pace.
fn steady(total: usize, size: usize) -> Vec<Vec<u8>> {
    bytes(total, 0).chunks(size).map(<[u8]>::to_vec).collect()
}

/// What the browser tells of a recording.
fn recording(name: &str) -> Described {
    Described {
        name: name.into(),
        size: 0,
        content_type: "video/webm".into(),
        last_modified: DATE,
        meta: Default::default(),
    }
}

/// How a feed goes on.
struct Feed {
    up: Uploader<SimPlatform>,
    index: usize,
    file: SimFile,
    chunks: std::collections::VecDeque<Vec<u8>>,
    /// A reader's pace: the next chunk is looked for this often.
    every_ms: f64,
    /// The stream fails after its chunks instead of ending: kept, or not.
    fails: Option<bool>,
    tap: Rc<Tap>,
}

/// What a test sees of a feed, and its kill switch.
#[derive(Default)]
struct Tap {
    /// Chunks read while the uploader was stopped.
    read_stopped: Cell<u32>,
    /// The page died: nothing is read any more.
    dead: Cell<bool>,
}

/// Reads `chunks` into stream `index` as a browser's reader would: one chunk every `every_ms`
/// while the uploader wants bytes, then the end (or the failure).
fn feed(world: &Rc<World>, feed: Feed) {
    let world_ = world.clone();
    world
        .clock
        .schedule(feed.every_ms, move || step(&world_, feed));
}

fn step(world: &Rc<World>, mut feed: Feed) {
    if feed.tap.dead.get() {
        return;
    }
    // Told it has what it had, the uploader says whether it wants more.
    let had = feed.file.0.borrow().bytes.len() as u64;
    let grew = Stream::Grew {
        size: had,
        ended: false,
    };
    if !feed.up.stream(feed.index, grew) && !feed.chunks.is_empty() {
        return self::feed(world, feed);
    }
    match feed.chunks.pop_front() {
        Some(chunk) => {
            if !feed.up.is_running() {
                feed.tap.read_stopped.set(feed.tap.read_stopped.get() + 1);
            }
            let size = feed.file.extend(&chunk);
            feed.up
                .stream(feed.index, Stream::Grew { size, ended: false });
            self::feed(world, feed)
        }
        None => match feed.fails {
            Some(keep) => {
                let error = UploadError::new(Code::StreamFailed, "the recorder failed");
                feed.up.stream(feed.index, Stream::Failed(error, keep));
            }
            None => {
                let size = feed.file.0.borrow().bytes.len() as u64;
                feed.up
                    .stream(feed.index, Stream::Grew { size, ended: true });
            }
        },
    }
}

/// Adds a stream named `id` and starts feeding it `chunks`.
fn add_stream(
    world: &Rc<World>,
    up: &Uploader<SimPlatform>,
    id: &str,
    chunks: Vec<Vec<u8>>,
    every_ms: f64,
    fails: Option<bool>,
) -> (SimFile, Rc<Tap>) {
    let file = SimFile::default();
    let index = up
        .add(file.clone(), recording(&format!("{id}.webm")), Some(id))
        .unwrap();
    let tap = Rc::new(Tap::default());
    feed(
        world,
        Feed {
            up: up.clone(),
            index,
            file: file.clone(),
            chunks: chunks.into(),
            every_ms,
            fails,
            tap: tap.clone(),
        },
    );
    (file, tap)
}

/// Every part of every upload the server completed is at least 100 KiB but its last.
fn assert_part_sizes(world: &World) {
    for upload in world.oss.borrow().uploads.values() {
        let sizes: Vec<usize> = upload.parts.values().map(|(_, b)| b.len()).collect();
        if let Some((_, whole)) = sizes.split_last() {
            assert!(whole.iter().all(|&s| s as u64 >= PART), "{sizes:?}");
        }
    }
}

/// The most the platform may hold of a stream while the uploader runs: `parallel` parts and
/// one more, and the chunk read last, which may pass the bound.
fn bound(largest_chunk: u64) -> u64 {
    (options().parallel as u64 + 1) * PART + largest_chunk
}

#[test]
fn a_stream_goes_up_part_by_part_while_it_grows_and_completes_at_its_end() {
    let world = World::new();
    let up = uploader(&world);
    // 1.2 MB over 12 s, in 100 ms chunks of 10 KB: a recorder's pace.
    let all = steady(1200 * KIB, 10 * KIB);
    let (file, _) = add_stream(&world, &up, "rec", all, 100.0, None);
    up.start().unwrap();
    let info = up.list_files()[0].clone();
    assert_eq!(
        (info.size, info.percent),
        (0, 0.0),
        "unknown while it grows"
    );
    // Until the last chunk came: the parts are stored as their bytes come.
    world.run_for(120.0 * 100.0 - 50.0);
    let stored_parts = world
        .oss
        .borrow()
        .uploads
        .values()
        .map(|u| u.parts.len())
        .sum::<usize>();
    let info = up.list_files()[0].clone();
    assert_eq!(info.size, 0);
    assert!(info.loaded >= 10 * PART, "{info:?}");
    assert!(stored_parts >= 11, "only {stored_parts} parts stored");
    // The reader finds the end one pace after the last chunk.
    let ended_at = world.now() + 150.0;
    world.run();
    let events = world.take_events();
    assert_eq!(succeeded(&events), ["rec.webm"]);
    let done_at = world
        .log()
        .iter()
        .filter(|l| l.call == "CompleteMultipartUpload")
        .map(|l| l.ended_at.unwrap())
        .next_back()
        .unwrap();
    // The last part and Complete: a few round trips after the end, not the whole upload.
    assert!(
        done_at - ended_at < 10.0 * super::sim::LATENCY_MS,
        "{} ms from the end to Complete's answer",
        done_at - ended_at
    );
    let info = up.list_files()[0].clone();
    assert_eq!(
        (info.size, info.loaded),
        (1200 * KIB as u64, 1200 * KIB as u64)
    );
    let held = file.0.borrow();
    assert_eq!(stored(&world), vec![held.bytes.clone()]);
    assert_eq!(held.released_reads, 0);
    assert_eq!(
        held.released.iter().map(|r| r.end - r.start).sum::<u64>(),
        held.bytes.len() as u64,
        "every part released once OSS held it"
    );
    assert!(held.forgotten, "nothing kept once it succeeded");
    assert_part_sizes(&world);
    assert_progress_monotone(&events);
    assert_no_acknowledged_part_resent(&world.log());
    assert!(checkpoints(&world).is_empty());
}

#[test]
fn streams_of_random_chunks_arrive_whole_under_faults_holding_bounded_memory() {
    for seed in 1..=12u64 {
        let world = World::new();
        world.refresh.set(Some(Refresh::Works));
        world.ttl_ms.set(4_000.0);
        let up = uploader(&world);
        let largest = if seed % 3 == 0 {
            3 << 20
        } else {
            300 * KIB as u64
        };
        let total = 2 * 1024 * KIB + seed as usize * 7919;
        let all = chunks(total, largest, seed);
        let biggest = all.iter().map(Vec::len).max().unwrap() as u64;
        let (file, _) = add_stream(&world, &up, &format!("r{seed}"), all, 20.0, None);
        world.add_faults([
            Fault::Status(503, "ServiceUnavailable"),
            Fault::Damage,
            Fault::Stall(6_000.0),
            Fault::Network,
        ]);
        world.oss.borrow_mut().fail_fraction = Some(0.1);
        if seed % 2 == 1 {
            // Every credential expires early, mid-stream: renewed, and the parts go on.
            world.oss.borrow_mut().expire_after_parts = Some(9);
        }
        let events = start_and_run(&world, &up);
        assert_eq!(succeeded(&events), [format!("r{seed}.webm")], "seed {seed}");
        let held = file.0.borrow();
        assert_eq!(stored(&world), vec![held.bytes.clone()], "seed {seed}");
        assert_eq!(held.released_reads, 0, "seed {seed}");
        assert!(
            held.held_max <= bound(biggest),
            "seed {seed}: held {} bytes, bound {}",
            held.held_max,
            bound(biggest)
        );
        assert!(world.refreshes.get() >= 1, "seed {seed}");
        assert_part_sizes(&world);
        // Each part was acknowledged once, but the damaged one, which was sent again.
        let acknowledged = world
            .log()
            .iter()
            .filter(|l| l.call == "UploadPart" && l.ending == Some(Ending::Answered(200)))
            .count();
        assert_eq!(
            acknowledged,
            (total as u64).div_ceil(PART) as usize + 1,
            "seed {seed}"
        );
        assert_progress_monotone(&events);
        assert_no_open_upload(&world);
    }
}

#[test]
fn stop_keeps_reading_the_stream_and_start_sends_the_rest() {
    let world = World::new();
    let up = uploader(&world);
    let all = chunks(1500 * KIB, 64 * KIB as u64, 5);
    let (file, tap) = add_stream(&world, &up, "paused", all, 50.0, None);
    up.start().unwrap();
    world.run_for(400.0);
    up.stop();
    world.run_for(3_000.0);
    assert!(
        tap.read_stopped.get() > 0,
        "the stream was read while stopped"
    );
    up.start().unwrap();
    world.run();
    let events = world.take_events();
    assert_eq!(succeeded(&events), ["paused.webm"]);
    assert_eq!(stored(&world), vec![file.0.borrow().bytes.clone()]);
    assert_no_acknowledged_part_resent(&world.log());
}

#[test]
fn a_stream_that_fails_fails_its_file_and_aborts_unless_kept() {
    for keep in [false, true] {
        let world = World::new();
        let up = uploader(&world);
        let all = chunks(700 * KIB, 50 * KIB as u64, 9);
        let (file, _) = add_stream(&world, &up, "broken", all, 10.0, Some(keep));
        let events = start_and_run(&world, &up);
        let failed: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                Event::Failed(info, error) => Some((info.name.clone(), error.code.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(failed, [("broken.webm".into(), Code::StreamFailed)]);
        let open = world
            .oss
            .borrow()
            .uploads
            .values()
            .filter(|u| u.state == "open")
            .count();
        assert_eq!(
            (open, checkpoints(&world).len()),
            (keep as usize, keep as usize)
        );
        assert_eq!(file.0.borrow().forgotten, !keep, "kept for a later page");
    }
}

#[test]
fn a_stream_whose_page_died_resumes_from_what_was_kept_into_the_same_video() {
    let world = World::new();
    let up = uploader(&world);
    let all = chunks(1300 * KIB, 40 * KIB as u64, 21);
    let (file, tap) = add_stream(&world, &up, "crashed", all, 25.0, None);
    up.start().unwrap();
    world.run_for(500.0);
    // The page dies: what it did not finish is lost, but for what the platform kept.
    tap.dead.set(true);
    up.stop();
    drop(up);
    world.run();
    world.take_events();
    let (video, released) = {
        let held = file.0.borrow();
        assert!(!held.released.is_empty() && (held.bytes.len() as u64) < 1300 * KIB as u64);
        assert!(!held.forgotten, "kept for the next page");
        (checkpoints(&world), held.released.len())
    };
    assert_eq!(video.len(), 1);
    let sent_before = world.log().len();
    // The page after the reload finishes the stream as it is.
    let up = uploader(&world);
    let index = up
        .add(file.clone(), recording("crashed.webm"), Some("crashed"))
        .unwrap();
    let info = up.list_files()[0].clone();
    assert!(info.resumed && info.loaded > 0, "{info:?}");
    let size = file.0.borrow().bytes.len() as u64;
    up.stream(index, Stream::Grew { size, ended: true });
    let events = start_and_run(&world, &up);
    assert_eq!(succeeded(&events), ["crashed.webm"]);
    let held = file.0.borrow();
    assert_eq!(stored(&world), vec![held.bytes.clone()]);
    assert_eq!(world.oss.borrow().uploads.len(), 1, "the same upload");
    assert_eq!(held.released_reads, 0, "no released byte was asked for");
    assert!(held.released.len() > released);
    let log = world.log();
    assert_eq!(log[sent_before].call, "ListParts");
    assert_no_acknowledged_part_resent(&log);
    assert!(checkpoints(&world).is_empty());
}

#[test]
fn a_stream_that_lost_its_upload_after_releasing_bytes_fails_named() {
    let world = World::new();
    let up = uploader(&world);
    let all = chunks(900 * KIB, 30 * KIB as u64, 33);
    add_stream(&world, &up, "lost", all, 20.0, None);
    up.start().unwrap();
    world.run_for(600.0);
    assert!(up.list_files()[0].loaded > 0);
    // The server forgets the upload: the parts it held cannot be sent again.
    world.oss.borrow_mut().uploads.clear();
    world.run();
    let events = world.take_events();
    let failed = events.iter().find_map(|e| match e {
        Event::Failed(_, error) => Some(error.code.clone()),
        _ => None,
    });
    assert_eq!(failed, Some(Code::StreamLost));
}

#[test]
fn a_stream_goes_up_in_sts_mode_too() {
    let world = World::new();
    let up = sts_uploader(&world);
    let all = chunks(450 * KIB, 70 * KIB as u64, 41);
    let (file, _) = add_stream(&world, &up, "sts", all, 30.0, None);
    let events = start_and_run(&world, &up);
    assert_eq!(succeeded(&events), ["sts.webm"]);
    assert_eq!(stored(&world), vec![file.0.borrow().bytes.clone()]);
    let vod = world.vod.borrow();
    assert!(vod.calls.iter().any(|c| c["Action"] == "CreateUploadVideo"));
}

#[test]
fn a_file_added_after_a_stream_goes_up_while_the_stream_still_grows() {
    let world = World::new();
    let up = uploader(&world);
    // 30 s of recording, 100 KiB a second.
    let all = steady(3000 * KIB, 100 * KIB);
    let (recorded, _) = add_stream(&world, &up, "long", all, 1000.0, None);
    let file = bytes(500 * KIB, 7);
    add(&up, "after.mp4", &file);
    up.start().unwrap();
    world.run_for(10_000.0);
    let events = world.take_events();
    assert_eq!(
        succeeded(&events),
        ["after.mp4"],
        "done while the stream records"
    );
    assert_eq!(up.list_files()[0].size, 0, "the stream still grows");
    world.run();
    let events = world.take_events();
    assert_eq!(succeeded(&events), ["long.webm"]);
    let mut objects = stored(&world);
    objects.sort_by_key(Vec::len);
    assert_eq!(
        objects,
        vec![file.to_vec(), recorded.0.borrow().bytes.clone()]
    );
    assert!(max_in_flight(&world.log()) <= options().parallel);
}
