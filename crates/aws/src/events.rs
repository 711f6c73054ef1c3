//! S3 "Object Created" events: a file that reached the bucket through a presigned POST
//! (an upload larger than API Gateway carries) lands at `incoming/{id}/file`; its event
//! completes the direct upload here (`Intake::complete_direct`: sniff, move under `raw/`,
//! write the PROCESSING record, start the execution). Accepts both the S3 notification
//! shape (`Records[].s3.object.key`, URL-encoded) and the EventBridge shape
//! (`detail.object.key`).
//!
//! Idempotent and safe for every object: a key that is not `incoming/{id}/file`, an upload
//! the browser completed first, or one never begun starts nothing. Only a transient storage
//! failure is an error (`StorageUnavailable`), so EventBridge delivers the event again.

use pipeline::intake::{Intake, IntakeError};
use pipeline::{ErrorName, TaskError};
use serde_json::{json, Value};

pub struct ObjectCreated {
    pub intake: Intake,
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

impl ObjectCreated {
    pub async fn handle(&self, event: Value) -> Result<Value, TaskError> {
        let mut results = Vec::new();
        for key in object_keys(&event)? {
            results.push(self.one(&key).await?);
        }
        Ok(json!({ "results": results }))
    }

    async fn one(&self, key: &str) -> Result<Value, TaskError> {
        let ignored = |reason: String| json!({ "key": key, "started": false, "reason": reason });
        let Some(id) = pipeline::keys::incoming_id(key) else {
            return Ok(ignored("not a direct upload's file".into()));
        };
        let had_record = self.intake.records.get(id).await?.is_some();
        match self.intake.complete_direct(id).await {
            Ok(reel) => {
                tracing::info!(id, key, already = had_record, "direct upload completed");
                Ok(json!({
                    "key": key,
                    "id": id,
                    "started": !had_record,
                    "rawKey": reel.raw_key,
                    "executionArn": reel.execution_arn,
                }))
            }
            // transient: the event is delivered again
            Err(IntakeError::Storage(e)) => Err(TaskError::from(e)),
            // refusals and completions that are not this event's to make
            Err(e) => Ok(ignored(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_both_event_shapes() {
        let n = json!({"Records": [{"s3": {"object": {"key": "incoming/a%2Db/file"}}}]});
        assert_eq!(object_keys(&n).unwrap(), vec!["incoming/a-b/file"]);
        let eb = json!({"detail-type": "Object Created", "detail": {"object": {"key": "raw/x/original.png"}}});
        assert_eq!(object_keys(&eb).unwrap(), vec!["raw/x/original.png"]);
        assert!(object_keys(&json!({"hello": 1})).is_err());
        assert_eq!(url_decode("a+b%20c%"), "a b c%");
    }
}
