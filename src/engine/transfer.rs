//! Uploading one file: credentials from the page, Initiate (or ListParts to learn what the
//! server already has), the parts `parallel` at a time, Complete. Every call goes through
//! [`Transfer::send`]: dating and signing, time-out, retries with backoff, clock-skew
//! correction, and stopping everything at once when credentials expire.

use std::cell::Cell;
use std::ops::Range;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

use futures_util::future::{self, Either};
use futures_util::stream::{self, StreamExt};

use super::uploader::{Entry, Inner};
use super::{Credentials, Event, Platform};
use crate::error::{code, UploadError};
use crate::oss::request::{Call, Request};
use crate::oss::response::{self, classify, Failure, Response};

#[derive(Debug, PartialEq)]
pub(super) enum Outcome {
    Succeeded,
    Failed(UploadError),
    Expired,
}

/// Why a file's upload stopped short.
enum Stop {
    Expired,
    /// The server no longer knows the multipart upload.
    Gone(UploadError),
    Failed(UploadError),
}

/// Backoff never waits longer than this.
const MAX_BACKOFF_MS: f64 = 30_000.0;

struct Transfer<'a, P: Platform> {
    inner: &'a Rc<Inner<P>>,
    /// The runner's flag: set by stop, delete, or expiry of any request.
    cancelled: &'a Cell<bool>,
    index: usize,
    /// This file's attempt is over: start nothing more.
    halted: Cell<bool>,
    skew_corrected: Cell<bool>,
}

pub(super) async fn upload<P: Platform>(
    inner: &Rc<Inner<P>>,
    cancelled: &Cell<bool>,
    index: usize,
) -> Outcome {
    let first = inner.update(index, |e| {
        e.state = super::FileState::Uploading;
        !std::mem::replace(&mut e.started, true)
    });
    if first == Some(true) {
        inner.emit_about(index, Event::Started);
    }
    if inner.update(index, |e| e.credentials.is_none()) == Some(true) {
        let Some(info) = inner.info(index) else {
            return Outcome::Failed(UploadError::new(code::NO_SUCH_FILE, "the file was deleted"));
        };
        match inner.platform.upload_auth(&info).await {
            Ok(credentials) => {
                inner.update(index, |e| e.credentials = Some(credentials));
            }
            Err(error) => return Outcome::Failed(error),
        }
    }
    for restart in [false, true] {
        let transfer = Transfer {
            inner,
            cancelled,
            index,
            halted: Cell::new(false),
            skew_corrected: Cell::new(false),
        };
        match transfer.attempt().await {
            Ok(()) => return Outcome::Succeeded,
            Err(Stop::Expired) => return Outcome::Expired,
            Err(Stop::Failed(error)) => return Outcome::Failed(error),
            Err(Stop::Gone(error)) if restart => return Outcome::Failed(error),
            Err(Stop::Gone(_)) => {
                // Start the file over; what was reported stays reported.
                inner.update(index, |e| {
                    e.upload_id = None;
                    e.done.clear();
                    e.loaded = 0;
                });
            }
        }
    }
    unreachable!("the second attempt returns")
}

/// Best effort: aborts a multipart upload whose file was deleted.
pub(super) async fn abort<P: Platform>(
    inner: Rc<Inner<P>>,
    credentials: Credentials,
    upload_id: String,
) {
    let date = http_date(&inner);
    let request = Call::Abort {
        upload_id: &upload_id,
    }
    .build(&credentials.address, &credentials.auth, &date);
    let _ = inner.platform.send(request, None).await;
}

fn http_date<P: Platform>(inner: &Inner<P>) -> String {
    let ms = inner.platform.now_ms() + inner.clock_offset_ms.get();
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(ms.max(0.0) as u64))
}

impl<P: Platform> Transfer<'_, P> {
    /// Reads the file's entry; a file deleted meanwhile ends the attempt.
    fn get<R>(&self, read: impl FnOnce(&mut Entry<P::File>) -> R) -> Result<R, Stop> {
        self.inner.update(self.index, read).ok_or_else(|| {
            Stop::Failed(UploadError::new(code::NO_SUCH_FILE, "the file was deleted"))
        })
    }

    fn stop(&self, stop: Stop) -> Stop {
        self.halted.set(true);
        if matches!(stop, Stop::Expired) {
            self.cancelled.set(true);
        }
        stop
    }

    async fn attempt(&self) -> Result<(), Stop> {
        let (existing, content_type) =
            self.get(|e| (e.upload_id.clone(), e.content_type.clone()))?;
        let upload_id = match existing {
            Some(id) => {
                self.sync_parts(&id).await?;
                id
            }
            None => {
                let call = Call::Initiate {
                    content_type: &content_type,
                };
                let answer = self.send(&call, None).await?;
                let id =
                    response::upload_id(&answer.body).map_err(|e| self.stop(Stop::Failed(e)))?;
                self.get(|e| e.upload_id = Some(id.clone()))?;
                id
            }
        };
        let todo: Vec<u32> = self.get(|e| {
            (1..=e.plan.count)
                .filter(|n| !e.done.contains_key(n))
                .collect()
        })?;
        let mut parts = stream::iter(todo)
            .map(|number| self.part(&upload_id, number))
            .buffer_unordered(self.inner.options.parallel);
        while let Some(result) = parts.next().await {
            result?;
        }
        drop(parts);
        let listed: Vec<(u32, String)> =
            self.get(|e| e.done.iter().map(|(n, etag)| (*n, etag.clone())).collect())?;
        self.send(
            &Call::Complete {
                upload_id: &upload_id,
                parts: &listed,
            },
            None,
        )
        .await?;
        Ok(())
    }

    /// Takes the server's list of parts as the truth about what is done, so a resumed upload
    /// sends only what the server does not have.
    async fn sync_parts(&self, upload_id: &str) -> Result<(), Stop> {
        let mut listed = Vec::new();
        let mut marker = 0;
        loop {
            let answer = self
                .send(&Call::ListParts { upload_id, marker }, None)
                .await?;
            let (parts, next) =
                response::list_parts(&answer.body).map_err(|e| self.stop(Stop::Failed(e)))?;
            listed.extend(parts);
            match next {
                Some(next) if next > marker => marker = next,
                _ => break,
            }
        }
        self.get(|e| {
            e.done.clear();
            e.loaded = 0;
            for part in listed {
                if (1..=e.plan.count).contains(&part.number) && part.size == e.plan.len(part.number)
                {
                    e.loaded += part.size;
                    e.done.insert(part.number, part.etag);
                }
            }
            e.shown = e.shown.max(e.loaded);
        })
    }

    async fn part(&self, upload_id: &str, number: u32) -> Result<(), Stop> {
        let bytes = self.get(|e| e.plan.part(number))?;
        let call = Call::UploadPart {
            upload_id,
            part_number: number,
        };
        let answer = self.send(&call, Some(bytes.clone())).await?;
        let Some(etag) = answer.etag.filter(|t| !t.is_empty()) else {
            return Err(self.stop(Stop::Failed(UploadError::new(
                code::CORS_ETAG_NOT_EXPOSED,
                "the part was uploaded but its ETag header cannot be read: the bucket's CORS rule must expose ETag (ExposeHeader: ETag)",
            ))));
        };
        self.get(|e| {
            e.done.insert(number, etag);
            e.loaded += bytes.end - bytes.start;
            e.shown = e.shown.max(e.loaded);
        })?;
        self.inner.emit_about(self.index, Event::Progress);
        Ok(())
    }

    /// Sends one call until it succeeds, retrying what is worth retrying.
    async fn send(&self, call: &Call<'_>, body: Option<Range<u64>>) -> Result<Response, Stop> {
        let platform = &self.inner.platform;
        let options = &self.inner.options;
        let mut retries = 0;
        loop {
            if self.halted.get() || self.cancelled.get() {
                // Everything in flight is about to be dropped; send nothing more.
                return future::pending().await;
            }
            let (credentials, file) = self.get(|e| (e.credentials.clone(), e.file.clone()))?;
            let credentials = credentials.expect("credentials are set before any call");
            let request: Request = call.build(
                &credentials.address,
                &credentials.auth,
                &http_date(self.inner),
            );
            let body = body.clone().map(|bytes| platform.slice(&file, bytes));
            let result = match future::select(
                platform.send(request, body),
                platform.sleep(options.timeout_ms),
            )
            .await
            {
                Either::Left((Ok(answer), _)) => Ok(answer),
                Either::Left((Err(message), _)) => Err((
                    Failure::Transient,
                    UploadError::new(code::NETWORK_ERROR, message),
                )),
                Either::Right(_) => Err((
                    Failure::Transient,
                    UploadError::new(
                        code::TIMEOUT,
                        format!("no answer within {} ms", options.timeout_ms),
                    ),
                )),
            };
            let (failure, error) = match result {
                Ok(answer) if (200..300).contains(&answer.status) => {
                    if self.get(|e| std::mem::take(&mut e.retrying))? {
                        self.inner.emit_about(self.index, Event::RetryResume);
                    }
                    return Ok(answer);
                }
                Ok(answer) => classify(&answer),
                Err(failed) => failed,
            };
            match failure {
                Failure::Expired => return Err(self.stop(Stop::Expired)),
                Failure::UploadGone => return Err(self.stop(Stop::Gone(error))),
                Failure::Skewed { server_ms } if !self.skew_corrected.replace(true) => {
                    self.inner
                        .clock_offset_ms
                        .set(server_ms - platform.now_ms());
                }
                Failure::Transient if retries < options.retry_count => {
                    retries += 1;
                    self.get(|e| e.retrying = true)?;
                    self.inner
                        .emit_about(self.index, |info| Event::Retry(info, error));
                    let delay = (options.retry_duration_ms as f64 * 2f64.powi(retries as i32 - 1))
                        .min(MAX_BACKOFF_MS);
                    // Jitter spreads the retries of parallel parts apart.
                    platform
                        .sleep((delay * (0.5 + 0.5 * platform.random())) as u32)
                        .await;
                }
                _ => return Err(self.stop(Stop::Failed(error))),
            }
        }
    }
}
