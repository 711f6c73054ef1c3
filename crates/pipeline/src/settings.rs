//! Limits and sizes (DESIGN.md's defaults, all configurable).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// largest accepted upload, bytes
    pub max_upload_bytes: u64,
    /// thumbnail bounding boxes, largest first
    pub thumbnail_sizes: Vec<u32>,
    /// decoding limits
    pub limits: media::Limits,
    pub max_name_chars: usize,
    pub max_caption_chars: usize,
}

pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 50 * 1024 * 1024;
pub const DEFAULT_THUMBNAIL_SIZES: [u32; 3] = [1080, 480, 160];

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            thumbnail_sizes: DEFAULT_THUMBNAIL_SIZES.to_vec(),
            limits: media::Limits::default(),
            max_name_chars: 200,
            max_caption_chars: 2200,
        }
    }
}

impl Settings {
    /// Parse `1080,480,160` into sizes, largest first.
    pub fn parse_sizes(text: &str) -> Result<Vec<u32>, String> {
        let mut sizes = text
            .split(',')
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<u32>()
                    .ok()
                    .filter(|n| (16..=8192).contains(n))
                    .ok_or_else(|| format!("thumbnail size {s:?} is not a number in 16..=8192"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if sizes.is_empty() {
            return Err("no thumbnail sizes given".into());
        }
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        sizes.dedup();
        Ok(sizes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_sorted() {
        assert_eq!(
            Settings::parse_sizes("160, 1080,480").unwrap(),
            vec![1080, 480, 160]
        );
        assert!(Settings::parse_sizes("a").is_err());
        assert!(Settings::parse_sizes("").is_err());
        assert!(Settings::parse_sizes("0").is_err());
    }
}
