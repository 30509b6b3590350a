//! Helpers shared by the integration tests.

use std::process::{Command, Output};

/// Runs the built `itas` binary with `args`.
pub fn itas(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_itas"))
        .args(args)
        .output()
        .expect("run itas")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The text blocks of a page (paragraphs, headings, cells, list items) whose
/// words mix Thai and Arabic digits, leaving out what is a code or an
/// address rather than a number a person reads (O25, ita-2568, /p/…, KK-…).
pub fn lines_mixing_digits(html: &str) -> Vec<String> {
    let main = html.split("<main").nth(1).unwrap_or(html);
    // Drop scripts, styles and drawings, then cut at every tag: a block's
    // words are what sits between two tags.
    let mut text = String::new();
    let mut rest = main;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let tag = &rest[open..];
        let skip_to = ["<script", "<style", "<svg"]
            .iter()
            .find(|t| tag.starts_with(**t))
            .and_then(|t| {
                tag.find(&format!("</{}>", &t[1..]))
                    .map(|e| e + t.len() + 2)
            });
        let end = skip_to.unwrap_or_else(|| tag.find('>').map_or(tag.len(), |e| e + 1));
        let name: String = tag[1..]
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let block = matches!(
            name.as_str(),
            "p" | "li"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "tr"
                | "dt"
                | "dd"
                | "div"
                | "section"
                | "td"
                | "th"
                | "option"
                | "label"
                | "legend"
                | "caption"
        );
        text.push(if block { '\n' } else { ' ' });
        rest = &tag[end.min(tag.len())..];
    }
    text.push_str(rest);
    // Character references (&#34;) are markup, not numbers.
    let mut plain = String::new();
    let mut rest = text.as_str();
    while let Some(amp) = rest.find("&#") {
        plain.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let end = after.find(';').filter(|e| *e < 10).map_or(2, |e| e + 1);
        plain.push(' ');
        rest = &after[end..];
    }
    plain.push_str(rest);
    let text = plain;
    let is_code = |w: &str| {
        w.contains('/')
            || w.contains("ita-")
            || w.contains("KK-")
            || w.contains('@')
            || (w.len() > 1
                && w.starts_with(['O', 'o', 'I', 'i', 'E', 'e'])
                && w[1..].chars().all(|c| c.is_ascii_digit() || c == '.'))
    };
    text.lines()
        .filter_map(|line| {
            let words: Vec<&str> = line
                .split_whitespace()
                .map(|w| w.trim_matches(|c: char| "()[]{}:;,·\"'".contains(c)))
                .filter(|w| !is_code(w))
                .collect();
            let thai = words
                .iter()
                .any(|w| w.chars().any(|c| ('๐'..='๙').contains(&c)));
            let arabic = words.iter().any(|w| w.chars().any(|c| c.is_ascii_digit()));
            (thai && arabic).then(|| words.join(" "))
        })
        .collect()
}
