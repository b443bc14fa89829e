//! Small bridges to JavaScript: errors, reading option objects, calling the page's functions
//! without letting them break the uploader.

use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{Code, UploadError};

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

/// An optional whole-number option within `range`.
pub fn number(
    object: &JsValue,
    name: &str,
    range: std::ops::RangeInclusive<f64>,
) -> Result<Option<f64>, UploadError> {
    let value = get(object, name);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && range.contains(&n) => Ok(Some(n)),
        _ => Err(invalid(format!(
            "options.{name} must be a whole number from {} to {}",
            *range.start() as u64,
            *range.end() as u64
        ))),
    }
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
