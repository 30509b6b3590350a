//! QR codes as inline SVG, for pages and posters.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// An SVG QR code of `text`, medium error correction (survives a smudged print).
pub fn svg(text: &str, size: u32) -> String {
    match QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M) {
        Ok(code) => code
            .render::<svg::Color>()
            .min_dimensions(size, size)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_svg() {
        let s = super::svg("https://ita.example.go.th/s/abcd2345", 200);
        assert!(s.starts_with("<?xml") && s.contains("<svg"));
    }
}
