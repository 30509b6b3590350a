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

    /// A province named as a person reads it: "จังหวัดขอนแก่น" in Thai,
    /// "Province: ขอนแก่น" in English (the stored name is Thai); the same on
    /// every page, heading and document.
    pub fn province(self, name: &str) -> String {
        let bare = name.trim_start_matches("จังหวัด");
        match self {
            Lang::Th => format!("จังหวัด{bare}"),
            Lang::En => format!("Province: {bare}"),
        }
    }

    /// An agency kind's name in this language; an unknown code as it is.
    pub fn kind_name(self, code: &str) -> String {
        code.parse::<itas_core::directory::AgencyKind>()
            .map_or(code.to_string(), |k| {
                self.pick(k.name_th(), k.name_en()).to_string()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provinces_and_kinds_are_named_the_same_everywhere() {
        assert_eq!(Lang::Th.province("ขอนแก่น"), "จังหวัดขอนแก่น");
        assert_eq!(Lang::Th.province("จังหวัดขอนแก่น"), "จังหวัดขอนแก่น");
        assert_eq!(Lang::En.province("จังหวัดขอนแก่น"), "Province: ขอนแก่น");
        assert_eq!(Lang::Th.kind_name("sao"), "องค์การบริหารส่วนตำบล");
        assert_eq!(Lang::Th.kind_name("nope"), "nope");
    }
}
