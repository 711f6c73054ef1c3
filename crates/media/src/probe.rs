//! Probing a still image without decoding pixels: format, header, EXIF, and the limit
//! checks that must pass before any decoder runs.

use crate::exif::{self, ExifInfo};
use crate::header::{self, Header};
use crate::limits;
use crate::orientation;
use crate::sniff::Format;
use crate::{Limits, MediaError};

/// A still image that passed the header checks.
#[derive(Debug, Clone)]
pub struct Probed<'a> {
    pub format: Format,
    pub header: Header<'a>,
    pub exif: ExifInfo,
    /// The decoder already returns displayed pixels (HEIF transforms): EXIF orientation is
    /// reported but not applied.
    pub decoder_orients: bool,
}

impl Probed<'_> {
    /// EXIF orientation, 1 when absent.
    pub fn orientation(&self) -> u16 {
        if self.decoder_orients {
            1
        } else {
            self.exif.orientation.unwrap_or(1)
        }
    }

    /// Size as displayed (orientation applied).
    pub fn displayed(&self) -> (u32, u32) {
        orientation::displayed(self.header.width, self.header.height, self.orientation())
    }
}

/// Reads and checks the headers of a JPEG, PNG, GIF or WebP.
pub fn image<'a>(
    format: Format,
    data: &'a [u8],
    limits: &Limits,
) -> Result<Probed<'a>, MediaError> {
    if format.is_heif_family() {
        let info = crate::decode::heif::probe(data, limits)?;
        let exif = info.exif.as_deref().map(exif::parse).unwrap_or_default();
        let header = Header {
            width: info.width,
            height: info.height,
            frames: 1,
            has_alpha: info.has_alpha,
            exif: None,
            icc: info.icc,
        };
        return Ok(Probed {
            format,
            header,
            exif,
            decoder_orients: true,
        });
    }
    let header = header::read(format, data)?;
    limits::check_dims(header.width, header.height, limits)?;
    limits::check_frames(header.frames)?;
    if header.frames == 0 {
        return Err(MediaError::Corrupt(format!(
            "{}: no image data",
            format.mime()
        )));
    }
    let exif = header.exif.map(exif::parse).unwrap_or_default();
    tracing::debug!(
        format = format.mime(),
        width = header.width,
        height = header.height,
        frames = header.frames,
        orientation = exif.orientation,
        "probed"
    );
    Ok(Probed {
        format,
        header,
        exif,
        decoder_orients: false,
    })
}
