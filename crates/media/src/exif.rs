//! EXIF: orientation and the photo metadata we keep (taken-at, camera, lens, exposure,
//! GPS), parsed with kamadak-exif from the raw TIFF blob a header reader found.

use crate::Gps;
use exif::{Exif, In, Tag, Value};
use serde_json::{Map, Value as Json};

/// What we keep from an EXIF blob.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExifInfo {
    /// 1–8, `None` when absent or invalid
    pub orientation: Option<u16>,
    pub taken_at: Option<String>,
    pub camera: Option<String>,
    pub gps: Option<Gps>,
    /// lens, exposureTime, fNumber, iso, focalLength, software
    pub extra: Map<String, Json>,
}

/// Parses a TIFF-structured EXIF blob; junk yields an empty result, never an error (EXIF
/// is optional, a broken one must not reject a good picture).
pub fn parse(tiff: &[u8]) -> ExifInfo {
    // kamadak-exif walks IFD offsets itself with bounds checks; cap the input anyway.
    if tiff.len() > 1 << 20 {
        return ExifInfo::default();
    }
    match exif::Reader::new().read_raw(tiff.to_vec()) {
        Ok(e) => from_exif(&e),
        Err(err) => {
            tracing::debug!(%err, "unreadable EXIF ignored");
            ExifInfo::default()
        }
    }
}

fn ascii(e: &Exif, tag: Tag) -> Option<String> {
    let f = e.get_field(tag, In::PRIMARY)?;
    match &f.value {
        Value::Ascii(parts) => {
            let s: String = parts
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            let s = s
                .trim_matches(|c: char| c == '\0' || c.is_whitespace())
                .to_string();
            (!s.is_empty()).then_some(s)
        }
        _ => None,
    }
}

fn rational(e: &Exif, tag: Tag, idx: usize) -> Option<f64> {
    let f = e.get_field(tag, In::PRIMARY)?;
    let v = match &f.value {
        Value::Rational(r) => r.get(idx).filter(|r| r.denom != 0).map(|r| r.to_f64()),
        Value::SRational(r) => r.get(idx).filter(|r| r.denom != 0).map(|r| r.to_f64()),
        other => other.get_uint(idx).map(f64::from),
    }?;
    v.is_finite().then_some(v)
}

fn uint(e: &Exif, tag: Tag) -> Option<u32> {
    e.get_field(tag, In::PRIMARY)?.value.get_uint(0)
}

/// "2024:05:01 12:34:56" (+ offset "+02:00") → "2024-05-01T12:34:56+02:00".
pub fn iso_datetime(raw: &str, offset: Option<&str>) -> Option<String> {
    let b = raw.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..4)
        && digits(5..7)
        && digits(8..10)
        && digits(11..13)
        && digits(14..16)
        && digits(17..19))
    {
        return None;
    }
    if &raw[0..4] == "0000" {
        return None;
    }
    let mut s = format!(
        "{}-{}-{}T{}:{}:{}",
        &raw[0..4],
        &raw[5..7],
        &raw[8..10],
        &raw[11..13],
        &raw[14..16],
        &raw[17..19]
    );
    if let Some(o) = offset {
        let ob = o.as_bytes();
        if ob.len() == 6 && (ob[0] == b'+' || ob[0] == b'-') && ob[3] == b':' {
            s.push_str(o);
        }
    }
    Some(s)
}

fn gps(e: &Exif) -> Option<Gps> {
    let dms = |tag: Tag| -> Option<f64> {
        let d = rational(e, tag, 0)?;
        let m = rational(e, tag, 1).unwrap_or(0.0);
        let s = rational(e, tag, 2).unwrap_or(0.0);
        Some(d + m / 60.0 + s / 3600.0)
    };
    let mut lat = dms(Tag::GPSLatitude)?;
    let mut lon = dms(Tag::GPSLongitude)?;
    if ascii(e, Tag::GPSLatitudeRef).as_deref() == Some("S") {
        lat = -lat;
    }
    if ascii(e, Tag::GPSLongitudeRef).as_deref() == Some("W") {
        lon = -lon;
    }
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return None;
    }
    let altitude = rational(e, Tag::GPSAltitude, 0).map(|a| {
        let below = e
            .get_field(Tag::GPSAltitudeRef, In::PRIMARY)
            .and_then(|f| f.value.get_uint(0))
            == Some(1);
        if below {
            -a
        } else {
            a
        }
    });
    let round = |v: f64| (v * 1e7).round() / 1e7;
    Some(Gps {
        latitude: round(lat),
        longitude: round(lon),
        altitude: altitude.map(|a| (a * 100.0).round() / 100.0),
    })
}

fn from_exif(e: &Exif) -> ExifInfo {
    let mut info = ExifInfo {
        orientation: uint(e, Tag::Orientation)
            .filter(|o| (1..=8).contains(o))
            .map(|o| o as u16),
        ..Default::default()
    };
    let offset = ascii(e, Tag::OffsetTimeOriginal);
    info.taken_at = ascii(e, Tag::DateTimeOriginal)
        .and_then(|d| iso_datetime(&d, offset.as_deref()))
        .or_else(|| ascii(e, Tag::DateTime).and_then(|d| iso_datetime(&d, None)));
    let make = ascii(e, Tag::Make);
    let model = ascii(e, Tag::Model);
    info.camera = match (make, model) {
        (Some(make), Some(model)) if model.to_lowercase().starts_with(&make.to_lowercase()) => {
            Some(model)
        }
        (Some(make), Some(model)) => Some(format!("{make} {model}")),
        (a, b) => a.or(b),
    };
    info.gps = gps(e);
    let x = &mut info.extra;
    if let Some(lens) = ascii(e, Tag::LensModel) {
        x.insert("lens".into(), Json::String(lens));
    }
    if let Some(f) = e.get_field(Tag::ExposureTime, In::PRIMARY) {
        if let Value::Rational(r) = &f.value {
            if let Some(r) = r.first().filter(|r| r.denom != 0 && r.num != 0) {
                let secs = r.to_f64();
                let text = if secs < 1.0 {
                    format!("1/{}", (1.0 / secs).round())
                } else {
                    format!("{secs}")
                };
                x.insert("exposureTime".into(), Json::String(text));
            }
        }
    }
    let mut num = |key: &str, v: Option<f64>| {
        if let Some(n) = v.and_then(|v| serde_json::Number::from_f64((v * 100.0).round() / 100.0)) {
            x.insert(key.into(), Json::Number(n));
        }
    };
    num("fNumber", rational(e, Tag::FNumber, 0));
    num("focalLength", rational(e, Tag::FocalLength, 0));
    if let Some(iso) = uint(e, Tag::PhotographicSensitivity) {
        x.insert("iso".into(), Json::from(iso));
    }
    if let Some(s) = ascii(e, Tag::Software) {
        x.insert("software".into(), Json::String(s));
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime() {
        assert_eq!(
            iso_datetime("2024:05:01 12:34:56", None).as_deref(),
            Some("2024-05-01T12:34:56")
        );
        assert_eq!(
            iso_datetime("2024:05:01 12:34:56", Some("+02:00")).as_deref(),
            Some("2024-05-01T12:34:56+02:00")
        );
        assert_eq!(iso_datetime("0000:00:00 00:00:00", None), None);
        assert_eq!(iso_datetime("garbage", None), None);
    }

    #[test]
    fn junk_is_empty() {
        assert_eq!(parse(b"not a tiff"), ExifInfo::default());
        assert_eq!(parse(b""), ExifInfo::default());
    }
}
