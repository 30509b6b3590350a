//! The agency's public page of its ITA result and measures: where it lives.

/// The page's path for an agency and a fiscal year (Buddhist era).
pub fn path_of(agency_code: &str, fiscal_year: i64) -> String {
    format!("/p/{agency_code}/ita/{fiscal_year}")
}

/// Reads `/p/{code}/ita/{year}` (with or without a trailing slash) from a
/// URL: the agency code and fiscal year of an itas public page.
pub fn page_of_url(url: &str) -> Option<(String, i64)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let path = rest.find('/').map(|i| &rest[i..])?;
    let path = path.split(['?', '#']).next()?.trim_end_matches('/');
    let mut parts = path.strip_prefix("/p/")?.split('/');
    let (code, ita, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || ita != "ita" || code.is_empty() {
        return None;
    }
    Some((code.to_string(), year.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::page_of_url;

    #[test]
    fn a_page_address_is_read_back_and_nothing_else_is() {
        assert_eq!(
            page_of_url("https://ita.example.go.th/p/KK-HUANONG/ita/2564"),
            Some(("KK-HUANONG".into(), 2564))
        );
        assert_eq!(
            page_of_url("http://127.0.0.1:8080/p/KK-HUANONG/ita/2564/?x=1#m"),
            Some(("KK-HUANONG".into(), 2564))
        );
        for other in [
            "https://a.go.th/p/KK/ita/2564/report.pdf",
            "https://a.go.th/p/KK/oit/2564",
            "https://a.go.th/p//ita/2564",
            "https://a.go.th/p/KK/ita/year",
            "https://a.go.th/x/p/KK/ita/2564",
            "ftp://a.go.th/p/KK/ita/2564",
        ] {
            assert_eq!(page_of_url(other), None, "{other}");
        }
    }
}
