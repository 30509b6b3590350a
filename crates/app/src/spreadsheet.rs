//! Reading an uploaded spreadsheet within bounds, whoever made it.
//!
//! An XLSX file is a zip of XML parts, and both layers can ask a reader for
//! far more than the file's size: a 1.6 KB sheet that declares a cell at
//! A1 and one at XFD1048576 makes a dense reader allocate 17 billion cells,
//! and a zip bomb unpacks a few megabytes into gigabytes. Every XLSX read by
//! itas (agency imports, framework workbooks, in the pages, the API and the
//! CLI) comes through here: each zip part is unpacked into nothing first and
//! refused past [`Limits::part_bytes`], whatever its header claims, and a
//! sheet's cells are read one at a time and refused past the row, column
//! and cell limits, before any grid is made. CSV files are bounded the same
//! way by [`check_csv_record`].

use calamine::{Cell, Data, Range, Reader, Xlsx};
use std::io::{Cursor, Read};

/// What an uploaded file may hold at the most.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Bytes of one zip part once unpacked.
    pub part_bytes: u64,
    /// Bytes of all parts once unpacked.
    pub total_bytes: u64,
    /// Rows of one sheet (a national agency list is about 8,300).
    pub rows: u32,
    /// Columns of one sheet.
    pub columns: u32,
    /// Cells of the smallest rectangle holding a sheet's values.
    pub cells: u64,
    /// Characters of one cell.
    pub cell_chars: usize,
}

/// The limits of every upload: a national agency list of 200,000 rows and
/// ten columns fits; a grid of them costs at most about 64 MB.
pub const LIMITS: Limits = Limits {
    part_bytes: 48 << 20,
    total_bytes: 96 << 20,
    rows: 200_000,
    columns: 256,
    cells: 2_000_000,
    cell_chars: 10_000,
};

/// Why a file was refused, with its message in Thai and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotXlsx(String),
    PartTooLarge { part: String, limit_mb: u64 },
    TooLargeInAll { limit_mb: u64 },
    TooManyRows { row: u64, limit: u32 },
    TooManyColumns { column: u64, limit: u32 },
    TooManyCells { limit: u64 },
    CellTooLong { row: u64, limit: usize },
    Unreadable(String),
}

impl Refusal {
    pub fn message_th(&self) -> String {
        match self {
            Refusal::NotXlsx(_) => "ไฟล์นี้ไม่ใช่ไฟล์ Excel (XLSX) ที่อ่านได้".into(),
            Refusal::PartTooLarge { part, limit_mb } => format!(
                "ส่วน {} ของไฟล์มีขนาดเกิน {limit_mb} MB เมื่อคลายการบีบอัด จึงไม่รับไฟล์นี้",
                shorten(part, 60)
            ),
            Refusal::TooLargeInAll { limit_mb } => {
                format!("ไฟล์มีขนาดรวมเกิน {limit_mb} MB เมื่อคลายการบีบอัด จึงไม่รับไฟล์นี้")
            }
            Refusal::TooManyRows { row, limit } => format!(
                "ไฟล์มีข้อมูลถึงแถวที่ {} เกินกว่าที่รับได้ ({} แถว)",
                group(*row),
                group(*limit as u64)
            ),
            Refusal::TooManyColumns { column, limit } => format!(
                "ไฟล์มีข้อมูลถึงคอลัมน์ที่ {} เกินกว่าที่รับได้ ({} คอลัมน์)",
                group(*column),
                group(*limit as u64)
            ),
            Refusal::TooManyCells { limit } => {
                format!("ตารางในไฟล์มีขนาดเกินกว่าที่รับได้ ({} ช่อง)", group(*limit))
            }
            Refusal::CellTooLong { row, limit } => format!(
                "แถวที่ {} มีช่องที่ยาวเกิน {} ตัวอักษร",
                group(*row),
                group(*limit as u64)
            ),
            Refusal::Unreadable(_) => "อ่านไฟล์ไม่ได้ ไฟล์อาจเสียหาย".into(),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            // What the zip reader said helps nobody who uploads a file.
            Refusal::NotXlsx(_) => "this is not an Excel (XLSX) workbook that can be read".into(),
            Refusal::PartTooLarge { part, limit_mb } => format!(
                "the part {} unpacks to more than {limit_mb} MB; the file is refused",
                shorten(part, 60)
            ),
            Refusal::TooLargeInAll { limit_mb } => {
                format!("the file unpacks to more than {limit_mb} MB in all; it is refused")
            }
            Refusal::TooManyRows { row, limit } => {
                format!("the sheet reaches row {row}, past the limit of {limit} rows")
            }
            Refusal::TooManyColumns { column, limit } => {
                format!("the sheet reaches column {column}, past the limit of {limit} columns")
            }
            Refusal::TooManyCells { limit } => {
                format!("the sheet's table is larger than {limit} cells")
            }
            Refusal::CellTooLong { row, limit } => {
                format!("row {row} has a cell longer than {limit} characters")
            }
            Refusal::Unreadable(e) => format!("the file cannot be read ({})", shorten(e, 80)),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} / {}", self.message_th(), self.message_en())
    }
}

/// A number with thousands separators, as a message shows it.
fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A value echoed in a message, cut to `max` characters with an ellipsis.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

/// An XLSX workbook whose parts were checked against `limits`.
pub struct Workbook<'a> {
    book: Xlsx<Cursor<&'a [u8]>>,
    limits: Limits,
}

/// Opens `bytes` as an XLSX workbook once every part has been unpacked
/// (into nothing) within the limits.
pub fn open_xlsx(bytes: &[u8], limits: Limits) -> Result<Workbook<'_>, Refusal> {
    check_parts(bytes, limits)?;
    let book = Xlsx::new(Cursor::new(bytes)).map_err(|e| Refusal::NotXlsx(e.to_string()))?;
    Ok(Workbook { book, limits })
}

/// Unpacks each part, counting, and stops at the first that passes a
/// limit: the sizes a zip's headers state are the sender's word.
fn check_parts(bytes: &[u8], limits: Limits) -> Result<(), Refusal> {
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| Refusal::NotXlsx(e.to_string()))?;
    let mut total = 0u64;
    let mut sink = [0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut part = zip
            .by_index(i)
            .map_err(|e| Refusal::Unreadable(e.to_string()))?;
        let name = part
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| format!("part {i}"));
        let too_large = || Refusal::PartTooLarge {
            part: name.clone(),
            limit_mb: limits.part_bytes >> 20,
        };
        if part.size() > limits.part_bytes {
            return Err(too_large());
        }
        let mut unpacked = 0u64;
        loop {
            let n = match part.read(&mut sink) {
                Ok(0) => break,
                Ok(n) => n as u64,
                Err(e) => return Err(Refusal::Unreadable(e.to_string())),
            };
            unpacked += n;
            if unpacked > limits.part_bytes {
                return Err(too_large());
            }
        }
        total += unpacked;
        if total > limits.total_bytes {
            return Err(Refusal::TooLargeInAll {
                limit_mb: limits.total_bytes >> 20,
            });
        }
    }
    Ok(())
}

impl Workbook<'_> {
    pub fn sheet_names(&self) -> Vec<String> {
        self.book.sheet_names()
    }

    /// The sheet's values as a grid, or `Ok(None)` when there is no such
    /// sheet. Cells are read one by one and the first past a limit refuses
    /// the file, so a grid is made only for a sheet within them.
    pub fn sheet(&mut self, name: &str) -> Result<Option<Range<Data>>, Refusal> {
        if !self.book.sheet_names().iter().any(|n| n == name) {
            return Ok(None);
        }
        let l = self.limits;
        let mut reader = self
            .book
            .worksheet_cells_reader(name)
            .map_err(|e| Refusal::Unreadable(e.to_string()))?;
        let mut cells: Vec<Cell<Data>> = Vec::new();
        let (mut lo, mut hi) = ((u32::MAX, u32::MAX), (0u32, 0u32));
        while let Some(cell) = reader
            .next_cell()
            .map_err(|e| Refusal::Unreadable(e.to_string()))?
        {
            let (row, col) = cell.get_position();
            let value: Data = cell.get_value().clone().into();
            if matches!(value, Data::Empty) {
                continue;
            }
            if row >= l.rows {
                return Err(Refusal::TooManyRows {
                    row: row as u64 + 1,
                    limit: l.rows,
                });
            }
            if col >= l.columns {
                return Err(Refusal::TooManyColumns {
                    column: col as u64 + 1,
                    limit: l.columns,
                });
            }
            if let Data::String(s) = &value
                && s.chars().count() > l.cell_chars
            {
                return Err(Refusal::CellTooLong {
                    row: row as u64 + 1,
                    limit: l.cell_chars,
                });
            }
            lo = (lo.0.min(row), lo.1.min(col));
            hi = (hi.0.max(row), hi.1.max(col));
            let area = (hi.0 - lo.0 + 1) as u64 * (hi.1 - lo.1 + 1) as u64;
            if area > l.cells || cells.len() as u64 >= l.cells {
                return Err(Refusal::TooManyCells { limit: l.cells });
            }
            cells.push(Cell::new((row, col), value));
        }
        Ok(Some(Range::from_sparse(cells)))
    }
}

/// Refuses a CSV record past the limits (its 1-based line for the message).
pub fn check_csv_record(
    line: usize,
    record: &csv::StringRecord,
    limits: Limits,
) -> Result<(), Refusal> {
    if line as u64 > limits.rows as u64 {
        return Err(Refusal::TooManyRows {
            row: line as u64,
            limit: limits.rows,
        });
    }
    if record.len() as u64 > limits.columns as u64 {
        return Err(Refusal::TooManyColumns {
            column: record.len() as u64,
            limit: limits.columns,
        });
    }
    if record.iter().any(|f| f.chars().count() > limits.cell_chars) {
        return Err(Refusal::CellTooLong {
            row: line as u64,
            limit: limits.cell_chars,
        });
    }
    Ok(())
}

/// The hostile workbooks the limits are tested and measured with (the
/// bounds tests, `itas bench downloads`): real files, as an attacker would
/// send them.
pub mod hostile {
    /// A workbook of a few KB with values at A1:C1 of sheet `sheet_name`
    /// and at its last cell, XFD1048576: a reader that makes a grid of it
    /// asks for 17 billion cells.
    pub fn sparse_workbook(sheet_name: &str) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let _ = sheet.set_name(sheet_name);
        for (col, v) in ["code", "name_th", "kind"].iter().enumerate() {
            let _ = sheet.write_string(0, col as u16, *v);
        }
        let _ = sheet.write_string(1_048_575, 16_383, "z");
        book.save_to_buffer().unwrap_or_default()
    }

    /// A real workbook with one more part: 300 MB of zeros, which deflate
    /// to about 300 KB.
    pub fn zip_bomb() -> Vec<u8> {
        use std::io::Write;
        let mut book = rust_xlsxwriter::Workbook::new();
        let _ = book.add_worksheet().write_string(0, 0, "code");
        let bytes = book.save_to_buffer().unwrap_or_default();
        let Ok(mut z) = zip::ZipWriter::new_append(std::io::Cursor::new(bytes)) else {
            return Vec::new();
        };
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        if z.start_file("xl/media/filler.bin", options).is_err() {
            return Vec::new();
        }
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..300 {
            let _ = z.write_all(&zeros);
        }
        z.finish().map(|c| c.into_inner()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A workbook of one sheet whose XML is `sheet`, written by hand as an
    /// attacker would (rust_xlsxwriter would not write such a file).
    pub fn workbook(sheet: &str) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut out);
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let parts = [
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string(),
            ),
            (
                "_rels/.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string(),
            ),
            (
                "xl/workbook.xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string(),
            ),
            ("xl/worksheets/sheet1.xml", sheet.to_string()),
        ];
        for (name, text) in parts {
            z.start_file(name, o).unwrap();
            z.write_all(text.as_bytes()).unwrap();
        }
        z.finish().unwrap();
        out.into_inner()
    }

    fn sheet_xml(dimension: &str, cells: &[(&str, &str)]) -> String {
        let mut rows = String::new();
        for (at, v) in cells {
            let r: String = at.chars().filter(char::is_ascii_digit).collect();
            rows.push_str(&format!(
                r#"<row r="{r}"><c r="{at}" t="inlineStr"><is><t>{v}</t></is></c></row>"#
            ));
        }
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>"#
        )
    }

    #[test]
    fn a_small_sheet_is_read() {
        let bytes = workbook(&sheet_xml("A1:C2", &[("A1", "code"), ("C2", "x")]));
        let mut book = open_xlsx(&bytes, LIMITS).unwrap();
        let range = book.sheet("Sheet1").unwrap().unwrap();
        assert_eq!(range.get_size(), (2, 3));
        assert!(book.sheet("Other").unwrap().is_none());
    }

    #[test]
    fn a_sparse_sheet_reaching_the_last_cell_is_refused_before_any_grid() {
        let bytes = workbook(&sheet_xml(
            "A1:XFD1048576",
            &[("A1", "a"), ("C1", "c"), ("XFD1048576", "z")],
        ));
        assert!(bytes.len() < 4096, "a small file: {} bytes", bytes.len());
        let err = open_xlsx(&bytes, LIMITS)
            .unwrap()
            .sheet("Sheet1")
            .unwrap_err();
        assert_eq!(
            err,
            Refusal::TooManyRows {
                row: 1_048_576,
                limit: LIMITS.rows
            }
        );
        assert!(err.message_th().contains("1,048,576"), "{err}");
    }

    #[test]
    fn a_wide_sheet_and_a_large_rectangle_are_refused() {
        let wide = workbook(&sheet_xml("A1:ZZ1", &[("A1", "a"), ("ZZ1", "z")]));
        let err = open_xlsx(&wide, LIMITS)
            .unwrap()
            .sheet("Sheet1")
            .unwrap_err();
        assert!(
            matches!(err, Refusal::TooManyColumns { column: 702, .. }),
            "{err}"
        );
        // Within the rows and the columns, but not within the cells.
        let l = Limits {
            cells: 100,
            ..LIMITS
        };
        let square = workbook(&sheet_xml("A1:K11", &[("A1", "a"), ("K11", "k")]));
        let err = open_xlsx(&square, l).unwrap().sheet("Sheet1").unwrap_err();
        assert_eq!(err, Refusal::TooManyCells { limit: 100 });
    }

    #[test]
    fn a_part_that_unpacks_past_the_limit_is_refused_whatever_it_claims() {
        // 64 MB of one letter deflates to about 64 KB.
        let big = "a".repeat(64 << 20);
        let bytes = workbook(&sheet_xml("A1", &[("A1", &big)]));
        assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
        let err = open_xlsx(&bytes, LIMITS).err().expect("refused");
        assert!(matches!(err, Refusal::PartTooLarge { .. }), "{err}");
    }

    #[test]
    fn what_is_not_a_zip_is_named_in_both_languages() {
        let err = open_xlsx(b"code,name\n", LIMITS).err().unwrap();
        assert!(err.to_string().contains("ไม่ใช่ไฟล์ Excel"), "{err}");
        assert!(
            err.to_string().contains("not an Excel (XLSX) workbook"),
            "{err}"
        );
        assert!(!err.to_string().contains("Zip"), "{err}");
    }

    #[test]
    fn echoed_values_are_cut_to_a_readable_length() {
        assert_eq!(shorten("abc", 5), "abc");
        assert_eq!(shorten(&"ก".repeat(100), 3), "กกก…");
        assert_eq!(group(1_048_576), "1,048,576");
        assert_eq!(group(999), "999");
    }
}
