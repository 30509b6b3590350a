//! A document as a list of blocks: what every output (PDF, DOCX, HTML) renders.
//!
//! Text is final here (digits already chosen, numbers already formatted by the
//! engine), so the three renderers can only differ in layout, never in content.

use itas_core::Score;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Document title for metadata (PDF title, DOCX core properties).
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// The head of a government memo (บันทึกข้อความ): a big centred word, then
    /// label/value lines.
    Memo {
        heading: String,
        lines: Vec<(String, String)>,
    },
    /// Centred bold lines, as on a cover.
    Title(Vec<String>),
    Heading(String),
    Para(String),
    /// A paragraph with an indented first line, as in formal Thai letters.
    Body(String),
    /// Lines set one under another, each indented.
    List(Vec<String>),
    Table(Table),
    /// A horizontal bar per value, 0–100.
    Bars(Vec<Bar>),
    /// Right-hand block for a signature: a blank line to sign, then lines.
    Signature(Vec<String>),
    PageBreak,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Relative column widths.
    pub widths: Vec<u16>,
    pub header: Vec<String>,
    pub rows: Vec<Row>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub cells: Vec<String>,
    pub style: RowStyle,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowStyle {
    Normal,
    /// A group heading: the first cell spans the whole row.
    Group,
    /// A total line, set bold.
    Total,
}

impl Row {
    pub fn normal(cells: Vec<String>) -> Row {
        Row {
            cells,
            style: RowStyle::Normal,
        }
    }
    pub fn group(text: String) -> Row {
        Row {
            cells: vec![text],
            style: RowStyle::Group,
        }
    }
    pub fn total(cells: Vec<String>) -> Row {
        Row {
            cells,
            style: RowStyle::Total,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    /// The value as printed (digits chosen).
    pub text: String,
    pub value: Score,
    /// Below the pass mark: drawn in the warning colour.
    pub below: bool,
}

impl Document {
    /// Every piece of text in reading order: what a text extraction of any
    /// rendering must contain. Used by tests and by `check-report`.
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        let mut line = |s: &str| {
            out.push_str(s);
            out.push('\n');
        };
        for b in &self.blocks {
            match b {
                Block::Memo { heading, lines } => {
                    line(heading);
                    for (k, v) in lines {
                        line(&format!("{k} {v}"));
                    }
                }
                Block::Title(ls) | Block::List(ls) | Block::Signature(ls) => {
                    ls.iter().for_each(|l| line(l))
                }
                Block::Heading(s) | Block::Para(s) | Block::Body(s) => line(s),
                Block::Table(t) => {
                    line(&t.header.join("\t"));
                    for r in &t.rows {
                        line(&r.cells.join("\t"));
                    }
                }
                Block::Bars(bars) => {
                    for b in bars {
                        line(&format!("{}\t{}", b.label, b.text));
                    }
                }
                Block::PageBreak => {}
            }
        }
        out
    }
}
