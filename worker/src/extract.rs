//! Text of a file for search: PDF (pure Rust), DOCX and ODT (zipped XML), TXT/CSV, RTF.
//! Anything else has no text. Output is capped. Office files are zips: before anything is
//! inflated, the archive is checked against [`ExtractLimits`] (entries, declared inflated size,
//! compression ratio), and the bytes actually inflated are counted too (declared sizes can lie),
//! so a zip bomb is refused with a readable reason instead of exhausting memory.
//!
//! These functions run blocking code; the worker calls them in a child process with a memory
//! and time limit (see [`crate::bounded`]).

use std::cell::Cell;
use std::io::{BufReader, Read};
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use quick_xml::Reader;
use quick_xml::events::Event;
use serde::{Deserialize, Serialize};

/// Longest text kept per version (characters).
pub const MAX_TEXT_CHARS: usize = 500_000;
/// Largest RTF file read.
const MAX_RTF_BYTES: u64 = 64 * 1024 * 1024;
/// Entries larger than this are checked against [`ExtractLimits::max_ratio`] (small parts of
/// real files compress very well).
const RATIO_CHECKED_FROM: u64 = 1024 * 1024;

const MIB: u64 = 1024 * 1024;

/// What one job may spend reading a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractLimits {
    /// Bytes an office archive may inflate to: the sum of its entries' declared sizes, and the
    /// bytes actually inflated while reading.
    pub max_inflated_bytes: u64,
    /// Entries an office archive may have.
    pub max_entries: usize,
    /// Largest inflated/compressed ratio of one entry (above 1 MiB).
    pub max_ratio: u64,
    /// Address space of the extraction process (the per-job memory budget).
    pub memory_bytes: u64,
    /// Wall-clock time an extraction may take before its process is killed.
    pub deadline: Duration,
}

impl Default for ExtractLimits {
    /// 128 MiB inflated, 10,000 entries, ratio 100, 512 MiB of memory, 30 s.
    fn default() -> Self {
        Self {
            max_inflated_bytes: 128 * MIB,
            max_entries: 10_000,
            max_ratio: 100,
            memory_bytes: 512 * MIB,
            deadline: Duration::from_secs(30),
        }
    }
}

/// Why no text (or preview) came out of a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Failure {
    /// The file exceeds a limit: the version is failed with this reason (clients read it).
    Refused(String),
    /// Damaged or unsupported: the version is kept without text; this goes to the log only.
    Unreadable(String),
}

impl Failure {
    /// Any error, as an unreadable file.
    pub fn unreadable(e: impl std::fmt::Display) -> Self {
        Failure::Unreadable(e.to_string())
    }
}

/// Extracts the text of the file at `path` whose sniffed type is `mime`. `Ok(None)`: the type
/// has no text. Blocking.
pub fn extract_text(
    path: &Path,
    mime: &str,
    limits: &ExtractLimits,
) -> Result<Option<String>, Failure> {
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
            Some(zipped_xml_text(path, "word/document.xml", limits)?)
        }
        "application/vnd.oasis.opendocument.text" => {
            Some(zipped_xml_text(path, "content.xml", limits)?)
        }
        // No text is read from spreadsheets, but LibreOffice unpacks them for the preview.
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        | "application/vnd.oasis.opendocument.spreadsheet" => {
            open_archive(path, limits)?;
            None
        }
        "text/plain" | "text/csv" => Some(
            String::from_utf8_lossy(&read_at_most(path, (MAX_TEXT_CHARS * 4) as u64)?).into_owned(),
        ),
        "application/rtf" | "text/rtf" => Some(rtf_text(&read_at_most(path, MAX_RTF_BYTES)?)),
        _ => None,
    };
    Ok(text.map(|t| cap(normalise(&t))))
}

fn read_at_most(path: &Path, limit: u64) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit).read_to_end(&mut bytes))
        .map_err(Failure::unreadable)?;
    Ok(bytes)
}

/// Opens an office archive after checking its central directory against `limits`: entry
/// count, total declared inflated size, and each large entry's compression ratio.
fn open_archive(
    path: &Path,
    limits: &ExtractLimits,
) -> Result<zip::ZipArchive<BufReader<std::fs::File>>, Failure> {
    let file = std::fs::File::open(path).map_err(Failure::unreadable)?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(Failure::unreadable)?;
    if archive.len() > limits.max_entries {
        return Err(Failure::Refused(format!(
            "the file is an archive of {} parts; at most {} are accepted",
            archive.len(),
            limits.max_entries
        )));
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(Failure::unreadable)?;
        let (size, packed) = (entry.size(), entry.compressed_size().max(1));
        total = total.saturating_add(size);
        if size > RATIO_CHECKED_FROM && size / packed > limits.max_ratio {
            return Err(Failure::Refused(format!(
                "a part of the file unpacks {}× larger than it is stored (at most {}× is accepted): it looks like a decompression bomb",
                size / packed,
                limits.max_ratio
            )));
        }
    }
    if total > limits.max_inflated_bytes {
        return Err(too_inflated(total, limits));
    }
    Ok(archive)
}

fn too_inflated(bytes: u64, limits: &ExtractLimits) -> Failure {
    Failure::Refused(format!(
        "the file unpacks to more than {} MB ({} MB); it looks like a decompression bomb",
        limits.max_inflated_bytes / MIB,
        bytes.div_ceil(MIB)
    ))
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
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
/// character data, with paragraph ends as new lines. At most
/// [`ExtractLimits::max_inflated_bytes`] are inflated, whatever the archive declares.
fn zipped_xml_text(path: &Path, part: &str, limits: &ExtractLimits) -> Result<String, Failure> {
    let mut archive = open_archive(path, limits)?;
    let entry = archive.by_name(part).map_err(Failure::unreadable)?;
    let inflated = Rc::new(Cell::new(0));
    let counted = Counted {
        inner: entry.take(limits.max_inflated_bytes + 1),
        count: inflated.clone(),
    };
    let mut reader = Reader::from_reader(BufReader::new(counted));
    let mut buf = Vec::new();
    let mut out = String::new();
    loop {
        let event = reader.read_event_into(&mut buf);
        if inflated.get() > limits.max_inflated_bytes {
            return Err(too_inflated(inflated.get(), limits));
        }
        match event.map_err(Failure::unreadable)? {
            Event::Text(t) => out.push_str(&t.unescape().map_err(Failure::unreadable)?),
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

    fn docx_with_parts(parts: usize) -> tempfile::NamedTempFile {
        use std::io::Write;
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut zip = zip::ZipWriter::new(file.reopen().unwrap());
        for i in 0..parts {
            zip.start_file(
                format!("part{i}.xml"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            zip.write_all(b"<p>x</p>").unwrap();
        }
        zip.start_file(
            "word/document.xml",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(b"<w:p><w:t>Hamlet</w:t></w:p>").unwrap();
        zip.finish().unwrap();
        file
    }

    const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

    #[test]
    fn an_archive_of_too_many_parts_is_refused_and_one_within_limits_is_read() {
        let limits = ExtractLimits {
            max_entries: 5,
            ..ExtractLimits::default()
        };
        let many = docx_with_parts(5);
        match extract_text(many.path(), DOCX, &limits) {
            Err(Failure::Refused(reason)) => {
                assert_eq!(
                    reason,
                    "the file is an archive of 6 parts; at most 5 are accepted"
                )
            }
            other => panic!("{other:?}"),
        }
        let few = docx_with_parts(4);
        assert_eq!(
            extract_text(few.path(), DOCX, &limits),
            Ok(Some("Hamlet".into()))
        );
    }

    #[test]
    fn a_damaged_archive_is_unreadable_not_refused() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), b"PK\x03\x04 not really").unwrap();
        assert!(matches!(
            extract_text(file.path(), DOCX, &ExtractLimits::default()),
            Err(Failure::Unreadable(_))
        ));
    }

    #[test]
    fn text_is_normalised_and_capped() {
        assert_eq!(normalise("a  \t b\n\n\n\nc\0"), "a b\n\nc");
        let long = "я".repeat(MAX_TEXT_CHARS + 10);
        assert_eq!(cap(long).chars().count(), MAX_TEXT_CHARS);
    }
}
