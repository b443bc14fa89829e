//! Object Storage Service: V1 signing, the multipart calls, and the XML they exchange.

pub mod limits;
pub mod request;
pub mod response;
pub mod signature;
pub mod xml;
