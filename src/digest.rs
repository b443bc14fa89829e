//! SHA-1, HMAC-SHA1 and MD5: what OSS and VOD signatures, checkpoint keys and the ETag check of a
//! resumed upload need. Written as plain loops rather than unrolled rounds, because every byte of
//! code is downloaded and the inputs are small (a string to sign, a key, two parts on resume).
//! The tests compare them with the RustCrypto crates.

use alloc::string::String;

/// The 64-byte blocks and the padding SHA-1 and MD5 share; they differ only in their compression
/// function and the byte order of the length at the end.
struct Blocks {
    buffer: [u8; 64],
    filled: usize,
    length: u64,
}

impl Blocks {
    const fn new() -> Blocks {
        Blocks {
            buffer: [0; 64],
            filled: 0,
            length: 0,
        }
    }

    fn update(&mut self, mut data: &[u8], compress: &mut dyn FnMut(&[u8; 64])) {
        self.length = self.length.wrapping_add(data.len() as u64);
        while !data.is_empty() {
            let take = data.len().min(64 - self.filled);
            self.buffer[self.filled..self.filled + take].copy_from_slice(&data[..take]);
            self.filled += take;
            data = &data[take..];
            if self.filled == 64 {
                compress(&self.buffer);
                self.filled = 0;
            }
        }
    }

    /// Pads with 0x80, zeros and the length in bits, `big_endian` for SHA-1.
    fn finish(&mut self, big_endian: bool, compress: &mut dyn FnMut(&[u8; 64])) {
        let bits = self.length.wrapping_mul(8);
        let length = if big_endian {
            bits.to_be_bytes()
        } else {
            bits.to_le_bytes()
        };
        let zeros = (64 + 56 - (self.filled + 1) % 64) % 64;
        self.update(&[0x80], compress);
        for _ in 0..zeros {
            self.update(&[0], compress);
        }
        self.update(&length, compress);
    }
}

/// SHA-1, as HMAC-SHA1 and checkpoint keys use it.
pub struct Sha1 {
    state: [u32; 5],
    blocks: Blocks,
}

impl Sha1 {
    pub const fn new() -> Sha1 {
        Sha1 {
            state: [
                0x6745_2301,
                0xEFCD_AB89,
                0x98BA_DCFE,
                0x1032_5476,
                0xC3D2_E1F0,
            ],
            blocks: Blocks::new(),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        let state = &mut self.state;
        self.blocks
            .update(data, &mut |block| sha1_compress(state, block));
    }

    pub fn finish(mut self) -> [u8; 20] {
        let state = &mut self.state;
        self.blocks
            .finish(true, &mut |block| sha1_compress(state, block));
        let mut out = [0; 20];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
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
pub fn hmac_sha1(key: &[u8], message: &[u8]) -> [u8; 20] {
    let mut padded = [0u8; 64];
    if key.len() > 64 {
        let mut hash = Sha1::new();
        hash.update(key);
        padded[..20].copy_from_slice(&hash.finish());
    } else {
        padded[..key.len()].copy_from_slice(key);
    }
    let keyed = |pad: u8| {
        let mut hash = Sha1::new();
        hash.update(&padded.map(|b| b ^ pad));
        hash
    };
    let mut inner = keyed(0x36);
    inner.update(message);
    let mut outer = keyed(0x5C);
    outer.update(&inner.finish());
    outer.finish()
}

/// MD5, which OSS gives a part as its ETag.
pub struct Md5 {
    state: [u32; 4],
    blocks: Blocks,
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

impl Md5 {
    pub const fn new() -> Md5 {
        Md5 {
            state: [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476],
            blocks: Blocks::new(),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        let state = &mut self.state;
        self.blocks
            .update(data, &mut |block| md5_compress(state, block));
    }

    pub fn finish(mut self) -> [u8; 16] {
        let state = &mut self.state;
        self.blocks
            .finish(false, &mut |block| md5_compress(state, block));
        let mut out = [0; 16];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.state) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        out
    }
}

fn md5_compress(state: &mut [u32; 4], block: &[u8; 64]) {
    let mut m = [0u32; 16];
    for (i, word) in block.chunks_exact(4).enumerate() {
        m[i] = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
    }
    let [mut a, mut b, mut c, mut d] = *state;
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
    use alloc::vec::Vec;
    use hmac::Mac;
    use md5::Digest;

    fn bytes(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    /// Every length around the block and padding boundaries, and some long ones, fed in
    /// uneven pieces.
    fn lengths() -> impl Iterator<Item = usize> {
        (0..200).chain([447, 448, 511, 512, 513, 1000, 4096, 65_537])
    }

    #[test]
    fn known_answers() {
        let mut sha1 = Sha1::new();
        sha1.update(b"abc");
        assert_eq!(
            crate::base64::encode(&sha1.finish()),
            "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="
        );
        let mut md5 = Md5::new();
        md5.update(b"abc");
        assert_eq!(hex(&md5.finish()), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn sha1_and_md5_agree_with_rustcrypto() {
        for len in lengths() {
            let data = bytes(len, len as u64);
            let (mut sha1, mut md5) = (Sha1::new(), Md5::new());
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
