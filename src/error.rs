//! The SDK's errors: a stable code and a message a person can act on. Server errors keep the
//! OSS code (PROTOCOL.md section 4); the SDK's own codes are the constants below. No message
//! ever carries a secret.

use std::borrow::Cow;
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub struct UploadError {
    pub code: Cow<'static, str>,
    pub message: String,
}

impl UploadError {
    pub fn new(code: &'static str, message: impl Into<String>) -> UploadError {
        UploadError {
            code: Cow::Borrowed(code),
            message: message.into(),
        }
    }

    /// An error the server named.
    pub fn from_server(code: String, message: String) -> UploadError {
        UploadError {
            code: Cow::Owned(code),
            message,
        }
    }
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// The SDK's own error codes.
pub mod code {
    pub const INVALID_ARGUMENT: &str = "InvalidArgument";
    pub const INVALID_FILE: &str = "InvalidFile";
    pub const EMPTY_FILE: &str = "EmptyFile";
    pub const FILE_TOO_LARGE: &str = "FileTooLarge";
    pub const INVALID_PART_SIZE: &str = "InvalidPartSize";
    pub const INVALID_UPLOAD_AUTH: &str = "InvalidUploadAuth";
    pub const INVALID_UPLOAD_ADDRESS: &str = "InvalidUploadAddress";
    pub const GET_UPLOAD_AUTH_FAILED: &str = "GetUploadAuthFailed";
    pub const NO_SUCH_FILE: &str = "NoSuchFile";
    pub const ALREADY_STARTED: &str = "AlreadyStarted";
    pub const NOT_EXPIRED: &str = "NotExpired";
    pub const NETWORK_ERROR: &str = "NetworkError";
    pub const TIMEOUT: &str = "Timeout";
    pub const CORS_ETAG_NOT_EXPOSED: &str = "CorsEtagNotExposed";
    pub const INVALID_RESPONSE: &str = "InvalidResponse";
}
