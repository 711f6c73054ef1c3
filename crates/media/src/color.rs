//! ICC colour management: pixels tagged with an RGB profile other than sRGB (Display P3,
//! Adobe RGB, ProPhoto ...) are converted to sRGB with Little CMS, on the small resized
//! image. Broken, non-RGB or sRGB profiles leave the pixels as they are.

use crate::pixels::Rgb;
use lcms2::{ColorSpaceSignature, InfoType, Intent, Locale, PixelFormat, Profile, Transform};

/// Profiles larger than this are ignored.
pub const MAX_ICC_BYTES: usize = 4 << 20;

/// True when the profile says it is sRGB (by its description).
fn is_srgb(p: &Profile) -> bool {
    p.info(InfoType::Description, Locale::none())
        .map(|d| d.to_ascii_lowercase().contains("srgb"))
        .unwrap_or(false)
}

/// Converts `img` from the colour space of `icc` to sRGB, in place. Returns whether a
/// conversion happened.
pub fn to_srgb(img: &mut Rgb, icc: &[u8]) -> bool {
    if icc.is_empty() || icc.len() > MAX_ICC_BYTES {
        return false;
    }
    let Ok(src) = Profile::new_icc(icc) else {
        tracing::debug!("unreadable ICC profile ignored");
        return false;
    };
    if src.color_space() != ColorSpaceSignature::RgbData || is_srgb(&src) {
        return false;
    }
    let srgb = Profile::new_srgb();
    match Transform::<u8, u8>::new(
        &src,
        PixelFormat::RGB_8,
        &srgb,
        PixelFormat::RGB_8,
        Intent::Perceptual,
    ) {
        Ok(t) => {
            t.transform_in_place(&mut img.data);
            true
        }
        Err(e) => {
            tracing::debug!(%e, "ICC transform unavailable");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lcms2::{CIExyY, CIExyYTRIPLE, ToneCurve};

    /// An RGB profile whose red and green primaries are sRGB's green and red.
    fn swapped_profile() -> Vec<u8> {
        let d65 = CIExyY {
            x: 0.3127,
            y: 0.3290,
            Y: 1.0,
        };
        let prim = CIExyYTRIPLE {
            Red: CIExyY {
                x: 0.30,
                y: 0.60,
                Y: 1.0,
            },
            Green: CIExyY {
                x: 0.64,
                y: 0.33,
                Y: 1.0,
            },
            Blue: CIExyY {
                x: 0.15,
                y: 0.06,
                Y: 1.0,
            },
        };
        let curve =
            ToneCurve::new_parametric(4, &[2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045])
                .unwrap();
        Profile::new_rgb(&d65, &prim, &[&curve, &curve, &curve])
            .unwrap()
            .icc()
            .unwrap()
    }

    #[test]
    fn converts_other_profiles() {
        let mut img = Rgb {
            width: 1,
            height: 1,
            data: vec![255, 0, 0],
        };
        assert!(to_srgb(&mut img, &swapped_profile()));
        assert!(
            img.data[0] < 30 && img.data[1] > 225 && img.data[2] < 30,
            "{:?}",
            img.data
        );
    }

    #[test]
    fn srgb_and_junk_untouched() {
        let mut img = Rgb {
            width: 1,
            height: 1,
            data: vec![255, 0, 0],
        };
        let srgb = Profile::new_srgb().icc().unwrap();
        assert!(!to_srgb(&mut img, &srgb));
        assert!(!to_srgb(&mut img, b"junk"));
        assert_eq!(img.data, vec![255, 0, 0]);
    }
}
