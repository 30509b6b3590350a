//! The A4 poster an agency prints and pins up: its name, which survey, the QR
//! code and the short link, in large Thai type.

use crate::pdf::{RenderError, compile_pdf, lit};

pub struct Poster<'a> {
    pub agency: &'a str,
    /// The survey's name, e.g. "แบบวัดการรับรู้ของผู้มีส่วนได้ส่วนเสียภายนอก (EIT)".
    pub survey: &'a str,
    /// Who should answer, one sentence.
    pub audience: &'a str,
    pub url: &'a str,
    /// The QR code as an SVG document.
    pub qr_svg: &'a str,
    /// Closing date line, already formatted, or empty.
    pub deadline: &'a str,
    /// That a single-use code from the agency is needed, or empty.
    pub code_note: &'a str,
}

pub fn typst_source(p: &Poster<'_>) -> String {
    format!(
        r#"#set page(paper: "a4", margin: 2cm)
#set text(font: "Sarabun", size: 16pt, lang: "th")
#set par(justify: false)
#align(center)[
  #text(size: 30pt, weight: "bold", {agency})
  #v(0.3em)
  #text(size: 20pt, {survey})
  #v(0.8em)
  #text(size: 18pt, {audience})
  #v(1em)
  #image("/qr.svg", width: 11cm)
  #v(0.6em)
  #text(size: 14pt, "สแกนคิวอาร์โค้ดด้วยกล้องโทรศัพท์ หรือเปิดลิงก์")
  #v(0.2em)
  #text(size: 20pt, weight: "bold", font: "Sarabun", {url})
  #v(0.6em)
  #text(size: 16pt, weight: "bold", {code_note})
  #v(0.6em)
  #text(size: 14pt, "ไม่ต้องระบุชื่อ ไม่เก็บข้อมูลที่ระบุตัวผู้ตอบ ใช้เวลาประมาณ 10 นาที")
  #v(0.3em)
  #text(size: 14pt, {deadline})
]
"#,
        agency = lit(p.agency),
        survey = lit(p.survey),
        audience = lit(p.audience),
        url = lit(p.url),
        deadline = lit(p.deadline),
        code_note = lit(p.code_note),
    )
}

pub fn render(p: &Poster<'_>) -> Result<Vec<u8>, RenderError> {
    compile_pdf(
        typst_source(p),
        &[("/qr.svg", p.qr_svg.as_bytes().to_vec())],
    )
}
