//! libheif, loaded at run time: the few C types, constants and function signatures
//! `decode::heif` uses, and the loader that resolves them from the shared library.
//!
//! Nothing here links libheif at build time, so the crate builds (and cross-builds for the
//! Lambda arm64 target) without libheif or pkg-config. At the first HEIF/AVIF decode the
//! library is opened once per process: the path in `MEDIA_HUB_LIBHEIF` when that is set
//! (and only that path), else `libheif.so.1`, then `libheif.so`, through the dynamic
//! loader's usual search. When it cannot be opened, or lacks one of the symbols below,
//! every HEIF/AVIF decode returns [`MediaError::CodecUnavailable`]: a deployment problem,
//! not a verdict on the file.
//!
//! The declarations mirror `libheif/heif.h` of the Debian bookworm libheif1 1.15.1 package
//! (ABI `libheif.so.1`, stable across 1.x; `heif_init` needs 1.13 or later). C enums are
//! `int`-sized and are declared as `c_int` with the values used here, so a value this file
//! does not know (a newer libheif) is still a valid Rust value. `heif_error` is returned by
//! value.

#![allow(
    unsafe_code,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case
)]

use crate::MediaError;
use libc::{c_char, c_int, c_void, size_t};
use libloading::Library;
use std::ffi::{OsStr, OsString};
use std::marker::{PhantomData, PhantomPinned};
use std::sync::OnceLock;

/// The codec name in [`MediaError::CodecUnavailable`].
pub const CODEC: &str = "libheif";

/// Environment variable naming the libheif shared library to load instead of the defaults.
pub const ENV_PATH: &str = "MEDIA_HUB_LIBHEIF";

/// Library names tried, in order, when `MEDIA_HUB_LIBHEIF` is unset.
#[cfg(not(target_os = "macos"))]
pub const DEFAULT_NAMES: &[&str] = &["libheif.so.1", "libheif.so"];
#[cfg(target_os = "macos")]
pub const DEFAULT_NAMES: &[&str] = &["libheif.1.dylib", "libheif.dylib"];

macro_rules! opaque {
    ($($name:ident),* $(,)?) => {$(
        /// Opaque libheif type, only ever behind a pointer.
        #[repr(C)]
        pub struct $name {
            _private: [u8; 0],
            _marker: PhantomData<(*mut u8, PhantomPinned)>,
        }
    )*};
}

opaque!(
    heif_context,
    heif_image_handle,
    heif_image,
    heif_init_params,
    heif_reading_options,
    heif_decoding_options,
);

/// `typedef uint32_t heif_item_id;`
pub type heif_item_id = u32;

/// `enum heif_error_code`
pub type heif_error_code = c_int;
pub const heif_error_Ok: heif_error_code = 0;
pub const heif_error_Unsupported_filetype: heif_error_code = 3;
pub const heif_error_Unsupported_feature: heif_error_code = 4;
pub const heif_error_Memory_allocation_error: heif_error_code = 6;
pub const heif_error_Plugin_loading_error: heif_error_code = 11;

/// `enum heif_suberror_code`
pub type heif_suberror_code = c_int;
pub const heif_suberror_Security_limit_exceeded: heif_suberror_code = 1000;
/// No decoder (plugin) for the image's compression format.
pub const heif_suberror_Unsupported_codec: heif_suberror_code = 3001;

/// `enum heif_colorspace`
pub type heif_colorspace = c_int;
pub const heif_colorspace_RGB: heif_colorspace = 1;

/// `enum heif_chroma`
pub type heif_chroma = c_int;
pub const heif_chroma_interleaved_RGB: heif_chroma = 10;
pub const heif_chroma_interleaved_RGBA: heif_chroma = 11;

/// `enum heif_channel`
pub type heif_channel = c_int;
pub const heif_channel_interleaved: heif_channel = 10;

/// `struct heif_error`, returned by value. `message` is a NUL-terminated string owned by
/// libheif (static or owned by the context), never to be freed.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct heif_error {
    pub code: heif_error_code,
    pub subcode: heif_suberror_code,
    pub message: *const c_char,
}

/// Declares the `Api` table (one `unsafe extern "C" fn` pointer per libheif function) and
/// its resolver, from signatures written like an `extern "C"` block.
macro_rules! api {
    ($( fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?; )*) => {
        /// The libheif functions `decode::heif` calls, resolved from one loaded library.
        /// The library stays loaded as long as the table lives (for the process, in
        /// [`api`]).
        pub struct Api {
            $( pub $name: unsafe extern "C" fn($($ty),*) $(-> $ret)?, )*
            _lib: Library,
        }

        impl Api {
            fn resolve(lib: Library) -> Result<Api, String> {
                $(
                    // SAFETY: the pointer type is the C signature from heif.h (1.15 ABI)
                    // written above; the pointer is only used while `_lib` keeps the library
                    // loaded, since both live in the returned table.
                    let $name = unsafe {
                        *lib.get::<unsafe extern "C" fn($($ty),*) $(-> $ret)?>(
                            concat!(stringify!($name), "\0").as_bytes(),
                        )
                        .map_err(|e| format!("missing symbol {}: {e}", stringify!($name)))?
                    };
                )*
                Ok(Api { $($name,)* _lib: lib })
            }
        }
    };
}

api! {
    fn heif_init(params: *mut heif_init_params) -> heif_error;
    fn heif_context_alloc() -> *mut heif_context;
    fn heif_context_free(ctx: *mut heif_context);
    fn heif_context_read_from_memory_without_copy(
        ctx: *mut heif_context,
        mem: *const c_void,
        size: size_t,
        options: *const heif_reading_options,
    ) -> heif_error;
    fn heif_context_set_maximum_image_size_limit(ctx: *mut heif_context, maximum_width: c_int);
    fn heif_context_get_primary_image_handle(
        ctx: *mut heif_context,
        handle: *mut *mut heif_image_handle,
    ) -> heif_error;
    fn heif_image_handle_release(handle: *const heif_image_handle);
    fn heif_image_handle_get_width(handle: *const heif_image_handle) -> c_int;
    fn heif_image_handle_get_height(handle: *const heif_image_handle) -> c_int;
    fn heif_image_handle_has_alpha_channel(handle: *const heif_image_handle) -> c_int;
    fn heif_image_handle_get_luma_bits_per_pixel(handle: *const heif_image_handle) -> c_int;
    fn heif_image_handle_get_number_of_metadata_blocks(
        handle: *const heif_image_handle,
        type_filter: *const c_char,
    ) -> c_int;
    fn heif_image_handle_get_list_of_metadata_block_IDs(
        handle: *const heif_image_handle,
        type_filter: *const c_char,
        ids: *mut heif_item_id,
        count: c_int,
    ) -> c_int;
    fn heif_image_handle_get_metadata_size(
        handle: *const heif_image_handle,
        metadata_id: heif_item_id,
    ) -> size_t;
    fn heif_image_handle_get_metadata(
        handle: *const heif_image_handle,
        metadata_id: heif_item_id,
        out_data: *mut c_void,
    ) -> heif_error;
    fn heif_image_handle_get_raw_color_profile_size(handle: *const heif_image_handle) -> size_t;
    fn heif_image_handle_get_raw_color_profile(
        handle: *const heif_image_handle,
        out_data: *mut c_void,
    ) -> heif_error;
    fn heif_decode_image(
        in_handle: *const heif_image_handle,
        out_img: *mut *mut heif_image,
        colorspace: heif_colorspace,
        chroma: heif_chroma,
        options: *const heif_decoding_options,
    ) -> heif_error;
    fn heif_image_get_width(img: *const heif_image, channel: heif_channel) -> c_int;
    fn heif_image_get_height(img: *const heif_image, channel: heif_channel) -> c_int;
    fn heif_image_get_plane_readonly(
        img: *const heif_image,
        channel: heif_channel,
        out_stride: *mut c_int,
    ) -> *const u8;
    fn heif_image_release(img: *const heif_image);
}

fn unavailable(reason: String) -> MediaError {
    MediaError::CodecUnavailable {
        codec: CODEC,
        reason,
    }
}

/// Opens one library and resolves the table; the reason names the path on failure.
fn open(path: &OsStr) -> Result<Api, String> {
    // SAFETY: opening runs the library's initialisers; libheif's (and its codecs') are
    // ordinary C/C++ static constructors with no preconditions on the caller.
    let lib = unsafe { Library::new(path) }.map_err(|e| {
        // dlerror's text usually starts with the name it was given
        let (name, e) = (path.to_string_lossy(), e.to_string());
        if e.contains(name.as_ref()) {
            e
        } else {
            format!("{name}: {e}")
        }
    })?;
    Api::resolve(lib).map_err(|e| format!("{}: {e}", path.to_string_lossy()))
}

/// Loads libheif from `path` (a file path, or a bare name for the loader's search) without
/// touching the process-wide table of [`api`], and without calling `heif_init`.
pub fn load_from(path: impl AsRef<OsStr>) -> Result<Api, MediaError> {
    open(path.as_ref()).map_err(unavailable)
}

/// The candidates: `MEDIA_HUB_LIBHEIF` alone when set and non-empty, else the defaults.
fn candidates(env: Option<OsString>) -> Vec<OsString> {
    match env {
        Some(p) if !p.is_empty() => vec![p],
        _ => DEFAULT_NAMES.iter().map(OsString::from).collect(),
    }
}

fn load_default() -> Result<Api, MediaError> {
    let mut reasons = Vec::new();
    let env = std::env::var_os(ENV_PATH);
    let from_env = env.as_ref().is_some_and(|p| !p.is_empty());
    for name in candidates(env) {
        match open(&name) {
            Ok(api) => {
                tracing::debug!(library = %name.to_string_lossy(), "libheif loaded");
                return Ok(api);
            }
            Err(e) => reasons.push(e),
        }
    }
    let hint = if from_env {
        format!("check {ENV_PATH}")
    } else {
        format!("install libheif1, or set {ENV_PATH} to the library's path")
    };
    Err(unavailable(format!("{} ({hint})", reasons.join("; "))))
}

/// The process-wide libheif table, loaded and initialised (`heif_init`) on first use. A
/// failed load is remembered: every later call returns the same error.
pub fn api() -> Result<&'static Api, MediaError> {
    static API: OnceLock<Result<Api, MediaError>> = OnceLock::new();
    API.get_or_init(|| {
        let api = load_default()?;
        // libheif's lazy initialisation (plugin loading) is not safe to race from several
        // threads: initialise once, here, before any context exists.
        // SAFETY: null params are allowed; called once per process (OnceLock).
        let err = unsafe { (api.heif_init)(std::ptr::null_mut()) };
        if err.code != heif_error_Ok {
            // Only plugin loading can fail here; the built-in decoders still work.
            tracing::warn!(code = err.code, "heif_init reported an error");
        }
        Ok(api)
    })
    .as_ref()
    .map_err(Clone::clone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(e: MediaError) -> String {
        match e {
            MediaError::CodecUnavailable { codec, reason } => {
                assert_eq!(codec, "libheif");
                reason
            }
            other => panic!("expected CodecUnavailable, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_library_is_codec_unavailable() {
        let Err(e) = load_from("/nonexistent/libheif.so.1") else {
            panic!("loaded a library that does not exist");
        };
        assert_eq!(e.name(), "CodecUnavailable");
        let text = e.to_string();
        assert!(text.starts_with("libheif is unavailable: "), "{text}");
        let r = reason(e);
        assert!(r.contains("/nonexistent/libheif.so.1"), "{r}");
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn a_library_without_the_symbols_is_codec_unavailable() {
        // libc is loaded in every process; it has none of libheif's functions.
        let Err(e) = load_from("libc.so.6") else {
            panic!("libc resolved as libheif");
        };
        let r = reason(e);
        assert!(r.contains("missing symbol heif_init"), "{r}");
    }

    #[test]
    fn the_env_path_replaces_the_defaults() {
        assert_eq!(
            candidates(Some("/opt/lib/libheif.so.1".into())),
            vec![OsString::from("/opt/lib/libheif.so.1")]
        );
        let defaults: Vec<OsString> = DEFAULT_NAMES.iter().map(OsString::from).collect();
        assert_eq!(candidates(Some(OsString::new())), defaults);
        assert_eq!(candidates(None), defaults);
    }
}
