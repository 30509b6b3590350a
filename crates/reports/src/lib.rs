//! itas-reports: the documents itas writes for people.
//!
//! A report is first a [`document::Document`] (blocks of final text, every
//! number from the engine), then rendered to PDF (Typst, Sarabun embedded),
//! DOCX (editable in Word) or HTML. One content, three layouts.

pub mod analysis_report;
pub mod charts;
pub mod document;
pub mod docx;
pub mod html;
pub mod infographic;
pub mod pdf;
pub mod poster;

#[cfg(test)]
mod tests;
