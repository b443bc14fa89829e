//! Property tests: every reader of outside input (XML, JSON, base64, dates, numbers, headers,
//! each operation's answer, the error classifier, VOD's answers, credentials, STS tokens,
//! checkpoints from storage) is fed generated input: random bytes, and real answers mutated by
//! truncation, byte flips, repetition, deep nesting, huge fields and wrong types. None may
//! panic, overflow the stack or take the input's secrets into an error.
//!
//! `cargo test` feeds 5,000 inputs to each reader; the long run feeds as many as
//! `VOD_FUZZ_CASES` says, with `VOD_FUZZ_SEED` to start elsewhere:
//! `VOD_FUZZ_CASES=1000000 cargo test --release --lib fuzz -- --nocapture`.

use alloc::{format, string::String, string::ToString, vec, vec::Vec};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::auth::{decode_upload_address, decode_upload_auth, StsToken};
use crate::engine::checkpoint::Checkpoint;
use crate::error::MAX_MESSAGE;
use crate::oss::response::{self, Response};
use crate::tests::xorshift;

/// Real answers and values, the starting points of the mutations.
fn samples() -> Vec<String> {
    let auth = r#"{"AccessKeyId":"STS.NUg","AccessKeySecret":"SECRETsecret","SecurityToken":"TOKENtoken","Expiration":"3600","ExpireUTCTime":"2024-01-10T08:50:00Z","Region":"cn-shanghai"}"#;
    let address = r#"{"Endpoint":"https://oss-cn-shanghai.aliyuncs.com","Bucket":"outin-b","FileName":"sv/1/a.mp4"}"#;
    vec![
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult xmlns=\"http://doc.oss-cn-hangzhou.aliyuncs.com\"><Bucket>outin-b</Bucket><Key>sv/1/a.mp4</Key><UploadId>0004B9894A22E5B1888A1E29F823****</UploadId></InitiateMultipartUploadResult>".into(),
        "<ListPartsResult><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId><NextPartNumberMarker>2</NextPartNumberMarker><IsTruncated>true</IsTruncated><Part><PartNumber>1</PartNumber><LastModified>2024-01-10T08:50:00.000Z</LastModified><ETag>\"3858F62230AC3C915F300C664312C11F\"</ETag><Size>102400</Size></Part><Part><PartNumber>2</PartNumber><ETag>\"AB\"</ETag><Size>5</Size></Part></ListPartsResult>".into(),
        "<CompleteMultipartUploadResult><Location>http://outin-b.oss/sv/1/a.mp4</Location><Bucket>outin-b</Bucket><Key>sv/1/a.mp4</Key><ETag>\"097DE458AD02B5F89F9D0530231876AF-2\"</ETag></CompleteMultipartUploadResult>".into(),
        "<?xml version=\"1.0\"?><Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message><RequestId>5C3D9778CC1C2AEDF85B****</RequestId><HostId>b.oss</HostId><ServerTime>2024-01-10T08:50:00.000Z</ServerTime></Error>".into(),
        "<Error><Code>InvalidSecurityToken</Code><Message>The security token you provided has expired.</Message><![CDATA[<x>]]>&amp;&#65;&#x42;<!-- c --></Error>".into(),
        format!(r#"{{"RequestId":"25818875","VideoId":"93ab850b4f","UploadAddress":"{}","UploadAuth":"{}"}}"#,
            crate::encoding::to_base64(address.as_bytes()), crate::encoding::to_base64(auth.as_bytes())),
        r#"{"RequestId":"R","HostId":"vod","Code":"InvalidSecurityToken.Expired","Message":"m","Recommend":{"a":[1,2.5e-3,true,null,"\u00e9\ud83d\ude00"]}}"#.into(),
        auth.into(),
        address.into(),
        crate::encoding::to_base64(auth.as_bytes()),
        r#"{"endpoint":"https://oss.example","bucket":"b","object":"sv/a.mp4","uploadId":"U1","partSize":102400,"loaded":204800,"saved":1700000000000,"videoId":"v"}"#.into(),
        "2024-01-10T08:50:00.123Z".into(),
        "18446744073709551615".into(),
        "\"3858F62230AC3C915F300C664312C11F\"".into(),
    ]
}

/// One generated input: random bytes, or a sample mutated one to four times.
fn input(next: &mut impl FnMut() -> u64, samples: &[String]) -> String {
    if next().is_multiple_of(8) {
        let bytes: Vec<u8> = (0..next() % 512).map(|_| next() as u8).collect();
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    let mut text = samples[next() as usize % samples.len()]
        .clone()
        .into_bytes();
    for _ in 0..=next() % 4 {
        mutate(next, &mut text);
    }
    String::from_utf8_lossy(&text).into_owned()
}

fn mutate(next: &mut impl FnMut() -> u64, text: &mut Vec<u8>) {
    let at = |next: &mut dyn FnMut() -> u64, len: usize| next() as usize % (len + 1);
    match next() % 16 {
        // Truncation.
        0..=2 => text.truncate(at(next, text.len())),
        // Byte flips.
        3..=5 => {
            for _ in 0..=next() % 8 {
                if !text.is_empty() {
                    let i = next() as usize % text.len();
                    text[i] ^= 1 << (next() % 8);
                }
            }
        }
        // Structural bytes put in.
        6..=7 => {
            let pick = b"<>/&;\"'{}[]:,\\=?! \n0-.eE";
            let i = at(next, text.len());
            text.insert(i, pick[next() as usize % pick.len()]);
        }
        // A piece repeated.
        8..=9 => {
            let (a, b) = (at(next, text.len()), at(next, text.len()));
            let piece = text[a.min(b)..a.max(b)].to_vec();
            let i = at(next, text.len());
            for _ in 0..next() % 64 {
                text.splice(i..i, piece.iter().copied());
            }
        }
        // Deep nesting, now and then deep enough to exhaust a recursive reader's stack.
        10..=11 => {
            let depth = if next().is_multiple_of(64) {
                100_000
            } else {
                next() as usize % 200
            };
            let (open, close): (&[u8], &[u8]) = match next() % 3 {
                0 => (b"<a>", b"</a>"),
                1 => (b"[", b"]"),
                _ => (b"{\"a\":", b"}"),
            };
            // Balanced at one place, or opened there and closed at the end.
            let i = at(next, text.len());
            let j = if next().is_multiple_of(2) {
                i
            } else {
                text.len()
            };
            text.splice(j..j, close.repeat(depth));
            text.splice(i..i, open.repeat(depth));
        }
        // A huge field, now and then past every size bound.
        12 => {
            let len = if next().is_multiple_of(128) {
                (1 << 20) + next() as usize % (1 << 20)
            } else {
                next() as usize % 4096
            };
            let i = at(next, text.len());
            let fill = b"A9 <\"&"[next() as usize % 6];
            text.splice(i..i, core::iter::repeat_n(fill, len));
        }
        // Wrong types: a value swapped for another kind.
        13..=14 => {
            let values: [&[u8]; 8] = [
                b"123",
                b"-1.5e999",
                b"[]",
                b"{}",
                b"null",
                b"\"\"",
                b"\"\\ud800\"",
                b"<x/>",
            ];
            let value = values[next() as usize % values.len()];
            let (a, b) = (at(next, text.len()), at(next, text.len()));
            text.splice(a.min(b)..a.max(b), value.iter().copied());
        }
        // Another sample spliced in.
        _ => {
            let i = at(next, text.len());
            text.splice(i..i, b"</Part></ListPartsResult><Part>".iter().copied());
        }
    }
}

/// A reader by name; it takes one input and must return, whatever it is.
type Reader = (&'static str, fn(&str));

fn readers() -> Vec<Reader> {
    fn answer(body: &str) -> Response {
        Response {
            status: 200,
            etag: Some(body.chars().take(300).collect()),
            crc64: Some(body.chars().rev().take(30).collect()),
            length: Some(body.chars().take(25).collect()),
            body: body.to_string(),
        }
    }
    vec![
        ("xml", |s| drop(crate::oss::xml::parse(s))),
        ("json", |s| {
            if let Some(fields) = crate::json::Fields::parse(s) {
                let _ = (fields.string("UploadAuth"), fields.whole_number("a"));
            }
        }),
        ("base64", |s| drop(crate::encoding::from_base64(s))),
        ("iso8601", |s| {
            let _ = crate::date::parse_iso8601(s);
        }),
        ("number", |s| {
            let _ = (crate::text::number(s, 10), crate::text::number(s, 16));
        }),
        ("classify", |s| {
            for status in [400, 403, 404, 500, 502] {
                let (_, error) = response::classify(&Response {
                    status,
                    ..answer(s)
                });
                assert!(error.message.len() <= MAX_MESSAGE);
                assert!(error.code.as_str().len() <= crate::error::MAX_CODE);
            }
        }),
        ("initiate", |s| drop(response::upload_id(&answer(s)))),
        ("list-parts", |s| drop(response::list_parts(&answer(s)))),
        ("complete", |s| {
            drop(response::completed(&answer(s), "outin-b", "sv/1/a.mp4"))
        }),
        ("stored", |s| {
            drop(response::stored(&answer(s), "UploadPart"))
        }),
        ("head", |s| drop(response::head(&answer(s)))),
        ("vod", |s| {
            for status in [200, 400, 503] {
                if let Err(refused) = crate::vod::response::read(status, s) {
                    assert!(refused.error.message.len() <= MAX_MESSAGE);
                    assert!(!refused.error.message.contains("SECRETsecret"));
                }
            }
        }),
        ("upload-auth", |s| {
            for text in [s.to_string(), crate::encoding::to_base64(s.as_bytes())] {
                if let Err(error) = decode_upload_auth(&text) {
                    assert!(!error.message.contains("SECRETsecret"));
                }
            }
        }),
        ("upload-address", |s| {
            drop(decode_upload_address(&crate::encoding::to_base64(
                s.as_bytes(),
            )))
        }),
        ("sts-token", |s| {
            let part = |n: usize| Some(s.chars().skip(n * 8).take(40).collect::<String>());
            drop(StsToken::new(
                part(0),
                part(1),
                part(2),
                Some(s.to_string()),
            ))
        }),
        ("checkpoint", |s| drop(Checkpoint::decode(s))),
    ]
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn no_input_makes_a_reader_panic() {
    let cases = setting("VOD_FUZZ_CASES", 5_000);
    let seed = setting("VOD_FUZZ_SEED", 0x5EED);
    let samples = samples();
    let readers = readers();
    let mut next = xorshift(seed);
    let mut bytes = 0u64;
    for case in 0..cases {
        let text = input(&mut next, &samples);
        bytes += text.len() as u64;
        for (name, read) in &readers {
            let outcome = catch_unwind(AssertUnwindSafe(|| read(&text)));
            let start: String = text.chars().take(200).collect();
            assert!(
                outcome.is_ok(),
                "{name} panicked on case {case} (seed {seed:#x}), which begins {start:?}"
            );
        }
    }
    std::println!(
        "fuzz: {cases} inputs ({} MB) to each of {} readers: {} reads, none panicked",
        bytes >> 20,
        readers.len(),
        cases * readers.len() as u64
    );
}
