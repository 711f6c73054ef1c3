//! The `reels` table in SQLite: the record as a JSON document plus the columns queries need.
//! The state change is a conditional update inside a transaction, as DynamoDB's would be.

use async_trait::async_trait;
use pipeline::{
    Completion, Direction, ListQuery, RecordStore, Reel, Status, StoreError, Transition,
};
use rusqlite::{params, OptionalExtension};

use crate::db::{db, now, SqliteStore};

fn to_doc(reel: &Reel) -> Result<String, StoreError> {
    serde_json::to_string(reel).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn from_doc(doc: &str) -> Result<Reel, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Invalid(format!("stored record: {e}")))
}

#[async_trait]
impl RecordStore for SqliteStore {
    async fn create(&self, reel: &Reel) -> Result<(), StoreError> {
        let reel = reel.clone();
        self.with(move |c| {
            let doc = to_doc(&reel)?;
            let n = c
                .execute(
                    "INSERT OR IGNORE INTO reels (id, status, created_at, updated_at, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![reel.id, reel.status.as_str(), reel.created_at, reel.updated_at, doc],
                )
                .map_err(db)?;
            if n == 0 {
                return Err(StoreError::AlreadyExists(reel.id.clone()));
            }
            Ok(())
        })
        .await
    }

    async fn get(&self, id: &str) -> Result<Option<Reel>, StoreError> {
        let id = id.to_owned();
        self.with(move |c| {
            let doc: Option<String> = c
                .query_row("SELECT doc FROM reels WHERE id = ?1", [id], |r| r.get(0))
                .optional()
                .map_err(db)?;
            doc.as_deref().map(from_doc).transpose()
        })
        .await
    }

    async fn list(&self, q: &ListQuery) -> Result<Vec<Reel>, StoreError> {
        let q = q.clone();
        self.with(move |c| {
            let limit = if q.limit == 0 { 50 } else { q.limit.min(1000) } as i64;
            let status = q.status.map(|s| s.as_str().to_owned());
            let visibility = q.visibility.map(|v| v.as_str());
            let newer = q
                .cursor
                .as_ref()
                .is_some_and(|c| c.direction == Direction::Newer);
            // (created_at, id) is a total order: a page starts strictly past its cursor
            let (bound, order) = if newer { (">", "ASC") } else { ("<", "DESC") };
            let sql = format!(
                "SELECT doc FROM reels
                 WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR created_at < ?2)
                   AND (?3 IS NULL OR (created_at, id) {bound} (?3, ?4))
                   AND (?6 IS NULL OR COALESCE(json_extract(doc, '$.visibility'), 'public') = ?6)
                 ORDER BY created_at {order}, id {order} LIMIT ?5"
            );
            let (at, id) = match &q.cursor {
                Some(c) => (Some(c.created_at.clone()), Some(c.id.clone())),
                None => (None, None),
            };
            let mut stmt = c.prepare(&sql).map_err(db)?;
            let mut docs = stmt
                .query_map(params![status, q.before, at, id, limit, visibility], |r| {
                    r.get::<_, String>(0)
                })
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            if newer {
                docs.reverse();
            }
            docs.iter().map(|d| from_doc(d)).collect()
        })
        .await
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.with(move |c| {
            let n = c
                .execute("DELETE FROM reels WHERE id = ?1", [id])
                .map_err(db)?;
            Ok(n > 0)
        })
        .await
    }

    async fn set_execution_arn(&self, id: &str, arn: &str) -> Result<(), StoreError> {
        let (id, arn) = (id.to_owned(), arn.to_owned());
        self.with(move |c| {
            modify(c, &id, |reel| {
                reel.execution_arn = Some(arn);
                Transition::Applied
            })
            .map(|_| ())
        })
        .await
    }

    async fn complete(&self, id: &str, completion: &Completion) -> Result<Transition, StoreError> {
        let (id, completion) = (id.to_owned(), completion.clone());
        self.with(move |c| modify(c, &id, |reel| completion.apply(reel, &now())))
            .await
    }

    async fn reopen(&self, id: &str) -> Result<Transition, StoreError> {
        let id = id.to_owned();
        self.with(move |c| {
            modify(c, &id, |reel| {
                if reel.status != Status::Failed {
                    return Transition::Unchanged(reel.status);
                }
                reel.status = Status::Processing;
                reel.error = None;
                reel.cause = None;
                reel.updated_at = now();
                Transition::Applied
            })
        })
        .await
    }

    async fn review(&self, id: &str, review: &pipeline::Review) -> Result<Transition, StoreError> {
        let (id, review) = (id.to_owned(), review.clone());
        self.with(move |c| modify(c, &id, |reel| review.apply(reel, &now())))
            .await
    }

    async fn refresh(
        &self,
        id: &str,
        thumbnails: &[pipeline::ThumbnailRef],
        metadata: Option<&serde_json::Value>,
        video: Option<&pipeline::VideoRef>,
    ) -> Result<Transition, StoreError> {
        let (id, thumbnails, metadata, video) = (
            id.to_owned(),
            thumbnails.to_vec(),
            metadata.cloned(),
            video.cloned(),
        );
        self.with(move |c| {
            modify(c, &id, |reel| {
                if reel.status != Status::Ready {
                    return Transition::Unchanged(reel.status);
                }
                reel.thumbnails = thumbnails;
                if metadata.is_some() {
                    reel.metadata = metadata;
                }
                if video.is_some() {
                    reel.video = video;
                }
                reel.updated_at = now();
                Transition::Applied
            })
        })
        .await
    }
}

/// One change of the record `id`, inside a transaction: read it, let `change` edit it (it
/// answers `Applied`, or `Unchanged` to write nothing), and write it back only where its
/// status is still the one read: a conditional update, as DynamoDB's would be.
fn modify(
    c: &mut rusqlite::Connection,
    id: &str,
    change: impl FnOnce(&mut Reel) -> Transition,
) -> Result<Transition, StoreError> {
    let tx = c.transaction().map_err(db)?;
    let doc: Option<String> = tx
        .query_row("SELECT doc FROM reels WHERE id = ?1", [id], |r| r.get(0))
        .optional()
        .map_err(db)?;
    let mut reel = from_doc(&doc.ok_or_else(|| StoreError::NotFound(id.to_owned()))?)?;
    let before = reel.status;
    let t = change(&mut reel);
    if t != Transition::Applied {
        return Ok(t);
    }
    let n = tx
        .execute(
            "UPDATE reels SET status = ?2, updated_at = ?3, doc = ?4 WHERE id = ?1 AND status = ?5",
            params![
                id,
                reel.status.as_str(),
                reel.updated_at,
                to_doc(&reel)?,
                before.as_str()
            ],
        )
        .map_err(db)?;
    tx.commit().map_err(db)?;
    Ok(if n == 1 {
        Transition::Applied
    } else {
        Transition::Unchanged(before)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reel(id: &str, created: &str) -> Reel {
        Reel {
            id: id.into(),
            name: "Ada".into(),
            caption: "hi".into(),
            status: Status::Processing,
            media_type: Some("image/jpeg".into()),
            size: 10,
            original_filename: "a.jpg".into(),
            declared_type: None,
            delete_token_hash: None,
            raw_key: format!("raw/{id}/original.jpg"),
            thumbnails: vec![],
            metadata: None,
            video: None,
            error: None,
            cause: None,
            execution_arn: None,
            visibility: Default::default(),
            moderation_token: None,
            created_at: created.into(),
            updated_at: created.into(),
        }
    }

    #[tokio::test]
    async fn records_survive_reopening_and_transitions_are_conditional() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("media-hub.sqlite");
        {
            let s = SqliteStore::open(&path).unwrap();
            s.create(&reel("a", "2026-01-01T00:00:00.000Z"))
                .await
                .unwrap();
            s.create(&reel("b", "2026-01-02T00:00:00.000Z"))
                .await
                .unwrap();
            assert!(matches!(
                s.create(&reel("a", "2026-01-03T00:00:00.000Z")).await,
                Err(StoreError::AlreadyExists(_))
            ));
            let failed = Completion::Failed {
                error: "CorruptMedia".into(),
                cause: "x".into(),
            };
            assert_eq!(s.complete("a", &failed).await.unwrap(), Transition::Applied);
            assert_eq!(
                s.complete("a", &failed).await.unwrap(),
                Transition::Unchanged(Status::Failed)
            );
            assert!(matches!(
                s.complete("zz", &failed).await,
                Err(StoreError::NotFound(_))
            ));
        }
        let s = SqliteStore::open(&path).unwrap();
        let all = s
            .list(&ListQuery {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            all.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            vec!["b", "a"]
        );
        let processing = s
            .list(&ListQuery {
                status: Some(Status::Processing),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(processing.len(), 1);
        let a = s.get("a").await.unwrap().unwrap();
        assert_eq!(a.status, Status::Failed);
        assert_eq!(a.error.as_deref(), Some("CorruptMedia"));
    }

    #[tokio::test]
    async fn a_failed_record_reopens_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("media-hub.sqlite")).unwrap();
        s.create(&reel("a", "2026-01-01T00:00:00.000Z"))
            .await
            .unwrap();
        // PROCESSING is not reopened
        assert_eq!(
            s.reopen("a").await.unwrap(),
            Transition::Unchanged(Status::Processing)
        );
        let failed = Completion::Failed {
            error: "CodecUnavailable".into(),
            cause: "no libheif".into(),
        };
        s.complete("a", &failed).await.unwrap();
        assert_eq!(s.reopen("a").await.unwrap(), Transition::Applied);
        let a = s.get("a").await.unwrap().unwrap();
        assert_eq!(
            (a.status, a.error, a.cause),
            (Status::Processing, None, None)
        );
        assert_eq!(
            s.reopen("a").await.unwrap(),
            Transition::Unchanged(Status::Processing)
        );
        assert!(matches!(s.reopen("zz").await, Err(StoreError::NotFound(_))));
    }
}
