//! What a file really is, from its first bytes (never from its name or declared type).

/// Types accepted by content (DOMAIN.md's list, as the bytes show them).
const ALLOWED_MIME: &[&str] = &[
    "application/pdf",
    "application/msword",
    "application/vnd.ms-excel",
    "application/x-ole-storage",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/rtf",
    "text/rtf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/svg+xml",
    "application/zip",
    "application/x-7z-compressed",
    "audio/mpeg",
    "audio/x-wav",
    "audio/wav",
    "video/mp4",
    "image/vnd.dwg",
];

/// Proprietary formats without a known signature, accepted as opaque bytes by extension.
const OPAQUE_EXTENSIONS: &[&str] = &["dwg", "c2p", "esf3d", "cues"];

/// The sniffed MIME type, or a readable reason for refusing the file.
pub fn classify(head: &[u8], file_name: &str) -> Result<String, String> {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if let Some(kind) = infer::get(head) {
        let mime = kind.mime_type();
        let mime = match mime {
            // A DOCX/XLSX/ODT is a zip: infer tells them apart where it can.
            "application/zip" if ext == "docx" || ext == "xlsx" || ext == "odt" || ext == "ods" => {
                office_zip_type(&ext).unwrap_or(mime)
            }
            "text/xml" | "application/xml" if ext == "svg" => "image/svg+xml",
            other => other,
        };
        return if ALLOWED_MIME.contains(&mime) {
            Ok(mime.to_string())
        } else {
            Err(format!(
                "the file's content is {mime} ({}), which is not an accepted type",
                kind.extension()
            ))
        };
    }
    if looks_like_text(head) {
        let text = String::from_utf8_lossy(head);
        let mime = match ext.as_str() {
            "csv" => "text/csv",
            "svg" if text.contains("<svg") => "image/svg+xml",
            "rtf" if text.starts_with("{\\rtf") => "application/rtf",
            _ => "text/plain",
        };
        return Ok(mime.to_string());
    }
    if OPAQUE_EXTENSIONS.contains(&ext.as_str()) {
        return Ok("application/octet-stream".to_string());
    }
    Err("the file's content could not be recognised as an accepted type".to_string())
}

fn office_zip_type(ext: &str) -> Option<&'static str> {
    match ext {
        "docx" => Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        "xlsx" => Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        "odt" => Some("application/vnd.oasis.opendocument.text"),
        "ods" => Some("application/vnd.oasis.opendocument.spreadsheet"),
        _ => None,
    }
}

/// UTF-8 without NUL bytes (a multi-byte character cut at the end of the sample is fine).
fn looks_like_text(head: &[u8]) -> bool {
    if head.is_empty() || head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_is_a_pdf_whatever_its_name() {
        assert_eq!(
            classify(b"%PDF-1.7\n%\xe2\xe3", "x.txt").unwrap(),
            "application/pdf"
        );
    }

    #[test]
    fn an_executable_named_pdf_is_refused() {
        let mut elf =
            b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00".to_vec();
        elf.resize(128, 0);
        let err = classify(&elf, "contract.pdf").unwrap_err();
        assert!(err.contains("not an accepted type"), "{err}");
    }

    #[test]
    fn russian_text_is_text() {
        assert_eq!(
            classify("Декорации к спектаклю".as_bytes(), "notes.txt").unwrap(),
            "text/plain"
        );
        // Cut in the middle of a two-byte letter.
        let bytes = "Свет".as_bytes();
        assert!(looks_like_text(&bytes[..bytes.len() - 1]));
    }

    #[test]
    fn unknown_binary_is_refused_unless_an_opaque_format() {
        let bytes = [0u8, 1, 2, 3, 0xff, 0xfe, 7, 9];
        assert!(classify(&bytes, "plot.doc").is_err());
        assert_eq!(
            classify(&bytes, "show.c2p").unwrap(),
            "application/octet-stream"
        );
    }
}
