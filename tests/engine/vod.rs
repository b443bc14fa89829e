//! VOD's OpenAPI in the simulation, for STS mode: checks the RPC signature and the STS token as
//! vod-local does, with vod-local's own signing (nothing of the SDK's), allocates uploads,
//! refreshes them, fails on command.

use std::collections::{BTreeMap, VecDeque};

use vod_upload::oss::request::Request;
use vod_upload::oss::response::Response;

use super::signing;

use super::sim::World;

pub const ENDPOINT: &str = "http://vod.sim";

#[derive(Default)]
pub struct Vod {
    /// Every call that got through, as its parameters.
    pub calls: Vec<BTreeMap<String, String>>,
    /// Statuses the next calls answer with, before anything is checked.
    pub faults: VecDeque<u16>,
}

fn answer(status: u16, body: String) -> Response {
    Response {
        status,
        body,
        ..Response::default()
    }
}

fn refuse(status: u16, code: &str) -> Response {
    answer(
        status,
        format!(r#"{{"RequestId":"SIMVOD","Code":"{code}","Message":"simulated {code}"}}"#),
    )
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

pub fn handle(world: &World, request: &Request) -> Response {
    if let Some(status) = world.vod.borrow_mut().faults.pop_front() {
        return refuse(status, "ServiceUnavailable");
    }
    let query = request.url.split_once('?').map_or("", |(_, q)| q);
    let params: BTreeMap<String, String> = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(n, v)| (decode(n), decode(v)))
        .collect();
    let Some((secret, token)) = world.valid_credential(&params["AccessKeyId"]) else {
        return refuse(403, "InvalidSecurityToken.Expired");
    };
    if params.get("SecurityToken") != Some(&token) {
        return refuse(403, "InvalidSecurityToken.MismatchWithAccessKey");
    }
    let expected = signing::vod_string_to_sign(&params);
    if signing::hmac_sha1_base64(&format!("{secret}&"), &expected) != params["Signature"] {
        // As VOD does, the message quotes the string signed, security token and all.
        return answer(
            400,
            format!(
                r#"{{"RequestId":"SIMVOD","Code":"SignatureDoesNotMatch","Message":"server string to sign is:{expected}"}}"#
            ),
        );
    }
    world.vod.borrow_mut().calls.push(params.clone());
    let ttl = world.ttl_ms.get();
    let (key, id_field, id) = match params["Action"].as_str() {
        "CreateUploadVideo" => {
            let name = &params["FileName"];
            (format!("sv/{name}"), "VideoId", format!("video-{name}"))
        }
        "RefreshUploadVideo" => {
            let id = params["VideoId"].clone();
            let name = id.trim_start_matches("video-").to_string();
            (format!("sv/{name}"), "VideoId", id)
        }
        "CreateUploadImage" => {
            let n = world.vod.borrow().calls.len();
            let ext = &params["ImageExt"];
            (format!("image/{n}.{ext}"), "ImageId", format!("image-{n}"))
        }
        _ => return refuse(404, "InvalidAction.NotFound"),
    };
    let (auth, address) = world.mint(&key, ttl);
    answer(
        200,
        format!(
            r#"{{"RequestId":"SIMVOD","{id_field}":"{id}","ImageURL":"http://b.sim/{key}","UploadAddress":"{address}","UploadAuth":"{auth}"}}"#
        ),
    )
}
