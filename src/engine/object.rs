//! The check of the whole object: its CRC-64, combined from its parts' (those not hashed on
//! this page are read from the file, one at a time), against the server's; after a lost
//! Complete answer, its size too.

use alloc::format;

use super::exchange::Stop;
use super::Plan;
use crate::crc64;
use crate::encoding::decimal;
use crate::error::{Code, UploadError};
use crate::vec_map::VecMap;

pub(super) struct ObjectCheck {
    /// The server's CRC-64 of the object.
    server: u64,
    /// After HeadObject: the object's size, and how the upload stops if it is not the file.
    confirming: Option<(u64, Stop)>,
    /// The next part to combine.
    next: u32,
    /// The CRC-64 of the parts before `next`.
    whole: u64,
}

/// How far the combining got.
#[derive(Debug, PartialEq)]
pub(super) enum Combined {
    /// Part `n`'s CRC-64 is to be read from the file.
    Read(u32),
    /// The file's CRC-64, or `None` if a part could not be read.
    Done(Option<u64>),
}

impl ObjectCheck {
    /// Complete was answered with the object's CRC-64.
    pub fn completed(server: u64) -> ObjectCheck {
        ObjectCheck::new(server, None)
    }

    /// Complete's answer was lost, and HeadObject found an object of `size` bytes: it is the
    /// file only if its size and CRC-64 are the file's; if not, the upload stops as `otherwise`.
    pub fn confirming(server: u64, size: u64, otherwise: Stop) -> ObjectCheck {
        ObjectCheck::new(server, Some((size, otherwise)))
    }

    fn new(server: u64, confirming: Option<(u64, Stop)>) -> ObjectCheck {
        ObjectCheck {
            server,
            confirming,
            next: 1,
            whole: crc64::checksum(&[]),
        }
    }

    /// Combines the parts' CRCs known in `crcs` as far as it can; `read`: the CRC of the part
    /// last asked for, as read (`Some(None)`: it could not be).
    pub fn combine(
        &mut self,
        plan: Plan,
        crcs: &VecMap<u32, u64>,
        mut read: Option<Option<u64>>,
    ) -> Combined {
        while self.next <= plan.count {
            let crc = match (crcs.get(&self.next), read.take()) {
                (Some(crc), _) => *crc,
                (None, Some(Some(crc))) => crc,
                (None, Some(None)) => return Combined::Done(None),
                (None, None) => return Combined::Read(self.next),
            };
            self.whole = crc64::combine(self.whole, crc, plan.len(self.next));
            self.next += 1;
        }
        Combined::Done(Some(self.whole))
    }

    /// Whether the object is the file of `size` bytes, whose CRC-64 came to `local`; if not,
    /// how the upload stops. The check is then over.
    pub fn verdict(&mut self, size: u64, local: Option<u64>) -> Result<(), Stop> {
        let server = self.server;
        match (&mut self.confirming, local) {
            (None, Some(local)) if local != server => Err(Stop::Failed(UploadError::new(
                Code::Crc64Mismatch,
                format!(
                    "the object on the server is not the file: its CRC-64 is {}, the file's {}",
                    decimal(server),
                    decimal(local)
                ),
            ))),
            (None, _) => Ok(()),
            // Taken: the check is over.
            (Some((_, otherwise)), None) => Err(core::mem::replace(otherwise, Stop::Expired)),
            (Some((stored, _)), Some(local)) if (*stored, server) != (size, local) => {
                Err(Stop::Failed(UploadError::new(
                    Code::Crc64Mismatch,
                    format!(
                        "Complete's answer was lost, and the object on the server is not the file: {} bytes with CRC-64 {}, the file's {} with {}",
                        decimal(*stored), decimal(server), decimal(size), decimal(local)
                    ),
                )))
            }
            (Some(_), Some(_)) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    const PART: u64 = super::super::plan::MIN_PART_SIZE;
    /// The file's size: two parts and a half.
    const SIZE: u64 = PART * 5 / 2;

    /// A file of three parts, the last one half a part, and each part's CRC-64.
    fn file() -> (Vec<u8>, Plan, [u64; 3]) {
        let bytes: Vec<u8> = (0..SIZE).map(|i| (i * 7 % 251) as u8).collect();
        let plan = Plan::new(SIZE, PART).unwrap();
        let crcs = [1, 2, 3].map(|n| {
            let range = plan.part(n);
            crc64::checksum(&bytes[range.start as usize..range.end as usize])
        });
        (bytes, plan, crcs)
    }

    fn gone() -> Stop {
        Stop::Gone(UploadError::new(Code::InvalidResponse, "gone"), false)
    }

    #[test]
    fn parts_not_hashed_here_are_read_one_at_a_time_and_combine_to_the_whole() {
        let (bytes, plan, crcs) = file();
        let whole = crc64::checksum(&bytes);
        let mut known = VecMap::default();
        known.insert(2, crcs[1]);
        let mut check = ObjectCheck::completed(whole);
        assert_eq!(check.combine(plan, &known, None), Combined::Read(1));
        assert_eq!(
            check.combine(plan, &known, Some(Some(crcs[0]))),
            Combined::Read(3)
        );
        let done = check.combine(plan, &known, Some(Some(crcs[2])));
        assert_eq!(done, Combined::Done(Some(whole)));
        assert!(check.verdict(SIZE, Some(whole)).is_ok());
    }

    #[test]
    fn an_object_that_is_not_the_file_fails_and_an_unreadable_part_skips_the_check() {
        let (bytes, plan, _) = file();
        let whole = crc64::checksum(&bytes);
        let mut check = ObjectCheck::completed(whole ^ 1);
        check.combine(plan, &VecMap::default(), None);
        assert_eq!(
            check.combine(plan, &VecMap::default(), Some(None)),
            Combined::Done(None)
        );
        assert!(check.verdict(SIZE, None).is_ok());
        let error = match ObjectCheck::completed(whole ^ 1).verdict(SIZE, Some(whole)) {
            Err(Stop::Failed(error)) => error,
            other => panic!("{other:?}"),
        };
        assert_eq!(error.code, Code::Crc64Mismatch);
    }

    #[test]
    fn after_a_lost_answer_the_object_must_match_in_size_and_crc() {
        let (bytes, ..) = file();
        let whole = crc64::checksum(&bytes);
        assert!(ObjectCheck::confirming(whole, SIZE, gone())
            .verdict(SIZE, Some(whole))
            .is_ok());
        let wrong_size =
            ObjectCheck::confirming(whole, SIZE - 1, gone()).verdict(SIZE, Some(whole));
        assert!(matches!(wrong_size, Err(Stop::Failed(e)) if e.code == Code::Crc64Mismatch));
        // Not known to be the file: the upload stops as it would have.
        let unknown = ObjectCheck::confirming(whole, SIZE, gone()).verdict(SIZE, None);
        assert!(matches!(unknown, Err(Stop::Gone(_, false))));
    }
}
