//! Small bridges to JavaScript: errors, reading option objects, calling the page's functions
//! without letting them break the uploader.

use alloc::{format, string::String, string::ToString, vec::Vec};
use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{Code, UploadError};
use crate::vod::meta::Meta;

/// A JavaScript `Error` named `VodUploadError`, with the stable `code`.
pub fn error(e: &UploadError) -> JsValue {
    let error = js_sys::Error::new(&e.message);
    error.set_name("VodUploadError");
    let _ = Reflect::set(&error, &"code".into(), &JsValue::from_str(e.code.as_str()));
    error.into()
}

pub fn get(object: &JsValue, name: &str) -> JsValue {
    if object.is_object() {
        Reflect::get(object, &name.into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

fn invalid(message: String) -> UploadError {
    UploadError::new(Code::InvalidArgument, message)
}

/// Reads an options object. A wrong value does not end the reading: the first one is kept and
/// `finish` returns it. Each read is then a plain call, where returning at once would repeat the
/// dropping of everything read so far after every option, in the download.
pub struct Reader<'a> {
    object: &'a JsValue,
    /// How messages name an option: `options.` or `the file option `.
    prefix: &'static str,
    error: Option<UploadError>,
}

impl<'a> Reader<'a> {
    pub fn new(object: &'a JsValue, prefix: &'static str) -> Self {
        Reader {
            object,
            prefix,
            error: None,
        }
    }

    /// The value of `name`, unless it is missing, `undefined` or `null`.
    pub fn present(&self, name: &str) -> Option<JsValue> {
        Some(get(self.object, name)).filter(|v| !v.is_undefined() && !v.is_null())
    }

    /// Notes that option `name` is wrong: `must be …`.
    pub fn fail(&mut self, name: &str, must: &str) {
        if self.error.is_none() {
            self.error = Some(invalid(format!("{}{name} {must}", self.prefix)));
        }
    }

    /// An optional function.
    pub fn function(&mut self, name: &str) -> Option<Function> {
        let value = self.present(name)?.dyn_into::<Function>();
        if value.is_err() {
            self.fail(name, "must be a function");
        }
        value.ok()
    }

    /// An optional true/false.
    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        let value = self.present(name)?.as_bool();
        if value.is_none() {
            self.fail(name, "must be true or false");
        }
        value
    }

    /// An optional string.
    pub fn text(&mut self, name: &str) -> Option<String> {
        let value = self.present(name)?.as_string();
        if value.is_none() {
            self.fail(name, "must be a string");
        }
        value
    }

    /// An optional whole number within `range`.
    pub fn number(&mut self, name: &str, range: core::ops::RangeInclusive<f64>) -> Option<f64> {
        let value = self.present(name)?.as_f64();
        let value = value.filter(|&n| is_whole(n) && range.contains(&n));
        if value.is_none() {
            let must = format!(
                "must be a whole number from {} to {}",
                crate::encoding::decimal(*range.start() as u64),
                crate::encoding::decimal(*range.end() as u64)
            );
            self.fail(name, &must);
        }
        value
    }

    /// The first wrong option, if any.
    pub fn finish(self) -> Result<(), UploadError> {
        self.error.map_or(Ok(()), Err)
    }
}

/// The largest whole number a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Whether `n` is a whole number (within the range of `i64`, far beyond any option's).
fn is_whole(n: f64) -> bool {
    n == n as i64 as f64
}

/// The file options VOD knows, read from `addFile`'s options: named errors for wrong types.
pub fn meta(options: &JsValue) -> Result<Meta, UploadError> {
    let mut r = Reader::new(options, "the file option ");
    let tags = match r.present("tags") {
        None => Vec::new(),
        Some(v) if v.is_string() => crate::text::split(&v.as_string().unwrap_or_default(), ",")
            .map(|t| t.trim_ascii().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        Some(v) if js_sys::Array::is_array(&v) => {
            let tags: Option<Vec<String>> = js_sys::Array::from(&v)
                .iter()
                .map(|t| t.as_string())
                .collect();
            tags.unwrap_or_else(|| {
                r.fail("tags", "must hold only strings");
                Vec::new()
            })
        }
        Some(_) => {
            r.fail(
                "tags",
                "must be an array of strings or a comma-separated string",
            );
            Vec::new()
        }
    };
    let cate_id = r.number("cateId", 0.0..=MAX_SAFE_INTEGER).map(|n| n as u64);
    let user_data = r.present("userData").and_then(|v| {
        if v.is_object() && !js_sys::Array::is_array(&v) {
            js_sys::JSON::stringify(&v).ok().and_then(|s| s.as_string())
        } else {
            r.fail("userData", "must be an object; it is sent as its JSON");
            None
        }
    });
    let meta = Meta {
        title: r.text("title"),
        description: r.text("description"),
        cate_id,
        tags,
        cover_url: r.text("coverUrl"),
        template_group_id: r.text("templateGroupId"),
        workflow_id: r.text("workflowId"),
        storage_location: r.text("storageLocation"),
        app_id: r.text("appId"),
        user_data,
        image_type: r.text("imageType"),
    };
    r.finish()?;
    meta.check()?;
    Ok(meta)
}

/// An optional string field of an answer.
pub fn string(object: &JsValue, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| get(object, name).as_string())
}

/// Calls a page callback; one that throws is reported and otherwise ignored.
pub fn call(callback: &Option<Function>, name: &str, args: &[JsValue]) {
    let Some(callback) = callback else { return };
    let args: js_sys::Array = args.iter().collect();
    if let Err(thrown) = callback.apply(&JsValue::NULL, &args) {
        web_sys::console::error_3(
            &"vod-upload:".into(),
            &format!("{name} threw; the upload goes on.").into(),
            &thrown,
        );
    }
}

/// What a thrown value or a rejection says, for an error message.
pub fn describe(value: &JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    value
        .as_string()
        .or_else(|| {
            js_sys::JSON::stringify(value)
                .ok()
                .and_then(|s| s.as_string())
        })
        .unwrap_or_else(|| "an unknown error".into())
}
