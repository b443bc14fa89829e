//! An earlier page's upload is checked against the file before it goes on: the MD5 of the first
//! and the last part the server holds must be their ETags, or it was another file (with the
//! same name, size and date).

use alloc::string::String;
use alloc::vec::Vec;

use crate::vec_map::VecMap;

pub(super) struct Verify {
    /// The parts still to check, by number with their ETags, the next one last.
    ends: Vec<(u32, String)>,
}

impl Verify {
    /// The check of the server's `parts`: the last one first, then the first.
    pub fn new(parts: &VecMap<u32, String>) -> Verify {
        let parts = parts.entries();
        let mut ends: Vec<(u32, String)> =
            parts.iter().take(1).chain(parts.last()).cloned().collect();
        ends.dedup();
        Verify { ends }
    }

    /// The part to read next, if any is left to check.
    pub fn next(&self) -> Option<u32> {
        self.ends.last().map(|(number, _)| *number)
    }

    /// The part to read was read as `md5` (`None`: it could not be): whether it is the part
    /// the server holds.
    pub fn matches(&mut self, md5: Option<&str>) -> bool {
        let Some((_, etag)) = self.ends.pop() else {
            return true;
        };
        let etag = crate::text::trim_end(crate::text::trim_start(&etag, "\""), "\"");
        md5.is_some_and(|md5| etag.eq_ignore_ascii_case(md5))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(numbers: &[u32]) -> VecMap<u32, String> {
        let mut parts = VecMap::default();
        for n in numbers {
            parts.insert(*n, alloc::format!("\"ABCDEF{n}\""));
        }
        parts
    }

    #[test]
    fn the_last_part_then_the_first_are_checked_against_their_etags() {
        let mut verify = Verify::new(&parts(&[1, 2, 5]));
        assert_eq!(verify.next(), Some(5));
        assert!(verify.matches(Some("abcdef5")));
        assert_eq!(verify.next(), Some(1));
        assert!(verify.matches(Some("ABCDEF1")));
        assert_eq!(verify.next(), None);
    }

    #[test]
    fn one_part_is_read_once_and_a_wrong_or_unread_part_fails() {
        let mut verify = Verify::new(&parts(&[3]));
        assert_eq!(verify.next(), Some(3));
        assert!(!verify.matches(Some("abcdef4")));
        assert_eq!(verify.next(), None);
        assert!(!Verify::new(&parts(&[3])).matches(None));
        assert_eq!(Verify::new(&parts(&[])).next(), None);
    }
}
