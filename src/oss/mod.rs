//! Object Storage Service: the V1 header signature and the XML it answers with.

pub mod signature;
pub mod xml;
