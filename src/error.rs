//! The SDK's errors: a typed code and a message a person can act on. Inside the SDK a code is
//! the [`Code`] enum; it becomes the stable string the page sees only at the JavaScript edge
//! ([`Code::as_str`]). Server errors keep the code the server named (docs/protocol.md,
//! "Errors"). No message ever carries a secret.

use alloc::string::String;
use core::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Code {
    InvalidArgument,
    InvalidFile,
    EmptyFile,
    FileTooLarge,
    InvalidPartSize,
    InvalidUploadAuth,
    InvalidUploadAddress,
    InvalidStsToken,
    GetUploadAuthFailed,
    GetStsTokenFailed,
    NoSuchFile,
    AlreadyStarted,
    NotExpired,
    NetworkError,
    Timeout,
    CorsEtagNotExposed,
    InvalidResponse,
    /// A part, or the whole object, is not on the server as it was sent.
    Crc64Mismatch,
    /// The browser is offline; the upload waits for the network.
    NetworkOffline,
    /// The connection is cellular and `pauseOnCellular` is set; the upload waits.
    CellularNetwork,
    /// A code the server named, such as `AccessDenied`.
    Server(String),
}

impl Code {
    /// The stable name the page sees.
    pub fn as_str(&self) -> &str {
        match self {
            Code::InvalidArgument => "InvalidArgument",
            Code::InvalidFile => "InvalidFile",
            Code::EmptyFile => "EmptyFile",
            Code::FileTooLarge => "FileTooLarge",
            Code::InvalidPartSize => "InvalidPartSize",
            Code::InvalidUploadAuth => "InvalidUploadAuth",
            Code::InvalidUploadAddress => "InvalidUploadAddress",
            Code::InvalidStsToken => "InvalidStsToken",
            Code::GetUploadAuthFailed => "GetUploadAuthFailed",
            Code::GetStsTokenFailed => "GetSTSTokenFailed",
            Code::NoSuchFile => "NoSuchFile",
            Code::AlreadyStarted => "AlreadyStarted",
            Code::NotExpired => "NotExpired",
            Code::NetworkError => "NetworkError",
            Code::Timeout => "Timeout",
            Code::CorsEtagNotExposed => "CorsEtagNotExposed",
            Code::InvalidResponse => "InvalidResponse",
            Code::Crc64Mismatch => "Crc64Mismatch",
            Code::NetworkOffline => "NetworkOffline",
            Code::CellularNetwork => "CellularNetwork",
            Code::Server(code) => code,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct UploadError {
    pub code: Code,
    pub message: String,
}

impl UploadError {
    pub fn new(code: Code, message: impl Into<String>) -> UploadError {
        UploadError {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

/// A request that got no HTTP answer: the connection failed, was refused or reset.
#[derive(Clone, Debug, PartialEq)]
pub struct TransportError {
    pub message: String,
}
