//! The one narrow ABI the Worker calls (`web/worker.js`), as raw exports of the SDK's own wasm
//! module, which the worker instantiates with stub imports: a part is hashed by writing its
//! bytes, piece by piece, into a buffer in the module's memory. Nothing here touches JavaScript,
//! so the native tests run the calls in the order the worker makes them:
//! `vod_hash_new` → (`vod_hash_buffer`, write, `vod_hash_update`)* → `vod_hash_finish`, read the
//! digest → `vod_hash_free`.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::engine::{Digest, Hasher};

/// The worker side: a part being hashed, fed through a buffer in this module's memory.
pub struct WorkerJob {
    hasher: Option<Hasher>,
    buffer: Vec<u8>,
}

/// A new job: MD5 if `md5` is 1, else CRC-64.
#[no_mangle]
pub extern "C" fn vod_hash_new(md5: u32) -> *mut WorkerJob {
    let digest = if md5 == 1 { Digest::Md5 } else { Digest::Crc64 };
    Box::into_raw(Box::new(WorkerJob {
        hasher: Some(Hasher::new(digest)),
        buffer: Vec::new(),
    }))
}

/// Where the worker writes the next `len` bytes.
///
/// # Safety
/// `job` is a pointer `vod_hash_new` returned and `vod_hash_free` has not taken yet.
#[no_mangle]
pub unsafe extern "C" fn vod_hash_buffer(job: *mut WorkerJob, len: usize) -> *mut u8 {
    let job = unsafe { &mut *job };
    job.buffer.resize(len, 0);
    job.buffer.as_mut_ptr()
}

/// Hashes the `len` bytes just written.
///
/// # Safety
/// As for [`vod_hash_buffer`].
#[no_mangle]
pub unsafe extern "C" fn vod_hash_update(job: *mut WorkerJob, len: usize) {
    let job = unsafe { &mut *job };
    let len = len.min(job.buffer.len());
    if let Some(hasher) = &mut job.hasher {
        hasher.update(&job.buffer[..len]);
    }
}

/// The digest, at the returned address: 8 bytes (CRC-64, little-endian) or 16 (MD5).
///
/// # Safety
/// As for [`vod_hash_buffer`].
#[no_mangle]
pub unsafe extern "C" fn vod_hash_finish(job: *mut WorkerJob) -> *const u8 {
    let job = unsafe { &mut *job };
    job.buffer = match job.hasher.take() {
        Some(Hasher::Crc64(crc)) => crc.finish().to_le_bytes().to_vec(),
        Some(Hasher::Md5(md5)) => md5::Digest::finalize(md5).to_vec(),
        None => alloc::vec![0; 16],
    };
    job.buffer.as_ptr()
}

/// # Safety
/// As for [`vod_hash_buffer`]; the job is gone after.
#[no_mangle]
pub unsafe extern "C" fn vod_hash_free(job: *mut WorkerJob) {
    drop(unsafe { Box::from_raw(job) });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hashes `bytes` through the exports, in pieces of `piece`, as the worker does.
    fn through_the_abi(md5: u32, bytes: &[u8], piece: usize) -> Vec<u8> {
        unsafe {
            let job = vod_hash_new(md5);
            for chunk in bytes.chunks(piece) {
                let at = vod_hash_buffer(job, chunk.len());
                core::ptr::copy_nonoverlapping(chunk.as_ptr(), at, chunk.len());
                vod_hash_update(job, chunk.len());
            }
            let at = vod_hash_finish(job);
            let digest = core::slice::from_raw_parts(at, if md5 == 1 { 16 } else { 8 }).to_vec();
            vod_hash_free(job);
            digest
        }
    }

    #[test]
    fn md5_and_crc64_through_the_exports_are_the_digests_of_the_whole() {
        let bytes = crate::tests::bytes(300_000, 7);
        for piece in [1, 1000, 256 * 1024, 300_000] {
            let md5 = through_the_abi(1, &bytes, piece);
            assert_eq!(
                md5,
                <md5::Md5 as md5::Digest>::digest(&bytes).to_vec(),
                "{piece}"
            );
            let crc = through_the_abi(0, &bytes, piece);
            let mut expected = crate::crc64::Crc64::default();
            expected.update(&bytes);
            assert_eq!(crc, expected.finish().to_le_bytes().to_vec(), "{piece}");
        }
    }

    /// An update of more than the buffer holds hashes what it holds, no more.
    #[test]
    fn an_update_longer_than_the_buffer_hashes_only_the_buffer() {
        unsafe {
            let job = vod_hash_new(1);
            let at = vod_hash_buffer(job, 3);
            core::ptr::copy_nonoverlapping(b"abc".as_ptr(), at, 3);
            vod_hash_update(job, 1_000);
            let digest = core::slice::from_raw_parts(vod_hash_finish(job), 16).to_vec();
            vod_hash_free(job);
            assert_eq!(
                crate::encoding::hex(&digest),
                "900150983cd24fb0d6963f7d28e17f72"
            );
        }
    }

    /// Finished twice (a worker that posts again), the job answers zeros, not a stale digest.
    #[test]
    fn a_job_finished_twice_answers_zeros() {
        unsafe {
            let job = vod_hash_new(0);
            vod_hash_finish(job);
            let again = core::slice::from_raw_parts(vod_hash_finish(job), 16).to_vec();
            vod_hash_free(job);
            assert_eq!(again, [0; 16]);
        }
    }
}
