//! Pages of reels both ways, by an opaque `(createdAt, id)` cursor (`pipeline::Cursor`).
//! A page says whether there is anything older and anything newer, so the gallery and the
//! JSON API link exactly the pages that exist and no reel is skipped or repeated.

use pipeline::{Cursor, Direction, ListQuery, RecordStore, Reel, Status, StoreError, Visibility};

/// One page, newest first, with the cursors of its neighbours.
#[derive(Debug, Default)]
pub struct Page {
    pub reels: Vec<Reel>,
    pub older: Option<Cursor>,
    pub newer: Option<Cursor>,
}

/// The page of at most `limit` reels (of `status`, when given) on the cursor's side.
pub async fn page(
    records: &dyn RecordStore,
    status: Option<Status>,
    visibility: Option<Visibility>,
    limit: usize,
    cursor: Option<Cursor>,
) -> Result<Page, StoreError> {
    let direction = cursor.as_ref().map_or(Direction::Older, |c| c.direction);
    let mut reels = records
        .list(&ListQuery {
            status,
            visibility,
            limit: limit + 1,
            cursor: cursor.clone(),
            ..Default::default()
        })
        .await?;
    // one more than asked tells whether the reading direction goes on
    let more = reels.len() > limit;
    if more {
        match direction {
            Direction::Older => {
                reels.pop();
            }
            Direction::Newer => {
                reels.remove(0);
            }
        }
    }
    let any_beyond = |from: &Reel, direction: Direction| {
        let query = ListQuery {
            status,
            visibility,
            limit: 1,
            cursor: Some(Cursor::at(from, direction)),
            ..Default::default()
        };
        async move { records.list(&query).await.map(|r| !r.is_empty()) }
    };
    let (Some(first), Some(last)) = (reels.first(), reels.last()) else {
        return Ok(Page::default());
    };
    let (older, newer) = match direction {
        Direction::Older => (
            more,
            cursor.is_some() && any_beyond(first, Direction::Newer).await?,
        ),
        Direction::Newer => (any_beyond(last, Direction::Older).await?, more),
    };
    Ok(Page {
        older: older.then(|| Cursor::at(last, Direction::Older)),
        newer: newer.then(|| Cursor::at(first, Direction::Newer)),
        reels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reel(id: &str, created_at: String) -> Reel {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": "Ada", "caption": "", "status": "READY", "size": 1,
            "originalFilename": "a.jpg", "rawKey": format!("raw/{id}/original.jpg"),
            "createdAt": created_at, "updatedAt": created_at
        }))
        .unwrap()
    }

    /// Over the real SQLite adapter.
    #[tokio::test]
    async fn paging_both_ways_returns_every_reel_once_even_with_equal_times() {
        let dir = tempfile::tempdir().unwrap();
        let records = local::SqliteStore::open(&dir.path().join("db.sqlite")).unwrap();
        let mut all = Vec::new();
        for i in 0..11 {
            // pairs share a millisecond
            let r = reel(
                &format!("r{i:02}"),
                format!("2026-11-30T10:00:00.{:03}Z", i / 2),
            );
            records.create(&r).await.unwrap();
            all.push(r.id);
        }
        all.reverse();
        for limit in [1, 3, 4, 11, 20] {
            let mut seen = Vec::new();
            let mut cursor = None;
            let last = loop {
                let p = page(&records, None, None, limit, cursor).await.unwrap();
                seen.extend(p.reels.iter().map(|r| r.id.clone()));
                match p.older.clone() {
                    Some(c) => cursor = Some(c),
                    None => break p,
                }
            };
            assert_eq!(seen, all, "limit {limit} forward");
            // and back from the last page
            let mut back: Vec<String> = last.reels.iter().map(|r| r.id.clone()).collect();
            let mut cursor = last.newer.clone();
            while let Some(c) = cursor {
                let p = page(&records, None, None, limit, Some(c)).await.unwrap();
                let mut ids: Vec<String> = p.reels.iter().map(|r| r.id.clone()).collect();
                ids.extend(back);
                back = ids;
                cursor = p.newer.clone();
            }
            assert_eq!(back, all, "limit {limit} backward");
        }
    }
}
