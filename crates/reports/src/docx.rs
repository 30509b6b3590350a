//! DOCX the office can keep editing in Word: plain WordprocessingML, one font
//! set for every script slot (Thai is shaped through the complex-script slot,
//! so `w:cs`, `w:szCs` and `w:bCs` are what Word really uses for it).

use crate::document::{Block, Document, RowStyle, Table};
use std::fmt::Write as _;
use std::io::Write as _;

#[derive(Clone, Debug)]
pub struct DocxOptions {
    /// Font for every slot; offices expect "TH SarabunPSK".
    pub font: String,
    /// Body size in half-points (32 = 16 pt, the Thai government standard).
    pub half_points: u32,
}

impl Default for DocxOptions {
    fn default() -> Self {
        DocxOptions {
            font: "TH SarabunPSK".into(),
            half_points: 32,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DocxError {
    #[error("writing the DOCX package: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("writing the DOCX package: {0}")]
    Io(#[from] std::io::Error),
}

/// Text width on A4 with 3 cm / 2 cm margins, in twentieths of a point.
const TEXT_WIDTH: u32 = 11906 - 1701 - 1134;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML 1.0 forbids most control characters.
            c if (c as u32) < 0x20 && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[derive(Clone, Copy, Default)]
struct Run {
    bold: bool,
    /// Size in half-points; 0 = the document default.
    size: u32,
}

fn runs(out: &mut String, text: &str, r: Run) {
    let mut props = String::new();
    if r.bold {
        props.push_str("<w:b/><w:bCs/>");
    }
    if r.size > 0 {
        let _ = write!(
            props,
            "<w:sz w:val=\"{0}\"/><w:szCs w:val=\"{0}\"/>",
            r.size
        );
    }
    let rpr = if props.is_empty() {
        String::new()
    } else {
        format!("<w:rPr>{props}</w:rPr>")
    };
    for (i, line) in text.split('\n').enumerate() {
        out.push_str("<w:r>");
        out.push_str(&rpr);
        if i > 0 {
            out.push_str("<w:br/>");
        }
        let _ = write!(out, "<w:t xml:space=\"preserve\">{}</w:t></w:r>", esc(line));
    }
}

fn para(out: &mut String, ppr: &str, text: &str, r: Run) {
    out.push_str("<w:p>");
    if !ppr.is_empty() {
        let _ = write!(out, "<w:pPr>{ppr}</w:pPr>");
    }
    runs(out, text, r);
    out.push_str("</w:p>");
}

fn looks_numeric(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || ('๐'..='๙').contains(&c) || "+-–.".contains(c))
}

fn table(out: &mut String, t: &Table) {
    let total: u32 = t.widths.iter().map(|w| u32::from(*w)).sum::<u32>().max(1);
    let cols: Vec<u32> = t
        .widths
        .iter()
        .map(|w| TEXT_WIDTH * u32::from(*w) / total)
        .collect();
    out.push_str("<w:tbl><w:tblPr><w:tblW w:w=\"5000\" w:type=\"pct\"/><w:tblBorders>");
    for side in ["top", "left", "bottom", "right", "insideH", "insideV"] {
        let _ = write!(
            out,
            "<w:{side} w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"595959\"/>"
        );
    }
    out.push_str("</w:tblBorders><w:tblLayout w:type=\"fixed\"/><w:tblCellMar><w:left w:w=\"85\" w:type=\"dxa\"/><w:right w:w=\"85\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr><w:tblGrid>");
    for c in &cols {
        let _ = write!(out, "<w:gridCol w:w=\"{c}\"/>");
    }
    out.push_str("</w:tblGrid>");
    let cell = |out: &mut String,
                w: u32,
                span: usize,
                fill: Option<&str>,
                jc: &str,
                text: &str,
                bold: bool| {
        let _ = write!(out, "<w:tc><w:tcPr><w:tcW w:w=\"{w}\" w:type=\"dxa\"/>");
        if span > 1 {
            let _ = write!(out, "<w:gridSpan w:val=\"{span}\"/>");
        }
        if let Some(f) = fill {
            let _ = write!(
                out,
                "<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"{f}\"/>"
            );
        }
        out.push_str("</w:tcPr>");
        para(
            out,
            &format!("<w:jc w:val=\"{jc}\"/>"),
            text,
            Run { bold, size: 0 },
        );
        out.push_str("</w:tc>");
    };
    out.push_str("<w:tr><w:trPr><w:tblHeader/></w:trPr>");
    for (h, w) in t.header.iter().zip(&cols) {
        cell(out, *w, 1, Some("D9D9D9"), "center", h, true);
    }
    out.push_str("</w:tr>");
    for r in &t.rows {
        out.push_str("<w:tr><w:trPr><w:cantSplit/></w:trPr>");
        match r.style {
            RowStyle::Group => cell(
                out,
                TEXT_WIDTH,
                cols.len(),
                Some("F2F2F2"),
                "left",
                r.cells.first().map(String::as_str).unwrap_or(""),
                true,
            ),
            RowStyle::Normal | RowStyle::Total => {
                for (i, (c, w)) in r.cells.iter().zip(&cols).enumerate() {
                    let jc = if i > 0 && looks_numeric(c) {
                        "right"
                    } else {
                        "left"
                    };
                    cell(out, *w, 1, None, jc, c, r.style == RowStyle::Total);
                }
            }
        }
        out.push_str("</w:tr>");
    }
    // Word needs a paragraph between two tables or after a table at the end.
    out.push_str("</w:tbl><w:p/>");
}

/// The `word/document.xml` part: the text a snapshot test reads.
pub fn document_xml(doc: &Document) -> String {
    let mut b = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>",
    );
    let indent = "<w:ind w:firstLine=\"1134\"/>";
    for block in &doc.blocks {
        match block {
            Block::Memo { heading, lines } => {
                para(
                    &mut b,
                    "<w:jc w:val=\"center\"/>",
                    heading,
                    Run {
                        bold: true,
                        size: 58,
                    },
                );
                for (k, v) in lines {
                    b.push_str("<w:p><w:pPr><w:tabs><w:tab w:val=\"left\" w:pos=\"1418\"/></w:tabs><w:ind w:left=\"1418\" w:hanging=\"1418\"/></w:pPr>");
                    runs(
                        &mut b,
                        k,
                        Run {
                            bold: true,
                            size: 0,
                        },
                    );
                    b.push_str("<w:r><w:tab/></w:r>");
                    runs(&mut b, v, Run::default());
                    b.push_str("</w:p>");
                }
            }
            Block::Title(lines) => {
                for l in lines {
                    para(
                        &mut b,
                        "<w:jc w:val=\"center\"/>",
                        l,
                        Run {
                            bold: true,
                            size: 40,
                        },
                    );
                }
            }
            Block::Heading(t) => para(
                &mut b,
                "<w:pStyle w:val=\"Heading1\"/>",
                t,
                Run {
                    bold: true,
                    size: 0,
                },
            ),
            Block::Para(t) => para(&mut b, "", t, Run::default()),
            Block::Body(t) => para(&mut b, indent, t, Run::default()),
            Block::List(items) => {
                for l in items {
                    para(&mut b, "<w:ind w:left=\"567\"/>", l, Run::default());
                }
            }
            Block::Table(t) => table(&mut b, t),
            Block::Bars(bars) => {
                let t = Table {
                    widths: vec![4, 1],
                    header: vec!["ตัวชี้วัด".into(), "คะแนน".into()],
                    rows: bars
                        .iter()
                        .map(|x| {
                            crate::document::Row::normal(vec![x.label.clone(), x.text.clone()])
                        })
                        .collect(),
                };
                table(&mut b, &t);
            }
            Block::Signature(lines) => {
                para(&mut b, "", "", Run::default());
                for l in lines {
                    para(
                        &mut b,
                        "<w:ind w:left=\"4536\"/><w:jc w:val=\"center\"/>",
                        l,
                        Run::default(),
                    );
                }
            }
            Block::PageBreak => b.push_str("<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>"),
        }
    }
    b.push_str("<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1418\" w:right=\"1134\" w:bottom=\"1134\" w:left=\"1701\" w:header=\"709\" w:footer=\"709\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>");
    b
}

fn styles_xml(o: &DocxOptions) -> String {
    let f = esc(&o.font);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=\"{f}\" w:hAnsi=\"{f}\" w:eastAsia=\"{f}\" w:cs=\"{f}\"/><w:sz w:val=\"{s}\"/><w:szCs w:val=\"{s}\"/><w:lang w:val=\"th-TH\" w:eastAsia=\"en-US\" w:bidi=\"th-TH\"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after=\"60\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/></w:style><w:style w:type=\"paragraph\" w:styleId=\"Heading1\"><w:name w:val=\"heading 1\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before=\"240\" w:after=\"120\"/><w:outlineLvl w:val=\"0\"/></w:pPr><w:rPr><w:b/><w:bCs/></w:rPr></w:style></w:styles>",
        s = o.half_points
    )
}

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/><Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/><Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/></Types>";

const ROOT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/><Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/></Relationships>";

const DOCUMENT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/></Relationships>";

fn core_xml(title: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>{}</dc:title><dc:creator>itas</dc:creator><dc:language>th-TH</dc:language></cp:coreProperties>",
        esc(title)
    )
}

/// The whole `.docx` package.
pub fn render(doc: &Document, o: &DocxOptions) -> Result<Vec<u8>, DocxError> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let parts: [(&str, String); 6] = [
        ("[Content_Types].xml", CONTENT_TYPES.to_string()),
        ("_rels/.rels", ROOT_RELS.to_string()),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_string()),
        ("word/document.xml", document_xml(doc)),
        ("word/styles.xml", styles_xml(o)),
        ("docProps/core.xml", core_xml(&doc.title)),
    ];
    for (name, body) in parts {
        zip.start_file(name, opts)?;
        zip.write_all(body.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}

/// The visible text of a `document.xml`, one paragraph a line: what Word
/// would show, for tests and checks.
pub fn text_of_document_xml(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(i) = rest.find('<') {
        let tag_end = rest[i..].find('>').map(|j| i + j + 1).unwrap_or(rest.len());
        let tag = &rest[i..tag_end];
        if tag.starts_with("<w:t ") || tag == "<w:t>" {
            let close = rest[tag_end..]
                .find("</w:t>")
                .map(|j| tag_end + j)
                .unwrap_or(rest.len());
            out.push_str(
                &rest[tag_end..close]
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&amp;", "&"),
            );
            rest = &rest[close..];
            continue;
        }
        if tag == "</w:p>" {
            out.push('\n');
        } else if tag.starts_with("<w:tab/") || tag == "</w:tc>" {
            out.push('\t');
        } else if tag.starts_with("<w:br") {
            out.push('\n');
        }
        rest = &rest[tag_end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_special_characters_are_escaped() {
        assert_eq!(esc("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot; ");
    }

    #[test]
    fn text_extraction_reads_runs_and_paragraphs() {
        let doc = Document {
            title: "t".into(),
            blocks: vec![Block::Para("ก & ข".into()), Block::Body("x\ny".into())],
        };
        assert_eq!(text_of_document_xml(&document_xml(&doc)), "ก & ข\nx\ny\n");
    }
}
