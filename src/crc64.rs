//! CRC-64/XZ, the `x-oss-hash-crc64ecma` OSS answers every part and object with (ECMA-182
//! polynomial, reflected, initial value and final XOR all ones), and the combination of two
//! CRCs into the CRC of the concatenation, so the whole object is checked from its parts' CRCs
//! without reading the file again (docs/protocol.md, "Integrity").

use alloc::boxed::Box;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
/// The reflected ECMA-182 polynomial.
const POLY: u64 = 0xC96C_5795_D787_0F42;

/// Slicing-by-8 tables: `TABLES[0]` is the classic byte-at-a-time table, `TABLES[k][b]` the
/// CRC of byte `b` followed by `k` zero bytes. Built on first use rather than at compile time,
/// so the 16 KB are memory, not download.
fn tables() -> &'static [[u64; 256]; 8] {
    static TABLES: AtomicPtr<[[u64; 256]; 8]> = AtomicPtr::new(ptr::null_mut());
    let mut built = TABLES.load(Ordering::Acquire);
    if built.is_null() {
        let fresh = Box::into_raw(build_tables());
        built = match TABLES.compare_exchange(
            ptr::null_mut(),
            fresh,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => fresh,
            Err(theirs) => {
                // Another thread built them first: keep theirs, free ours.
                drop(unsafe { Box::from_raw(fresh) });
                theirs
            }
        };
    }
    // Once stored, the tables are never freed or changed.
    unsafe { &*built }
}

fn build_tables() -> Box<[[u64; 256]; 8]> {
    let mut tables = Box::new([[0u64; 256]; 8]);
    for i in 0..256 {
        let mut crc = i as u64;
        for _ in 0..8 {
            crc = (crc >> 1) ^ (POLY & (crc & 1).wrapping_neg());
        }
        tables[0][i] = crc;
    }
    for k in 1..8 {
        for i in 0..256 {
            let previous = tables[k - 1][i];
            tables[k][i] = tables[0][(previous & 0xFF) as usize] ^ (previous >> 8);
        }
    }
    tables
}

/// A CRC being computed over bytes that come in pieces.
#[derive(Clone, Copy, Debug)]
pub struct Crc64(u64);

impl Default for Crc64 {
    fn default() -> Crc64 {
        Crc64(!0)
    }
}

impl Crc64 {
    pub fn update(&mut self, bytes: &[u8]) {
        let t = tables();
        let mut crc = self.0;
        let (words, rest) = bytes.as_chunks::<8>();
        for word in words {
            let v = crc ^ u64::from_le_bytes(*word);
            let b = v.to_le_bytes();
            crc = t[7][b[0] as usize]
                ^ t[6][b[1] as usize]
                ^ t[5][b[2] as usize]
                ^ t[4][b[3] as usize]
                ^ t[3][b[4] as usize]
                ^ t[2][b[5] as usize]
                ^ t[1][b[6] as usize]
                ^ t[0][b[7] as usize];
        }
        for &byte in rest {
            crc = t[0][((crc ^ byte as u64) & 0xFF) as usize] ^ (crc >> 8);
        }
        self.0 = crc;
    }

    pub fn finish(self) -> u64 {
        !self.0
    }
}

/// The CRC of `bytes`.
pub fn checksum(bytes: &[u8]) -> u64 {
    let mut crc = Crc64::default();
    crc.update(bytes);
    crc.finish()
}

/// `a` × `b` modulo the polynomial, both in the reflected order (bit 63 is x⁰): the sum of `b`
/// times each power of x that `a` holds.
fn multiply(a: u64, mut b: u64) -> u64 {
    let mut product = 0;
    for power in (0..64).rev() {
        if (a >> power) & 1 == 1 {
            product ^= b;
        }
        b = if b & 1 == 1 { (b >> 1) ^ POLY } else { b >> 1 };
    }
    product
}

/// x^(8·`len`) modulo the polynomial: the operator that runs a CRC through `len` zero bytes,
/// by square-and-multiply (about 2·log₂ `len` products, not zlib's older 64×64 matrices).
fn zero_bytes(mut len: u64) -> u64 {
    let mut operator = 1 << 63;
    let mut square = 1 << (63 - 8);
    while len != 0 {
        if len & 1 == 1 {
            operator = multiply(operator, square);
        }
        square = multiply(square, square);
        len >>= 1;
    }
    operator
}

/// The CRC of A followed by B, from `crc_a`, `crc_b` and B's length: `crc_a` run through
/// `len_b` zero bytes, then B's CRC added (the initial value and final XOR cancel out).
pub fn combine(crc_a: u64, crc_b: u64, len_b: u64) -> u64 {
    multiply(zero_bytes(len_b), crc_a) ^ crc_b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::bytes;

    #[test]
    fn check_values() {
        assert_eq!(checksum(b"123456789"), 11051210869376104954);
        assert_eq!(checksum(b""), 0);
        let mut pieces = Crc64::default();
        pieces.update(b"1234");
        pieces.update(b"56789");
        assert_eq!(pieces.finish(), 11051210869376104954);
    }

    #[test]
    fn agrees_with_a_second_implementation() {
        let other = crc::Crc::<u64>::new(&crc::CRC_64_XZ);
        for len in [0, 1, 7, 8, 255, 4096, 100_003] {
            let data = bytes(len, len as u64 + 3);
            assert_eq!(checksum(&data), other.checksum(&data), "{len} bytes");
        }
    }

    #[test]
    fn combining_over_megabytes_gives_the_crc_of_the_concatenation() {
        let a = bytes(1000, 5);
        let b = bytes(5 * 1024 * 1024 + 3, 6);
        let whole = [&a[..], &b[..]].concat();
        let combined = combine(checksum(&a), checksum(&b), b.len() as u64);
        assert_eq!(combined, checksum(&whole));
    }

    #[test]
    fn combining_gives_the_crc_of_the_concatenation() {
        let data = bytes(60_000, 9);
        let mut seed = 77u64;
        for _ in 0..100 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let a = (seed >> 33) as usize % (data.len() + 1);
            let b = a + (seed >> 13) as usize % (data.len() - a + 1);
            // Three pieces, any of them possibly empty or one byte.
            let (x, y, z) = (&data[..a], &data[a..b], &data[b..]);
            let combined = combine(
                combine(checksum(x), checksum(y), y.len() as u64),
                checksum(z),
                z.len() as u64,
            );
            assert_eq!(combined, checksum(&data), "split at {a} and {b}");
        }
        for (a, b) in [
            (&b""[..], &b"1"[..]),
            (b"1", b""),
            (b"", b""),
            (b"12345678", b"9"),
        ] {
            let whole = [a, b].concat();
            assert_eq!(
                combine(checksum(a), checksum(b), b.len() as u64),
                checksum(&whole)
            );
        }
    }
}
