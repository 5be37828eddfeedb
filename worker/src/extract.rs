//! Text of a file for search: PDF (pure Rust), DOCX and ODT (zipped XML), TXT/CSV, RTF.
//! Anything else has no text. Output is capped; zipped XML is read with a size cap so a zip
//! bomb cannot exhaust memory.

use std::io::{BufReader, Read};
use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::Event;

/// Longest text kept per version (characters).
pub const MAX_TEXT_CHARS: usize = 500_000;
/// Largest XML part read from an office file.
const MAX_XML_BYTES: u64 = 64 * 1024 * 1024;

/// Extracts the text of the file at `path` whose sniffed type is `mime`. `Ok(None)`: the type
/// has no text. Runs blocking code: call from `spawn_blocking`.
pub fn extract_text(path: &Path, mime: &str) -> anyhow::Result<Option<String>> {
    let text = match mime {
        "application/pdf" => {
            // pdf-extract may panic on malformed files: a broken PDF just has no text.
            let path = path.to_path_buf();
            match std::panic::catch_unwind(move || pdf_extract::extract_text(&path)) {
                Ok(Ok(t)) => Some(t),
                Ok(Err(e)) => {
                    tracing::info!(error = %e, "no text could be extracted from the PDF");
                    None
                }
                Err(_) => {
                    tracing::info!("the PDF text extractor gave up on this file");
                    None
                }
            }
        }
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
            Some(zipped_xml_text(path, "word/document.xml")?)
        }
        "application/vnd.oasis.opendocument.text" => Some(zipped_xml_text(path, "content.xml")?),
        "text/plain" | "text/csv" => {
            let mut bytes = Vec::new();
            std::fs::File::open(path)?
                .take((MAX_TEXT_CHARS * 4) as u64)
                .read_to_end(&mut bytes)?;
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        "application/rtf" | "text/rtf" => {
            let mut bytes = Vec::new();
            std::fs::File::open(path)?
                .take(MAX_XML_BYTES)
                .read_to_end(&mut bytes)?;
            Some(rtf_text(&bytes))
        }
        _ => None,
    };
    Ok(text.map(|t| cap(normalise(&t))))
}

fn cap(mut text: String) -> String {
    if let Some((i, _)) = text.char_indices().nth(MAX_TEXT_CHARS) {
        text.truncate(i);
    }
    text
}

/// Collapses runs of blank space; PostgreSQL refuses NUL in text.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT_CHARS * 4));
    let mut blank = 0;
    for c in text.chars() {
        if c == '\0' {
            continue;
        }
        if c == '\n' {
            blank += 1;
            if blank <= 2 {
                out.push('\n');
            }
        } else if c.is_whitespace() {
            if !out.ends_with(' ') && !out.ends_with('\n') {
                out.push(' ');
            }
        } else {
            blank = 0;
            out.push(c);
        }
    }
    out.trim().to_string()
}

/// The text of one XML part of a zip (DOCX `word/document.xml`, ODT `content.xml`):
/// character data, with paragraph ends as new lines.
fn zipped_xml_text(path: &Path, part: &str) -> anyhow::Result<String> {
    let file = std::fs::File::open(path)?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file))?;
    let entry = archive.by_name(part)?;
    let mut reader = Reader::from_reader(BufReader::new(entry.take(MAX_XML_BYTES)));
    let mut buf = Vec::new();
    let mut out = String::new();
    loop {
        match reader.read_event_into(&mut buf)? {
            Event::Text(t) => out.push_str(&t.unescape()?),
            Event::End(e) => {
                let name = e.local_name();
                if matches!(name.as_ref(), b"p" | b"h" | b"tr") {
                    out.push('\n');
                } else if matches!(name.as_ref(), b"tc") {
                    out.push(' ');
                }
            }
            Event::Empty(e) => {
                if matches!(
                    e.local_name().as_ref(),
                    b"tab" | b"s" | b"br" | b"line-break"
                ) {
                    out.push(' ');
                }
            }
            Event::Eof => break,
            _ => {}
        }
        if out.len() > MAX_TEXT_CHARS * 4 {
            break;
        }
        buf.clear();
    }
    Ok(out)
}

/// Basic RTF: plain text with `\par` breaks, `\uN` Unicode escapes and `\'hh` bytes read as
/// Windows-1251 (the code page Russian RTF files use); font tables, styles and other
/// destinations are skipped.
pub fn rtf_text(bytes: &[u8]) -> String {
    let mut out = String::new();
    // For each open group: whether its content is skipped.
    let mut skip_stack: Vec<bool> = vec![false];
    let mut i = 0;
    let mut skip_fallback = 0usize;
    let skipped = |stack: &Vec<bool>| stack.last().copied().unwrap_or(false);
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'{' => {
                let parent = skipped(&skip_stack);
                skip_stack.push(parent);
                i += 1;
            }
            b'}' => {
                skip_stack.pop();
                i += 1;
            }
            b'\\' => {
                i += 1;
                let Some(&next) = bytes.get(i) else { break };
                if next == b'\'' {
                    let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                        std::str::from_utf8(h)
                            .ok()
                            .and_then(|s| u8::from_str_radix(s, 16).ok())
                    });
                    i += 3;
                    if let Some(byte) = hex {
                        if skip_fallback > 0 {
                            skip_fallback -= 1;
                        } else if !skipped(&skip_stack) {
                            out.push(cp1251(byte));
                        }
                    }
                    continue;
                }
                if next == b'*' {
                    if let Some(top) = skip_stack.last_mut() {
                        *top = true;
                    }
                    i += 1;
                    continue;
                }
                if !next.is_ascii_alphabetic() {
                    // An escaped symbol: \\ \{ \} or a control symbol such as \~.
                    if matches!(next, b'\\' | b'{' | b'}') && !skipped(&skip_stack) {
                        out.push(next as char);
                    }
                    i += 1;
                    continue;
                }
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                    i += 1;
                }
                let word = &bytes[start..i];
                let num_start = i;
                if i < bytes.len() && bytes[i] == b'-' {
                    i += 1;
                }
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                let param: Option<i32> = std::str::from_utf8(&bytes[num_start..i])
                    .ok()
                    .and_then(|s| s.parse().ok());
                if i < bytes.len() && bytes[i] == b' ' {
                    i += 1;
                }
                match word {
                    b"fonttbl" | b"colortbl" | b"stylesheet" | b"info" | b"pict" | b"header"
                    | b"footer" | b"object" => {
                        if let Some(top) = skip_stack.last_mut() {
                            *top = true;
                        }
                    }
                    b"par" | b"line" | b"row" if !skipped(&skip_stack) => out.push('\n'),
                    b"tab" | b"cell" if !skipped(&skip_stack) => out.push(' '),
                    b"u" => {
                        if let Some(code) = param
                            && !skipped(&skip_stack)
                        {
                            let code = if code < 0 { code + 65536 } else { code } as u32;
                            if let Some(c) = char::from_u32(code) {
                                out.push(c);
                            }
                        }
                        skip_fallback = 1;
                    }
                    _ => {}
                }
            }
            b'\r' | b'\n' => i += 1,
            _ => {
                if skip_fallback > 0 {
                    skip_fallback -= 1;
                } else if !skipped(&skip_stack) {
                    out.push(b as char);
                }
                i += 1;
            }
        }
    }
    out
}

/// One byte of Windows-1251 as a character (Cyrillic letters; Latin-1 elsewhere).
fn cp1251(b: u8) -> char {
    match b {
        0xC0..=0xFF => char::from_u32(0x0410 + (b as u32 - 0xC0)).unwrap_or('?'),
        0xA8 => 'Ё',
        0xB8 => 'ё',
        0xB9 => '№',
        0x96 => '–',
        0x97 => '—',
        0xAB => '«',
        0xBB => '»',
        _ => b as char,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtf_keeps_text_and_drops_the_font_table() {
        let rtf = br"{\rtf1\ansi\ansicpg1251{\fonttbl{\f0 Times;}}\f0 \'c4\'e5\'ea\'ee\'f0\'e0\'f6\'e8\'e8\par Stage \u1057?\u1094?ena}";
        let text = rtf_text(rtf);
        assert!(text.contains("Декорации"), "{text}");
        assert!(text.contains("Stage Сцena"), "{text}");
        assert!(!text.contains("Times"), "{text}");
    }

    #[test]
    fn text_is_normalised_and_capped() {
        assert_eq!(normalise("a  \t b\n\n\n\nc\0"), "a b\n\nc");
        let long = "я".repeat(MAX_TEXT_CHARS + 10);
        assert_eq!(cap(long).chars().count(), MAX_TEXT_CHARS);
    }
}
