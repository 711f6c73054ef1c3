//! Limit checks on dimensions read from headers, before any pixel buffer exists.

use crate::{Limits, MediaError};

/// Animated files with more frames than this are refused (only the first frame is ever
/// decoded, but a 10,000-frame file is not a photo anyone uploads).
pub const MAX_FRAMES: u32 = 1000;

/// Bytes per decoded pixel we budget for (RGBA, 8 bits).
const BYTES_PER_PIXEL: u64 = 4;

/// Checks header dimensions against `limits`: zero sides are corrupt, too many pixels or a
/// side over the limit is too large, and so is a pixel buffer over the memory budget.
pub fn check_dims(width: u32, height: u32, limits: &Limits) -> Result<(), MediaError> {
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt(format!(
            "zero dimension {width}x{height}"
        )));
    }
    if width > limits.max_side || height > limits.max_side {
        return Err(MediaError::TooLarge(format!(
            "{width}x{height} exceeds {} px a side",
            limits.max_side
        )));
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(MediaError::TooLarge(format!(
            "{width}x{height} = {pixels} pixels exceeds {}",
            limits.max_pixels
        )));
    }
    if pixels.saturating_mul(BYTES_PER_PIXEL) > limits.max_alloc {
        return Err(MediaError::TooLarge(format!(
            "{width}x{height} needs more than the {} byte decode budget",
            limits.max_alloc
        )));
    }
    Ok(())
}

/// Checks a frame count.
pub fn check_frames(frames: u32) -> Result<(), MediaError> {
    if frames > MAX_FRAMES {
        return Err(MediaError::TooLarge(format!(
            "{frames} frames exceeds {MAX_FRAMES}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        let l = Limits::default();
        assert!(check_dims(8000, 6000, &l).is_ok());
        assert!(matches!(check_dims(0, 10, &l), Err(MediaError::Corrupt(_))));
        assert!(matches!(
            check_dims(60000, 10, &l),
            Err(MediaError::TooLarge(_))
        ));
        assert!(matches!(
            check_dims(65535, 65535, &l),
            Err(MediaError::TooLarge(_))
        ));
        assert!(matches!(
            check_dims(16384, 16384, &l),
            Err(MediaError::TooLarge(_))
        ));
        assert!(check_frames(10).is_ok());
        assert!(matches!(check_frames(10_000), Err(MediaError::TooLarge(_))));
    }
}
