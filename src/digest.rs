//! SHA-1, HMAC-SHA1 and MD5: what OSS and VOD signatures, checkpoint keys and the ETag check of a
//! resumed upload need. Written as plain loops rather than unrolled rounds, because every byte of
//! code is downloaded and the inputs are small (a string to sign, a key, two parts on resume).
//! The tests compare them with the RustCrypto crates.

use alloc::string::String;
use alloc::vec::Vec;

/// SHA-1 or MD5 being computed. The two share their 64-byte blocks and padding; they differ in
/// their state, their compression function and their byte order.
pub struct Hash {
    md5: bool,
    state: [u32; 5],
    buffer: [u8; 64],
    filled: usize,
    length: u64,
}

impl Hash {
    /// SHA-1, as HMAC-SHA1 and checkpoint keys use it.
    pub const fn sha1() -> Hash {
        Hash::new(
            false,
            [
                0x6745_2301,
                0xEFCD_AB89,
                0x98BA_DCFE,
                0x1032_5476,
                0xC3D2_E1F0,
            ],
        )
    }

    /// MD5, which OSS gives a part as its ETag.
    pub const fn md5() -> Hash {
        Hash::new(
            true,
            [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0],
        )
    }

    const fn new(md5: bool, state: [u32; 5]) -> Hash {
        Hash {
            md5,
            state,
            buffer: [0; 64],
            filled: 0,
            length: 0,
        }
    }

    pub fn update(&mut self, mut data: &[u8]) {
        self.length = self.length.wrapping_add(data.len() as u64);
        while !data.is_empty() {
            let take = data.len().min(64 - self.filled);
            self.buffer[self.filled..self.filled + take].copy_from_slice(&data[..take]);
            self.filled += take;
            data = &data[take..];
            if self.filled == 64 {
                if self.md5 {
                    md5_compress(&mut self.state, &self.buffer);
                } else {
                    sha1_compress(&mut self.state, &self.buffer);
                }
                self.filled = 0;
            }
        }
    }

    /// Pads with 0x80, zeros and the length in bits, and writes out the state: 20 bytes
    /// big-endian for SHA-1, 16 little-endian for MD5.
    pub fn finish(mut self) -> Vec<u8> {
        let bits = self.length.wrapping_mul(8);
        let order = if self.md5 {
            u64::to_le_bytes
        } else {
            u64::to_be_bytes
        };
        let zeros = (64 + 56 - (self.filled + 1) % 64) % 64;
        self.update(&[0x80]);
        for _ in 0..zeros {
            self.update(&[0]);
        }
        self.update(&order(bits));
        let words = if self.md5 { 4 } else { 5 };
        self.state[..words]
            .iter()
            .flat_map(|&w| {
                if self.md5 {
                    w.to_le_bytes()
                } else {
                    w.to_be_bytes()
                }
            })
            .collect()
    }
}

fn sha1_compress(state: &mut [u32; 5], block: &[u8; 64]) {
    let mut w = [0u32; 80];
    for (i, word) in block.chunks_exact(4).enumerate() {
        w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
    }
    for i in 16..80 {
        w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
    }
    let [mut a, mut b, mut c, mut d, mut e] = *state;
    for (i, word) in w.iter().enumerate() {
        let (f, k) = match i / 20 {
            0 => ((b & c) | (!b & d), 0x5A82_7999),
            1 => (b ^ c ^ d, 0x6ED9_EBA1),
            2 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
            _ => (b ^ c ^ d, 0xCA62_C1D6),
        };
        let t = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(*word);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = t;
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e]) {
        *s = s.wrapping_add(v);
    }
}

/// HMAC-SHA1 (RFC 2104) of `message` under `key`.
pub fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut padded = [0u8; 64];
    if key.len() > 64 {
        let mut hash = Hash::sha1();
        hash.update(key);
        padded[..20].copy_from_slice(&hash.finish());
    } else {
        padded[..key.len()].copy_from_slice(key);
    }
    let keyed = |pad: u8| {
        let mut hash = Hash::sha1();
        hash.update(&padded.map(|b| b ^ pad));
        hash
    };
    let mut inner = keyed(0x36);
    inner.update(message);
    let mut outer = keyed(0x5C);
    outer.update(&inner.finish());
    outer.finish()
}

/// MD5's per-step constants, `floor(abs(sin(i + 1)) * 2^32)`.
const MD5_K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
];

/// MD5's left rotations: four per round, repeated within the round.
const MD5_SHIFTS: [[u32; 4]; 4] = [
    [7, 12, 17, 22],
    [5, 9, 14, 20],
    [4, 11, 16, 23],
    [6, 10, 15, 21],
];

/// MD5 keeps four words of state; the fifth, SHA-1's, is left alone.
fn md5_compress(state: &mut [u32; 5], block: &[u8; 64]) {
    let mut m = [0u32; 16];
    for (i, word) in block.chunks_exact(4).enumerate() {
        m[i] = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
    }
    let [mut a, mut b, mut c, mut d, _] = *state;
    for (i, k) in MD5_K.iter().enumerate() {
        let round = i / 16;
        let (f, g) = match round {
            0 => ((b & c) | (!b & d), i),
            1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
            2 => (b ^ c ^ d, (3 * i + 5) % 16),
            _ => (c ^ (b | !d), (7 * i) % 16),
        };
        let f = f.wrapping_add(a).wrapping_add(*k).wrapping_add(m[g]);
        a = d;
        d = c;
        c = b;
        b = b.wrapping_add(f.rotate_left(MD5_SHIFTS[round][i % 4]));
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d]) {
        *s = s.wrapping_add(v);
    }
}

/// Lowercase hexadecimal, as digests are written out.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::bytes;
    use hmac::Mac;
    use md5::Digest;

    /// Every length around the block and padding boundaries, and some long ones, fed in
    /// uneven pieces.
    fn lengths() -> impl Iterator<Item = usize> {
        (0..200).chain([447, 448, 511, 512, 513, 1000, 4096, 65_537])
    }

    #[test]
    fn known_answers() {
        let mut sha1 = Hash::sha1();
        sha1.update(b"abc");
        assert_eq!(
            crate::base64::encode(&sha1.finish()),
            "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="
        );
        let mut md5 = Hash::md5();
        md5.update(b"abc");
        assert_eq!(hex(&md5.finish()), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn sha1_and_md5_agree_with_rustcrypto() {
        for len in lengths() {
            let data = bytes(len, len as u64);
            let (mut sha1, mut md5) = (Hash::sha1(), Hash::md5());
            for piece in data.chunks(1 + len % 61) {
                sha1.update(piece);
                md5.update(piece);
            }
            assert_eq!(
                sha1.finish()[..],
                sha1::Sha1::digest(&data)[..],
                "sha1 of {len}"
            );
            assert_eq!(
                md5.finish()[..],
                md5::Md5::digest(&data)[..],
                "md5 of {len}"
            );
        }
    }

    #[test]
    fn hmac_agrees_with_rustcrypto_for_short_and_long_keys() {
        for key_len in [0, 1, 20, 63, 64, 65, 200] {
            let key = bytes(key_len, 7 + key_len as u64);
            for len in [0, 1, 55, 56, 64, 300] {
                let message = bytes(len, len as u64 + 99);
                let mut oracle = hmac::Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
                oracle.update(&message);
                assert_eq!(
                    hmac_sha1(&key, &message)[..],
                    oracle.finalize().into_bytes()[..],
                    "key {key_len}, message {len}"
                );
            }
        }
    }
}
