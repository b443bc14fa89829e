//! What a page may say about a file for VOD: title, description, category, tags, cover,
//! transcoding template or workflow, storage, app, user data, and for images their type. Checked
//! at `addFile`, before any request; sent with `CreateUploadVideo` / `CreateUploadImage` in STS
//! mode.

use crate::error::{Code, UploadError};
use alloc::{format, string::String, vec, vec::Vec};

pub const MAX_TITLE_CHARS: usize = 128;
/// The extensions `CreateUploadImage` takes (`ImageExt`).
pub const IMAGE_EXTENSIONS: [&str; 4] = ["png", "jpg", "jpeg", "gif"];
pub const MAX_TAGS: usize = 16;
pub const MAX_USER_DATA_BYTES: usize = 1024;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Meta {
    pub title: Option<String>,
    pub description: Option<String>,
    pub cate_id: Option<u64>,
    pub tags: Vec<String>,
    pub cover_url: Option<String>,
    pub template_group_id: Option<String>,
    pub workflow_id: Option<String>,
    pub storage_location: Option<String>,
    pub app_id: Option<String>,
    /// A JSON object, as its text.
    pub user_data: Option<String>,
    /// `default` or `cover`, for images.
    pub image_type: Option<String>,
}

fn invalid(message: String) -> UploadError {
    UploadError::new(Code::InvalidArgument, message)
}

impl Meta {
    pub fn check(&self) -> Result<(), UploadError> {
        if let Some(title) = &self.title {
            let chars = title.chars().count();
            if title.trim_ascii().is_empty() || chars > MAX_TITLE_CHARS {
                return Err(invalid(format!(
                    "title must be 1 to {MAX_TITLE_CHARS} characters; it is {chars}"
                )));
            }
        }
        if self.tags.len() > MAX_TAGS {
            return Err(invalid(format!(
                "at most {MAX_TAGS} tags; there are {}",
                self.tags.len()
            )));
        }
        if let Some(tag) = self
            .tags
            .iter()
            .find(|t| t.trim_ascii().is_empty() || crate::text::find(t, ",").is_some())
        {
            return Err(invalid(format!(
                "a tag is a non-empty word without commas, not \"{tag}\""
            )));
        }
        if let Some(data) = &self.user_data {
            if data.len() > MAX_USER_DATA_BYTES {
                return Err(invalid(format!(
                    "userData is {} bytes as JSON; at most {MAX_USER_DATA_BYTES}",
                    data.len()
                )));
            }
        }
        if let Some(url) = &self.cover_url {
            if !url.starts_with("https://") && !url.starts_with("http://") {
                return Err(invalid(format!("coverUrl \"{url}\" is not an http(s) URL")));
            }
        }
        if let Some(kind) = &self.image_type {
            if kind != "default" && kind != "cover" {
                return Err(invalid(format!(
                    "imageType is \"default\" or \"cover\", not \"{kind}\""
                )));
            }
        }
        Ok(())
    }

    /// The call's descriptive parameters, the title defaulting to `default_title`.
    pub fn params(&self, default_title: &str) -> Vec<(&'static str, String)> {
        let mut params = vec![(
            "Title",
            self.title.clone().unwrap_or_else(|| default_title.into()),
        )];
        let optional = [
            ("Description", &self.description),
            ("CoverURL", &self.cover_url),
            ("TemplateGroupId", &self.template_group_id),
            ("WorkflowId", &self.workflow_id),
            ("StorageLocation", &self.storage_location),
            ("AppId", &self.app_id),
            ("UserData", &self.user_data),
        ];
        params.extend(
            optional
                .into_iter()
                .filter_map(|(name, value)| Some((name, value.clone()?))),
        );
        if let Some(id) = self.cate_id {
            params.push(("CateId", crate::encoding::decimal(id)));
        }
        if !self.tags.is_empty() {
            params.push(("Tags", self.tags.join(",")));
        }
        params
    }
}

/// A file name's title by default: the name without its extension.
pub fn default_title(file_name: &str) -> &str {
    match crate::text::rsplit_once(file_name, ".") {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => file_name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn bad_values_are_named_errors() {
        let long = "题".repeat(129);
        let cases = [
            Meta {
                title: Some(long),
                ..Meta::default()
            },
            Meta {
                title: Some("  ".into()),
                ..Meta::default()
            },
            Meta {
                tags: (0..17).map(|i: u32| i.to_string()).collect(),
                ..Meta::default()
            },
            Meta {
                tags: vec!["a,b".into()],
                ..Meta::default()
            },
            Meta {
                user_data: Some(format!("{{\"x\":\"{}\"}}", "y".repeat(1100))),
                ..Meta::default()
            },
            Meta {
                cover_url: Some("javascript:alert(1)".into()),
                ..Meta::default()
            },
            Meta {
                image_type: Some("banner".into()),
                ..Meta::default()
            },
        ];
        for meta in cases {
            assert_eq!(
                meta.check().unwrap_err().code,
                Code::InvalidArgument,
                "{meta:?}"
            );
        }
        let fine = Meta {
            title: Some("题".repeat(128)),
            tags: (0..16).map(|i: u32| i.to_string()).collect(),
            image_type: Some("cover".into()),
            ..Meta::default()
        };
        assert!(fine.check().is_ok());
    }

    #[test]
    fn params_carry_what_was_given_and_a_default_title() {
        let meta = Meta {
            cate_id: Some(7),
            tags: vec!["a".into(), "b".into()],
            user_data: Some("{\"k\":1}".into()),
            ..Meta::default()
        };
        let params = meta.params(default_title("holiday.2024.mp4"));
        assert_eq!(
            params,
            [
                ("Title", "holiday.2024".to_string()),
                ("UserData", "{\"k\":1}".into()),
                ("CateId", "7".into()),
                ("Tags", "a,b".into()),
            ]
        );
        assert_eq!(default_title(".hidden"), ".hidden");
    }
}
