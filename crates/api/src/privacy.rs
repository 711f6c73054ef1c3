//! What the public sees of a reel. By default public pages and the public JSON show no GPS
//! position, no serial numbers, no lens or software, and no original filename: only the
//! fields in [`PUBLIC_METADATA`] (camera make and model among them). The operator widens
//! that with `--public-metadata` (a list of field names, or `all`). A request that carries
//! the admin token sees everything. The hash of the delete token is never shown. A reel
//! awaiting review (moderation, `visibility: pending`) shows the public only its id, status
//! and that it waits: no name, caption, media or metadata until a moderator approves it.

use axum::http::HeaderMap;
use pipeline::{Reel, Visibility};
use serde_json::{Map, Value};

use crate::auth::AdminAccess;
use crate::AppState;

/// Metadata fields anyone may see: what the picture is, not where or with which device
/// serial it was taken.
pub const PUBLIC_METADATA: &[&str] = &[
    "width",
    "height",
    "orientation",
    "takenAt",
    "camera",
    "duration",
    "codec",
    "mimeType",
    "frames",
    "hasAlpha",
    "iccProfile",
    "frameRate",
    "audioCodec",
    "rotation",
    "exposureTime",
    "iso",
];

/// Who is looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Public,
    /// the request carries the admin token
    Operator,
}

impl Audience {
    /// Only a configured token that the request presents makes an operator; a server with no
    /// token at all (a loopback default) shows everyone the public view.
    pub fn of(st: &AppState, headers: &HeaderMap) -> Audience {
        if matches!(st.admin, AdminAccess::Token(_)) && st.admin.allows(headers) {
            Audience::Operator
        } else {
            Audience::Public
        }
    }
}

/// What `audience` may see of `reel`: the record without the private fields.
pub fn visible(reel: &Reel, audience: Audience, published: &[String]) -> Reel {
    let mut out = reel.clone();
    out.delete_token_hash = None;
    if audience == Audience::Operator {
        return out;
    }
    out.moderation_token = None;
    if reel.visibility == Visibility::Pending {
        // not reviewed yet: nothing of what was uploaded (name, caption, media, metadata)
        // reaches the public, only that it waits
        out.name = String::new();
        out.caption = String::new();
        out.original_filename = String::new();
        out.thumbnails.clear();
        out.video = None;
        out.metadata = None;
        return out;
    }
    let all = published.iter().any(|f| f == "all");
    let shown = |field: &str| all || published.iter().any(|f| f == field);
    if !shown("originalFilename") {
        out.original_filename = String::new();
    }
    out.metadata = reel.metadata.as_ref().map(|m| match m {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| PUBLIC_METADATA.contains(&k.as_str()) || shown(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Map<String, Value>>(),
        ),
        _ => Value::Object(Map::new()),
    });
    out
}

/// The JSON of [`visible`]: an empty original filename is left out.
pub fn visible_json(reel: &Reel, audience: Audience, published: &[String]) -> Value {
    let shown = visible(reel, audience, published);
    let mut json = serde_json::to_value(&shown).unwrap_or(Value::Null);
    if shown.original_filename.is_empty() {
        if let Some(map) = json.as_object_mut() {
            map.remove("originalFilename");
        }
    }
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reel() -> Reel {
        serde_json::from_value(serde_json::json!({
            "id": "a", "name": "Ada", "caption": "", "status": "READY", "size": 1,
            "originalFilename": "IMG_0042.JPG", "rawKey": "raw/a/original.jpg",
            "deleteTokenHash": "abc",
            "metadata": {"width": 4, "height": 3, "camera": "Apple iPhone 15 Pro",
                "gps": {"latitude": 48.85, "longitude": 2.29}, "lens": "iPhone back camera",
                "bodySerialNumber": "C39XK", "software": "17.1"},
            "createdAt": "t", "updatedAt": "t"
        }))
        .unwrap()
    }

    #[test]
    fn the_public_sees_no_position_serial_or_filename() {
        let json = visible_json(&reel(), Audience::Public, &[]);
        let text = json.to_string();
        for hidden in [
            "48.85", "gps", "C39XK", "lens", "IMG_0042", "abc", "software",
        ] {
            assert!(!text.contains(hidden), "{hidden} in {text}");
        }
        assert_eq!(json["metadata"]["camera"], "Apple iPhone 15 Pro");
        assert_eq!(json["metadata"]["width"], 4);
    }

    #[test]
    fn the_operator_sees_everything_and_settings_publish_more() {
        let json = visible_json(&reel(), Audience::Operator, &[]);
        assert_eq!(json["metadata"]["gps"]["latitude"], 48.85);
        assert_eq!(json["originalFilename"], "IMG_0042.JPG");
        assert!(json.get("deleteTokenHash").is_none());
        let more = visible_json(&reel(), Audience::Public, &["gps".into()]);
        assert_eq!(more["metadata"]["gps"]["longitude"], 2.29);
        assert!(more.get("originalFilename").is_none());
        let all = visible_json(&reel(), Audience::Public, &["all".into()]);
        assert_eq!(all["originalFilename"], "IMG_0042.JPG");
        assert_eq!(all["metadata"]["bodySerialNumber"], "C39XK");
    }
}
