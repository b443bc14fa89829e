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

/// An optional function option.
pub fn function(object: &JsValue, name: &str) -> Result<Option<Function>, UploadError> {
    let value = get(object, name);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value
        .dyn_into::<Function>()
        .map(Some)
        .map_err(|_| invalid(format!("options.{name} must be a function")))
}

/// An optional true/false option.
pub fn boolean(object: &JsValue, name: &str) -> Result<Option<bool>, UploadError> {
    let value = get(object, name);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value
        .as_bool()
        .map(Some)
        .ok_or_else(|| invalid(format!("options.{name} must be true or false")))
}

/// Whether `n` is a whole number (within the range of `i64`, far beyond any option's).
fn is_whole(n: f64) -> bool {
    n == n as i64 as f64
}

/// An optional whole-number option within `range`.
pub fn number(
    object: &JsValue,
    name: &str,
    range: core::ops::RangeInclusive<f64>,
) -> Result<Option<f64>, UploadError> {
    let value = get(object, name);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if is_whole(n) && range.contains(&n) => Ok(Some(n)),
        _ => Err(invalid(format!(
            "options.{name} must be a whole number from {} to {}",
            *range.start() as u64,
            *range.end() as u64
        ))),
    }
}

/// The file options VOD knows, read from `addFile`'s options: named errors for wrong types.
pub fn meta(options: &JsValue) -> Result<Meta, UploadError> {
    let present =
        |name: &str| Some(get(options, name)).filter(|v| !v.is_undefined() && !v.is_null());
    let text = |name: &str| {
        present(name)
            .map(|v| {
                v.as_string()
                    .ok_or_else(|| invalid(format!("the file option {name} must be a string")))
            })
            .transpose()
    };
    let tags = match present("tags") {
        None => Vec::new(),
        Some(v) if v.is_string() => v
            .as_string()
            .unwrap_or_default()
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        Some(v) if js_sys::Array::is_array(&v) => js_sys::Array::from(&v)
            .iter()
            .map(|t| {
                t.as_string()
                    .ok_or_else(|| invalid("every tag must be a string".into()))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(invalid(
                "the file option tags is an array of strings or a comma-separated string".into(),
            ))
        }
    };
    let cate_id = match present("cateId") {
        None => None,
        Some(v) => Some(
            v.as_f64()
                .filter(|&n| is_whole(n) && n >= 0.0)
                .ok_or_else(|| invalid("the file option cateId must be a whole number".into()))?
                as u64,
        ),
    };
    let user_data = match present("userData") {
        None => None,
        Some(v) if v.is_object() && !js_sys::Array::is_array(&v) => {
            js_sys::JSON::stringify(&v).ok().and_then(|s| s.as_string())
        }
        Some(_) => {
            return Err(invalid(
                "the file option userData must be an object; it is sent as its JSON".into(),
            ))
        }
    };
    let meta = Meta {
        title: text("title")?,
        description: text("description")?,
        cate_id,
        tags,
        cover_url: text("coverUrl")?,
        template_group_id: text("templateGroupId")?,
        workflow_id: text("workflowId")?,
        storage_location: text("storageLocation")?,
        app_id: text("appId")?,
        user_data,
        image_type: text("imageType")?,
    };
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
