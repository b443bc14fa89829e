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

#[cfg(test)]
mod tests {
    use super::*;

    /// Fed in pieces, each digest is the one of the whole: RFC 1321's MD5 of "abc", and the
    /// CRC-64/XZ check value of "123456789".
    #[test]
    fn digests_of_pieces_are_those_of_the_whole() {
        let digest = |digest, text: &str| {
            let mut hasher = Hasher::new(digest);
            for piece in text.as_bytes().chunks(2) {
                hasher.update(piece);
            }
            hasher.finish()
        };
        assert_eq!(
            digest(Digest::Md5, "abc"),
            Hashed::Md5("900150983cd24fb0d6963f7d28e17f72".into())
        );
        assert_eq!(
            digest(Digest::Crc64, "123456789"),
            Hashed::Crc64(0x995D_C9BB_DF19_39FA)
        );
    }
}
