//! Deleting a reel: the uploader (with the delete token handed out at upload, of which the
//! record keeps only the hash) or the operator (admin) removes the record, then every object
//! under the reel's prefixes: raw, thumbnails, renditions, staging. The record goes first, so
//! no record ever names an object that is gone; an object left by a failure half way (or a
//! task still writing) belongs to a missing reel and the reconcile sweep removes it.
//! Deleting a reel that is gone changes nothing.

use crate::intake::{hash_delete_token, Intake, IntakeError};
use crate::keys::reel_prefixes;

/// Who asks for the deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleter<'a> {
    /// the operator, with the admin token
    Admin,
    /// whoever holds this delete token
    Token(&'a str),
    /// no credential
    Nobody,
}

/// What a deletion did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// the record and its objects were removed
    Removed { objects: usize },
    /// there was no such reel (any more): nothing changed
    AlreadyGone,
}

/// Compare without an early exit, so timing tells nothing about the stored hash.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Intake {
    /// Delete reel `id` if `who` may. `Forbidden` for a wrong or missing token.
    pub async fn delete_reel(&self, id: &str, who: Deleter<'_>) -> Result<Deleted, IntakeError> {
        if !crate::keys::is_valid_id(id) {
            return Ok(Deleted::AlreadyGone);
        }
        let Some(reel) = self.records.get(id).await? else {
            return Ok(Deleted::AlreadyGone);
        };
        let allowed = match who {
            Deleter::Admin => true,
            Deleter::Token(token) => reel
                .delete_token_hash
                .as_deref()
                .is_some_and(|stored| same(stored, &hash_delete_token(token))),
            Deleter::Nobody => false,
        };
        if !allowed {
            return Err(IntakeError::Forbidden(format!(
                "the delete token does not match reel {id}"
            )));
        }
        self.records.delete(id).await?;
        let mut objects = 0;
        for prefix in reel_prefixes(id) {
            for key in self.blobs.list(&prefix).await? {
                self.blobs.delete(&key).await?;
                objects += 1;
            }
        }
        tracing::info!(id, objects, admin = who == Deleter::Admin, "reel deleted");
        Ok(Deleted::Removed { objects })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;

    use super::*;
    use crate::intake::new_delete_token;
    use crate::ports::{BlobStore, RecordStore};
    use crate::settings::Settings;
    use crate::tasks::testkit::{processing_reel, MemBlobs, MemRecords, MemWorkflow};

    #[tokio::test]
    async fn the_token_or_the_admin_deletes_everything_once() {
        let blobs = Arc::new(MemBlobs::default());
        let records = Arc::new(MemRecords::default());
        let intake = Intake {
            blobs: blobs.clone(),
            records: records.clone(),
            workflow: Arc::new(MemWorkflow::default()),
            settings: Arc::new(Settings::default()),
            signer: None,
        };
        let (token, hash) = new_delete_token();
        for id in ["a", "b"] {
            let mut reel = processing_reel(id);
            reel.delete_token_hash = Some(hash.clone());
            records.create(&reel).await.unwrap();
            for key in [
                format!("raw/{id}/original.jpg"),
                format!("thumbnails/{id}/160.jpg"),
                format!("renditions/{id}/720.mp4"),
            ] {
                blobs
                    .put(&key, Bytes::from_static(b"x"), "x")
                    .await
                    .unwrap();
            }
        }
        assert!(matches!(
            intake.delete_reel("a", Deleter::Token("wrong")).await,
            Err(IntakeError::Forbidden(_))
        ));
        assert!(matches!(
            intake.delete_reel("a", Deleter::Nobody).await,
            Err(IntakeError::Forbidden(_))
        ));
        assert!(records.get("a").await.unwrap().is_some());
        assert_eq!(
            intake
                .delete_reel("a", Deleter::Token(&token))
                .await
                .unwrap(),
            Deleted::Removed { objects: 3 }
        );
        assert!(records.get("a").await.unwrap().is_none());
        assert_eq!(blobs.list("").await.unwrap().len(), 3, "b's objects stay");
        assert_eq!(
            intake
                .delete_reel("a", Deleter::Token(&token))
                .await
                .unwrap(),
            Deleted::AlreadyGone
        );
        assert_eq!(
            intake.delete_reel("b", Deleter::Admin).await.unwrap(),
            Deleted::Removed { objects: 3 }
        );
        assert!(blobs.list("").await.unwrap().is_empty());
    }
}
