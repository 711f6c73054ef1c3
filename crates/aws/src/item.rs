//! JSON ↔ DynamoDB attribute values. A reel is stored with docs/design.md's camelCase field
//! names as top-level attributes; nested values (thumbnails, metadata) as lists and maps.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use pipeline::{Reel, StoreError};
use serde_json::{Map, Number, Value};

/// A JSON value as an attribute value (null → NULL, numbers → N, objects → M, arrays → L).
pub fn to_attr(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(items) => AttributeValue::L(items.iter().map(to_attr).collect()),
        Value::Object(map) => {
            AttributeValue::M(map.iter().map(|(k, v)| (k.clone(), to_attr(v))).collect())
        }
    }
}

/// An attribute value as JSON. String and number sets become arrays; binary values are
/// not used by media-hub and are refused.
pub fn from_attr(attr: &AttributeValue) -> Result<Value, StoreError> {
    Ok(match attr {
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::N(n) => Value::Number(parse_number(n)?),
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::L(items) => {
            Value::Array(items.iter().map(from_attr).collect::<Result<_, _>>()?)
        }
        AttributeValue::M(map) => Value::Object(from_map(map)?),
        AttributeValue::Ss(items) => {
            Value::Array(items.iter().cloned().map(Value::String).collect())
        }
        AttributeValue::Ns(items) => Value::Array(
            items
                .iter()
                .map(|n| parse_number(n).map(Value::Number))
                .collect::<Result<_, _>>()?,
        ),
        other => {
            return Err(StoreError::Invalid(format!(
                "unsupported attribute value {other:?}"
            )))
        }
    })
}

fn parse_number(n: &str) -> Result<Number, StoreError> {
    if let Ok(i) = n.parse::<i64>() {
        return Ok(i.into());
    }
    if let Ok(u) = n.parse::<u64>() {
        return Ok(u.into());
    }
    n.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .ok_or_else(|| StoreError::Invalid(format!("number {n:?} out of range")))
}

fn from_map(map: &HashMap<String, AttributeValue>) -> Result<Map<String, Value>, StoreError> {
    // Sorted keys: HashMap order is random and records should read the same every time.
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    keys.into_iter()
        .map(|k| Ok((k.clone(), from_attr(&map[k])?)))
        .collect()
}

/// A reel as a DynamoDB item.
pub fn reel_to_item(reel: &Reel) -> Result<HashMap<String, AttributeValue>, StoreError> {
    match serde_json::to_value(reel) {
        Ok(Value::Object(map)) => Ok(map.iter().map(|(k, v)| (k.clone(), to_attr(v))).collect()),
        Ok(_) => Err(StoreError::Invalid(
            "a reel did not serialise to an object".into(),
        )),
        Err(e) => Err(StoreError::Invalid(format!("reel: {e}"))),
    }
}

/// A DynamoDB item as a reel.
pub fn item_to_reel(item: &HashMap<String, AttributeValue>) -> Result<Reel, StoreError> {
    let map = from_map(item)?;
    serde_json::from_value(Value::Object(map))
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
            error: None,
            cause: None,
            execution_arn: None,
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
        assert_eq!(
            from_attr(&AttributeValue::N("-3".into())).unwrap(),
            json!(-3)
        );
        assert_eq!(
            from_attr(&AttributeValue::N("2.5".into())).unwrap(),
            json!(2.5)
        );
        assert!(from_attr(&AttributeValue::N("x".into())).is_err());
    }
}
