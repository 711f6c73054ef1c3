//! The thumbnail pipeline for still images: probe and check headers, decode once with
//! shrink-on-load to about twice the largest box, resize the largest thumbnail with
//! Lanczos3, the smaller ones from it (cascade), orient the small results, encode JPEG.

use crate::pixels::Rgb;
use crate::probe::{self, Probed};
use crate::sniff::{self, Format};
use crate::{decode, encode, orientation, resize, video, Limits, MediaError, MediaKind, Thumbnail};

/// Shrink-on-load keeps at least this multiple of the largest thumbnail's size, so the
/// final Lanczos pass has real pixels to filter. JPEG's DCT scaling is itself a good
/// low-pass filter, so it may go right down to the box; PNG's box average and libwebp's
/// rescaler need a margin (measured on the bench corpus: SSIM 0.9278 → 0.9501 for a PNG
/// 1080 thumbnail between margins 1 and 2).
pub fn shrink_margin(format: Format) -> f64 {
    match format {
        Format::Jpeg => 1.0,
        _ => 2.0,
    }
}

/// Thumbnails for each size in `sizes`, in the same order.
pub fn thumbnails(
    data: &[u8],
    sizes: &[u32],
    limits: &Limits,
) -> Result<Vec<Thumbnail>, MediaError> {
    let format = sniff::detect(data)?;
    crate::polyglot::check(format, data)?;
    if format.kind() == MediaKind::Video {
        let frame = video::poster_frame(format, data, sizes, limits)?;
        return from_displayed(frame, None, sizes);
    }
    if format.is_heif_family() {
        let (img, info) = decode::heif::decode(data, limits)?;
        return from_displayed(img, info.icc.as_deref(), sizes);
    }
    let probed = probe::image(format, data, limits)?;
    still(&probed, data, sizes, limits)
}

/// Thumbnails of a probed still image.
pub fn still(
    p: &Probed<'_>,
    data: &[u8],
    sizes: &[u32],
    limits: &Limits,
) -> Result<Vec<Thumbnail>, MediaError> {
    if sizes.is_empty() {
        return Ok(Vec::new());
    }
    let o = p.orientation();
    let (dw, dh) = p.displayed();
    let largest = sizes.iter().copied().max().unwrap_or(1).max(1);
    let (tw, th) = resize::fit(dw, dh, largest);
    // wanted size in the stored orientation
    let (sw, sh) = orientation::displayed(tw, th, o);
    let margin = shrink_margin(p.format);
    let min_w = ((f64::from(sw) * margin).ceil() as u32).min(p.header.width);
    let min_h = ((f64::from(sh) * margin).ceil() as u32).min(p.header.height);
    let img = decode::decode(p.format, data, &p.header, min_w, min_h, limits)?;
    cascade(img, o, (dw, dh), p.header.icc.as_deref(), sizes)
}

/// Thumbnails from pixels already in display orientation (video frames, HEIF).
pub fn from_displayed(
    img: Rgb,
    icc: Option<&[u8]>,
    sizes: &[u32],
) -> Result<Vec<Thumbnail>, MediaError> {
    let dims = (img.width, img.height);
    cascade(img, 1, dims, icc, sizes)
}

/// Resizes `img` (stored orientation, any size ≥ the largest target) to every size,
/// largest first and the rest from it, then orients and encodes each.
fn cascade(
    img: Rgb,
    o: u16,
    displayed: (u32, u32),
    icc: Option<&[u8]>,
    sizes: &[u32],
) -> Result<Vec<Thumbnail>, MediaError> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|a, b| sizes[*b].cmp(&sizes[*a]));
    let mut out: Vec<Option<Thumbnail>> = vec![None; sizes.len()];
    let mut base: Option<Rgb> = None;
    for idx in order {
        let size = sizes[idx].max(1);
        let (tw, th) = resize::fit(displayed.0, displayed.1, size);
        let (sw, sh) = orientation::displayed(tw, th, o);
        let src = base.as_ref().unwrap_or(&img);
        let mut small = resize::resize(src, sw, sh)?;
        if base.is_none() {
            // colour-convert the largest thumbnail; the smaller ones are made from it
            if let Some(icc) = icc {
                crate::color::to_srgb(&mut small, icc);
            }
        }
        let oriented = orientation::apply(small.clone(), o);
        let jpeg = encode::jpeg(&oriented)?;
        out[idx] = Some(Thumbnail {
            size: sizes[idx],
            width: oriented.width,
            height: oriented.height,
            jpeg,
        });
        if base.is_none() {
            base = Some(small);
        }
    }
    out.into_iter()
        .map(|t| t.ok_or_else(|| MediaError::Corrupt("internal: missing thumbnail".into())))
        .collect()
}
