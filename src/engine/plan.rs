//! How a file is cut into parts: at least 100 KiB each but the last, at most 10,000 parts, so
//! the part size is at least ceil(size / 10000). Parts are computed on demand: a plan for a file
//! of any size allocates nothing per part. A stream's plan grows as its bytes come: its whole
//! parts can go, and its last once the stream has ended.

use ::core::ops::Range;
use alloc::format;

use crate::error::{Code, UploadError};

pub use crate::oss::limits::{MAX_PARTS, MAX_PART_SIZE, MIN_PART_SIZE};
pub const DEFAULT_PART_SIZE: u64 = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    pub size: u64,
    pub part_size: u64,
    /// The parts that can be sent: all of a file's; a growing stream's whole ones so far.
    pub count: u32,
    /// A stream still producing: its size is what came so far, its last part still to come.
    pub growing: bool,
}

impl Plan {
    /// Plans `size` bytes in parts of `part_size`, grown when the file would need more than
    /// 10,000 parts. An empty file is one empty part.
    pub fn new(size: u64, part_size: u64) -> Result<Plan, UploadError> {
        check_part_size(part_size)?;
        let part_size = part_size.max(size.div_ceil(MAX_PARTS as u64));
        if part_size > MAX_PART_SIZE {
            return Err(UploadError::new(
                Code::FileTooLarge,
                format!(
                    "{} bytes is more than 10,000 parts of 5 GiB can hold",
                    crate::encoding::decimal(size)
                ),
            ));
        }
        let count = size.div_ceil(part_size).max(1) as u32;
        Ok(Plan {
            size,
            part_size,
            count,
            growing: false,
        })
    }

    /// A stream's plan before its first byte, in parts of `part_size`: its size is not known,
    /// so the part size cannot grow to fit, and a stream longer than 10,000 parts fails.
    pub fn stream(part_size: u64) -> Result<Plan, UploadError> {
        check_part_size(part_size)?;
        Ok(Plan {
            size: 0,
            part_size,
            count: 0,
            growing: true,
        })
    }

    /// The stream has `size` bytes so far, and no more if `ended`: its whole parts can go, and
    /// the last one too once it ended.
    pub fn grow(&mut self, size: u64, ended: bool) -> Result<(), UploadError> {
        let parts = match ended {
            true => size.div_ceil(self.part_size).max(1),
            false => size / self.part_size,
        };
        if parts > MAX_PARTS as u64 {
            return Err(UploadError::new(
                Code::FileTooLarge,
                format!(
                    "the stream passed 10,000 parts of {} bytes; give a larger partSize",
                    crate::encoding::decimal(self.part_size)
                ),
            ));
        }
        (self.size, self.count, self.growing) = (size, parts as u32, !ended);
        Ok(())
    }

    /// The bytes of part `number`, counted from 1.
    pub fn part(&self, number: u32) -> Range<u64> {
        let start = (number as u64 - 1) * self.part_size;
        start..(start + self.part_size).min(self.size)
    }

    pub fn len(&self, number: u32) -> u64 {
        let range = self.part(number);
        range.end - range.start
    }
}

pub fn check_part_size(part_size: u64) -> Result<(), UploadError> {
    if part_size < MIN_PART_SIZE {
        return Err(UploadError::new(
            Code::InvalidPartSize,
            format!(
                "partSize is {} bytes; OSS needs at least 102400 (100 KiB)",
                crate::encoding::decimal(part_size)
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::{vec, vec::Vec};

    fn all_parts(plan: &Plan) -> Vec<Range<u64>> {
        (1..=plan.count).map(|n| plan.part(n)).collect()
    }

    #[test]
    fn zero_bytes_is_one_empty_part() {
        let plan = Plan::new(0, DEFAULT_PART_SIZE).unwrap();
        assert_eq!(all_parts(&plan), vec![0..0]);
    }

    #[test]
    fn one_byte() {
        let plan = Plan::new(1, DEFAULT_PART_SIZE).unwrap();
        assert_eq!(all_parts(&plan), vec![0..1]);
    }

    #[test]
    fn a_file_just_under_100_kib_is_one_part() {
        let plan = Plan::new(MIN_PART_SIZE - 1, MIN_PART_SIZE).unwrap();
        assert_eq!(all_parts(&plan), vec![0..MIN_PART_SIZE - 1]);
        let plan = Plan::new(MIN_PART_SIZE + 1, MIN_PART_SIZE).unwrap();
        assert_eq!(
            all_parts(&plan),
            vec![0..MIN_PART_SIZE, MIN_PART_SIZE..MIN_PART_SIZE + 1]
        );
    }

    #[test]
    fn part_size_below_100_kib_is_refused() {
        let error = Plan::new(10, MIN_PART_SIZE - 1).unwrap_err();
        assert_eq!(error.code, Code::InvalidPartSize);
        assert!(Plan::new(10, MIN_PART_SIZE).is_ok());
    }

    #[test]
    fn exactly_part_size_and_one_more() {
        let plan = Plan::new(DEFAULT_PART_SIZE, DEFAULT_PART_SIZE).unwrap();
        assert_eq!(all_parts(&plan), vec![0..DEFAULT_PART_SIZE]);
        let plan = Plan::new(DEFAULT_PART_SIZE + 1, DEFAULT_PART_SIZE).unwrap();
        assert_eq!(
            all_parts(&plan),
            vec![
                0..DEFAULT_PART_SIZE,
                DEFAULT_PART_SIZE..DEFAULT_PART_SIZE + 1
            ]
        );
    }

    #[test]
    fn ten_gib_grows_the_part_size_to_fit_10000_parts() {
        let size = 10u64 << 30;
        let plan = Plan::new(size, DEFAULT_PART_SIZE).unwrap();
        assert_eq!(plan.part_size, size.div_ceil(10_000));
        assert_eq!(plan.part_size, 1_073_742);
        assert_eq!(plan.count, 10_000);
        assert_eq!(plan.part(10_000).end, size);
        assert!(plan.len(10_000) <= plan.part_size && plan.len(10_000) > 0);
    }

    #[test]
    fn a_48_8_tb_file_plans_in_10000_whole_byte_parts() {
        let size = 48_800_000_000_000u64;
        let plan = Plan::new(size, DEFAULT_PART_SIZE).unwrap();
        assert_eq!(plan.count, 10_000);
        assert_eq!(plan.part_size, 4_880_000_000);
        assert_eq!(plan.part(1), 0..4_880_000_000);
        assert_eq!(plan.part(10_000).end, size);
        // Contiguous, no gaps, every part within OSS's limit.
        let mut end = 0;
        for n in 1..=plan.count {
            let r = plan.part(n);
            assert_eq!(r.start, end);
            assert!(r.end - r.start <= MAX_PART_SIZE);
            end = r.end;
        }
        assert_eq!(end, size);
    }

    #[test]
    fn a_file_beyond_10000_parts_of_5_gib_is_too_large() {
        let error = Plan::new(MAX_PART_SIZE * MAX_PARTS as u64 + 1, DEFAULT_PART_SIZE).unwrap_err();
        assert_eq!(error.code, Code::FileTooLarge);
    }

    #[test]
    fn a_stream_sends_its_whole_parts_while_it_grows_and_its_last_once_it_ended() {
        let mut plan = Plan::stream(MIN_PART_SIZE).unwrap();
        assert_eq!((plan.count, plan.growing), (0, true));
        plan.grow(MIN_PART_SIZE - 1, false).unwrap();
        assert_eq!(plan.count, 0);
        plan.grow(2 * MIN_PART_SIZE + 5, false).unwrap();
        assert_eq!(
            all_parts(&plan),
            vec![0..MIN_PART_SIZE, MIN_PART_SIZE..2 * MIN_PART_SIZE]
        );
        plan.grow(2 * MIN_PART_SIZE + 5, true).unwrap();
        assert!(!plan.growing);
        assert_eq!(plan.part(3), 2 * MIN_PART_SIZE..2 * MIN_PART_SIZE + 5);
        assert_eq!(plan.count, 3);
        // Ended on a part's end: no empty last part.
        let mut even = Plan::stream(MIN_PART_SIZE).unwrap();
        even.grow(2 * MIN_PART_SIZE, true).unwrap();
        assert_eq!(even.count, 2);
        assert_eq!(
            Plan::stream(MIN_PART_SIZE - 1).unwrap_err().code,
            Code::InvalidPartSize
        );
    }

    #[test]
    fn a_stream_beyond_10000_parts_is_too_large() {
        let mut plan = Plan::stream(MIN_PART_SIZE).unwrap();
        plan.grow(MIN_PART_SIZE * MAX_PARTS as u64, true).unwrap();
        assert_eq!(plan.count, 10_000);
        let error = plan
            .grow(MIN_PART_SIZE * MAX_PARTS as u64 + 1, true)
            .unwrap_err();
        assert_eq!(error.code, Code::FileTooLarge);
        assert!(plan
            .grow(MIN_PART_SIZE * (MAX_PARTS as u64 + 1), false)
            .is_err());
    }

    #[test]
    fn a_larger_requested_part_size_is_kept() {
        let plan = Plan::new(5 * DEFAULT_PART_SIZE, 2 * DEFAULT_PART_SIZE).unwrap();
        assert_eq!((plan.part_size, plan.count), (2 * DEFAULT_PART_SIZE, 3));
    }
}
