//! Paging cursors: a position in the `(createdAt, id)` order of records and the direction
//! to read from it. Clients get it as an opaque token; ids break ties between records
//! created in the same millisecond, so paging never skips or repeats a record.

/// Which side of the cursor a page lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// records strictly older than the cursor (the next page, newest first)
    Older,
    /// records strictly newer than the cursor (the previous page)
    Newer,
}

/// A position between records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: String,
    pub id: String,
    pub direction: Direction,
}

impl Cursor {
    /// The cursor just past `reel` in `direction`.
    pub fn at(reel: &crate::Reel, direction: Direction) -> Cursor {
        Cursor {
            created_at: reel.created_at.clone(),
            id: reel.id.clone(),
            direction,
        }
    }

    /// Whether a record at `(created_at, id)` lies on the cursor's side.
    pub fn admits(&self, created_at: &str, id: &str) -> bool {
        let here = (created_at, id);
        let cursor = (self.created_at.as_str(), self.id.as_str());
        match self.direction {
            Direction::Older => here < cursor,
            Direction::Newer => here > cursor,
        }
    }

    /// The opaque token: a direction letter and the position in hex.
    pub fn encode(&self) -> String {
        let letter = match self.direction {
            Direction::Older => 'o',
            Direction::Newer => 'n',
        };
        let text = format!("{}\n{}", self.created_at, self.id);
        format!("{letter}{}", hex::encode(text))
    }

    /// A token from [`Cursor::encode`]; `None` for anything else.
    pub fn decode(token: &str) -> Option<Cursor> {
        let direction = match token.get(..1)? {
            "o" => Direction::Older,
            "n" => Direction::Newer,
            _ => return None,
        };
        let hex = token.get(1..).filter(|h| h.len() <= 512)?;
        let text = String::from_utf8(hex::decode(hex).ok()?).ok()?;
        let (created_at, id) = text.split_once('\n')?;
        if !crate::keys::is_valid_id(id) || created_at.is_empty() {
            return None;
        }
        Some(Cursor {
            created_at: created_at.to_owned(),
            id: id.to_owned(),
            direction,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_junk_is_refused() {
        let c = Cursor {
            created_at: "2026-11-30T10:00:00.000Z".into(),
            id: "0193-abc".into(),
            direction: Direction::Newer,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c.clone()));
        for junk in ["", "x", "o", "o0", "ozz", "o41", "n4142"] {
            assert_eq!(Cursor::decode(junk), None, "{junk}");
        }
        // an id that could escape a prefix is refused
        let bad = Cursor {
            id: "../x".into(),
            ..c
        };
        assert_eq!(Cursor::decode(&bad.encode()), None);
    }

    #[test]
    fn ties_in_time_are_broken_by_id() {
        let c = Cursor {
            created_at: "t1".into(),
            id: "b".into(),
            direction: Direction::Older,
        };
        assert!(c.admits("t1", "a"));
        assert!(!c.admits("t1", "b"));
        assert!(!c.admits("t1", "c"));
        assert!(c.admits("t0", "z"));
        let n = Cursor {
            direction: Direction::Newer,
            ..c
        };
        assert!(n.admits("t1", "c") && !n.admits("t1", "a") && n.admits("t2", "a"));
    }
}
