//! Values parsed once at the handler boundary: texts, codes, tags, file names, statuses.

/// Trimmed, non-empty text of at most `max` characters.
pub fn text(raw: &str, max: usize) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("must not be empty".into());
    }
    if t.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(t.to_string())
}

/// Optional text: blank becomes `None`.
pub fn optional_text(raw: Option<&str>, max: usize) -> Result<Option<String>, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => text(t, max).map(Some),
    }
}

/// A category code: lower-case letters, digits and `_`, starting with a letter.
pub fn code(raw: &str) -> Result<String, String> {
    let c = raw.trim();
    let ok = (2..=50).contains(&c.len())
        && c.starts_with(|ch: char| ch.is_ascii_lowercase())
        && c.chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
    if ok {
        Ok(c.to_string())
    } else {
        Err("must be 2-50 characters: lower-case latin letters, digits and _".into())
    }
}

/// One tag: trimmed, 1-50 characters, no commas.
pub fn tag(raw: &str) -> Result<String, String> {
    let t = text(raw, 50)?;
    if t.contains(',') {
        return Err("must not contain commas".into());
    }
    Ok(t)
}

/// A tag list: each tag parsed, duplicates dropped, order kept; at most 30.
pub fn tags(raw: &[String]) -> Result<Vec<String>, String> {
    if raw.len() > 30 {
        return Err("at most 30 tags".into());
    }
    let mut out: Vec<String> = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        let t = tag(t).map_err(|e| format!("tag {i} {e}"))?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// The document's lifecycle status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentStatus {
    Draft,
    Active,
    Archived,
}

impl DocumentStatus {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "draft" => Ok(Self::Draft),
            "active" => Ok(Self::Active),
            "archived" => Ok(Self::Archived),
            _ => Err("must be one of draft, active, archived".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Active => "active",
            Self::Archived => "archived",
        }
    }
}

/// File extensions accepted by default (DOMAIN.md), lower case.
pub const ALLOWED_EXTENSIONS: &[&str] = &[
    "pdf", "doc", "docx", "odt", "txt", "rtf", "xls", "xlsx", "csv", "ods", "png", "jpg", "jpeg",
    "gif", "svg", "webp", "zip", "7z", "dwg", "c2p", "esf3d", "cues", "mp3", "wav", "mp4",
];

/// The original name of an uploaded file: any Unicode, but no path, no control characters,
/// at most 255 characters, and an accepted extension. Only ever stored and echoed back in
/// `Content-Disposition`; storage keys never derive from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileName(String);

/// Why a file name was refused: a bad name (422) or a type we do not accept (415).
#[derive(Debug, PartialEq, Eq)]
pub enum FileNameError {
    Invalid(String),
    TypeNotAllowed(String),
}

impl FileName {
    pub fn parse(raw: &str) -> Result<Self, FileNameError> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > 255 {
            return Err(FileNameError::Invalid("must be 1-255 characters".into()));
        }
        if name
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\')
            || name == "."
            || name == ".."
        {
            return Err(FileNameError::Invalid(
                "must be a plain file name without path separators or control characters".into(),
            ));
        }
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        if !ALLOWED_EXTENSIONS.contains(&ext.as_str()) {
            return Err(FileNameError::TypeNotAllowed(format!(
                "files of type .{ext} are not accepted; allowed: {}",
                ALLOWED_EXTENSIONS.join(", ")
            )));
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A MIME type as the client declares it: `type/subtype`, lower-cased, parameters dropped.
pub fn content_type(raw: &str) -> Result<String, String> {
    let mime = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let valid = mime.split_once('/').is_some_and(|(t, s)| {
        let token = |x: &str| {
            !x.is_empty()
                && x.len() <= 100
                && x.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
        };
        token(t) && token(s)
    });
    if valid {
        Ok(mime)
    } else {
        Err("must be a MIME type such as application/pdf".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_file_names_are_kept_and_paths_refused() {
        assert_eq!(
            FileName::parse(" Сценарий «Чайка».pdf ").unwrap().as_str(),
            "Сценарий «Чайка».pdf"
        );
        assert!(matches!(
            FileName::parse("../etc/passwd.pdf"),
            Err(FileNameError::Invalid(_))
        ));
        assert!(matches!(
            FileName::parse("virus.exe"),
            Err(FileNameError::TypeNotAllowed(_))
        ));
    }

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        assert_eq!(
            tags(&[" свет ".into(), "свет".into(), "звук".into()]).unwrap(),
            vec!["свет".to_string(), "звук".to_string()]
        );
        assert!(tags(&["a,b".into()]).is_err());
    }

    #[test]
    fn content_types_are_normalised() {
        assert_eq!(
            content_type("Application/PDF; charset=x").unwrap(),
            "application/pdf"
        );
        assert!(content_type("pdf").is_err());
    }
}
