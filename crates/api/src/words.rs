//! Errors in plain words: for every error name the hub answers with (the pipeline's and the
//! API's), what happened as a person would say it and what to do next. The technical
//! cause stays with it (pages show it under a details toggle; the API sends it as
//! `message` beside the name and these words).

/// What a person reads about an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plain {
    /// what happened
    pub what: String,
    /// what to do next
    pub next: &'static str,
    /// whether choosing another file is the way on (pages then link to the form)
    pub try_another_file: bool,
}

/// The formats the hub takes, as people know them.
pub const FORMATS: &str = "JPEG, PNG, HEIC, WebP, AVIF, GIF, MP4, MOV or WebM";

/// The plain words for error `name`. `looks_like` says what a refused file seemed to be
/// (`text`, `application/pdf`), where known.
pub fn plain(name: &str, looks_like: Option<&str>) -> Plain {
    let file = |what: String, next| Plain {
        what,
        next,
        try_another_file: true,
    };
    let other = |what: &str, next| Plain {
        what: what.to_owned(),
        next,
        try_another_file: false,
    };
    match name {
        "UnsupportedMediaType" => file(
            match looks_like.map(friendly_kind) {
                Some(kind) => format!(
                    "This file isn't a photo or video we can read (it looks like {kind})."
                ),
                None => "This file isn't a photo or video we can read.".to_owned(),
            },
            "Try a JPEG, PNG, HEIC, WebP, AVIF, MP4, MOV or WebM.",
        ),
        "CorruptMedia" => file(
            "This file looks damaged: it stops or breaks part way, so we can't show it.".into(),
            "Try exporting or saving it again from your phone or app, then upload that copy.",
        ),
        "MediaTooLarge" => file(
            "This photo or video is too big for us to process (too many pixels or too long).".into(),
            "Try a smaller version: most phones can share or export a reduced size.",
        ),
        "UploadTooLarge" => file(
            "This file is larger than the upload limit.".into(),
            "Try a smaller file, or a shorter or lower-resolution video.",
        ),
        "EntityTooSmall" => file(
            "The file arrived empty or cut short.".into(),
            "Try sending it again.",
        ),
        "CodecUnavailable" => other(
            "We can't read this kind of file on this server yet. It's not your file's fault, and it has been kept.",
            "Nothing to do: the operator can process it again once the missing part is installed.",
        ),
        "Rejected" => other(
            "A moderator decided not to publish this reel, and its files have been removed.",
            "The reason is in the details below; you can upload another one.",
        ),
        "StorageUnavailable" | "StorageError" => other(
            "Our storage didn't answer just now.",
            "Please try again in a minute.",
        ),
        "InvalidField" => other(
            "Something in the form needs fixing (see the details).",
            "Check the name and caption and send the form again.",
        ),
        "InvalidForm" | "UnsupportedContentType" => other(
            "The upload didn't arrive as a complete form.",
            "Send the form again; if it keeps happening, try another browser.",
        ),
        "InvalidRequest" => other(
            "That request didn't make sense to us.",
            "Go back and try again.",
        ),
        "UploadIncomplete" => other(
            "The file hasn't finished arriving yet.",
            "Wait until the upload finishes, then try again.",
        ),
        "DirectUploadUnavailable" => other(
            "This server can't take large files straight to storage.",
            "Try a smaller file.",
        ),
        "AccessDenied" | "Forbidden" => other(
            "You aren't allowed to do that here.",
            "Only the browser that uploaded a reel, or the operator, can delete it.",
        ),
        "Unauthorized" | "AdminDisabled" => other(
            "This page is for the operator.",
            "Sign in with the admin token.",
        ),
        "NotFound" => other(
            "There's nothing here: it may have been deleted, or the link is wrong.",
            "Go to the gallery, or upload something new.",
        ),
        "InvalidPayload" | "RecordConflict" | "Conflict" => other(
            "Something went wrong on our side while processing this.",
            "Try uploading it again; if it keeps failing, tell the operator.",
        ),
        "States.Timeout" | "Timeout" => other(
            "Processing took too long and was stopped.",
            "Try a smaller or shorter file.",
        ),
        _ => other(
            "Something went wrong on our side.",
            "Try again; if it keeps failing, tell the operator.",
        ),
    }
}

/// `text` → `text`, `application/pdf` → `a PDF document`.
fn friendly_kind(mime: &str) -> String {
    match mime {
        "text" => "text".into(),
        "application/pdf" => "a PDF document".into(),
        "application/zip" => "a ZIP archive".into(),
        "an empty file" | "unknown data" => mime.into(),
        m if m.starts_with("audio/") => "an audio file".into(),
        m if m.starts_with("image/") => format!("an image type we don't take, {m}"),
        m if m.starts_with("video/") => format!("a video type we don't take, {m}"),
        m => format!("a {m} file"),
    }
}

/// What a refused file looked like, from the technical message of an
/// `UnsupportedMediaType` (`… (it looks like text)`).
pub fn looks_like_in(message: &str) -> Option<&str> {
    let start = message.rfind("(it looks like ")? + "(it looks like ".len();
    let rest = &message[start..];
    Some(&rest[..rest.find(')')?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_name_has_words_and_a_next_step() {
        for name in [
            "UnsupportedMediaType",
            "CorruptMedia",
            "MediaTooLarge",
            "StorageUnavailable",
            "CodecUnavailable",
            "InvalidPayload",
            "NotFound",
            "RecordConflict",
            "UploadTooLarge",
            "InvalidField",
            "InvalidForm",
            "InvalidRequest",
            "UnsupportedContentType",
            "AccessDenied",
            "UploadIncomplete",
            "EntityTooSmall",
            "DirectUploadUnavailable",
            "StorageError",
        ] {
            let p = plain(name, None);
            assert!(!p.what.is_empty() && !p.next.is_empty(), "{name}");
            assert!(!p.what.contains(name), "{name}: no jargon");
        }
    }

    #[test]
    fn a_refused_text_file_is_named_as_text() {
        let message = "the file is not a photo or video this hub takes (it looks like text)";
        let p = plain("UnsupportedMediaType", looks_like_in(message));
        assert_eq!(
            p.what,
            "This file isn't a photo or video we can read (it looks like text)."
        );
        assert_eq!(
            p.next,
            "Try a JPEG, PNG, HEIC, WebP, AVIF, MP4, MOV or WebM."
        );
        assert!(p.try_another_file);
        assert_eq!(
            plain("UnsupportedMediaType", Some("application/pdf")).what,
            "This file isn't a photo or video we can read (it looks like a PDF document)."
        );
    }
}
