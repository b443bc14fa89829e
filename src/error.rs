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
    /// The browser lacks what the SDK needs, such as `crypto.getRandomValues`.
    Unsupported,
    /// The stream the page handed over failed before its end.
    StreamFailed,
    /// A stream's multipart upload is lost, and the bytes OSS had acknowledged of it are no
    /// longer kept to send again.
    StreamLost,
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
            Code::Unsupported => "Unsupported",
            Code::StreamFailed => "StreamFailed",
            Code::StreamLost => "StreamLost",
            Code::Server(code) => code,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct UploadError {
    pub code: Code,
    pub message: String,
}

/// The longest message the page is given, in bytes: a server's text is quoted, never passed on
/// whole.
pub const MAX_MESSAGE: usize = 1024;

/// The longest error code a server may name; anything else is not a code.
pub const MAX_CODE: usize = 64;

impl UploadError {
    pub fn new(code: Code, message: impl Into<String>) -> UploadError {
        UploadError {
            code,
            message: bounded(message.into(), MAX_MESSAGE),
        }
    }

    /// An error a server named with `code`. A code that is not a short identifier (letters,
    /// digits, `.`, `_`, `-`) is a broken answer: `InvalidResponse`, quoting its start.
    pub fn server(code: &str, message: impl Into<String>) -> UploadError {
        if is_code(code) {
            return UploadError::new(Code::Server(code.into()), message);
        }
        UploadError::new(
            Code::InvalidResponse,
            alloc::format!(
                "the server named an error with something that is not a code: \"{}\"",
                quote(code, 100)
            ),
        )
    }

    /// The error with each of `secrets` (a secret key, a security token) blotted out of its
    /// message, should a server have quoted one.
    pub fn without(mut self, secrets: &[&str]) -> UploadError {
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            self.message = crate::text::replace(&self.message, secret, "***");
        }
        self
    }
}

/// Whether a server's `code` is one: a short identifier of letters, digits, `.`, `_`, `-`.
pub fn is_code(code: &str) -> bool {
    (1..=MAX_CODE).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Whether a server named an error with something that is not a code: a broken answer, which
/// is retried as one.
pub fn is_broken_code(code: &str) -> bool {
    !code.is_empty() && !is_code(code)
}

/// `text` cut to at most `max` bytes on a character boundary, marked with `…` when cut.
fn bounded(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max - '…'.len_utf8();
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// The start of a server's `text`, at most `max` bytes, with control characters as spaces.
pub fn quote(text: &str, max: usize) -> String {
    let clean: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    bounded(clean, max)
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn codes_stay_codes() {
        let named = UploadError::server("InvalidSecurityToken.Expired", "m");
        assert_eq!(
            named.code,
            Code::Server("InvalidSecurityToken.Expired".into())
        );
        for bad in ["", "has space", "<html>", "é", &"A".repeat(65), "a\u{0}b"] {
            let error = UploadError::server(bad, "m");
            assert_eq!(error.code, Code::InvalidResponse, "{bad:?}");
            assert!(!error.message.contains('\u{0}'));
        }
        let huge = UploadError::server(&"x".repeat(300_000), "m");
        assert!(huge.message.len() <= MAX_MESSAGE);
        assert!(huge.message.contains("xxxx"));
        assert_eq!(
            UploadError::server(&"A".repeat(64), "").code.as_str().len(),
            64
        );
    }

    #[test]
    fn messages_are_bounded_on_a_character_boundary() {
        for len in [0, 1, 1023, 1024, 1025, 5000] {
            let message = "é".repeat(len);
            let error = UploadError::new(Code::InvalidResponse, message.clone());
            assert!(error.message.len() <= MAX_MESSAGE);
            if message.len() <= MAX_MESSAGE {
                assert_eq!(error.message, message);
            } else {
                assert!(error.message.ends_with('…'));
            }
        }
    }

    #[test]
    fn secrets_are_blotted_out() {
        let error = UploadError::new(Code::InvalidResponse, "token TOK and key KEY, TOK again")
            .without(&["TOK", "KEY", ""]);
        assert_eq!(error.message, "token *** and key ***, *** again");
        assert_eq!(
            error.to_string(),
            "InvalidResponse: token *** and key ***, *** again"
        );
    }
}
