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

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::s3::S3Event;
use percent_encoding::percent_decode_str;
use pipeline::intake::{Intake, IntakeError};
use pipeline::{ErrorName, TaskError};
use serde_json::{json, Value};

pub struct ObjectCreated {
    pub intake: Intake,
}

/// The `detail` of EventBridge's "Object Created" event: the part read here.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct ObjectCreatedDetail {
    #[serde(default)]
    object: Option<ObjectRef>,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct ObjectRef {
    key: Option<String>,
}

/// The object keys an event names: an S3 notification (`aws_lambda_events::s3::S3Event`,
/// keys URL-encoded) or an EventBridge event (`EventBridgeEvent`, keys as they are).
pub fn object_keys(event: &Value) -> Result<Vec<String>, TaskError> {
    let invalid = |m: String| TaskError::new(ErrorName::InvalidPayload, m);
    if event.get("Records").is_some() {
        let s3: S3Event = serde_json::from_value(event.clone())
            .map_err(|e| invalid(format!("not an S3 notification: {e}")))?;
        return s3
            .records
            .iter()
            .map(|r| {
                r.s3.object
                    .key
                    .as_deref()
                    .map(url_decode)
                    .ok_or_else(|| invalid("a record without s3.object.key".into()))
            })
            .collect();
    }
    if event.get("detail").is_some() {
        let bridged: EventBridgeEvent<ObjectCreatedDetail> = serde_json::from_value(event.clone())
            .map_err(|e| invalid(format!("not an EventBridge event: {e}")))?;
        if let Some(key) = bridged.detail.object.and_then(|o| o.key) {
            return Ok(vec![key]);
        }
    }
    Err(invalid(
        "not an S3 Object Created event (no Records[].s3 nor detail.object)".into(),
    ))
}

/// S3 notifications URL-encode keys, with `+` for a space.
fn url_decode(key: &str) -> String {
    percent_decode_str(&key.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
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
        // the notification fixture, its key encoded as S3 encodes it
        let mut n: Value = serde_json::from_str(include_str!(
            "../../../fixtures/events/s3-object-created.json"
        ))
        .unwrap();
        n["Records"][0]["s3"]["object"]["key"] = json!("incoming/a%2Db+c/file");
        assert_eq!(object_keys(&n).unwrap(), vec!["incoming/a-b c/file"]);
        let eb = json!({"version": "0", "detail-type": "Object Created", "source": "aws.s3",
            "detail": {"bucket": {"name": "b"}, "object": {"key": "raw/x/original.png", "size": 3}}});
        assert_eq!(object_keys(&eb).unwrap(), vec!["raw/x/original.png"]);
        assert!(object_keys(&json!({"hello": 1})).is_err());
        assert!(object_keys(&json!({"Records": [{"s3": {}}]})).is_err());
        assert_eq!(url_decode("a+b%20c%"), "a b c%");
    }
}
