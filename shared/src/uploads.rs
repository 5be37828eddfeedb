//! One rule for every uploaded file: its name, the types accepted, and what the bytes are.
//! Documents, item photos and (later) posters all parse names and sniff images here.

use crate::text::{is_bidi_control, is_forbidden_control};

crate::vocabulary! {
    /// Where an uploaded file is: waiting for its bytes (`pending`), being checked by the worker
    /// (`processing`), usable (`ready`) or refused (`failed`). Document versions and posters
    /// go through all four; item photos are checked inline (`pending` then `ready`).
    UploadStatus {
        Pending => "pending",
        Processing => "processing",
        Ready => "ready",
        Failed => "failed",
    }
}

/// File extensions accepted for documents (DOMAIN.md), lower case.
pub const DOCUMENT_EXTENSIONS: &[&str] = &[
    "pdf", "doc", "docx", "odt", "txt", "rtf", "xls", "xlsx", "csv", "ods", "png", "jpg", "jpeg",
    "gif", "svg", "webp", "zip", "7z", "dwg", "c2p", "esf3d", "cues", "mp3", "wav", "mp4",
];

/// Extensions whose files can carry text or a preview (the worker spools these).
pub const EXTRACTABLE_EXTENSIONS: &[&str] = &[
    "pdf", "doc", "docx", "odt", "txt", "rtf", "xls", "xlsx", "csv", "ods", "png", "jpg", "jpeg",
    "gif", "webp",
];

/// Image types accepted for photos and posters, with their extension.
pub const IMAGE_TYPES: &[(&str, &str)] = &[
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/webp", "webp"),
];

/// Extensions that run code when opened: refused anywhere in a name (`invoice.exe.pdf` too).
const EXECUTABLE_EXTENSIONS: &[&str] = &[
    "exe", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "dll", "cpl", "vbs", "vbe", "js",
    "jse", "wsf", "wsh", "ps1", "psm1", "sh", "jar", "apk", "app", "lnk", "hta", "html", "htm",
    "xhtml", "reg",
];

/// Longest file name, in characters.
pub const FILE_NAME_MAX_CHARS: usize = 255;

/// The original name of an uploaded file: any Unicode letters, but no path, no control or bidi
/// formatting characters, no executable extension, at most 255 characters. Only ever stored and
/// echoed back in `Content-Disposition`; storage keys never derive from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileName(String);

/// Why a file name was refused: a bad name (422) or a type we do not accept (415).
#[derive(Debug, PartialEq, Eq)]
pub enum FileNameError {
    Invalid(String),
    TypeNotAllowed(String),
}

impl FileName {
    /// Parses `raw` and requires its extension to be one of `allowed` (lower case).
    pub fn parse(raw: &str, allowed: &[&str]) -> Result<Self, FileNameError> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > FILE_NAME_MAX_CHARS {
            return Err(FileNameError::Invalid("must be 1-255 characters".into()));
        }
        if name
            .chars()
            .any(|c| c.is_control() || is_forbidden_control(c) || c == '/' || c == '\\')
            || name.starts_with('.')
            || name.ends_with('.')
        {
            return Err(FileNameError::Invalid(
                "must be a plain file name without path separators or control characters".into(),
            ));
        }
        if name.chars().any(is_bidi_control) {
            return Err(FileNameError::Invalid(
                "must not contain text-direction control characters".into(),
            ));
        }
        let mut parts = name.split('.').map(str::to_ascii_lowercase);
        parts.next();
        let parts: Vec<String> = parts.collect();
        if let Some(bad) = parts
            .iter()
            .find(|p| EXECUTABLE_EXTENSIONS.contains(&p.as_str()))
        {
            return Err(FileNameError::TypeNotAllowed(format!(
                "executable files (.{bad}) are not accepted"
            )));
        }
        let ext = parts.last().cloned().unwrap_or_default();
        if !allowed.contains(&ext.as_str()) {
            return Err(FileNameError::TypeNotAllowed(format!(
                "files of type .{ext} are not accepted; allowed: {}",
                allowed.join(", ")
            )));
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lower-case extension.
    pub fn extension(&self) -> String {
        self.0
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default()
    }
}

/// A name safe to hand to a browser as a download name: controls and bidi formatting
/// characters dropped (names stored before the rule existed are cleaned here too).
pub fn download_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .map(|c| if c == '/' || c == '\\' { '_' } else { c })
        .collect();
    if clean.trim().is_empty() {
        "file".into()
    } else {
        clean
    }
}

/// The image type the bytes show (JPEG, PNG or WebP), whatever was declared.
pub fn sniff_image(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: &[&str] = &["png", "pdf", "txt"];

    #[test]
    fn names_with_paths_line_breaks_bidi_or_executables_are_refused() {
        for bad in [
            "../../etc/passwd.png",
            "a/b.png",
            "a\\b.png",
            "a\r\nSet-Cookie: x.png",
            "photo\u{202e}gnp.exe",
            "photo\u{2066}.png",
            "..",
            ".htaccess",
            "a\u{0}.png",
        ] {
            assert!(FileName::parse(bad, ANY).is_err(), "{bad:?} accepted");
        }
        assert!(matches!(
            FileName::parse("setup.exe", ANY),
            Err(FileNameError::TypeNotAllowed(_))
        ));
        assert!(matches!(
            FileName::parse("invoice.exe.pdf", ANY),
            Err(FileNameError::TypeNotAllowed(_))
        ));
        assert!(matches!(
            FileName::parse("notes.docx", ANY),
            Err(FileNameError::TypeNotAllowed(_))
        ));
        let ok = FileName::parse(" Сценарий «Чайка».PDF ", ANY).unwrap();
        assert_eq!(ok.as_str(), "Сценарий «Чайка».PDF");
        assert_eq!(ok.extension(), "pdf");
    }

    #[test]
    fn download_names_lose_bidi_and_control_characters() {
        assert_eq!(download_name("photo\u{202e}gnp.exe"), "photognp.exe");
        assert_eq!(download_name("a\r\nb.png"), "ab.png");
        assert_eq!(download_name("\u{202e}"), "file");
    }

    #[test]
    fn images_are_recognised_by_their_bytes() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff_image(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(b"<html><script>alert(1)</script>"), None);
    }
}
