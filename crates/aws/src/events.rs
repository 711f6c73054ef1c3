//! S3 "Object Created" events: a file that reached the bucket without passing through the
//! API (a presigned POST for an upload larger than API Gateway carries) starts its
//! execution here. Accepts both the S3 notification shape (`Records[].s3.object.key`,
//! URL-encoded) and the EventBridge shape (`detail.object.key`).
//!
//! Idempotent and safe for every raw object: a key that is not `raw/{id}/original.{ext}`,
//! has no PROCESSING record naming it, or whose execution exists already starts nothing.
//! Uploads through the API write the raw file before their record, so their own event
//! usually finds no record and the API starts the execution itself.

use std::sync::Arc;

use pipeline::declared::DeclaredType;
use pipeline::{ErrorName, ExecutionInput, RecordStore, Status, TaskError, WorkflowStarter};
use serde_json::{json, Value};

pub struct ObjectCreated {
    pub records: Arc<dyn RecordStore>,
    pub workflow: Arc<dyn WorkflowStarter>,
}

/// The object keys an event names.
pub fn object_keys(event: &Value) -> Result<Vec<String>, TaskError> {
    if let Some(records) = event.get("Records").and_then(Value::as_array) {
        return records
            .iter()
            .map(|r| {
                r.pointer("/s3/object/key")
                    .and_then(Value::as_str)
                    .map(url_decode)
                    .ok_or_else(|| {
                        TaskError::new(ErrorName::InvalidPayload, "a record without s3.object.key")
                    })
            })
            .collect();
    }
    if let Some(key) = event.pointer("/detail/object/key").and_then(Value::as_str) {
        return Ok(vec![key.to_owned()]);
    }
    Err(TaskError::new(
        ErrorName::InvalidPayload,
        "not an S3 Object Created event (no Records[].s3 nor detail.object)",
    ))
}

/// S3 notifications URL-encode keys (`+` for a space).
fn url_decode(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `raw/{id}/original.{ext}` → `id`.
fn raw_id(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("raw/")?;
    let (id, file) = rest.split_once('/')?;
    (pipeline::keys::is_valid_id(id) && file.starts_with("original.") && !file.contains('/'))
        .then_some(id)
}

impl ObjectCreated {
    pub async fn handle(&self, event: Value) -> Result<Value, TaskError> {
        let mut results = Vec::new();
        for key in object_keys(&event)? {
            results.push(self.one(&key).await?);
        }
        Ok(json!({ "results": results }))
    }

    async fn one(&self, key: &str) -> Result<Value, TaskError> {
        let ignored = |reason: &str| json!({ "key": key, "started": false, "reason": reason });
        let Some(id) = raw_id(key) else {
            return Ok(ignored("not a raw upload key"));
        };
        let Some(reel) = self.records.get(id).await? else {
            return Ok(ignored(
                "no record (an API upload starts its own execution)",
            ));
        };
        if reel.status != Status::Processing {
            return Ok(ignored("the record is not PROCESSING"));
        }
        if reel.raw_key != key {
            return Ok(ignored("the record names another raw key"));
        }
        let input = ExecutionInput {
            id: id.to_owned(),
            raw_key: key.to_owned(),
            declared_type: DeclaredType::of_upload(&reel.original_filename, None)
                .map(|d| d.mime().to_owned()),
        };
        let started = self.workflow.start(&input).await?;
        if !started.already_started {
            self.records
                .set_execution_arn(id, &started.execution_arn)
                .await?;
        }
        tracing::info!(
            id,
            key,
            already_started = started.already_started,
            "object created"
        );
        Ok(json!({
            "key": key,
            "id": id,
            "started": !started.already_started,
            "executionArn": started.execution_arn,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_both_event_shapes() {
        let n = json!({"Records": [{"s3": {"object": {"key": "raw/a%2Db/original.jpg"}}}]});
        assert_eq!(object_keys(&n).unwrap(), vec!["raw/a-b/original.jpg"]);
        let eb = json!({"detail-type": "Object Created", "detail": {"object": {"key": "raw/x/original.png"}}});
        assert_eq!(object_keys(&eb).unwrap(), vec!["raw/x/original.png"]);
        assert!(object_keys(&json!({"hello": 1})).is_err());
        assert_eq!(url_decode("a+b%20c%"), "a b c%");
    }

    #[test]
    fn only_raw_originals_count() {
        assert_eq!(raw_id("raw/abc/original.jpg"), Some("abc"));
        assert_eq!(raw_id("thumbnails/abc/160.jpg"), None);
        assert_eq!(raw_id("raw/../original.jpg"), None);
        assert_eq!(raw_id("raw/abc/other.jpg"), None);
    }
}
