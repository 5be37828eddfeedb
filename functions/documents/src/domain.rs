//! Values parsed once at the handler boundary: texts, codes, tags, file names, statuses.

pub use shared::text::{optional_text, tag, tags, text};

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

/// Private-use characters PostgreSQL's `ts_headline` puts around each match; removed from the
/// searched text first, so only real matches carry them.
pub const MATCH_START: char = '\u{e000}';
pub const MATCH_END: char = '\u{e001}';

/// A search snippet for HTML: the text escaped, the matches (between [`MATCH_START`] and
/// [`MATCH_END`]) in `<b>…</b>`. Nothing from the document can open a tag.
pub fn marked_snippet(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            MATCH_START => out.push_str("<b>"),
            MATCH_END => out.push_str("</b>"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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

pub use shared::uploads::{DOCUMENT_EXTENSIONS as ALLOWED_EXTENSIONS, FileName, FileNameError};

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
            FileName::parse(" Сценарий «Чайка».pdf ", ALLOWED_EXTENSIONS)
                .unwrap()
                .as_str(),
            "Сценарий «Чайка».pdf"
        );
        assert!(matches!(
            FileName::parse("../etc/passwd.pdf", ALLOWED_EXTENSIONS),
            Err(FileNameError::Invalid(_))
        ));
        assert!(matches!(
            FileName::parse("virus.exe", ALLOWED_EXTENSIONS),
            Err(FileNameError::TypeNotAllowed(_))
        ));
    }

    #[test]
    fn snippets_escape_the_text_and_mark_only_the_matches() {
        let raw = "<script>alert(1)</script> & \u{e000}декораций\u{e001} <b>fake</b>";
        assert_eq!(
            marked_snippet(raw),
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; <b>декораций</b> &lt;b&gt;fake&lt;/b&gt;"
        );
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
