//! HEIC/HEIF and AVIF through libheif (Debian's libheif1, loaded at run time by
//! [`heif_ffi`](super::heif_ffi); without it decoding returns
//! [`MediaError::CodecUnavailable`], while sniffing needs no library). libheif applies
//! the container's rotation/mirror properties itself, so pixels come out as displayed and
//! the EXIF orientation must not be applied again. Sides are bounded by libheif's
//! own security limit set from ours, and checked against our limits before decoding.

#![allow(unsafe_code)]

use super::heif_ffi::{self as sys, Api};
use crate::pixels::{self, Rgb};
use crate::{limits, Limits, MediaError};
use std::ffi::CStr;
use std::ptr;

/// What the container says about the primary image.
#[derive(Debug, Clone, Default)]
pub struct HeifInfo {
    /// displayed width (transformations applied)
    pub width: u32,
    /// displayed height
    pub height: u32,
    pub has_alpha: bool,
    pub bit_depth: u32,
    /// TIFF-structured EXIF, when present
    pub exif: Option<Vec<u8>>,
    pub icc: Option<Vec<u8>>,
}

fn check(err: sys::heif_error, what: &str) -> Result<(), MediaError> {
    if err.code == sys::heif_error_Ok {
        return Ok(());
    }
    let msg = if err.message.is_null() {
        String::new()
    } else {
        // SAFETY: libheif returns a NUL-terminated static or context-owned string.
        unsafe { CStr::from_ptr(err.message) }
            .to_string_lossy()
            .into_owned()
    };
    let text = format!("HEIF {what}: {msg}");
    Err(
        if err.subcode == sys::heif_suberror_Security_limit_exceeded {
            MediaError::TooLarge(text)
        } else if err.code == sys::heif_error_Plugin_loading_error
            || err.subcode == sys::heif_suberror_Unsupported_codec
        {
            // no decoder for the file's compression in this libheif (a plugin that is not
            // installed or failed to load): the library's gap, not the file's fault
            MediaError::CodecUnavailable {
                codec: sys::CODEC,
                reason: format!("{text} (install the libheif decoder plugin for this format)"),
            }
        } else if err.code == sys::heif_error_Memory_allocation_error {
            MediaError::Io(text)
        } else if err.code == sys::heif_error_Unsupported_filetype
            || err.code == sys::heif_error_Unsupported_feature
        {
            MediaError::Unsupported(text)
        } else {
            MediaError::Corrupt(text)
        },
    )
}

/// A parsed container and its primary image handle, freed on drop.
struct Primary<'a> {
    api: &'static Api,
    ctx: *mut sys::heif_context,
    handle: *mut sys::heif_image_handle,
    _data: &'a [u8],
}

impl Drop for Primary<'_> {
    fn drop(&mut self) {
        // SAFETY: both pointers came from libheif and are released exactly once.
        unsafe {
            if !self.handle.is_null() {
                (self.api.heif_image_handle_release)(self.handle);
            }
            if !self.ctx.is_null() {
                (self.api.heif_context_free)(self.ctx);
            }
        }
    }
}

impl<'a> Primary<'a> {
    fn open(data: &'a [u8], limits: &Limits) -> Result<Primary<'a>, MediaError> {
        // loaded and heif_init'ed once per process
        let api = sys::api()?;
        // SAFETY: plain constructor.
        let ctx = unsafe { (api.heif_context_alloc)() };
        if ctx.is_null() {
            return Err(MediaError::Corrupt("HEIF: cannot allocate context".into()));
        }
        let mut p = Primary {
            api,
            ctx,
            handle: ptr::null_mut(),
            _data: data,
        };
        let side = i32::try_from(limits.max_side).unwrap_or(i32::MAX);
        // SAFETY: ctx is valid; `data` outlives the context (borrowed for 'a, freed in drop).
        unsafe {
            (api.heif_context_set_maximum_image_size_limit)(ctx, side);
            check(
                (api.heif_context_read_from_memory_without_copy)(
                    ctx,
                    data.as_ptr().cast(),
                    data.len(),
                    ptr::null(),
                ),
                "read",
            )?;
            check(
                (api.heif_context_get_primary_image_handle)(ctx, &mut p.handle),
                "primary image",
            )?;
        }
        if p.handle.is_null() {
            return Err(MediaError::Corrupt("HEIF: no primary image".into()));
        }
        Ok(p)
    }

    fn info(&self) -> HeifInfo {
        let (api, h) = (self.api, self.handle);
        // SAFETY: h is a valid handle for the lifetime of self.
        unsafe {
            HeifInfo {
                width: u32::try_from((api.heif_image_handle_get_width)(h)).unwrap_or(0),
                height: u32::try_from((api.heif_image_handle_get_height)(h)).unwrap_or(0),
                has_alpha: (api.heif_image_handle_has_alpha_channel)(h) != 0,
                bit_depth: u32::try_from((api.heif_image_handle_get_luma_bits_per_pixel)(h))
                    .unwrap_or(0),
                exif: self.exif(),
                icc: self.icc(),
            }
        }
    }

    fn exif(&self) -> Option<Vec<u8>> {
        let filter = c"Exif".as_ptr();
        // SAFETY: handle valid; the id buffer has room for the one id asked for.
        unsafe {
            if (self.api.heif_image_handle_get_number_of_metadata_blocks)(self.handle, filter) < 1 {
                return None;
            }
            let mut id: sys::heif_item_id = 0;
            if (self.api.heif_image_handle_get_list_of_metadata_block_IDs)(
                self.handle,
                filter,
                &mut id,
                1,
            ) < 1
            {
                return None;
            }
            let size = (self.api.heif_image_handle_get_metadata_size)(self.handle, id);
            if !(4..=1 << 20).contains(&size) {
                return None;
            }
            let mut buf = vec![0u8; size];
            check(
                (self.api.heif_image_handle_get_metadata)(self.handle, id, buf.as_mut_ptr().cast()),
                "exif",
            )
            .ok()?;
            // 4-byte big-endian offset to the TIFF header, then (usually) "Exif\0\0"
            let off = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
            let tiff = buf.get(4usize.checked_add(off)?..)?;
            let tiff = tiff.strip_prefix(b"Exif\0\0".as_slice()).unwrap_or(tiff);
            Some(tiff.to_vec())
        }
    }

    fn icc(&self) -> Option<Vec<u8>> {
        // SAFETY: handle valid; buffer sized by libheif.
        unsafe {
            let size = (self.api.heif_image_handle_get_raw_color_profile_size)(self.handle);
            if size == 0 || size > 4 << 20 {
                return None;
            }
            let mut buf = vec![0u8; size];
            check(
                (self.api.heif_image_handle_get_raw_color_profile)(
                    self.handle,
                    buf.as_mut_ptr().cast(),
                ),
                "icc",
            )
            .ok()?;
            Some(buf)
        }
    }
}

/// Reads the container and checks the primary image's size against `limits`.
pub fn probe(data: &[u8], limits: &Limits) -> Result<HeifInfo, MediaError> {
    let p = Primary::open(data, limits)?;
    let info = p.info();
    limits::check_dims(info.width, info.height, limits)?;
    Ok(info)
}

/// Decodes the primary image, as displayed, alpha flattened on white.
pub fn decode(data: &[u8], limits: &Limits) -> Result<(Rgb, HeifInfo), MediaError> {
    let p = Primary::open(data, limits)?;
    let info = p.info();
    limits::check_dims(info.width, info.height, limits)?;
    let chroma = if info.has_alpha {
        sys::heif_chroma_interleaved_RGBA
    } else {
        sys::heif_chroma_interleaved_RGB
    };
    let bpp: usize = if info.has_alpha { 4 } else { 3 };
    let mut img: *mut sys::heif_image = ptr::null_mut();
    // SAFETY: handle valid; img released below on every path.
    unsafe {
        check(
            (p.api.heif_decode_image)(
                p.handle,
                &mut img,
                sys::heif_colorspace_RGB,
                chroma,
                ptr::null(),
            ),
            "decode",
        )?;
    }
    if img.is_null() {
        return Err(MediaError::Corrupt(
            "HEIF: decoder returned no image".into(),
        ));
    }
    struct Img(&'static Api, *mut sys::heif_image);
    impl Drop for Img {
        fn drop(&mut self) {
            // SAFETY: released exactly once.
            unsafe { (self.0.heif_image_release)(self.1) }
        }
    }
    let img = Img(p.api, img);
    // SAFETY: img valid; the plane pointer is valid for stride*height bytes while img lives.
    let (w, h, packed) = unsafe {
        let (api, ch) = (img.0, sys::heif_channel_interleaved);
        let w = usize::try_from((api.heif_image_get_width)(img.1, ch)).unwrap_or(0);
        let h = usize::try_from((api.heif_image_get_height)(img.1, ch)).unwrap_or(0);
        let mut stride: libc::c_int = 0;
        let plane = (api.heif_image_get_plane_readonly)(img.1, ch, &mut stride);
        let stride = usize::try_from(stride).unwrap_or(0);
        if plane.is_null() || w == 0 || h == 0 || stride < w * bpp {
            return Err(MediaError::Corrupt("HEIF: bad decoded plane".into()));
        }
        limits::check_dims(w as u32, h as u32, limits)?;
        let src = std::slice::from_raw_parts(plane, stride * (h - 1) + w * bpp);
        let mut packed = Vec::with_capacity(w * h * bpp);
        for row in 0..h {
            packed.extend_from_slice(&src[row * stride..row * stride + w * bpp]);
        }
        (w as u32, h as u32, packed)
    };
    drop(img);
    let img = if info.has_alpha {
        pixels::flatten_rgba(w, h, packed)?
    } else {
        Rgb::new(w, h, packed)?
    };
    Ok((img, info))
}
