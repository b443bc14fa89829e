//! What the page may answer for a file's credentials, beyond one mode for every file: an STS
//! token for one file, credentials of another object when asked to refresh, or after expiry.

use super::sim::{decode_auth, Ending, Refresh, World};
use super::{
    add, add_with, assert_no_open_upload, bytes, count, outlive_credentials, slow_parts,
    start_and_run, stored, succeeded, upload_half, uploader, KIB,
};
use vod_upload::engine::{Credentials, Event, FileState, Grant};
use vod_upload::vod::meta::Meta;

fn vod_actions(world: &World) -> Vec<String> {
    let vod = world.vod.borrow();
    vod.calls.iter().map(|c| c["Action"].clone()).collect()
}

fn sent(world: &World, call: &str) -> Vec<(String, Option<Ending>)> {
    let log = world.log();
    let matching = log.iter().filter(|l| l.call == call);
    matching
        .map(|l| (l.key.clone(), l.ending.clone()))
        .collect()
}

fn sorted(mut objects: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    objects.sort();
    objects
}

#[test]
fn a_file_whose_get_upload_auth_answers_an_sts_token_goes_through_vod_beside_one_that_does_not() {
    let world = World::new();
    world.ttl_ms.set(2_000.0);
    world.sts_files.borrow_mut().insert("by-sts.mp4".into());
    let up = uploader(&world);
    let long = bytes(3000 * KIB, 60);
    let meta = Meta {
        title: Some("Trip".into()),
        ..Meta::default()
    };
    add_with(&up, "by-sts.mp4", &long, "video/mp4", meta);
    let short = bytes(250 * KIB, 61);
    add(&up, "by-auth.mp4", &short);
    // The other file's credentials, from the page, outlive the upload.
    let lasting = world.mint("sv/by-auth.mp4", 3_000_000.0);
    world
        .auth_answers
        .borrow_mut()
        .insert("by-auth.mp4".into(), Ok(lasting));
    slow_parts(&world, 30);
    let events = start_and_run(&world, &up);
    let mut done = succeeded(&events);
    done.sort();
    assert_eq!(done, ["by-auth.mp4", "by-sts.mp4"], "{events:#?}");
    // VOD made the first file's upload, with its metadata, and renewed its credentials, which
    // live 2 s, without the page: no refreshUploadAuth was given, no expiry was told.
    let actions = vod_actions(&world);
    assert_eq!(actions[0], "CreateUploadVideo");
    assert_eq!(world.vod.borrow().calls[0]["Title"], "Trip");
    assert!(actions[1..].iter().all(|a| a == "RefreshUploadVideo"));
    assert!(actions.len() >= 2, "{actions:?}");
    assert_eq!(count(&events, |e| matches!(e, Event::TokenExpired(_))), 0);
    assert_eq!(world.refreshes.get(), 0);
    let files = up.list_files();
    assert_eq!(files[0].video_id.as_deref(), Some("video-by-sts.mp4"));
    assert_eq!(
        sorted(stored(&world)),
        sorted(vec![long.to_vec(), short.to_vec()])
    );
    assert_no_open_upload(&world);
}

#[test]
fn a_refresh_that_names_another_object_moves_the_file_there_and_aborts_the_old_upload() {
    let (world, up, file, events) = outlive_credentials("moving.mp4", Some(Refresh::Elsewhere));
    assert_eq!(succeeded(&events), ["moving.mp4"]);
    assert_eq!(count(&events, |e| matches!(e, Event::TokenExpired(_))), 0);
    let info = &up.list_files()[0];
    assert_eq!(info.video_id.as_deref(), Some("video-moved-moving.mp4"));
    assert_eq!(info.object.as_deref(), Some("sv/moved-moving.mp4"));
    let initiated = sent(&world, "InitiateMultipartUpload");
    let keys: Vec<&str> = initiated.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["sv/moving.mp4", "sv/moved-moving.mp4"]);
    // The old credentials were still valid: the old upload is gone from the server.
    assert_eq!(
        sent(&world, "AbortMultipartUpload"),
        [("sv/moving.mp4".to_string(), Some(Ending::Answered(204)))]
    );
    assert_no_open_upload(&world);
    assert_eq!(stored(&world), vec![file.to_vec()]);
}

#[test]
fn credentials_of_another_object_after_expiry_move_the_file_there() {
    let (world, up, file, _) = outlive_credentials("expired.mp4", None);
    assert_eq!(up.list_files()[0].state, FileState::Expired);
    world.ttl_ms.set(3_000_000.0);
    let (auth, address) = world.mint("sv/new-video.mp4", 3_000_000.0);
    let video = Some("video-new".to_string());
    let credentials = Credentials::decode(&auth, &address, video, None).unwrap();
    up.resume_with_token(Grant::Credentials(credentials))
        .unwrap();
    world.run();
    assert_eq!(succeeded(&world.take_events()), ["expired.mp4"]);
    let info = &up.list_files()[0];
    assert_eq!(info.video_id.as_deref(), Some("video-new"));
    assert_eq!(stored(&world), vec![file.to_vec()]);
    // The old upload's credentials had expired: its Abort was tried and refused.
    let aborts = sent(&world, "AbortMultipartUpload");
    assert_eq!(aborts.len(), 1, "{aborts:?}");
    assert_eq!(aborts[0].0, "sv/expired.mp4");
    assert_ne!(aborts[0].1, Some(Ending::Answered(204)));
}

#[test]
fn an_upload_auth_alone_cannot_resume_a_file_whose_credentials_came_from_vod() {
    let world = World::new();
    world.ttl_ms.set(2_000.0);
    world
        .sts_files
        .borrow_mut()
        .insert("sts-expired.mp4".into());
    world.sts.set(super::sim::StsAnswer::Fails);
    // Past the margin the SDK keeps (twice the 5 s time-out) for 2 s: long enough for
    // CreateUploadVideo, too short for the renewal the 2 s credentials need.
    world.sts_ttl_ms.set(12_000.0);
    let up = uploader(&world);
    let file = bytes(3000 * KIB, 62);
    add(&up, "sts-expired.mp4", &file);
    slow_parts(&world, 30);
    let events = start_and_run(&world, &up);
    // The page has no getSTSToken to renew the token it answered.
    assert_eq!(count(&events, |e| matches!(e, Event::TokenExpired(_))), 1);
    let (auth, _) = world.mint("sv/sts-expired.mp4", 3_000_000.0);
    let refused = up.resume_with_token(Grant::Auth(decode_auth(&auth)));
    assert!(refused.unwrap_err().message.contains("STS token"));
    up.resume_with_token(Grant::Sts(world.sts_token(3_600_000.0)))
        .unwrap();
    world.run();
    assert_eq!(succeeded(&world.take_events()), ["sts-expired.mp4"]);
    assert_eq!(stored(&world), vec![file.to_vec()]);
}

#[test]
fn a_resumed_file_whose_refresh_answers_an_sts_token_refreshes_through_vod() {
    let world = World::new();
    let file = bytes(1000 * KIB, 63);
    let video_id = upload_half(&world, "half.mp4", &file);
    world.refresh.set(Some(Refresh::Sts));
    let again = uploader(&world);
    add(&again, "half.mp4", &file);
    assert!(again.list_files()[0].resumed);
    let events = start_and_run(&world, &again);
    assert_eq!(succeeded(&events), ["half.mp4"]);
    assert_eq!(vod_actions(&world), ["RefreshUploadVideo"]);
    assert_eq!(world.vod.borrow().calls[0]["VideoId"], video_id);
    assert_eq!(
        sent(&world, "InitiateMultipartUpload").len(),
        1,
        "the same upload"
    );
    assert_eq!(stored(&world), vec![file.to_vec()]);
}
