//! A digest computed over the pieces of a read, as a platform hashes a part: CRC-64 to check
//! what the server stored, MD5 to check an earlier page's parts against their ETags.

use super::{Digest, Hashed};
use crate::crc64::Crc64;

pub enum Hasher {
    Crc64(Crc64),
    Md5(md5::Md5),
}

impl Hasher {
    pub fn new(digest: Digest) -> Hasher {
        match digest {
            Digest::Crc64 => Hasher::Crc64(Crc64::default()),
            Digest::Md5 => Hasher::Md5(md5::Md5::default()),
        }
    }

    pub fn update(&mut self, piece: &[u8]) {
        match self {
            Hasher::Crc64(crc) => crc.update(piece),
            Hasher::Md5(md5) => md5::Digest::update(md5, piece),
        }
    }

    pub fn finish(self) -> Hashed {
        match self {
            Hasher::Crc64(crc) => Hashed::Crc64(crc.finish()),
            Hasher::Md5(md5) => Hashed::Md5(crate::encoding::hex(&md5::Digest::finalize(md5))),
        }
    }
}
