//! DOCX templates without a document object model: a DOCX is a zip of XML parts, and filling
//! `{{name}}` placeholders only needs the paragraphs of `word/document.xml` and the headers and
//! footers. Everything else in the package (styles, fonts, images, numbering) is copied byte for
//! byte, so the template's formatting survives.
//!
//! Word splits text into runs wherever formatting, spell-check marks or editing history change,
//! so `{{performance_title}}` often arrives as `{{`, `performance_`, `title}}` in three runs.
//! A placeholder is found in the text of a paragraph's consecutive runs; its value goes into the
//! run where it starts (keeping that run's properties: bold, italic, font) and the rest of the
//! placeholder is cut from the runs it spilled into. Text around placeholders keeps its own runs.
//!
//! Lists: a table row holding a list placeholder is repeated once per item; outside a table the
//! paragraph holding it is repeated.

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};

/// The largest XML part read (inflated): templates are documents, not data dumps.
const MAX_PART_BYTES: u64 = 32 * 1024 * 1024;

/// Why a file cannot be used as a template.
#[derive(Debug, thiserror::Error)]
pub enum DocxError {
    #[error("the file is not a DOCX document (not a zip package with word/document.xml)")]
    NotDocx,
    #[error("the document part {0} is larger than 32 MB")]
    TooLarge(String),
    #[error("the document XML could not be read: {0}")]
    Xml(String),
}

/// The values to fill in: one text per scalar placeholder, several items per list.
#[derive(Clone, Debug, Default)]
pub struct Values {
    pub scalars: HashMap<String, String>,
    pub lists: HashMap<String, Vec<String>>,
}

/// The parts of a package that hold text with placeholders.
fn is_text_part(name: &str) -> bool {
    name == "word/document.xml"
        || (name.starts_with("word/header") || name.starts_with("word/footer"))
            && name.ends_with(".xml")
}

/// Reads the text parts of a DOCX package.
fn text_parts(docx: &[u8]) -> Result<Vec<(String, Vec<u8>)>, DocxError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(docx)).map_err(|_| DocxError::NotDocx)?;
    let mut parts = Vec::new();
    let mut has_document = false;
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).map_err(|_| DocxError::NotDocx)?;
        let name = file.name().to_string();
        if !is_text_part(&name) {
            continue;
        }
        has_document |= name == "word/document.xml";
        parts.push((name.clone(), read_part(&mut file, &name)?));
    }
    if !has_document {
        return Err(DocxError::NotDocx);
    }
    Ok(parts)
}

fn read_part(file: &mut impl Read, name: &str) -> Result<Vec<u8>, DocxError> {
    let mut bytes = Vec::new();
    file.take(MAX_PART_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|_| DocxError::NotDocx)?;
    if bytes.len() as u64 > MAX_PART_BYTES {
        return Err(DocxError::TooLarge(name.to_string()));
    }
    Ok(bytes)
}

/// The placeholder names of a DOCX, each once, in order of first appearance.
pub fn placeholders(docx: &[u8]) -> Result<Vec<String>, DocxError> {
    let mut names: Vec<String> = Vec::new();
    for (_, xml) in text_parts(docx)? {
        let events = parse(&xml)?;
        for block in paragraphs(&events) {
            for (_, _, name) in find_placeholders(&paragraph_text(block)) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    Ok(names)
}

/// Fills the placeholders of a DOCX with `values`; unknown placeholders stay as they are.
pub fn fill(docx: &[u8], values: &Values) -> Result<Vec<u8>, DocxError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(docx)).map_err(|_| DocxError::NotDocx)?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut has_document = false;
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).map_err(|_| DocxError::NotDocx)?;
        let name = file.name().to_string();
        if !is_text_part(&name) {
            drop(file);
            let raw = archive.by_index_raw(i).map_err(|_| DocxError::NotDocx)?;
            out.raw_copy_file(raw)
                .map_err(|e| DocxError::Xml(e.to_string()))?;
            continue;
        }
        has_document |= name == "word/document.xml";
        let xml = read_part(&mut file, &name)?;
        drop(file);
        let filled = fill_xml(&xml, values)?;
        out.start_file(name, options)
            .map_err(|e| DocxError::Xml(e.to_string()))?;
        out.write_all(&filled)
            .map_err(|e| DocxError::Xml(e.to_string()))?;
    }
    if !has_document {
        return Err(DocxError::NotDocx);
    }
    let cursor = out.finish().map_err(|e| DocxError::Xml(e.to_string()))?;
    Ok(cursor.into_inner())
}

/// Fills one XML part.
pub fn fill_xml(xml: &[u8], values: &Values) -> Result<Vec<u8>, DocxError> {
    let events = parse(xml)?;
    let mut out = Vec::with_capacity(events.len());
    render(&events, &mut out, values, None);
    let mut writer = Writer::new(Vec::with_capacity(xml.len() + 1024));
    for event in out {
        writer
            .write_event(event)
            .map_err(|e| DocxError::Xml(e.to_string()))?;
    }
    Ok(writer.into_inner())
}

fn parse(xml: &[u8]) -> Result<Vec<Event<'static>>, DocxError> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut events = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Eof) => break,
            Ok(e) => events.push(e.into_owned()),
            Err(e) => return Err(DocxError::Xml(e.to_string())),
        }
        buf.clear();
    }
    Ok(events)
}

fn is_start(event: &Event, name: &[u8]) -> bool {
    matches!(event, Event::Start(s) if s.name().as_ref() == name)
}

/// The index of the `End` closing the `Start` at `open` (same name, nesting counted).
fn matching_end(events: &[Event], open: usize) -> usize {
    let Event::Start(start) = &events[open] else {
        return open;
    };
    let name = start.name().as_ref().to_vec();
    let mut depth = 0usize;
    for (i, event) in events.iter().enumerate().skip(open) {
        match event {
            Event::Start(s) if s.name().as_ref() == name.as_slice() => depth += 1,
            Event::End(e) if e.name().as_ref() == name.as_slice() => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    events.len() - 1
}

/// Every paragraph (`w:p` element) of a part, outermost first.
fn paragraphs<'a>(events: &'a [Event<'static>]) -> Vec<&'a [Event<'static>]> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < events.len() {
        if is_start(&events[i], b"w:p") {
            let j = matching_end(events, i);
            found.push(&events[i..=j]);
            i = j + 1;
        } else {
            i += 1;
        }
    }
    found
}

/// The text of all `w:t` elements of a block, runs concatenated.
fn paragraph_text(block: &[Event]) -> String {
    let mut text = String::new();
    let mut in_t = false;
    for event in block {
        match event {
            Event::Start(s) if s.name().as_ref() == b"w:t" => in_t = true,
            Event::End(e) if e.name().as_ref() == b"w:t" => in_t = false,
            Event::Text(t) if in_t => text.push_str(&t.unescape().unwrap_or_default()),
            _ => {}
        }
    }
    text
}

/// Placeholders in `text`: `(start, end, name)` byte ranges of `{{ name }}`. A name is letters,
/// digits, `_`, `.` and `-`; spaces inside the braces are allowed.
pub fn find_placeholders(text: &str) -> Vec<(usize, usize, String)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| from + i) {
        let Some(close) = text[open + 2..].find("}}").map(|i| open + 2 + i) else {
            break;
        };
        let inner = text[open + 2..close].trim();
        let valid = !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if valid {
            found.push((open, close + 2, inner.to_string()));
            from = close + 2;
        } else {
            from = open + 1;
        }
    }
    found
}

/// Writes `events` to `out`, filling paragraphs and repeating list rows and paragraphs. `item`
/// binds a list placeholder to one of its items (inside a repeated row or paragraph).
fn render(
    events: &[Event<'static>],
    out: &mut Vec<Event<'static>>,
    values: &Values,
    item: Option<(&str, &str)>,
) {
    let mut i = 0;
    while i < events.len() {
        let event = &events[i];
        if is_start(event, b"w:tr") || is_start(event, b"w:p") {
            let j = matching_end(events, i);
            let block = &events[i..=j];
            let list = match item {
                None => find_placeholders(&paragraph_text(block))
                    .into_iter()
                    .find(|(_, _, name)| values.lists.contains_key(name))
                    .map(|(_, _, name)| name),
                Some(_) => None,
            };
            match list {
                Some(name) => {
                    for entry in &values.lists[&name] {
                        render_block(block, out, values, Some((&name, entry)));
                    }
                }
                None => render_block(block, out, values, item),
            }
            i = j + 1;
        } else {
            out.push(event.clone());
            i += 1;
        }
    }
}

fn render_block(
    block: &[Event<'static>],
    out: &mut Vec<Event<'static>>,
    values: &Values,
    item: Option<(&str, &str)>,
) {
    if is_start(&block[0], b"w:p") {
        fill_paragraph(block, out, values, item);
    } else {
        out.push(block[0].clone());
        render(&block[1..block.len() - 1], out, values, item);
        out.push(block[block.len() - 1].clone());
    }
}

/// A piece of a paragraph's content.
enum Piece<'a> {
    /// Kept as it is and transparent to placeholders (paragraph properties, spell-check and
    /// bookmark marks).
    Kept(&'a [Event<'static>]),
    /// Kept as it is; a placeholder cannot span it (tabs, breaks, drawings, hyperlinks).
    Barrier(&'a [Event<'static>]),
    /// A run of plain text: its start tag, its properties and its text.
    Text {
        start: &'a Event<'static>,
        props: &'a [Event<'static>],
        text: String,
    },
}

fn pieces<'a>(children: &'a [Event<'static>]) -> Vec<Piece<'a>> {
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < children.len() {
        match &children[i] {
            Event::Start(s) if s.name().as_ref() == b"w:r" => {
                let j = matching_end(children, i);
                pieces.push(run_piece(&children[i..=j]));
                i = j + 1;
            }
            Event::Start(s) => {
                let j = matching_end(children, i);
                let slice = &children[i..=j];
                if s.name().as_ref() == b"w:pPr" {
                    pieces.push(Piece::Kept(slice));
                } else {
                    pieces.push(Piece::Barrier(slice));
                }
                i = j + 1;
            }
            _ => {
                pieces.push(Piece::Kept(&children[i..=i]));
                i += 1;
            }
        }
    }
    pieces
}

/// A run is plain text when it holds only its properties and `w:t` elements.
fn run_piece<'a>(run: &'a [Event<'static>]) -> Piece<'a> {
    let inner = &run[1..run.len() - 1];
    let mut props: &[Event<'static>] = &[];
    let mut text = String::new();
    let mut i = 0;
    while i < inner.len() {
        match &inner[i] {
            Event::Start(s) if s.name().as_ref() == b"w:rPr" => {
                let j = matching_end(inner, i);
                props = &inner[i..=j];
                i = j + 1;
            }
            Event::Empty(s) if s.name().as_ref() == b"w:rPr" => {
                props = &inner[i..=i];
                i += 1;
            }
            Event::Start(s) if s.name().as_ref() == b"w:t" => {
                let j = matching_end(inner, i);
                for event in &inner[i + 1..j] {
                    match event {
                        Event::Text(t) => text.push_str(&t.unescape().unwrap_or_default()),
                        Event::CData(c) => text.push_str(&String::from_utf8_lossy(c)),
                        _ => return Piece::Barrier(run),
                    }
                }
                i = j + 1;
            }
            Event::Empty(s) if s.name().as_ref() == b"w:t" => i += 1,
            _ => return Piece::Barrier(run),
        }
    }
    Piece::Text {
        start: &run[0],
        props,
        text,
    }
}

fn value_of<'v>(name: &str, values: &'v Values, item: Option<(&str, &'v str)>) -> Option<String> {
    if let Some((list, entry)) = item
        && list == name
    {
        return Some(entry.to_string());
    }
    if let Some(v) = values.scalars.get(name) {
        return Some(v.clone());
    }
    values.lists.get(name).map(|items| items.join("; "))
}

fn fill_paragraph(
    block: &[Event<'static>],
    out: &mut Vec<Event<'static>>,
    values: &Values,
    item: Option<(&str, &str)>,
) {
    let children = &block[1..block.len() - 1];
    let pieces = pieces(children);
    // The paragraph's text; a barrier contributes a character no placeholder can hold.
    let mut text = String::new();
    let mut ranges = Vec::with_capacity(pieces.len());
    for piece in &pieces {
        let start = text.len();
        match piece {
            Piece::Text { text: t, .. } => text.push_str(t.as_str()),
            Piece::Barrier(_) => text.push('\u{1}'),
            Piece::Kept(_) => {}
        }
        ranges.push((start, text.len()));
    }
    let found = find_placeholders(&text);
    if found.is_empty() {
        out.extend(block.iter().cloned());
        return;
    }
    out.push(block[0].clone());
    for (piece, &(rs, re)) in pieces.iter().zip(&ranges) {
        match piece {
            Piece::Kept(events) | Piece::Barrier(events) => out.extend(events.iter().cloned()),
            Piece::Text { start, props, .. } => {
                let mut new_text = String::new();
                let mut pos = rs;
                for (ps, pe, name) in found.iter().filter(|(ps, pe, _)| *pe > rs && *ps < re) {
                    if *ps >= pos {
                        new_text.push_str(&text[pos..*ps]);
                    }
                    if *ps >= rs {
                        match value_of(name, values, item) {
                            Some(v) => new_text.push_str(&v),
                            // Unknown: leave it visible, whole, in the run where it starts.
                            None => new_text.push_str(&text[*ps..*pe]),
                        }
                    }
                    pos = pos.max((*pe).min(re));
                }
                if pos < re {
                    new_text.push_str(&text[pos..re]);
                }
                if new_text.is_empty() {
                    continue;
                }
                out.push((*start).clone());
                out.extend(props.iter().cloned());
                for (n, line) in new_text.split('\n').enumerate() {
                    if n > 0 {
                        out.push(Event::Empty(BytesStart::new("w:br")));
                    }
                    if !line.is_empty() {
                        out.push(Event::Start(
                            BytesStart::new("w:t").with_attributes([("xml:space", "preserve")]),
                        ));
                        out.push(Event::Text(BytesText::new(line).into_owned()));
                        out.push(Event::End(BytesEnd::new("w:t")));
                    }
                }
                out.push(Event::End(BytesEnd::new("w:r")));
            }
        }
    }
    out.push(block[block.len() - 1].clone());
}

/// A run of text for [`build`].
#[derive(Clone, Debug, Default)]
pub struct Run {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
    /// Font size in points.
    pub size: Option<u32>,
}

impl Run {
    pub fn plain(text: &str) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }
    pub fn bold(text: &str) -> Self {
        Self {
            text: text.into(),
            bold: true,
            ..Self::default()
        }
    }
    pub fn sized(mut self, points: u32) -> Self {
        self.size = Some(points);
        self
    }
}

/// A block of a document made by [`build`].
#[derive(Clone, Debug)]
pub enum Block {
    Paragraph {
        runs: Vec<Run>,
        centered: bool,
    },
    /// Rows of cells, each cell one paragraph of runs; the first row is the header.
    Table(Vec<Vec<Vec<Run>>>),
}

fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

fn run_xml(run: &Run) -> String {
    let mut props = String::new();
    if run.bold {
        props.push_str("<w:b/>");
    }
    if run.italic {
        props.push_str("<w:i/>");
    }
    if let Some(size) = run.size {
        props.push_str(&format!("<w:sz w:val=\"{}\"/>", size * 2));
    }
    let props = if props.is_empty() {
        String::new()
    } else {
        format!("<w:rPr>{props}</w:rPr>")
    };
    format!(
        "<w:r>{props}<w:t xml:space=\"preserve\">{}</w:t></w:r>",
        escape(&run.text)
    )
}

fn paragraph_xml(runs: &[Run], centered: bool) -> String {
    let props = if centered {
        "<w:pPr><w:jc w:val=\"center\"/></w:pPr>"
    } else {
        ""
    };
    let runs: String = runs.iter().map(run_xml).collect();
    format!("<w:p>{props}{runs}</w:p>")
}

/// A minimal, valid DOCX of `blocks` (Word and LibreOffice open it): for seeded templates and
/// tests. Real templates come from users' word processors.
pub fn build(blocks: &[Block]) -> Vec<u8> {
    let mut body = String::new();
    for block in blocks {
        match block {
            Block::Paragraph { runs, centered } => body.push_str(&paragraph_xml(runs, *centered)),
            Block::Table(rows) => {
                body.push_str(
                    "<w:tbl><w:tblPr><w:tblW w:w=\"5000\" w:type=\"pct\"/><w:tblBorders>\
                     <w:top w:val=\"single\" w:sz=\"4\"/><w:left w:val=\"single\" w:sz=\"4\"/>\
                     <w:bottom w:val=\"single\" w:sz=\"4\"/><w:right w:val=\"single\" w:sz=\"4\"/>\
                     <w:insideH w:val=\"single\" w:sz=\"4\"/><w:insideV w:val=\"single\" w:sz=\"4\"/>\
                     </w:tblBorders></w:tblPr>",
                );
                for row in rows {
                    body.push_str("<w:tr>");
                    for cell in row {
                        body.push_str("<w:tc>");
                        body.push_str(&paragraph_xml(cell, false));
                        body.push_str("</w:tc>");
                    }
                    body.push_str("</w:tr>");
                }
                body.push_str("</w:tbl>");
            }
        }
    }
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
         <w:body>{body}<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/>\
         <w:pgMar w:top=\"1134\" w:right=\"850\" w:bottom=\"1134\" w:left=\"1701\"/></w:sectPr>\
         </w:body></w:document>"
    );
    let content_types = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
        <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
        <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
        <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
        <Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
        </Types>";
    let rels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
        <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
        <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
        </Relationships>";
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in [
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", rels),
        ("word/document.xml", document.as_str()),
    ] {
        // Writing to memory cannot fail.
        let _ = zip.start_file(name, options);
        let _ = zip.write_all(content.as_bytes());
    }
    zip.finish().map(Cursor::into_inner).unwrap_or_default()
}

/// The text of a DOCX's document part, paragraphs on lines (tests and checks).
pub fn text(docx: &[u8]) -> Result<String, DocxError> {
    let parts = text_parts(docx)?;
    let (_, xml) = parts
        .iter()
        .find(|(n, _)| n == "word/document.xml")
        .ok_or(DocxError::NotDocx)?;
    let events = parse(xml)?;
    Ok(paragraphs(&events)
        .into_iter()
        .map(paragraph_text)
        .collect::<Vec<_>>()
        .join("\n"))
}

/// The XML of the document part (tests look at run properties).
pub fn document_xml(docx: &[u8]) -> Result<String, DocxError> {
    let parts = text_parts(docx)?;
    parts
        .into_iter()
        .find(|(n, _)| n == "word/document.xml")
        .map(|(_, x)| String::from_utf8_lossy(&x).into_owned())
        .ok_or(DocxError::NotDocx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_runs_docx() -> Vec<u8> {
        let styled = |text: &str| Run {
            text: text.into(),
            bold: true,
            italic: true,
            size: None,
        };
        build(&[Block::Paragraph {
            runs: vec![
                Run::plain("Спектакль: "),
                styled("{{"),
                styled("perf_"),
                styled("title}}"),
                Run::plain(" — премьера."),
            ],
            centered: false,
        }])
    }

    fn values(pairs: &[(&str, &str)]) -> Values {
        Values {
            scalars: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            lists: HashMap::new(),
        }
    }

    #[test]
    fn a_placeholder_split_across_three_runs_is_found_once() {
        assert_eq!(
            placeholders(&split_runs_docx()).unwrap(),
            vec!["perf_title"]
        );
    }

    #[test]
    fn a_placeholder_split_across_three_runs_is_filled_and_keeps_bold_and_italic() {
        let out = fill(&split_runs_docx(), &values(&[("perf_title", "Чайка")])).unwrap();
        assert_eq!(text(&out).unwrap(), "Спектакль: Чайка — премьера.");
        let xml = document_xml(&out).unwrap();
        // The value sits in one run carrying the first run's properties.
        assert!(
            xml.contains(
                "<w:r><w:rPr><w:b/><w:i/></w:rPr><w:t xml:space=\"preserve\">Чайка</w:t></w:r>"
            ),
            "{xml}"
        );
        // The plain text around it stays plain (no bold leaked onto it).
        assert!(
            xml.contains("<w:r><w:t xml:space=\"preserve\">Спектакль: </w:t></w:r>"),
            "{xml}"
        );
        assert!(!xml.contains("perf_"), "{xml}");
    }

    #[test]
    fn spell_check_marks_between_runs_do_not_break_a_placeholder() {
        let xml = br#"<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>{{na</w:t></w:r><w:proofErr w:type="spellStart"/><w:r><w:rPr><w:i/></w:rPr><w:t>me}}!</w:t></w:r></w:p></w:body></w:document>"#;
        let out =
            String::from_utf8(fill_xml(xml, &values(&[("name", "Гамлет")])).unwrap()).unwrap();
        assert!(out.contains(">Гамлет</w:t>"), "{out}");
        assert!(out.contains("<w:proofErr w:type=\"spellStart\"/>"), "{out}");
        assert!(
            out.contains("<w:rPr><w:i/></w:rPr><w:t xml:space=\"preserve\">!</w:t>"),
            "{out}"
        );
    }

    #[test]
    fn text_and_several_placeholders_in_one_run_are_all_filled() {
        let xml = r#"<w:p><w:r><w:t>{{a}} и {{ b }}, {{c}}</w:t></w:r></w:p>"#.as_bytes();
        let out = String::from_utf8(fill_xml(xml, &values(&[("a", "1"), ("b", "<2>")])).unwrap())
            .unwrap();
        // Unknown placeholders stay visible; values are escaped.
        assert!(out.contains(">1 и &lt;2&gt;, {{c}}</w:t>"), "{out}");
    }

    #[test]
    fn a_list_in_a_table_row_repeats_the_row() {
        let docx = build(&[Block::Table(vec![
            vec![vec![Run::bold("Роль — исполнитель")]],
            vec![vec![Run::plain("{{cast}}")]],
        ])]);
        let mut v = values(&[]);
        v.lists.insert(
            "cast".into(),
            vec!["Нина — Иванова".into(), "Треплев — Петров".into()],
        );
        let out = fill(&docx, &v).unwrap();
        let xml = document_xml(&out).unwrap();
        assert_eq!(xml.matches("<w:tr>").count(), 3, "{xml}");
        assert_eq!(
            text(&out).unwrap(),
            "Роль — исполнитель\nНина — Иванова\nТреплев — Петров"
        );
    }

    #[test]
    fn a_list_outside_a_table_repeats_the_paragraph_and_an_empty_list_removes_it() {
        let docx = build(&[
            Block::Paragraph {
                runs: vec![Run::plain("— {{crew}}")],
                centered: false,
            },
            Block::Paragraph {
                runs: vec![Run::plain("{{none}}")],
                centered: false,
            },
        ]);
        let mut v = values(&[]);
        v.lists.insert("crew".into(), vec!["А".into(), "Б".into()]);
        v.lists.insert("none".into(), vec![]);
        assert_eq!(text(&fill(&docx, &v).unwrap()).unwrap(), "— А\n— Б");
    }

    #[test]
    fn multi_line_values_become_line_breaks() {
        let xml = br#"<w:p><w:r><w:t>{{a}}</w:t></w:r></w:p>"#;
        let out = String::from_utf8(fill_xml(xml, &values(&[("a", "x\ny")])).unwrap()).unwrap();
        assert!(
            out.contains(">x</w:t><w:br/><w:t xml:space=\"preserve\">y<"),
            "{out}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_docx_is_refused() {
        assert!(matches!(placeholders(b"hello"), Err(DocxError::NotDocx)));
    }

    #[test]
    fn broken_braces_are_not_placeholders() {
        assert!(find_placeholders("{{ }} {x}} {{a b}} {{ok}}").len() == 1);
        assert_eq!(find_placeholders("{{{a}}}")[0].2, "a");
    }
}
