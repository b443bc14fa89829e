//! The five multipart calls: Initiate, UploadPart, Complete, Abort and ListParts.

use std::collections::HashMap;
use std::time::SystemTime;

use axum::body::Body;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};

use super::addressing::Target;
use super::error::{internal, invalid_argument, no_such_upload, OssError};
use super::object::{meta_headers, receive, Stored};
use crate::state::{random_string, AppState, Object, Part, Upload, UploadState, HEX_UPPER};
use crate::store;
use crate::xml;
use vod_upload::oss::limits::{MAX_PARTS, MAX_PART_SIZE, MIN_PART_SIZE};

/// A Complete document listing 10,000 parts is well under this.
const MAX_COMPLETE_BODY: usize = 4 << 20;

fn open_upload<'a>(
    uploads: &'a mut HashMap<String, Upload>,
    id: &str,
    bucket: &str,
    key: &str,
) -> Result<&'a mut Upload, OssError> {
    match uploads.get_mut(id) {
        Some(u) if u.state == UploadState::Open && u.bucket == bucket && u.key == key => Ok(u),
        _ => Err(no_such_upload()),
    }
}

fn xml_response(headers: Vec<(&'static str, String)>, root: &str, children: &str) -> Response {
    let mut response = (
        [(header::CONTENT_TYPE, "application/xml")],
        xml::document(root, children),
    )
        .into_response();
    for (name, value) in headers {
        response
            .headers_mut()
            .insert(name, value.parse().expect("a valid header value"));
    }
    response
}

pub fn initiate(
    state: &AppState,
    bucket: &str,
    key: &str,
    headers: &HeaderMap,
) -> Result<Response, OssError> {
    let id = random_string(HEX_UPPER, 32);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let upload = Upload {
        bucket: bucket.to_string(),
        key: key.to_string(),
        content_type,
        meta: meta_headers(headers),
        state: UploadState::Open,
        parts: Default::default(),
        counts: Default::default(),
    };
    let mut uploads = state.uploads.lock().unwrap();
    state.save_upload(&id, &upload);
    uploads.insert(id.clone(), upload);
    drop(uploads);
    let body = xml::leaf("Bucket", bucket) + &xml::leaf("Key", key) + &xml::leaf("UploadId", &id);
    Ok(xml_response(vec![], "InitiateMultipartUploadResult", &body))
}

/// Counts an UploadPart request as it arrives, before faults or checks.
pub fn count_received(state: &AppState, id: &str, number: &str) {
    let Ok(number) = number.parse::<u32>() else {
        return;
    };
    if let Some(upload) = state.uploads.lock().unwrap().get_mut(id) {
        upload.counts.entry(number).or_default().received += 1;
        state.save_upload(id, upload);
    }
}

pub async fn upload_part(
    state: &AppState,
    bucket: &str,
    key: &str,
    id: &str,
    number: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OssError> {
    let number: u32 = number
        .parse()
        .ok()
        .filter(|n| (1..=MAX_PARTS).contains(n))
        .ok_or_else(|| {
            invalid_argument("Part number must be an integer between 1 and 10000, inclusive.")
                .with("ArgumentName", "partNumber")
                .with("ArgumentValue", number)
        })?;
    open_upload(&mut state.uploads.lock().unwrap(), id, bucket, key)?;
    let written = receive(state, headers, body, "parts", MAX_PART_SIZE).await?;

    let mut uploads = state.uploads.lock().unwrap();
    let upload = match open_upload(&mut uploads, id, bucket, key) {
        Ok(upload) => upload,
        Err(gone) => {
            let _ = std::fs::remove_file(&written.file);
            return Err(gone);
        }
    };
    let part = Part {
        file: written.file,
        size: written.size,
        md5: written.md5,
        crc64: written.crc64,
        last_modified: SystemTime::now(),
    };
    let replaced = upload.parts.insert(number, part);
    upload.counts.entry(number).or_default().stored += 1;
    // On disk before the answer: a part answered 200 survives a crash.
    state.save_upload(id, upload);
    if let Some(replaced) = replaced {
        let _ = std::fs::remove_file(replaced.file);
    }
    Ok(Stored {
        etag: store::etag(&written.md5),
        crc64: written.crc64,
        md5: written.md5,
    }
    .into_response())
}

/// The parts a Complete document lists, as (number, ETag).
fn listed_parts(body: &[u8]) -> Result<Vec<(u32, String)>, OssError> {
    let malformed = || {
        OssError::new(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.")
    };
    let text = std::str::from_utf8(body).map_err(|_| malformed())?;
    xml::complete_parts(text).ok_or_else(malformed)
}

/// ETags compare without their quotes and case-insensitively, as OSS does.
fn same_etag(a: &str, b: &str) -> bool {
    a.trim_matches('"')
        .eq_ignore_ascii_case(b.trim_matches('"'))
}

pub async fn complete(
    state: &AppState,
    bucket: &str,
    key: &str,
    id: &str,
    body: Body,
) -> Result<Response, OssError> {
    let body = axum::body::to_bytes(body, MAX_COMPLETE_BODY)
        .await
        .map_err(|_| invalid_argument("The Complete document is too large or was cut off."))?;
    let listed = listed_parts(&body)?;
    let (files, md5s) = {
        let mut uploads = state.uploads.lock().unwrap();
        let upload = open_upload(&mut uploads, id, bucket, key)?;
        if listed.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(OssError::new(400, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number."));
        }
        let mut files = Vec::new();
        let mut md5s = Vec::new();
        for (i, (number, etag)) in listed.iter().enumerate() {
            let part = upload
                .parts
                .get(number)
                .filter(|p| same_etag(&store::etag(&p.md5), etag))
                .ok_or_else(|| OssError::new(400, "InvalidPart", "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.")
                    .with("PartNumber", number.to_string()).with("ETag", etag.clone()))?;
            if i + 1 < listed.len() && part.size < MIN_PART_SIZE {
                return Err(OssError::new(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size.",
                )
                .with("PartNumber", number.to_string())
                .with("ProposedSize", part.size.to_string())
                .with("MinSizeAllowed", MIN_PART_SIZE.to_string()));
            }
            files.push(part.file.clone());
            md5s.push(part.md5);
        }
        (files, md5s)
    };

    let whole = store::concatenate(&files, state.new_file("objects"))
        .await
        .map_err(internal)?;
    let mut uploads = state.uploads.lock().unwrap();
    let upload = match open_upload(&mut uploads, id, bucket, key) {
        Ok(upload) => upload,
        Err(gone) => {
            let _ = std::fs::remove_file(&whole.file);
            return Err(gone);
        }
    };
    upload.state = UploadState::Completed;
    let parts = std::mem::take(&mut upload.parts);
    let etag = store::multipart_etag(&md5s);
    let object = Object {
        file: whole.file,
        size: whole.size,
        md5: whole.md5,
        etag: etag.clone(),
        crc64: whole.crc64,
        content_type: upload.content_type.clone(),
        meta: upload.meta.clone(),
        last_modified: SystemTime::now(),
        multipart: true,
    };
    // The object is recorded before the upload is marked completed, so a crash in between
    // loses neither.
    super::object::insert(state, bucket, key, object);
    state.save_upload(id, upload);
    drop(uploads);
    for part in parts.into_values() {
        let _ = std::fs::remove_file(part.file);
    }
    let body = xml::leaf("Location", format!("{}/{key}", bucket_url(state, bucket)))
        + &xml::leaf("Bucket", bucket)
        + &xml::leaf("Key", key)
        + &xml::leaf("ETag", &etag);
    Ok(xml_response(
        vec![
            ("etag", etag.clone()),
            ("x-oss-hash-crc64ecma", whole.crc64.to_string()),
        ],
        "CompleteMultipartUploadResult",
        &body,
    ))
}

fn bucket_url(state: &AppState, bucket: &str) -> String {
    state.endpoint.replacen("://", &format!("://{bucket}."), 1)
}

pub fn abort(state: &AppState, bucket: &str, key: &str, id: &str) -> Result<Response, OssError> {
    let mut uploads = state.uploads.lock().unwrap();
    let upload = open_upload(&mut uploads, id, bucket, key)?;
    upload.state = UploadState::Aborted;
    let parts = std::mem::take(&mut upload.parts);
    state.save_upload(id, upload);
    drop(uploads);
    for part in parts.into_values() {
        let _ = std::fs::remove_file(part.file);
    }
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

pub fn list_parts(
    state: &AppState,
    bucket: &str,
    key: &str,
    id: &str,
    target: &Target,
) -> Result<Response, OssError> {
    let number_param =
        |name: &'static str, default: u32, range: std::ops::RangeInclusive<u32>| match target
            .param(name)
        {
            None => Ok(default),
            Some(v) => v.parse().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                invalid_argument(format!("{name} must be an integer in {range:?}."))
                    .with("ArgumentName", name)
                    .with("ArgumentValue", v)
            }),
        };
    let max_parts = number_param("max-parts", 1000, 1..=1000)?;
    let marker = number_param("part-number-marker", 0, 0..=MAX_PARTS)?;
    let mut uploads = state.uploads.lock().unwrap();
    let upload = open_upload(&mut uploads, id, bucket, key)?;
    let mut after = upload.parts.range(marker + 1..);
    let page: Vec<_> = after.by_ref().take(max_parts as usize).collect();
    let truncated = after.next().is_some();
    let next_marker = page.last().map_or(marker, |(n, _)| **n);
    let mut body = xml::leaf("Bucket", bucket)
        + &xml::leaf("Key", key)
        + &xml::leaf("UploadId", id)
        + &xml::leaf("PartNumberMarker", marker)
        + &xml::leaf("NextPartNumberMarker", next_marker)
        + &xml::leaf("MaxParts", max_parts)
        + &xml::leaf("IsTruncated", truncated);
    for (number, part) in page {
        let fields = xml::leaf("PartNumber", number)
            + &xml::leaf(
                "LastModified",
                humantime::format_rfc3339_millis(part.last_modified),
            )
            + &xml::leaf("ETag", store::etag(&part.md5))
            + &xml::leaf("HashCrc64ecma", part.crc64)
            + &xml::leaf("Size", part.size);
        body += &xml::element("Part", &fields);
    }
    Ok(xml_response(vec![], "ListPartsResult", &body))
}
