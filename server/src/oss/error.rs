//! OSS errors: a status and an `<Error>` document with Code, Message, RequestId, HostId and
//! whatever else OSS adds for that code.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::xml;

#[derive(Debug)]
pub struct OssError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub extra: Vec<(&'static str, String)>,
}

impl OssError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> OssError {
        OssError {
            status: StatusCode::from_u16(status).expect("a valid status"),
            code,
            message: message.into(),
            extra: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> OssError {
        self.extra.push((name, value.into()));
        self
    }

    pub fn into_response(self, request_id: &str, host_id: &str) -> Response {
        let mut body = xml::leaf("Code", self.code) + &xml::leaf("Message", &self.message);
        body += &xml::leaf("RequestId", request_id);
        body += &xml::leaf("HostId", host_id);
        for (name, value) in &self.extra {
            body += &xml::leaf(name, value);
        }
        let headers = [(header::CONTENT_TYPE, "application/xml")];
        (self.status, headers, xml::document("Error", &body)).into_response()
    }
}

pub fn invalid_argument(message: impl Into<String>) -> OssError {
    OssError::new(400, "InvalidArgument", message)
}

pub fn no_such_upload() -> OssError {
    OssError::new(
        404,
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
}

pub fn access_denied(message: impl Into<String>) -> OssError {
    OssError::new(403, "AccessDenied", message)
}

pub fn internal(message: impl std::fmt::Display) -> OssError {
    OssError::new(
        500,
        "InternalError",
        format!("We encountered an internal error: {message}"),
    )
}
