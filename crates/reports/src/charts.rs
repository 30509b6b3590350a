//! Charts for dashboards, drawn as SVG on the server: no JavaScript, readable
//! on a phone (the page scales them; labels stay at least about 10 px), Thai
//! text left to the browser's shaping. Every number arrives as text already
//! formatted by the engine; the charts only place it.

use std::fmt::Write as _;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Thailand's 77 provinces as a tile grid: one equal square each, placed
/// roughly where the province lies, so no boundary data is needed.
///
/// Where the positions came from: each provincial capital's latitude and
/// longitude snapped to a grid of about 0.6° × 0.5°, then moved by hand so
/// that neighbours stay neighbours (the Bangkok ring, the eastern seaboard,
/// the Mekong provinces along the eastern edge of the north-east, the
/// peninsula down to Narathiwat) and checked by eye against a political map
/// of Thailand. (column, row) from the top left; 11 columns, 18 rows.
pub const PROVINCE_TILES: [(&str, u8, u8); 77] = [
    ("เชียงราย", 3, 0),
    ("แม่ฮ่องสอน", 1, 1),
    ("เชียงใหม่", 2, 1),
    ("พะเยา", 3, 1),
    ("น่าน", 4, 1),
    ("ลำพูน", 2, 2),
    ("ลำปาง", 3, 2),
    ("แพร่", 4, 2),
    ("หนองคาย", 7, 2),
    ("บึงกาฬ", 8, 2),
    ("ตาก", 2, 3),
    ("สุโขทัย", 3, 3),
    ("อุตรดิตถ์", 4, 3),
    ("เลย", 5, 3),
    ("หนองบัวลำภู", 6, 3),
    ("อุดรธานี", 7, 3),
    ("สกลนคร", 8, 3),
    ("นครพนม", 9, 3),
    ("กำแพงเพชร", 3, 4),
    ("พิษณุโลก", 4, 4),
    ("เพชรบูรณ์", 5, 4),
    ("ขอนแก่น", 6, 4),
    ("กาฬสินธุ์", 7, 4),
    ("มุกดาหาร", 8, 4),
    ("นครสวรรค์", 3, 5),
    ("พิจิตร", 4, 5),
    ("ชัยภูมิ", 5, 5),
    ("มหาสารคาม", 6, 5),
    ("ร้อยเอ็ด", 7, 5),
    ("ยโสธร", 8, 5),
    ("อำนาจเจริญ", 9, 5),
    ("อุทัยธานี", 2, 6),
    ("ชัยนาท", 3, 6),
    ("สิงห์บุรี", 4, 6),
    ("ลพบุรี", 5, 6),
    ("นครราชสีมา", 6, 6),
    ("บุรีรัมย์", 7, 6),
    ("สุรินทร์", 8, 6),
    ("ศรีสะเกษ", 9, 6),
    ("อุบลราชธานี", 10, 6),
    ("กาญจนบุรี", 1, 7),
    ("สุพรรณบุรี", 2, 7),
    ("อ่างทอง", 3, 7),
    ("พระนครศรีอยุธยา", 4, 7),
    ("สระบุรี", 5, 7),
    ("นครนายก", 6, 7),
    ("ราชบุรี", 1, 8),
    ("นครปฐม", 2, 8),
    ("นนทบุรี", 3, 8),
    ("ปทุมธานี", 4, 8),
    ("ฉะเชิงเทรา", 5, 8),
    ("ปราจีนบุรี", 6, 8),
    ("สระแก้ว", 7, 8),
    ("สมุทรสงคราม", 1, 9),
    ("สมุทรสาคร", 2, 9),
    ("กรุงเทพมหานคร", 3, 9),
    ("สมุทรปราการ", 4, 9),
    ("ชลบุรี", 5, 9),
    ("ระยอง", 6, 9),
    ("จันทบุรี", 7, 9),
    ("เพชรบุรี", 1, 10),
    ("ตราด", 7, 10),
    ("ประจวบคีรีขันธ์", 1, 11),
    ("ชุมพร", 1, 12),
    ("ระนอง", 0, 13),
    ("สุราษฎร์ธานี", 1, 13),
    ("พังงา", 0, 14),
    ("กระบี่", 1, 14),
    ("นครศรีธรรมราช", 2, 14),
    ("ภูเก็ต", 0, 15),
    ("ตรัง", 1, 15),
    ("พัทลุง", 2, 15),
    ("สตูล", 1, 16),
    ("สงขลา", 2, 16),
    ("ปัตตานี", 3, 16),
    ("ยะลา", 3, 17),
    ("นราธิวาส", 4, 17),
];

/// How many letters wide a tile's name line may be: at the map's type size,
/// seven Thai letters fill a tile.
pub const TILE_NAME_WIDTH: usize = 7;

/// Where the provinces too wide for one line break, between the words their
/// names are made of (สมุทร·ปราการ), so no name is ever cut mid-word.
const TILE_NAME_BREAKS: [(&str, &str); 17] = [
    ("พระนครศรีอยุธยา", "พระนคร"),
    ("นครศรีธรรมราช", "นครศรี"),
    ("กรุงเทพมหานคร", "กรุงเทพ"),
    ("ประจวบคีรีขันธ์", "ประจวบ"),
    ("สมุทรสงคราม", "สมุทร"),
    ("สมุทรปราการ", "สมุทร"),
    ("สมุทรสาคร", "สมุทร"),
    ("อุบลราชธานี", "อุบล"),
    ("อำนาจเจริญ", "อำนาจ"),
    ("หนองบัวลำภู", "หนองบัว"),
    ("สุราษฎร์ธานี", "สุราษฎร์"),
    ("มหาสารคาม", "มหา"),
    ("นครราชสีมา", "นคร"),
    ("ฉะเชิงเทรา", "ฉะเชิง"),
    ("กำแพงเพชร", "กำแพง"),
    ("แม่ฮ่องสอน", "แม่ฮ่อง"),
    ("นครสวรรค์", "นคร"),
];

/// How wide Thai text is set: letters, not the vowel and tone marks that
/// sit above or below them.
pub fn thai_width(s: &str) -> usize {
    s.chars()
        .filter(|c| !matches!(*c as u32, 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E))
        .count()
}

/// A province's name as its tile shows it: whole, on one line or broken
/// between its words onto two.
pub fn tile_name_lines(name: &str) -> (&str, Option<&str>) {
    match TILE_NAME_BREAKS.iter().find(|(n, _)| *n == name) {
        Some((_, first)) => (first, Some(&name[first.len()..])),
        None => (name, None),
    }
}

/// Fewer agencies than this in a province: its tile is greyed, since a
/// share of one or two agencies says little (and nearly names them).
pub const MAP_MIN_AGENCIES: usize = 5;

/// A province's figures for the map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvinceFigure {
    pub province: String,
    pub agencies: usize,
    /// Share at the pass mark or above, in hundredths of a percent.
    pub share_hundredths: i64,
    /// The share as printed (digits chosen), e.g. "๘๒.๕๐".
    pub share_text: String,
    /// Where the tile links (that province's breakdown).
    pub href: String,
}

/// The colour classes of the map: the share at 85 or more, by 20 points,
/// the top class being the national target and above. A sequential blue
/// scale, dark text on the light classes and white on the dark ones (both
/// at least 4.5:1).
pub fn share_class(share_hundredths: i64, target_percent: u32) -> usize {
    let target = i64::from(target_percent) * 100;
    if share_hundredths >= target {
        4
    } else {
        ((share_hundredths.max(0) * 4) / target.max(1)).min(3) as usize
    }
}

const CLASS_FILL: [&str; 5] = ["#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"];
const CLASS_TEXT: [&str; 5] = ["#111", "#111", "#111", "#fff", "#fff"];
const GREY_FILL: &str = "#d9d9d9";

/// Words of the map, in the page's language.
pub struct MapWords<'a> {
    pub title: &'a str,
    /// Legend lines for classes 0..=4, e.g. "ต่ำกว่า ๒๐%", …, "๘๐% ขึ้นไป (เป้าหมาย)".
    pub classes: [String; 5],
    /// Legend line for greyed tiles.
    pub too_few: String,
    /// Legend line for provinces with no agency in the round.
    pub none: String,
}

/// The tile-grid map: each province's tile coloured by its share at 85 or
/// more, its short name and share inside, a link to its breakdown.
pub fn province_map_svg(
    figures: &[ProvinceFigure],
    target_percent: u32,
    w: &MapWords<'_>,
) -> String {
    const S: u32 = 56; // tile pitch
    const T: u32 = 52; // tile size
    let width = 11 * S + 8;
    let legend_y = 18 * S + 16;
    let height = legend_y + 7 * 22 + 8;
    let mut s = format!(
        "<svg class=\"map\" viewBox=\"0 0 {width} {height}\" role=\"group\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(w.title)
    );
    for (name, col, row) in PROVINCE_TILES {
        let x = 4 + u32::from(col) * S;
        let y = 4 + u32::from(row) * S;
        let f = figures.iter().find(|f| f.province == name);
        let (fill, text_fill, value) = match f {
            Some(f) if f.agencies >= MAP_MIN_AGENCIES => {
                let c = share_class(f.share_hundredths, target_percent);
                (CLASS_FILL[c], CLASS_TEXT[c], format!("{}%", f.share_text))
            }
            Some(_) => (GREY_FILL, "#111", "–".to_string()),
            None => ("#ffffff", "#555", String::new()),
        };
        let tx = x + T / 2;
        let label = match tile_name_lines(name) {
            (whole, None) => format!(
                "<text x=\"{tx}\" y=\"{ny}\" font-size=\"10\" text-anchor=\"middle\" fill=\"{text_fill}\">{}</text>",
                esc(whole),
                ny = y + 20,
            ),
            (first, Some(second)) => format!(
                "<text x=\"{tx}\" y=\"{y1}\" font-size=\"9\" text-anchor=\"middle\" fill=\"{text_fill}\">{}<tspan x=\"{tx}\" y=\"{y2}\">{}</tspan></text>",
                esc(first),
                esc(second),
                y1 = y + 13,
                y2 = y + 24,
            ),
        };
        let tile = format!(
            "<rect x=\"{x}\" y=\"{y}\" width=\"{T}\" height=\"{T}\" rx=\"3\" fill=\"{fill}\" stroke=\"#8a8a8a\" stroke-width=\"0.6\"/>\
             {label}\
             <text x=\"{tx}\" y=\"{vy}\" font-size=\"12\" font-weight=\"bold\" text-anchor=\"middle\" fill=\"{text_fill}\">{value}</text>",
            vy = y + 40,
            value = esc(&value),
        );
        match f {
            Some(f) => {
                let _ = write!(
                    s,
                    "<a href=\"{}\"><title>{} · {}</title>{tile}</a>",
                    esc(&f.href),
                    esc(name),
                    esc(&value)
                );
            }
            None => s.push_str(&tile),
        }
    }
    let mut legend: Vec<(&str, &str)> = CLASS_FILL
        .iter()
        .zip(w.classes.iter())
        .map(|(f, t)| (*f, t.as_str()))
        .collect();
    legend.push((GREY_FILL, w.too_few.as_str()));
    legend.push(("#ffffff", w.none.as_str()));
    for (i, (fill, text)) in legend.iter().enumerate() {
        let y = legend_y + i as u32 * 22;
        let _ = write!(
            s,
            "<rect x=\"4\" y=\"{y}\" width=\"16\" height=\"16\" fill=\"{fill}\" stroke=\"#8a8a8a\" stroke-width=\"0.6\"/><text x=\"28\" y=\"{ty}\" font-size=\"13\">{}</text>",
            esc(text),
            ty = y + 13
        );
    }
    s.push_str("</svg>");
    s
}

/// The share at the pass mark or above against the national target: one
/// bar from 0 to 100 %, the target marked.
pub fn target_gauge_svg(
    share_hundredths: i64,
    share_text: &str,
    target_percent: u32,
    target_text: &str,
    label: &str,
) -> String {
    // 400 units wide: on a 360-pixel phone the text stays above 11 px.
    let w = share_hundredths.clamp(0, 10_000) * 390 / 10_000;
    let t = i64::from(target_percent.min(100)) * 390 / 100;
    let meets = share_hundredths >= i64::from(target_percent) * 100;
    let colour = if meets { "#2f6f9f" } else { "#c0504d" };
    format!(
        "<svg class=\"gauge\" viewBox=\"0 0 400 84\" role=\"img\" aria-label=\"{label}: {share}%\" xmlns=\"http://www.w3.org/2000/svg\">\
         <text x=\"0\" y=\"16\" font-size=\"14\">{label}</text>\
         <rect x=\"0\" y=\"26\" width=\"390\" height=\"28\" fill=\"#eee\"/>\
         <rect x=\"0\" y=\"26\" width=\"{w}\" height=\"28\" fill=\"{colour}\"/>\
         <text x=\"{vx}\" y=\"46\" font-size=\"15\" font-weight=\"bold\" fill=\"{vfill}\" text-anchor=\"{anchor}\">{share}%</text>\
         <line x1=\"{t}\" y1=\"20\" x2=\"{t}\" y2=\"60\" stroke=\"#111\" stroke-width=\"2\" stroke-dasharray=\"4 2\"/>\
         <text x=\"{t}\" y=\"76\" font-size=\"13\" text-anchor=\"middle\">{target}</text></svg>",
        label = esc(label),
        share = esc(share_text),
        target = esc(target_text),
        vx = if w > 90 { w - 6 } else { w + 6 },
        anchor = if w > 90 { "end" } else { "start" },
        vfill = if w > 90 { "#fff" } else { "#111" },
    )
}

/// How many agencies got each level or label: one column each.
pub fn distribution_svg(columns: &[(String, usize, String)], label: &str) -> String {
    let n = columns.len().max(1);
    let max = columns.iter().map(|c| c.1).max().unwrap_or(0).max(1);
    let pitch = 390 / n;
    let bar = (pitch * 2 / 3).max(8);
    let mut s = format!(
        "<svg class=\"distribution\" viewBox=\"0 0 400 230\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(label)
    );
    for (i, (name, count, count_text)) in columns.iter().enumerate() {
        let h = count * 160 / max;
        let x = 5 + i * pitch + (pitch - bar) / 2;
        let y = 190 - h;
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"{y}\" width=\"{bar}\" height=\"{h}\" fill=\"#2f6f9f\"/>\
             <text x=\"{cx}\" y=\"{ty}\" font-size=\"14\" text-anchor=\"middle\">{}</text>\
             <text x=\"{cx}\" y=\"212\" font-size=\"13\" text-anchor=\"middle\">{}</text>",
            esc(count_text),
            esc(name),
            cx = x + bar / 2,
            ty = y.saturating_sub(6).max(14),
        );
    }
    let _ = write!(
        s,
        "<line x1=\"0\" y1=\"190\" x2=\"400\" y2=\"190\" stroke=\"#333\"/></svg>"
    );
    s
}

/// A named series over rounds: per round, the value in hundredths and as printed.
pub type Series = (String, Vec<Option<(i64, String)>>);

/// Several series over rounds, side by side: one group of columns per round,
/// one column per series, each labelled with its value.
pub fn trend_svg(rounds: &[String], series: &[Series], label: &str) -> String {
    const COLOURS: [&str; 5] = ["#045a8d", "#2b8cbe", "#74a9cf", "#a6611a", "#7b3294"];
    let groups = rounds.len().max(1);
    let per = series.len().max(1);
    let pitch = 600 / groups;
    let bar = ((pitch - 16) / per).clamp(6, 48);
    let legend_y = 250;
    let height = legend_y + series.len() * 20 + 8;
    let mut s = format!(
        "<svg class=\"trend\" viewBox=\"0 0 620 {height}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(label)
    );
    for (g, round) in rounds.iter().enumerate() {
        let x0 = 10 + g * pitch + (pitch - bar * per) / 2;
        for (k, (_, values)) in series.iter().enumerate() {
            let Some(Some((hundredths, text))) = values.get(g) else {
                continue;
            };
            let h = (hundredths.clamp(&0, &10_000) * 180 / 10_000) as usize;
            let x = x0 + k * bar;
            let _ = write!(
                s,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"{c}\"/>\
                 <text x=\"{cx}\" y=\"{ty}\" font-size=\"11\" text-anchor=\"middle\">{t}</text>",
                y = 210 - h,
                w = bar - 2,
                c = COLOURS[k % COLOURS.len()],
                cx = x + bar / 2,
                ty = 204 - h,
                t = esc(text),
            );
        }
        let _ = write!(
            s,
            "<text x=\"{cx}\" y=\"230\" font-size=\"13\" text-anchor=\"middle\">{}</text>",
            esc(round),
            cx = 10 + g * pitch + pitch / 2
        );
    }
    let _ = write!(
        s,
        "<line x1=\"0\" y1=\"210\" x2=\"620\" y2=\"210\" stroke=\"#333\"/>"
    );
    for (k, (name, _)) in series.iter().enumerate() {
        let y = legend_y + k * 20;
        let _ = write!(
            s,
            "<rect x=\"4\" y=\"{y}\" width=\"14\" height=\"14\" fill=\"{}\"/><text x=\"24\" y=\"{ty}\" font-size=\"13\">{}</text>",
            COLOURS[k % COLOURS.len()],
            esc(name),
            ty = y + 12
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_has_77_tiles_at_distinct_places() {
        let mut places = std::collections::BTreeSet::new();
        let mut names = std::collections::BTreeSet::new();
        for (name, col, row) in PROVINCE_TILES {
            assert!(col < 11 && row < 18, "{name} off the grid");
            assert!(places.insert((col, row)), "{name} shares a tile");
            assert!(names.insert(name), "{name} twice");
        }
        assert_eq!(places.len(), 77);
        // The north at the top, the deep south at the bottom, Ubon in the east.
        let at = |n: &str| PROVINCE_TILES.iter().find(|t| t.0 == n).unwrap();
        assert_eq!(at("เชียงราย").2, 0);
        assert_eq!(at("นราธิวาส").2, 17);
        assert_eq!(at("อุบลราชธานี").1, 10);
    }

    #[test]
    fn every_province_name_fits_its_tile_whole() {
        for (name, _, _) in PROVINCE_TILES {
            let (first, second) = tile_name_lines(name);
            assert_eq!(
                format!("{first}{}", second.unwrap_or("")),
                name,
                "{name} is shown whole"
            );
            for line in [Some(first), second].into_iter().flatten() {
                assert!(
                    thai_width(line) <= TILE_NAME_WIDTH,
                    "{name}: the line '{line}' is {} letters wide",
                    thai_width(line)
                );
                // A line never starts with a mark that belongs to the letter before it.
                let lead = line.chars().next().unwrap() as u32;
                assert!(
                    !matches!(lead, 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E),
                    "{line}"
                );
            }
        }
        for (name, _) in TILE_NAME_BREAKS {
            assert!(
                PROVINCE_TILES.iter().any(|t| t.0 == name),
                "{name} is a province"
            );
        }
        assert_eq!(thai_width("ร้อยเอ็ด"), 6);
        assert_eq!(tile_name_lines("สมุทรปราการ"), ("สมุทร", Some("ปราการ")));
    }

    #[test]
    fn classes_step_by_a_fifth_of_the_target() {
        assert_eq!(share_class(0, 80), 0);
        assert_eq!(share_class(1_999, 80), 0);
        assert_eq!(share_class(2_000, 80), 1);
        assert_eq!(share_class(7_999, 80), 3);
        assert_eq!(share_class(8_000, 80), 4);
        assert_eq!(share_class(10_000, 80), 4);
    }

    #[test]
    fn the_map_greys_small_provinces_and_links_the_rest() {
        let figures = vec![
            ProvinceFigure {
                province: "ขอนแก่น".into(),
                agencies: 12,
                share_hundredths: 8_333,
                share_text: "83.33".into(),
                href: "/results/r?province=ขอนแก่น".into(),
            },
            ProvinceFigure {
                province: "ตราด".into(),
                agencies: 2,
                share_hundredths: 10_000,
                share_text: "100.00".into(),
                href: "/results/r?province=ตราด".into(),
            },
        ];
        let words = MapWords {
            title: "map",
            classes: ["a", "b", "c", "d", "e"].map(String::from),
            too_few: "few".into(),
            none: "none".into(),
        };
        let svg = province_map_svg(&figures, 80, &words);
        assert_eq!(
            svg.matches("<rect x=").count(),
            77 + 7,
            "77 tiles and 7 legend keys"
        );
        assert!(svg.contains("83.33%") && svg.contains(CLASS_FILL[4]));
        assert!(!svg.contains("100.00%"), "too few agencies: no share shown");
        assert!(svg.contains("href=\"/results/r?province=ขอนแก่น\""));
        // Names whole: one line or two, never cut.
        assert!(svg.contains(">ร้อยเอ็ด</text>"));
        assert!(svg.contains(">ฉะเชิง<tspan") && svg.contains(">เทรา</tspan>"));
    }
}
