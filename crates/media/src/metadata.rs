//! Metadata of a photo: displayed size, orientation and the EXIF fields we keep.

use crate::probe::Probed;
use crate::Metadata;
use serde_json::Value as Json;

/// Metadata from a probed still image.
pub fn from_probed(p: &Probed<'_>) -> Metadata {
    let (width, height) = p.displayed();
    let mut extra = p.exif.extra.clone();
    extra.insert("mimeType".into(), Json::String(p.format.mime().into()));
    if p.header.frames > 1 {
        extra.insert("frames".into(), Json::from(p.header.frames));
    }
    if p.header.has_alpha {
        extra.insert("hasAlpha".into(), Json::Bool(true));
    }
    if p.header.icc.is_some() {
        extra.insert("iccProfile".into(), Json::Bool(true));
    }
    Metadata {
        width,
        height,
        orientation: p.exif.orientation,
        taken_at: p.exif.taken_at.clone(),
        camera: p.exif.camera.clone(),
        gps: p.exif.gps,
        duration: None,
        codec: None,
        extra,
    }
}
