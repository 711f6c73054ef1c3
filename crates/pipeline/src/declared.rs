//! What the client claims a file is (from its filename extension or the part's type), and
//! whether the magic bytes agree. The claim never decides a key or a decoder: it is only
//! checked, so a file dressed up as another type is refused.

/// The families of type a client can claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclaredType {
    Jpeg,
    Png,
    Webp,
    Gif,
    Heif,
    Avif,
    IsoVideo,
    Webm,
}

impl DeclaredType {
    /// From a filename's extension (`photo.JPG` → Jpeg). Unknown extensions claim nothing.
    pub fn from_filename(name: &str) -> Option<DeclaredType> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "jpg" | "jpeg" | "jpe" | "jfif" => DeclaredType::Jpeg,
            "png" => DeclaredType::Png,
            "webp" => DeclaredType::Webp,
            "gif" => DeclaredType::Gif,
            "heic" | "heif" | "hif" => DeclaredType::Heif,
            "avif" => DeclaredType::Avif,
            "mp4" | "m4v" | "mov" | "qt" => DeclaredType::IsoVideo,
            "webm" | "mkv" => DeclaredType::Webm,
            _ => return None,
        })
    }

    /// From a mime type (`image/jpeg`). Generic types claim nothing.
    pub fn from_mime(mime: &str) -> Option<DeclaredType> {
        let mime = mime
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        Some(match mime.as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => DeclaredType::Jpeg,
            "image/png" => DeclaredType::Png,
            "image/webp" => DeclaredType::Webp,
            "image/gif" => DeclaredType::Gif,
            "image/heic" | "image/heif" | "image/heic-sequence" | "image/heif-sequence" => {
                DeclaredType::Heif
            }
            "image/avif" => DeclaredType::Avif,
            "video/mp4" | "video/quicktime" | "video/x-m4v" | "video/3gpp" => {
                DeclaredType::IsoVideo
            }
            "video/webm" | "video/x-matroska" => DeclaredType::Webm,
            _ => return None,
        })
    }

    /// The canonical mime of the family (what the execution input carries).
    pub fn mime(self) -> &'static str {
        match self {
            DeclaredType::Jpeg => "image/jpeg",
            DeclaredType::Png => "image/png",
            DeclaredType::Webp => "image/webp",
            DeclaredType::Gif => "image/gif",
            DeclaredType::Heif => "image/heif",
            DeclaredType::Avif => "image/avif",
            DeclaredType::IsoVideo => "video/mp4",
            DeclaredType::Webm => "video/webm",
        }
    }

    /// The claim of an upload: the filename's extension first, else a specific part type.
    pub fn of_upload(filename: &str, part_type: Option<&str>) -> Option<DeclaredType> {
        DeclaredType::from_filename(filename)
            .or_else(|| part_type.and_then(DeclaredType::from_mime))
    }
}

/// Does the sniffed mime belong to the declared family?
pub fn declared_matches(declared: DeclaredType, sniffed_mime: &str) -> bool {
    DeclaredType::from_mime(sniffed_mime) == Some(declared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_claims() {
        assert_eq!(
            DeclaredType::from_filename("IMG_0001.JPG"),
            Some(DeclaredType::Jpeg)
        );
        assert_eq!(
            DeclaredType::from_filename("clip.mov"),
            Some(DeclaredType::IsoVideo)
        );
        assert_eq!(DeclaredType::from_filename("noext"), None);
        assert_eq!(DeclaredType::from_filename("notes.txt"), None);
    }

    #[test]
    fn families_match_their_members() {
        assert!(declared_matches(DeclaredType::Jpeg, "image/jpeg"));
        assert!(declared_matches(DeclaredType::IsoVideo, "video/quicktime"));
        assert!(declared_matches(DeclaredType::Heif, "image/heic"));
        assert!(!declared_matches(DeclaredType::Png, "image/jpeg"));
    }

    #[test]
    fn upload_claim_prefers_the_filename() {
        assert_eq!(
            DeclaredType::of_upload("a.png", Some("image/jpeg")),
            Some(DeclaredType::Png)
        );
        assert_eq!(
            DeclaredType::of_upload("blob", Some("application/octet-stream")),
            None
        );
        assert_eq!(
            DeclaredType::of_upload("blob", Some("image/gif")),
            Some(DeclaredType::Gif)
        );
    }
}
