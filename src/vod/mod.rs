//! VOD's OpenAPI, for STS mode: the RPC signature, the calls that allocate an upload
//! (`CreateUploadVideo`, `CreateUploadImage`, `RefreshUploadVideo`), and their answers
//! (docs/protocol.md, "VOD's RPC signature").

pub mod meta;
pub mod request;
pub mod response;
pub mod signature;
