//! A [`Table`] as JSON, CSV, XLSX or PDF.
//!
//! - CSV: UTF-8 with a byte-order mark (Excel opens Cyrillic correctly), a header row of the
//!   column titles, machine-readable values (ISO dates, `.` decimals), and every text cell a
//!   spreadsheet would read as a formula neutralised (`shared::text::neutralise_formula`, the
//!   inventory export's rule).
//! - XLSX: `rust_xlsxwriter` in constant-memory mode (rows go to a temporary file as they are
//!   written, so a 100,000-row sheet does not hold its XML in memory), typed cells (numbers are
//!   numbers, dates are dates), Russian number and date formats (`# ##0,00 ₽`, `ДД.ММ.ГГГГ`:
//!   written as Excel's locale-neutral codes `#,##0.00 "₽"`, `dd.mm.yyyy`), a bold header row
//!   frozen above the data with an autofilter, and a second sheet with the theatre, the period
//!   and the generation time.
//! - PDF: `printpdf` with DejaVu Sans (the font the inventory label sheets use, shipped by the
//!   `dejavu` crate) so Cyrillic renders; printpdf's `font_subsetting` embeds only the glyphs
//!   used. A4 landscape, the theatre's name, the period and the generation time on top, the
//!   header repeated on every page.

use std::io::Cursor;

use printpdf::path::PaintMode;
use printpdf::{Color, IndirectFontRef, Mm, PdfDocument, Rect, Rgb};
use rust_xlsxwriter::{Format, FormatAlign, Workbook};
use serde::Serialize;
use utoipa::ToSchema;

use crate::table::{Cell, Column, Kind, Table};

shared::vocabulary! {
    /// What the report is delivered as.
    ReportFormat {
        Json => "json",
        Csv => "csv",
        Xlsx => "xlsx",
        Pdf => "pdf",
    }
}

impl ReportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Json => "application/json",
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ReportFormat::Pdf => "application/pdf",
        }
    }

    /// The content type without parameters (what a document version records).
    pub fn media_type(self) -> &'static str {
        self.content_type()
            .split(';')
            .next()
            .unwrap_or("application/octet-stream")
    }

    pub fn extension(self) -> &'static str {
        self.as_str()
    }
}

/// A PDF of more rows than this is refused (422): a 5,000-row PDF is ~100 pages already;
/// spreadsheets are the format for more.
pub const PDF_MAX_ROWS: usize = 5_000;

/// The JSON form of a report.
#[derive(Serialize, ToSchema)]
pub struct ReportResult {
    /// The report's code.
    pub code: String,
    pub title: String,
    /// The theatre's name.
    pub theatre: String,
    /// The IANA zone dates and times are local to.
    pub timezone: String,
    /// First local date of the period (reports over a period).
    pub from: Option<chrono::NaiveDate>,
    /// Last local date of the period, inclusive.
    pub to: Option<chrono::NaiveDate>,
    pub generated_at: chrono::DateTime<chrono::Utc>,
    /// The columns in order; each row has a member per column key.
    pub columns: Vec<Column>,
    /// One object per row, keyed by column key: integers and money are numbers, dates
    /// `YYYY-MM-DD`, local times `YYYY-MM-DDTHH:MM:SS`, missing values `null`.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
}

pub fn json(table: &Table) -> ReportResult {
    ReportResult {
        code: table.code.to_string(),
        title: table.title.to_string(),
        theatre: table.theatre.clone(),
        timezone: table.timezone.clone(),
        from: table.from,
        to: table.to,
        generated_at: table.generated_at,
        columns: table.columns.clone(),
        rows: table
            .rows
            .iter()
            .map(|row| {
                table
                    .columns
                    .iter()
                    .zip(row)
                    .map(|(c, v)| (c.key.to_string(), v.json()))
                    .collect()
            })
            .collect(),
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

pub fn csv(table: &Table) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(BOM.to_vec());
    writer.write_record(table.columns.iter().map(|c| c.title))?;
    for row in &table.rows {
        writer.write_record(row.iter().map(|cell| match cell {
            Cell::Text(s) => shared::text::neutralise_formula(s.clone()),
            other => other.plain(),
        }))?;
    }
    writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// Excel number format codes; Excel shows the separators of the reader's locale, so a Russian
/// Excel shows `1 234,50 ₽` and `07.12.2026`.
pub const MONEY_FORMAT: &str = "#,##0.00\\ \"₽\"";
pub const INTEGER_FORMAT: &str = "#,##0";
pub const HOURS_FORMAT: &str = "#,##0.0";
pub const PERCENT_FORMAT: &str = "0.0%";
pub const DATE_FORMAT: &str = "dd.mm.yyyy";
pub const DATETIME_FORMAT: &str = "dd.mm.yyyy hh:mm";

fn width(kind: Kind) -> f64 {
    match kind {
        Kind::Text => 30.0,
        Kind::Money => 16.0,
        Kind::DateTime => 17.0,
        Kind::Date => 12.0,
        _ => 12.0,
    }
}

pub fn xlsx(table: &Table) -> anyhow::Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_background_color(rust_xlsxwriter::Color::RGB(0xDDE4EE))
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let formats: Vec<Format> = table
        .columns
        .iter()
        .map(|c| match c.kind {
            Kind::Text => Format::new(),
            Kind::Integer => Format::new().set_num_format(INTEGER_FORMAT),
            Kind::Money => Format::new().set_num_format(MONEY_FORMAT),
            Kind::Hours => Format::new().set_num_format(HOURS_FORMAT),
            Kind::Percent => Format::new().set_num_format(PERCENT_FORMAT),
            Kind::Date => Format::new().set_num_format(DATE_FORMAT),
            Kind::DateTime => Format::new().set_num_format(DATETIME_FORMAT),
        })
        .collect();
    {
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(sheet_name(table.title))?;
        for (i, column) in table.columns.iter().enumerate() {
            let i = i as u16;
            sheet.set_column_width(i, width(column.kind))?;
            sheet.write_string_with_format(0, i, column.title, &header)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let format = &formats[c];
                let c = c as u16;
                match cell {
                    Cell::Empty => {}
                    Cell::Text(s) => {
                        sheet.write_string_with_format(r, c, s, format)?;
                    }
                    Cell::Int(v) => {
                        sheet.write_number_with_format(r, c, *v as f64, format)?;
                    }
                    Cell::Num(v) => {
                        sheet.write_number_with_format(r, c, *v, format)?;
                    }
                    Cell::Date(d) => {
                        sheet.write_datetime_with_format(r, c, d, format)?;
                    }
                    Cell::DateTime(t) => {
                        sheet.write_datetime_with_format(r, c, t, format)?;
                    }
                }
            }
        }
        if !table.columns.is_empty() {
            sheet.autofilter(
                0,
                0,
                table.rows.len() as u32,
                table.columns.len() as u16 - 1,
            )?;
        }
    }
    let about = workbook.add_worksheet();
    about.set_name("Сведения")?;
    about.set_column_width(0, 22)?;
    about.set_column_width(1, 50)?;
    let bold = Format::new().set_bold();
    let stamp = Format::new().set_num_format(DATETIME_FORMAT);
    about.write_string_with_format(0, 0, "Отчёт", &bold)?;
    about.write_string(0, 1, table.title)?;
    about.write_string_with_format(1, 0, "Театр", &bold)?;
    about.write_string(1, 1, &table.theatre)?;
    about.write_string_with_format(2, 0, "Период", &bold)?;
    about.write_string(2, 1, table.period_text())?;
    about.write_string_with_format(3, 0, "Сформирован", &bold)?;
    about.write_datetime_with_format(3, 1, table.generated_local(), &stamp)?;
    about.write_string_with_format(4, 0, "Часовой пояс", &bold)?;
    about.write_string(4, 1, &table.timezone)?;
    Ok(workbook.save_to_buffer()?)
}

/// A worksheet name: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(title: &str) -> String {
    title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect()
}

/// The text of a cell in the PDF: Russian forms (`1 234,50`, `07.12.2026`).
pub fn russian(cell: &Cell, kind: Kind) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(s) => s.clone(),
        Cell::Int(v) => group(&v.to_string()),
        Cell::Num(v) => match kind {
            Kind::Percent => format!("{}%", decimal(v * 100.0, 1)),
            Kind::Hours => decimal(*v, 1),
            Kind::Money => format!("{} ₽", decimal(*v, 2)),
            _ => decimal(*v, 2),
        },
        Cell::Date(d) => d.format("%d.%m.%Y").to_string(),
        Cell::DateTime(t) => t.format("%d.%m.%Y %H:%M").to_string(),
    }
}

/// `1234567.5` with `places` → `1 234 567,50` (a no-break space groups thousands).
pub fn decimal(v: f64, places: usize) -> String {
    let text = format!("{:.*}", places, v.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{}", group(whole))
    } else {
        format!("{sign}{},{fraction}", group(whole))
    }
}

fn group(digits: &str) -> String {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", digits),
    };
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(ch);
    }
    format!("{sign}{out}")
}

const PAGE_W: f32 = 297.0;
const PAGE_H: f32 = 210.0;
const MARGIN: f32 = 12.0;
const ROW_H: f32 = 5.5;
const FONT: f32 = 8.0;

/// Column weights: text columns get more room.
fn weight(kind: Kind) -> f32 {
    match kind {
        Kind::Text => 3.0,
        Kind::DateTime => 1.6,
        Kind::Money => 1.5,
        _ => 1.0,
    }
}

/// At most `max` characters, with an ellipsis when cut.
fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// Renders the PDF. Synchronous and CPU-bound: call it off the async runtime.
pub fn pdf(table: &Table) -> anyhow::Result<Vec<u8>> {
    let (doc, first_page, first_layer) =
        PdfDocument::new(table.title, Mm(PAGE_W), Mm(PAGE_H), "report");
    let font: IndirectFontRef = doc
        .add_external_font(Cursor::new(dejavu::sans::regular()))
        .map_err(|e| anyhow::anyhow!("embedding the font: {e}"))?;
    let bold: IndirectFontRef = doc
        .add_external_font(Cursor::new(dejavu::sans::bold()))
        .map_err(|e| anyhow::anyhow!("embedding the font: {e}"))?;
    let usable = PAGE_W - 2.0 * MARGIN;
    let total: f32 = table
        .columns
        .iter()
        .map(|c| weight(c.kind))
        .sum::<f32>()
        .max(1.0);
    let widths: Vec<f32> = table
        .columns
        .iter()
        .map(|c| usable * weight(c.kind) / total)
        .collect();
    // DejaVu Sans at 8 pt averages ~1.6 mm a character.
    let chars: Vec<usize> = widths.iter().map(|w| ((w - 1.5) / 1.6) as usize).collect();
    let generated = format!(
        "Сформирован: {} ({})",
        table.generated_local().format("%d.%m.%Y %H:%M"),
        table.timezone
    );
    let mut page_no = 0;
    let mut rows = table.rows.iter().peekable();
    loop {
        let layer = if page_no == 0 {
            doc.get_page(first_page).get_layer(first_layer)
        } else {
            let (page, layer) = doc.add_page(Mm(PAGE_W), Mm(PAGE_H), "report");
            doc.get_page(page).get_layer(layer)
        };
        page_no += 1;
        let mut y = PAGE_H - MARGIN;
        if page_no == 1 {
            layer.use_text(table.title, 14.0, Mm(MARGIN), Mm(y - 4.0), &bold);
            y -= 10.0;
            layer.use_text(table.theatre.as_str(), 10.0, Mm(MARGIN), Mm(y), &font);
            y -= 5.0;
            layer.use_text(table.period_text(), 9.0, Mm(MARGIN), Mm(y), &font);
            y -= 5.0;
            layer.use_text(generated.as_str(), 9.0, Mm(MARGIN), Mm(y), &font);
            y -= 7.0;
        }
        // Header band.
        layer.set_fill_color(Color::Rgb(Rgb::new(0.87, 0.89, 0.93, None)));
        layer.add_rect(
            Rect::new(
                Mm(MARGIN),
                Mm(y - ROW_H + 1.5),
                Mm(PAGE_W - MARGIN),
                Mm(y + 1.5),
            )
            .with_mode(PaintMode::Fill),
        );
        layer.set_fill_color(Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None)));
        let mut x = MARGIN;
        for ((column, w), max) in table.columns.iter().zip(&widths).zip(&chars) {
            layer.use_text(
                fit(column.title, *max),
                FONT,
                Mm(x + 0.8),
                Mm(y - 2.6),
                &bold,
            );
            x += w;
        }
        y -= ROW_H;
        if rows.peek().is_none() && page_no == 1 {
            layer.use_text("Нет данных", FONT, Mm(MARGIN + 0.8), Mm(y - 2.6), &font);
        }
        while y - ROW_H > MARGIN {
            let Some(row) = rows.next() else { break };
            let mut x = MARGIN;
            for (((cell, column), w), max) in
                row.iter().zip(&table.columns).zip(&widths).zip(&chars)
            {
                let text = fit(&russian(cell, column.kind), *max);
                layer.use_text(text, FONT, Mm(x + 0.8), Mm(y - 2.6), &font);
                x += w;
            }
            y -= ROW_H;
        }
        layer.use_text(
            format!("Стр. {page_no}"),
            7.0,
            Mm(PAGE_W - MARGIN - 12.0),
            Mm(MARGIN / 2.0),
            &font,
        );
        if rows.peek().is_none() {
            break;
        }
    }
    doc.save_to_bytes()
        .map_err(|e| anyhow::anyhow!("writing the PDF: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_numbers_group_thousands_and_use_a_decimal_comma() {
        assert_eq!(decimal(1234567.5, 2), "1\u{a0}234\u{a0}567,50");
        assert_eq!(decimal(-12.345, 1), "-12,3");
        assert_eq!(decimal(0.0, 2), "0,00");
        assert_eq!(russian(&Cell::Int(12000), Kind::Integer), "12\u{a0}000");
        assert_eq!(russian(&Cell::Num(0.256), Kind::Percent), "25,6%");
        assert_eq!(
            russian(
                &Cell::Date(chrono::NaiveDate::from_ymd_opt(2026, 3, 8).unwrap()),
                Kind::Date
            ),
            "08.03.2026"
        );
    }

    #[test]
    fn sheet_names_drop_forbidden_characters() {
        assert_eq!(sheet_name("Склад: остатки/итог"), "Склад остаткиитог");
        assert_eq!(sheet_name(&"я".repeat(40)).chars().count(), 31);
    }
}
