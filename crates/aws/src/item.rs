//! Reels ↔ DynamoDB items, through `serde_dynamo`. A reel is stored with docs/design.md's
//! camelCase field names as top-level attributes; nested values (thumbnails, metadata) as
//! lists and maps, JSON numbers as N, null as NULL.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use pipeline::{Reel, StoreError};
use serde::Serialize;

/// Any serialisable value as one attribute value (thumbnails, metadata).
pub fn to_attr<T: Serialize + ?Sized>(value: &T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value)
        .map_err(|e| StoreError::Invalid(format!("to an attribute value: {e}")))
}

/// A reel as a DynamoDB item.
pub fn reel_to_item(reel: &Reel) -> Result<HashMap<String, AttributeValue>, StoreError> {
    serde_dynamo::to_item(reel).map_err(|e| StoreError::Invalid(format!("reel: {e}")))
}

/// A DynamoDB item as a reel.
pub fn item_to_reel(item: &HashMap<String, AttributeValue>) -> Result<Reel, StoreError> {
    serde_dynamo::from_item(item.clone())
        .map_err(|e| StoreError::Invalid(format!("stored reel: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipeline::{Status, ThumbnailRef};
    use serde_json::json;

    fn reel() -> Reel {
        Reel {
            id: "0193a5b0-7c1e-7d2a-9f00-123456789abc".into(),
            name: "Ana".into(),
            caption: String::new(),
            status: Status::Ready,
            media_type: Some("image/jpeg".into()),
            size: 12_345_678_901,
            original_filename: "IMG 1.JPG".into(),
            declared_type: None,
            delete_token_hash: None,
            raw_key: "raw/x/original.jpg".into(),
            thumbnails: vec![ThumbnailRef {
                size: 160,
                key: "thumbnails/x/160.jpg".into(),
                width: 160,
                height: 120,
                bytes: 4000,
            }],
            metadata: Some(
                json!({"width": 4000, "gps": {"latitude": 38.7, "longitude": -9.1}, "flash": null, "tags": ["a"]}),
            ),
            video: Some(pipeline::VideoRef {
                key: "renditions/x/web.mp4".into(),
                width: 1080,
                height: 1920,
                duration: 2.5,
                bytes: 123_456,
                codec: "h264".into(),
                transcoded: true,
            }),
            error: None,
            cause: None,
            execution_arn: None,
            visibility: Default::default(),
            moderation_token: None,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:01.000Z".into(),
        }
    }

    #[test]
    fn reels_round_trip_through_items() {
        let r = reel();
        let item = reel_to_item(&r).unwrap();
        assert_eq!(item["status"], AttributeValue::S("READY".into()));
        assert_eq!(item["size"], AttributeValue::N("12345678901".into()));
        assert!(matches!(item["thumbnails"], AttributeValue::L(_)));
        assert!(!item.contains_key("error"));
        assert_eq!(item_to_reel(&item).unwrap(), r);
    }

    #[test]
    fn numbers_keep_their_kind() {
        let mut r = reel();
        r.metadata = Some(json!({"exposure": -3, "fNumber": 2.5, "big": 18446744073709551615u64}));
        let item = reel_to_item(&r).unwrap();
        let back = item_to_reel(&item).unwrap();
        assert_eq!(back.metadata, r.metadata);
        let mut broken = item.clone();
        broken.insert("size".into(), AttributeValue::N("x".into()));
        assert!(item_to_reel(&broken).is_err());
    }
}
