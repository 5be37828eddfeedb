//! Text rules every function shares: free text, tags, and the control characters that no text
//! field may carry (U+0000 reaches PostgreSQL as an encoding error, the others make no sense in
//! a name, a note or a query).

/// Whether `c` is a control character no text may hold: every C0 control except tab, line
/// feed and carriage return, DEL, and the C1 controls.
pub fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Bidirectional formatting characters (RLO, LRI, …): they make `photo\u{202e}gnp.exe` read as
/// `photoexe.png`.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Refuses text holding a forbidden control character.
pub fn no_controls(raw: &str) -> Result<(), String> {
    if raw.chars().any(is_forbidden_control) {
        Err("must not contain control characters".into())
    } else {
        Ok(())
    }
}

/// Trimmed, non-empty text of at most `max` characters, without control characters (tabs and
/// line breaks allowed).
pub fn text(raw: &str, max: usize) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("must not be empty".into());
    }
    if t.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    no_controls(t)?;
    Ok(t.to_string())
}

/// Optional text: blank becomes `None`.
pub fn optional_text(raw: Option<&str>, max: usize) -> Result<Option<String>, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => text(t, max).map(Some),
    }
}

/// Longest tag, in characters.
pub const TAG_MAX_CHARS: usize = 50;
/// Most tags on one item or document.
pub const TAGS_MAX: usize = 30;

/// The one tag rule: trimmed, lower-cased, 1-50 characters, on one line, no commas.
pub fn tag(raw: &str) -> Result<String, String> {
    let t = text(raw, TAG_MAX_CHARS)?.to_lowercase();
    if t.contains(',') {
        return Err("must not contain commas".into());
    }
    if t.contains(['\t', '\n', '\r']) {
        return Err("must be on one line".into());
    }
    Ok(t)
}

/// A tag list: each tag parsed, duplicates dropped, first order kept; at most 30.
pub fn tags(raw: &[String]) -> Result<Vec<String>, String> {
    if raw.len() > TAGS_MAX {
        return Err(format!("at most {TAGS_MAX} tags"));
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

/// OWASP CSV injection: a cell a spreadsheet would read as a formula (`= + - @`, tab, CR)
/// gets a leading apostrophe, so it shows as text.
pub fn neutralise_formula(cell: String) -> String {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// The inverse of [`neutralise_formula`] for import: a file this API exported comes back with
/// the same text it left with.
pub fn restore_formula(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

/// What a spreadsheet reads as the start of a formula (OWASP).
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_refuses_nul_and_other_controls_but_keeps_line_breaks() {
        assert!(text("a\u{0}b", 10).is_err());
        assert!(text("a\u{1b}b", 10).is_err());
        assert!(text("a\u{7f}b", 10).is_err());
        assert!(text("a\u{85}b", 10).is_err());
        assert_eq!(text(" a\nb\tc ", 10).unwrap(), "a\nb\tc");
        assert!(optional_text(Some("\u{0}"), 10).is_err());
        assert_eq!(optional_text(Some("  "), 10).unwrap(), None);
    }

    #[test]
    fn one_tag_rule_lowercases_trims_and_bounds() {
        assert_eq!(tag(" Гастроли ").unwrap(), "гастроли");
        assert!(tag("a,b").is_err());
        assert!(tag("a\nb").is_err());
        assert!(tag(&"я".repeat(51)).is_err());
        assert!(tag(&"я".repeat(50)).is_ok());
        assert_eq!(
            tags(&["Свет".into(), "свет".into(), "звук".into()]).unwrap(),
            vec!["свет", "звук"]
        );
        assert!(tags(&vec!["x".to_string(); 31]).is_err());
    }

    #[test]
    fn bidi_controls_are_recognised() {
        assert!("photo\u{202e}gnp.exe".chars().any(is_bidi_control));
        assert!(!"фото.png".chars().any(is_bidi_control));
    }
}
