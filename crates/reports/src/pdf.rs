//! PDF through the Typst library: a [`Document`] becomes Typst markup, and a
//! small in-memory `World` compiles it with Sarabun embedded.
//!
//! All text enters the markup as Typst string literals, so nothing an agency
//! types (a `#`, a `*`, a bracket) can be read as markup.

use crate::document::{Block, Document, RowStyle, Table};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// Sarabun (SIL Open Font License 1.1, see fonts/OFL.txt).
const FONT_FILES: [&[u8]; 4] = [
    include_bytes!("../fonts/Sarabun-Regular.ttf"),
    include_bytes!("../fonts/Sarabun-Bold.ttf"),
    include_bytes!("../fonts/Sarabun-Italic.ttf"),
    include_bytes!("../fonts/Sarabun-BoldItalic.ttf"),
];

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("typst: {0}")]
    Typst(String),
}

struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

/// Fonts and the standard library are parsed once per process.
fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let fonts: Vec<Font> = FONT_FILES
            .iter()
            .flat_map(|data| Font::iter(Bytes::new(*data)))
            .collect();
        Shared {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    })
}

fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).unwrap_or_else(|_| unreachable_path());
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

fn unreachable_path() -> VirtualPath {
    // Only called with our own constant, absolute paths.
    VirtualPath::new("/main.typ").expect("constant path")
}

/// One compilation: the main source plus named binary files (an SVG, say).
struct OneShot {
    main: Source,
    files: HashMap<FileId, Bytes>,
}

impl World for OneShot {
    fn library(&self) -> &LazyHash<Library> {
        &shared().library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &shared().book
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotSource)
        }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.clone()));
        }
        self.files.get(&id).cloned().ok_or(FileError::AccessDenied)
    }
    fn font(&self, index: usize) -> Option<Font> {
        shared().fonts.get(index).cloned()
    }
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // Documents carry their own date; a render never depends on the clock.
        None
    }
}

/// Compiles Typst markup (with extra files by absolute virtual path) to PDF.
pub fn compile_pdf(markup: String, files: &[(&str, Vec<u8>)]) -> Result<Vec<u8>, RenderError> {
    let world = OneShot {
        main: Source::new(file_id("/main.typ"), markup),
        files: files
            .iter()
            .map(|(p, b)| (file_id(p), Bytes::new(b.clone())))
            .collect(),
    };
    let doc = typst::compile::<typst_layout::PagedDocument>(&world)
        .output
        .map_err(|errs| {
            RenderError::Typst(
                errs.iter()
                    .map(|e| e.message.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
    let pdf = typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default()).map_err(|errs| {
        RenderError::Typst(
            errs.iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    });
    // A server renders thousands of different documents: keep the memo cache
    // from growing with them (entries unused for 10 compilations go).
    typst::comemo::evict(10);
    pdf
}

/// A Typst string literal: the only way text enters the markup.
pub fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Content from text, with line breaks kept: `[#"a" \ #"b"]`.
fn content(s: &str) -> String {
    let parts: Vec<String> = s.split('\n').map(|l| format!("#{}", lit(l))).collect();
    format!("[{}]", parts.join(" \\ "))
}

fn looks_numeric(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || ('๐'..='๙').contains(&c) || "+-–.".contains(c))
}

const PREAMBLE: &str = r##"#let thd(s) = {
  let d = ("๐", "๑", "๒", "๓", "๔", "๕", "๖", "๗", "๘", "๙")
  s.clusters().map(c => if c >= "0" and c <= "9" { d.at(int(c)) } else { c }).join()
}
#set text(font: "Sarabun", size: 14pt, lang: "th")
#set par(justify: false, leading: 0.62em, spacing: 0.9em)
#set table(stroke: 0.5pt + luma(90), inset: (x: 5pt, y: 4pt))
#show table.cell: set text(top-edge: "ascender", bottom-edge: "descender")
#show table.cell: set par(leading: 0.2em)
#show table: set text(size: 13pt)
#show heading: set text(size: 14pt, weight: "bold")
#show heading: set block(above: 1.3em, below: 0.7em)
"##;

/// The Typst source of a document. `thai_page_numbers` matches the digits
/// setting of the text.
pub fn typst_source(doc: &Document, thai_page_numbers: bool) -> String {
    let mut s = String::from(PREAMBLE);
    let page_no = if thai_page_numbers {
        "n => thd(str(n))"
    } else {
        "n => str(n)"
    };
    let _ = writeln!(
        s,
        "#set document(title: {})\n#set page(paper: \"a4\", margin: (left: 3cm, right: 2cm, top: 2.5cm, bottom: 2cm), footer: context align(center, text(size: 12pt, ({page_no})(counter(page).get().first()))))\n",
        lit(&doc.title)
    );
    for b in &doc.blocks {
        match b {
            Block::Memo { heading, lines } => {
                let _ = writeln!(
                    s,
                    "#align(center, text(size: 24pt, weight: \"bold\", {}))\n#v(0.4em)",
                    lit(heading)
                );
                s.push_str(
                    "#grid(columns: (auto, 1fr), column-gutter: 0.8em, row-gutter: 0.75em,\n",
                );
                for (k, v) in lines {
                    let _ = writeln!(s, "  text(weight: \"bold\", {}), {},", lit(k), content(v));
                }
                s.push_str(")\n#v(0.6em)\n");
            }
            Block::Title(lines) => {
                s.push_str("#v(1.5em)\n#align(center, text(size: 17pt, weight: \"bold\", stack(spacing: 0.7em,\n");
                for l in lines {
                    let _ = writeln!(s, "  {},", content(l));
                }
                s.push_str(")))\n#v(1.5em)\n");
            }
            Block::Heading(t) => {
                let _ = writeln!(s, "#heading(depth: 1, {})\n", content(t));
            }
            Block::Para(t) => {
                let _ = writeln!(s, "#par({})\n", content(t));
            }
            Block::Body(t) => {
                let _ = writeln!(
                    s,
                    "#par(first-line-indent: (amount: 2.5em, all: true), {})\n",
                    content(t)
                );
            }
            Block::List(items) => {
                s.push_str("#pad(left: 1.5em, stack(spacing: 0.75em,\n");
                for l in items {
                    let _ = writeln!(s, "  par({}),", content(l));
                }
                s.push_str("))\n\n");
            }
            Block::Table(t) => table(&mut s, t),
            Block::Bars(bars) => {
                s.push_str("#grid(columns: (6.2cm, 1fr, 1.6cm), column-gutter: 6pt, row-gutter: 5pt, align: horizon,\n");
                for bar in bars {
                    let h = bar.value.hundredths().clamp(0, 10_000);
                    let pct = format!("{}.{:02}", h / 100, h % 100);
                    let colour = if bar.below {
                        "rgb(\"#c0504d\")"
                    } else {
                        "rgb(\"#2f6f9f\")"
                    };
                    let _ = writeln!(
                        s,
                        "  text(size: 12pt, {}), box(width: 100%, height: 10pt, fill: luma(235), {{ place(rect(width: {pct}%, height: 10pt, fill: {colour})); place(dx: 85%, line(start: (0pt, -2pt), end: (0pt, 12pt), stroke: 0.8pt)) }}), align(right, text(size: 12pt, {})),",
                        lit(&bar.label),
                        lit(&bar.text)
                    );
                }
                s.push_str(")\n\n");
            }
            Block::Signature(lines) => {
                s.push_str("#v(1.5em)\n#align(right, block(width: 9cm, align(center, stack(spacing: 0.7em,\n");
                for l in lines {
                    let _ = writeln!(s, "  {},", content(l));
                }
                s.push_str("))))\n\n");
            }
            Block::PageBreak => s.push_str("#pagebreak()\n"),
        }
    }
    s
}

fn table(s: &mut String, t: &Table) {
    let cols: Vec<String> = t.widths.iter().map(|w| format!("{w}fr")).collect();
    let _ = writeln!(s, "#table(columns: ({},),", cols.join(", "));
    let head: Vec<String> = t
        .header
        .iter()
        .map(|h| {
            format!(
                "table.cell(fill: luma(225), align: center + horizon, text(weight: \"bold\", {}))",
                content(h)
            )
        })
        .collect();
    let _ = writeln!(s, "  table.header({}),", head.join(", "));
    for r in &t.rows {
        match r.style {
            RowStyle::Group => {
                let _ = writeln!(
                    s,
                    "  table.cell(colspan: {}, fill: luma(245), text(weight: \"bold\", {})),",
                    t.widths.len(),
                    content(r.cells.first().map(String::as_str).unwrap_or(""))
                );
            }
            RowStyle::Normal | RowStyle::Total => {
                for (i, c) in r.cells.iter().enumerate() {
                    let align = if i > 0 && looks_numeric(c) {
                        "right"
                    } else {
                        "left"
                    };
                    let body = if r.style == RowStyle::Total {
                        format!("text(weight: \"bold\", {})", content(c))
                    } else {
                        content(c)
                    };
                    let _ = writeln!(s, "  table.cell(align: {align}, {body}),");
                }
            }
        }
    }
    s.push_str(")\n\n");
}

/// Renders a document to PDF bytes.
pub fn render(doc: &Document, thai_page_numbers: bool) -> Result<Vec<u8>, RenderError> {
    compile_pdf(typst_source(doc, thai_page_numbers), &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_become_markup() {
        assert_eq!(lit(r#"a "b" \ #c"#), r#""a \"b\" \\ #c""#);
        assert_eq!(content("x\ny"), r#"[#"x" \ #"y"]"#);
    }

    #[test]
    fn numeric_cells_are_recognised_in_both_digit_sets() {
        assert!(looks_numeric("68.00"));
        assert!(looks_numeric("๖๘.๐๐"));
        assert!(looks_numeric("+1.25"));
        assert!(!looks_numeric("ตัวชี้วัดที่ 1"));
        assert!(!looks_numeric(""));
    }
}
