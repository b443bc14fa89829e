//! Where a file's credentials come from, as rules: the page (`getUploadAuth`,
//! `refreshUploadAuth`), or VOD's OpenAPI called with an STS token (the page's `getSTSToken` in
//! STS mode, or one the page answered for the file). Each rule says what to ask next and what
//! an answer comes to; the transfer asks.

use super::call::Vod;
use super::ids::AskId;
use super::output::AskFor;
use super::session::Session;
use super::shared::Shared;
use super::{Credentials, Grant};
use crate::error::{Code, UploadError};
use crate::vod::response::Allocated;

/// Why credentials could not be had.
pub(super) enum Unavailable {
    /// The STS token could not be had: the upload waits for `resumeUploadWithToken`.
    NoToken,
    Failed(UploadError),
}

/// What credentials are for, with what is known of them.
#[derive(Debug)]
pub(super) enum Purpose {
    /// A new upload of the file: nothing is known.
    Allocate,
    /// An earlier page's video, to go on with its upload: its object and video, from the
    /// checkpoint.
    Resume(Credentials),
    /// The current ones, which are expiring.
    Renew(Credentials),
}

impl Purpose {
    /// What is known of the credentials sought.
    fn base(&self) -> Option<&Credentials> {
        match self {
            Purpose::Allocate => None,
            Purpose::Resume(base) | Purpose::Renew(base) => Some(base),
        }
    }
}

/// The next step in getting credentials.
pub(super) enum Step {
    Ask(AskFor<()>),
    /// Call VOD with the STS token.
    Vod(Vod),
}

/// Credentials being asked for.
pub(super) struct Obtain {
    pub purpose: Purpose,
    /// The page's answer awaited, by id; `None` while VOD is called.
    pub asked: Option<(AskId, AskFor<()>)>,
    /// VOD is called for a new upload (`CreateUploadVideo`), not a refresh.
    pub create: bool,
}

/// Whether the credentials can be renewed for the same object: a video's can, by VOD when
/// they came from VOD, else when the page gave `refreshUploadAuth`; an image's VOD cannot.
pub(super) fn can_renew(cx: &Shared, credentials: &Credentials) -> bool {
    match credentials.from_sts {
        true => credentials.image.is_none() && credentials.video_id.is_some(),
        false => cx.can_refresh,
    }
}

/// When the session's credentials are to be renewed ahead of their expiry, if they can be.
pub(super) fn renewal_due(cx: &Shared, session: &Session) -> Option<f64> {
    can_renew(cx, &session.credentials)
        .then(|| session.refresh_due_ms(cx.options.timeout_ms, cx.clock_offset_ms))
}

/// Whether new credentials can be had for the upload at all: renewed for the same object, or
/// made anew by VOD.
pub(super) fn renewable(cx: &Shared, credentials: &Credentials) -> bool {
    can_renew(cx, credentials) || credentials.from_sts
}

/// The refresh of `base`'s video by VOD.
fn refresh(base: &Credentials) -> Step {
    let video_id = base.video_id.clone().unwrap_or_default();
    Step::Vod(Vod::Refresh { video_id })
}

impl Obtain {
    pub fn new(purpose: Purpose) -> Obtain {
        Obtain {
            purpose,
            asked: None,
            create: false,
        }
    }

    pub fn asked(&self, id: AskId) -> bool {
        self.asked.is_some_and(|(asked, _)| asked == id)
    }

    /// The first step. Renewing credentials that cannot be renewed (an image's that VOD gave)
    /// gets new ones.
    pub fn first(&self, cx: &Shared) -> Step {
        match &self.purpose {
            Purpose::Allocate if !cx.options.sts => Step::Ask(AskFor::UploadAuth(())),
            Purpose::Allocate => Step::Vod(Vod::Create),
            Purpose::Resume(_) if !cx.options.sts && !cx.can_refresh => {
                Step::Ask(AskFor::UploadAuth(()))
            }
            Purpose::Renew(base) if !can_renew(cx, base) => Step::Vod(Vod::Create),
            Purpose::Resume(base) | Purpose::Renew(base) if base.from_sts => refresh(base),
            Purpose::Resume(_) | Purpose::Renew(_) => Step::Ask(AskFor::Refresh(())),
        }
    }

    /// What the page's answer comes to: credentials, a failure, or (for an STS token, which
    /// the caller keeps) a call of VOD.
    pub fn granted(&self, answer: Result<Grant, UploadError>) -> Result<Credentials, Granted> {
        let asked = self.asked.map(|(_, a)| a);
        let base = self.purpose.base();
        match (
            answer.map_err(|e| Granted::Done(Unavailable::Failed(e)))?,
            asked,
        ) {
            (Grant::Credentials(fresh), Some(AskFor::Refresh(()))) => match base {
                // The same object: what the answer leaves out (its VideoId, an image's id and
                // URL) is still what it was.
                Some(current) if fresh.address == current.address => Ok(Credentials {
                    video_id: fresh.video_id.or_else(|| current.video_id.clone()),
                    image: fresh.image.or_else(|| current.image.clone()),
                    ..fresh
                }),
                _ => Ok(fresh),
            },
            (Grant::Credentials(fresh), _) => Ok(fresh),
            (Grant::Auth(auth), _) => match base {
                Some(base) => Ok(Credentials {
                    auth,
                    ..base.clone()
                }),
                // A new upload: nothing is known to go with an UploadAuth alone.
                None => Err(Granted::Done(Unavailable::Failed(UploadError::new(
                    Code::InvalidUploadAddress,
                    "getUploadAuth answered an UploadAuth without its UploadAddress",
                )))),
            },
            (Grant::Sts(token), _) => {
                let step = match base {
                    None => Step::Vod(Vod::Create),
                    Some(base) => refresh(base),
                };
                Err(Granted::Token(token, step))
            }
        }
    }

    /// What VOD's answer comes to.
    pub fn allocated(&self, answer: Allocated) -> Credentials {
        match (self.purpose.base(), self.create) {
            (Some(base), false) => Credentials {
                auth: answer.auth,
                from_sts: true,
                ..base.clone()
            },
            _ => Credentials {
                auth: answer.auth,
                address: answer.address,
                video_id: answer.video_id,
                image: answer.image_id.zip(answer.image_url),
                from_sts: true,
            },
        }
    }
}

/// A page's answer that is not credentials yet.
pub(super) enum Granted {
    Done(Unavailable),
    /// An STS token, to keep and call VOD with.
    Token(crate::auth::StsToken, Step),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{StsToken, UploadAddress, UploadAuth};
    use crate::engine::core::Core;
    use crate::engine::{Network, Options};
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;

    /// The shared state of an uploader in STS mode or not, whose page gave `refreshUploadAuth`
    /// or not.
    fn core(sts: bool, can_refresh: bool) -> Core<u8> {
        let online = Network {
            online: true,
            cellular: false,
        };
        let options = Options {
            sts,
            ..Options::default()
        };
        Core::new(options, [0; 32], can_refresh, online, 0.0).unwrap()
    }

    /// Credentials for `object`: a video's, or an image's; from VOD (`from_sts`) or the page.
    fn credentials(object: &str, image: bool, from_sts: bool) -> Credentials {
        Credentials {
            auth: UploadAuth {
                access_key_id: object.to_string(),
                ..UploadAuth::default()
            },
            address: UploadAddress {
                endpoint: "https://oss.example".into(),
                bucket: "b".into(),
                file_name: object.into(),
            },
            video_id: (!image).then(|| "v1".to_string()),
            image: image.then(|| ("i1".to_string(), "https://img/i1.png".to_string())),
            from_sts,
        }
    }

    fn step(step: Step) -> String {
        match step {
            Step::Ask(AskFor::UploadAuth(())) => "ask getUploadAuth".into(),
            Step::Ask(AskFor::Refresh(())) => "ask refreshUploadAuth".into(),
            Step::Ask(AskFor::StsToken) => "ask getSTSToken".into(),
            Step::Vod(Vod::Create) => "VOD create".into(),
            Step::Vod(Vod::Refresh { video_id }) => alloc::format!("VOD refresh {video_id}"),
        }
    }

    #[test]
    fn the_first_step_by_purpose_mode_and_what_is_known() {
        let video = |from_sts| credentials("sv/a.mp4", false, from_sts);
        let image = credentials("image/a.png", true, true);
        // (purpose with what is known, STS mode, refreshUploadAuth given) → first step.
        let table: Vec<(Purpose, bool, bool, &str)> = alloc::vec![
            (Purpose::Allocate, false, false, "ask getUploadAuth"),
            (Purpose::Allocate, false, true, "ask getUploadAuth"),
            (Purpose::Allocate, true, false, "VOD create"),
            (
                Purpose::Resume(video(false)),
                false,
                false,
                "ask getUploadAuth"
            ),
            (
                Purpose::Resume(video(false)),
                false,
                true,
                "ask refreshUploadAuth"
            ),
            (Purpose::Resume(video(true)), true, false, "VOD refresh v1"),
            (
                Purpose::Renew(video(false)),
                false,
                true,
                "ask refreshUploadAuth"
            ),
            (Purpose::Renew(video(false)), false, false, "VOD create"),
            (Purpose::Renew(video(true)), false, false, "VOD refresh v1"),
            (Purpose::Renew(video(true)), true, false, "VOD refresh v1"),
            (Purpose::Renew(image), true, false, "VOD create"),
        ];
        for (purpose, sts, refresh, expected) in table {
            let core = core(sts, refresh);
            let context = alloc::format!("{purpose:?}, sts {sts}, refresh {refresh}");
            let said = step(Obtain::new(purpose).first(core.shared()));
            assert_eq!(said, expected, "{context}");
        }
    }

    /// A purpose with what is known, what was asked, the answer, and what it comes to.
    type Row = (
        Purpose,
        AskFor<()>,
        Result<Grant, UploadError>,
        &'static str,
    );

    /// What an answer to `asked` comes to, as text.
    fn granted(purpose: Purpose, asked: AskFor<()>, answer: Result<Grant, UploadError>) -> String {
        let mut obtain = Obtain::new(purpose);
        obtain.asked = Some((AskId(1), asked));
        match obtain.granted(answer) {
            Ok(c) => alloc::format!(
                "credentials {} video {:?} image {:?} key {}",
                c.address.file_name,
                c.video_id,
                c.image.map(|(id, _)| id),
                c.auth.access_key_id
            ),
            Err(Granted::Done(Unavailable::Failed(e))) => {
                alloc::format!("failed {}", e.code.as_str())
            }
            Err(Granted::Done(Unavailable::NoToken)) => "no token".into(),
            Err(Granted::Token(_, next)) => alloc::format!("token, then {}", step(next)),
        }
    }

    #[test]
    fn what_each_answer_comes_to() {
        let video = || credentials("sv/a.mp4", false, false);
        let image = || credentials("image/a.png", true, false);
        let fresh = |object: &str| {
            let mut c = credentials(object, false, false);
            c.video_id = None;
            c.auth.access_key_id = "fresh".into();
            Grant::Credentials(c)
        };
        let token = || {
            Grant::Sts(StsToken {
                access_key_id: "STS.a".into(),
                access_key_secret: "s".into(),
                security_token: "t".into(),
                expires_at_ms: 1.0,
            })
        };
        let auth = || {
            Grant::Auth(UploadAuth {
                access_key_id: "renewed".into(),
                ..UploadAuth::default()
            })
        };
        let refused = || Err(UploadError::new(Code::GetUploadAuthFailed, "no"));
        let refresh = AskFor::Refresh(());
        let upload_auth = AskFor::UploadAuth(());
        let table: Vec<Row> = alloc::vec![
            // A refresh of the same object keeps what the answer leaves out.
            (
                Purpose::Renew(video()),
                refresh,
                Ok(fresh("sv/a.mp4")),
                "credentials sv/a.mp4 video Some(\"v1\") image None key fresh"
            ),
            (
                Purpose::Renew(image()),
                refresh,
                Ok(fresh("image/a.png")),
                "credentials image/a.png video None image Some(\"i1\") key fresh"
            ),
            // Another object is taken as it is.
            (
                Purpose::Renew(video()),
                refresh,
                Ok(fresh("sv/b.mp4")),
                "credentials sv/b.mp4 video None image None key fresh"
            ),
            (
                Purpose::Allocate,
                upload_auth,
                Ok(fresh("sv/c.mp4")),
                "credentials sv/c.mp4 video None image None key fresh"
            ),
            // An UploadAuth alone renews what is known, and cannot start a new upload.
            (
                Purpose::Renew(video()),
                refresh,
                Ok(auth()),
                "credentials sv/a.mp4 video Some(\"v1\") image None key renewed"
            ),
            (
                Purpose::Allocate,
                upload_auth,
                Ok(auth()),
                "failed InvalidUploadAddress"
            ),
            // An STS token: VOD is called, to create or to refresh.
            (
                Purpose::Allocate,
                upload_auth,
                Ok(token()),
                "token, then VOD create"
            ),
            (
                Purpose::Renew(video()),
                refresh,
                Ok(token()),
                "token, then VOD refresh v1"
            ),
            (
                Purpose::Resume(video()),
                refresh,
                Ok(token()),
                "token, then VOD refresh v1"
            ),
            // The page's refusal fails the file with its code.
            (
                Purpose::Allocate,
                upload_auth,
                refused(),
                "failed GetUploadAuthFailed"
            ),
        ];
        for (purpose, asked, answer, expected) in table {
            let context = alloc::format!("{purpose:?} {asked:?}");
            assert_eq!(granted(purpose, asked, answer), expected, "{context}");
        }
    }

    #[test]
    fn what_vods_answer_comes_to() {
        let answer = || Allocated {
            auth: UploadAuth {
                access_key_id: "vod".into(),
                ..UploadAuth::default()
            },
            address: UploadAddress {
                endpoint: "https://oss.example".into(),
                bucket: "b".into(),
                file_name: "sv/new.mp4".into(),
            },
            video_id: Some("v2".into()),
            image_id: None,
            image_url: None,
        };
        // A refresh keeps the object and the video, only the credentials are new; a creation
        // takes all of the answer, whatever was known.
        for (create, object, video) in [(false, "sv/a.mp4", "v1"), (true, "sv/new.mp4", "v2")] {
            let mut obtain = Obtain::new(Purpose::Renew(credentials("sv/a.mp4", false, false)));
            obtain.create = create;
            let got = obtain.allocated(answer());
            let what = (got.address.file_name.as_str(), got.video_id.as_deref());
            assert_eq!(what, (object, Some(video)), "create: {create}");
            assert_eq!(got.auth.access_key_id, "vod");
            assert!(got.from_sts);
        }
    }
}
