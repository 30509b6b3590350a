//! The two languages of every screen and document: Thai first, English second.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Th,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Th => "th",
            Lang::En => "en",
        }
    }

    pub fn from_code(s: &str) -> Lang {
        if s.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Th
        }
    }

    /// A number as this language writes it: Thai digits in Thai.
    pub fn num(self, s: &str) -> String {
        match self {
            Lang::Th => itas_core::thai::thai_digits(s),
            Lang::En => s.to_string(),
        }
    }

    /// Picks the Thai or English of a pair.
    pub fn pick<'a>(self, th: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Th => th,
            Lang::En => en,
        }
    }
}
