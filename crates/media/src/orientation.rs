//! EXIF orientation (1–8) applied to small, already-resized images.

use crate::pixels::Rgb;

/// True when the orientation swaps width and height (5–8).
pub fn swaps_axes(orientation: u16) -> bool {
    (5..=8).contains(&orientation)
}

/// Displayed size of a stored `width`×`height` picture.
pub fn displayed(width: u32, height: u32, orientation: u16) -> (u32, u32) {
    if swaps_axes(orientation) {
        (height, width)
    } else {
        (width, height)
    }
}

/// Returns `img` as it is meant to be displayed. Unknown values are treated as 1.
pub fn apply(img: Rgb, orientation: u16) -> Rgb {
    if !(2..=8).contains(&orientation) {
        return img;
    }
    let (w, h) = (img.width as usize, img.height as usize);
    let (dw, dh) = if swaps_axes(orientation) {
        (h, w)
    } else {
        (w, h)
    };
    let mut out = vec![0u8; w * h * 3];
    for y in 0..dh {
        for x in 0..dw {
            let (sx, sy) = match orientation {
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (y, h - 1 - x),
                7 => (w - 1 - y, h - 1 - x),
                _ => (w - 1 - y, x), // 8
            };
            let s = (sy * w + sx) * 3;
            let d = (y * dw + x) * 3;
            out[d..d + 3].copy_from_slice(&img.data[s..s + 3]);
        }
    }
    Rgb {
        width: dw as u32,
        height: dh as u32,
        data: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2x1 image: red, green.
    fn img() -> Rgb {
        Rgb {
            width: 2,
            height: 1,
            data: vec![255, 0, 0, 0, 255, 0],
        }
    }

    #[test]
    fn rotations() {
        let r = apply(img(), 6); // 90° clockwise: red on top
        assert_eq!((r.width, r.height), (1, 2));
        assert_eq!(r.data, vec![255, 0, 0, 0, 255, 0]);
        let r = apply(img(), 8); // 90° counter-clockwise: green on top
        assert_eq!(r.data, vec![0, 255, 0, 255, 0, 0]);
        let r = apply(img(), 3);
        assert_eq!(r.data, vec![0, 255, 0, 255, 0, 0]);
        let r = apply(img(), 2);
        assert_eq!(r.data, vec![0, 255, 0, 255, 0, 0]);
        let r = apply(img(), 1);
        assert_eq!(r.data, img().data);
    }
}
