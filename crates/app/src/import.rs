//! Reading agency lists from CSV or XLSX files into rows with line numbers.
//!
//! Headers may be in English (code, name_th, …) or Thai (รหัส, ชื่อหน่วยงาน, …).
//! A file-level problem (no header, not a spreadsheet) is an error; row-level
//! problems are left to the store's import, which reports each bad row.

use itas_store::agencies::NewAgency;

/// Column names accepted for each field, English then Thai.
const COLUMNS: &[(&str, &[&str])] = &[
    ("code", &["code", "รหัส", "รหัสหน่วยงาน"]),
    ("name_th", &["name_th", "ชื่อหน่วยงาน", "ชื่อภาษาไทย", "ชื่อ"]),
    ("name_en", &["name_en", "ชื่อภาษาอังกฤษ"]),
    ("kind", &["kind", "type", "ประเภท", "ประเภทหน่วยงาน"]),
    ("province", &["province", "จังหวัด"]),
    (
        "parent_code",
        &["parent_code", "parent", "รหัสต้นสังกัด", "ต้นสังกัด"],
    ),
    ("website", &["website", "url", "เว็บไซต์"]),
];

const REQUIRED: &[&str] = &["code", "name_th", "kind"];

/// Rows of a table (first row = header) → agencies with their line numbers.
fn rows_to_agencies(rows: Vec<(usize, Vec<String>)>) -> Result<Vec<(usize, NewAgency)>, String> {
    let mut it = rows.into_iter();
    let Some((_, header)) = it.next() else {
        return Err("ไฟล์ว่างเปล่า / the file is empty".into());
    };
    let header: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    let mut index = std::collections::BTreeMap::new();
    for (field, names) in COLUMNS {
        if let Some(i) = header.iter().position(|h| names.contains(&h.as_str())) {
            index.insert(*field, i);
        }
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|f| !index.contains_key(**f))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "ไม่พบคอลัมน์ {m} (แถวแรกต้องเป็นหัวตาราง) / missing column(s): {m} (first row must be the header)",
            m = missing.join(", ")
        ));
    }
    let get = |row: &[String], f: &str| {
        index
            .get(f)
            .and_then(|i| row.get(*i))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    Ok(it
        .filter(|(_, row)| row.iter().any(|c| !c.trim().is_empty()))
        .map(|(line, row)| {
            let parent = get(&row, "parent_code");
            (
                line,
                NewAgency {
                    code: get(&row, "code"),
                    name_th: get(&row, "name_th"),
                    name_en: get(&row, "name_en"),
                    kind: get(&row, "kind"),
                    province: get(&row, "province"),
                    parent_code: (!parent.is_empty()).then_some(parent),
                    website: get(&row, "website"),
                },
            )
        })
        .collect())
}

/// Parses a CSV (UTF-8, with or without BOM) or XLSX file.
pub fn parse_agencies(bytes: &[u8], filename: &str) -> Result<Vec<(usize, NewAgency)>, String> {
    rows_to_agencies(table_rows(bytes, filename)?)
}

/// The rows of a CSV or XLSX file (its first sheet) with their line numbers,
/// the header first.
pub fn table_rows(bytes: &[u8], filename: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    if bytes.starts_with(b"PK") || filename.to_lowercase().ends_with(".xlsx") {
        xlsx_rows(bytes)
    } else {
        csv_rows(bytes)
    }
}

/// [`parse_agencies`] on a blocking thread: reading a national workbook is
/// CPU work that would otherwise hold a runtime thread, and with it the
/// survey answers that thread should be serving.
pub async fn parse_agencies_off_the_runtime(
    bytes: impl AsRef<[u8]> + Send + 'static,
    filename: String,
) -> Result<Vec<(usize, NewAgency)>, String> {
    tokio::task::spawn_blocking(move || parse_agencies(bytes.as_ref(), &filename))
        .await
        .map_err(|e| format!("อ่านไฟล์ไม่ได้ / the file could not be read: {e}"))?
}

fn csv_rows(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| {
            "ไฟล์ CSV ไม่ใช่ข้อความ UTF-8 (ใน Excel ให้บันทึกเป็น \"CSV UTF-8\") / the CSV file is not UTF-8 text (save it as \"CSV UTF-8\")".to_string()
        })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    // Line numbers from the byte where each record starts: the csv crate's own
    // line count drifts on CRLF files, which is what Excel saves.
    let mut counted = (0usize, 1usize);
    for rec in reader.records() {
        let rec = rec.map_err(|e| format!("อ่าน CSV ไม่ได้ / CSV: {e}"))?;
        crate::spreadsheet::check_csv_record(out.len() + 1, &rec, crate::spreadsheet::LIMITS)
            .map_err(|e| e.to_string())?;
        let mut byte = rec
            .position()
            .map_or(0, |p| p.byte() as usize)
            .min(text.len());
        // After a CR the record's position is the LF that ends the line before it.
        while matches!(text.as_bytes().get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        counted.1 += bytecount_newlines(&text.as_bytes()[counted.0..byte]);
        counted.0 = byte;
        out.push((counted.1, rec.iter().map(str::to_string).collect()));
    }
    Ok(out)
}

fn bytecount_newlines(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

fn xlsx_rows(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, String> {
    use calamine::Data;
    let mut book = crate::spreadsheet::open_xlsx(bytes, crate::spreadsheet::LIMITS)
        .map_err(|e| e.to_string())?;
    let sheet = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or("the workbook has no sheet")?;
    let range = book
        .sheet(&sheet)
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, row)| {
            let cells = row
                .iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                    other => other.to_string(),
                })
                .collect();
            (first_row + i + 1, cells)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_are_right_in_crlf_files_as_excel_saves_them() {
        let lf = "code,name_th,kind\nC1,a,sao\nC2,x,sao\nC3,y,sao\n,z,sao\nC5,q,nokind\n";
        let crlf = lf.replace('\n', "\r\n");
        for text in [lf.to_string(), crlf] {
            let rows = csv_rows(text.as_bytes()).unwrap();
            let lines: Vec<usize> = rows.iter().map(|(l, _)| *l).collect();
            assert_eq!(lines, vec![1, 2, 3, 4, 5, 6], "{text:?}");
        }
        // A quoted field across lines keeps the count right after it.
        let rows = csv_rows(b"code,name_th\r\nC1,\"two\r\nlines\"\r\nC2,b\r\n").unwrap();
        assert_eq!(
            rows.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            vec![1, 2, 4]
        );
    }

    #[test]
    fn csv_with_thai_headers_and_bom() {
        let csv = "\u{feff}รหัส,ชื่อหน่วยงาน,ประเภท,จังหวัด,รหัสต้นสังกัด\nKK,จังหวัดขอนแก่น,province,ขอนแก่น,\nKK-HN,อบต.หัวหนอง,sao,ขอนแก่น,KK\n\n";
        let rows = parse_agencies(csv.as_bytes(), "a.csv").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].0, 3);
        assert_eq!(rows[1].1.parent_code.as_deref(), Some("KK"));
        assert_eq!(rows[0].1.parent_code, None);
    }

    #[test]
    fn missing_required_columns_are_named() {
        let err = parse_agencies(b"code,province\nA,B\n", "a.csv").unwrap_err();
        assert!(err.contains("name_th") && err.contains("kind"), "{err}");
    }

    #[test]
    fn non_utf8_csv_is_refused_clearly() {
        let err = parse_agencies(&[0xff, 0xfe, 0x41], "a.csv").unwrap_err();
        assert!(err.contains("UTF-8"));
    }
}

#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn agency_files_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600), xlsx in any::<bool>()) {
            let _ = super::parse_agencies(&bytes, if xlsx { "a.xlsx" } else { "a.csv" });
        }

        #[test]
        fn csv_text_never_panics(s in "(code|name_th|kind|รหัส|,|\\n|\"|\\PC){0,200}") {
            let _ = super::parse_agencies(s.as_bytes(), "a.csv");
        }
    }
}
