//! One page of a long list: how many, from where. Every list the API
//! returns a page at a time reads its `limit` and `offset` here.

use crate::error::{Error, FieldProblem, Result};

/// Most items one page may hold.
pub const MAX_LIMIT: i64 = 1000;
/// Items a page holds when the caller does not say.
pub const DEFAULT_LIMIT: i64 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    pub limit: i64,
    pub offset: i64,
}

impl Paging {
    /// A page as asked for: `limit` 1 to 1,000 (100 if absent), `offset` 0 or more.
    pub fn new(limit: Option<i64>, offset: Option<i64>) -> Result<Paging> {
        let (limit, offset) = (limit.unwrap_or(DEFAULT_LIMIT), offset.unwrap_or(0));
        let mut problems = Vec::new();
        if !(1..=MAX_LIMIT).contains(&limit) {
            problems.push(FieldProblem::new(
                "limit",
                "จำนวนต่อหน้าต้องอยู่ระหว่าง ๑ ถึง ๑,๐๐๐",
                "limit must be 1 to 1,000",
            ));
        }
        if offset < 0 {
            problems.push(FieldProblem::new(
                "offset",
                "ตำแหน่งเริ่มต้นต้องไม่ติดลบ",
                "offset must be 0 or more",
            ));
        }
        if problems.is_empty() {
            Ok(Paging { limit, offset })
        } else {
            Err(Error::invalid(problems))
        }
    }

    /// This page of a list held in memory.
    pub fn of<'a, T>(
        &self,
        items: impl IntoIterator<Item = T> + 'a,
    ) -> impl Iterator<Item = T> + 'a {
        items
            .into_iter()
            .skip(self.offset as usize)
            .take(self.limit as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_bounded_and_names_what_is_wrong() {
        assert_eq!(
            Paging::new(None, None).unwrap(),
            Paging {
                limit: 100,
                offset: 0
            }
        );
        assert!(Paging::new(Some(1000), Some(5)).is_ok());
        let e = Paging::new(Some(0), Some(-1)).unwrap_err();
        let fields: Vec<&str> = e.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["limit", "offset"]);
        assert!(Paging::new(Some(1001), None).is_err());
        let page = Paging::new(Some(2), Some(1)).unwrap();
        assert_eq!(page.of(1..=5).collect::<Vec<_>>(), [2, 3]);
    }
}
