//! The command line: loopback only unless told otherwise, and named errors for bad flags.

use std::process::Command;

fn vod_local(args: &[&str]) -> std::process::Output {
    let data = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_vod-local"))
        .args(args)
        .arg("--data")
        .arg(data.path())
        .output()
        .unwrap()
}

#[test]
fn refuses_a_non_loopback_address_without_allow_remote() {
    let out = vod_local(&["--listen", "0.0.0.0:0"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not a loopback address") && stderr.contains("--allow-remote"),
        "{stderr}"
    );
}

#[test]
fn refuses_an_invalid_bucket_name() {
    let out = vod_local(&["--listen", "127.0.0.1:0", "--bucket", "Bad_Bucket"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bucket name"));
}
