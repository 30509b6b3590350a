//! Agencies: the registered public bodies, in a tree.

use crate::audit::json;
use crate::{Db, Result, audit, conflict, new_id, now_ms, read, write};
use itas_core::directory::AgencyKind;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Agency {
    pub id: String,
    pub code: String,
    pub name_th: String,
    pub name_en: String,
    pub kind: String,
    pub province: String,
    pub parent_id: Option<String>,
    pub website: String,
    pub created_at: i64,
}

impl Agency {
    pub fn kind(&self) -> Option<AgencyKind> {
        self.kind.parse().ok()
    }
}

/// A new agency, with its parent named by code (as in an import file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewAgency {
    pub code: String,
    pub name_th: String,
    pub name_en: String,
    pub kind: String,
    pub province: String,
    pub parent_code: Option<String>,
    pub website: String,
}

/// Longest agency name: the longest real Thai agency names are about 150 characters.
pub const MAX_NAME_CHARS: usize = 300;

/// An agency website must be an http(s) address of a site (or empty): it is
/// shown as a link, so `javascript:` and the like never get in.
fn website_problem(w: &str) -> Option<String> {
    if w.is_empty() {
        return None;
    }
    let rest = w
        .strip_prefix("https://")
        .or_else(|| w.strip_prefix("http://"));
    let host = rest
        .and_then(|r| r.split(['/', '?', '#']).next())
        .unwrap_or("");
    let ok = w.len() <= 500
        && !w.contains(char::is_whitespace)
        && host.contains('.')
        && !host.starts_with('.');
    (!ok).then(|| {
        format!(
            "เว็บไซต์ '{}' ต้องเป็นที่อยู่ที่ขึ้นต้นด้วย https:// หรือ http:// ตามด้วยชื่อเว็บไซต์ ไม่เกิน ๕๐๐ ตัวอักษร (website must be an http(s) address of a site, at most 500 characters)",
            w.chars().take(80).collect::<String>()
        )
    })
}

fn validate(a: &NewAgency) -> std::result::Result<(), String> {
    let code = a.code.trim();
    if code.is_empty() {
        return Err("รหัสหน่วยงานว่าง (code is empty)".into());
    }
    if code.len() > 64
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(format!(
            "รหัสหน่วยงาน '{code}' ใช้ได้เฉพาะตัวอักษรอังกฤษ ตัวเลข และ - _ . (code: letters, digits, - _ . only)"
        ));
    }
    if a.name_th.trim().is_empty() {
        return Err("ชื่อหน่วยงานภาษาไทยว่าง (Thai name is empty)".into());
    }
    for (value, max, th, en) in [
        (&a.name_th, MAX_NAME_CHARS, "ชื่อหน่วยงานภาษาไทย", "Thai name"),
        (
            &a.name_en,
            MAX_NAME_CHARS,
            "ชื่อหน่วยงานภาษาอังกฤษ",
            "English name",
        ),
        (&a.province, 100, "จังหวัด", "province"),
    ] {
        let n = value.trim().chars().count();
        if n > max {
            return Err(format!(
                "{th}ยาว {n} ตัวอักษร เกิน {max} ตัวอักษร ({en} has {n} characters, at most {max})"
            ));
        }
    }
    if let Some(why) = website_problem(a.website.trim()) {
        return Err(why);
    }
    if a.kind.parse::<AgencyKind>().is_err() {
        return Err(format!(
            "ไม่รู้จักประเภทหน่วยงาน '{}' (unknown agency kind)",
            a.kind
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agency(name_th: &str, website: &str) -> NewAgency {
        NewAgency {
            code: "X1".into(),
            name_th: name_th.into(),
            kind: "sao".into(),
            website: website.into(),
            ..Default::default()
        }
    }

    #[test]
    fn names_have_a_length_and_websites_are_http_addresses() {
        assert!(validate(&agency("อบต.ทดสอบ", "https://www.test.go.th")).is_ok());
        assert!(validate(&agency("อบต.ทดสอบ", "")).is_ok());
        let long = "ก".repeat(MAX_NAME_CHARS + 1);
        assert!(
            validate(&agency(&long, ""))
                .unwrap_err()
                .contains("เกิน 300")
        );
        for bad in [
            "javascript:alert(1)",
            "www.test.go.th",
            "https://intranet",
            "https://a b.go.th",
        ] {
            assert!(
                validate(&agency("อบต.ทดสอบ", bad))
                    .unwrap_err()
                    .contains("https://"),
                "{bad}"
            );
        }
    }
}

/// What an import did: rows inserted, and each refused row with its line and reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub inserted: usize,
    pub errors: Vec<(usize, String)>,
}

/// Inserts every valid row, a slice per transaction; each invalid row is reported
/// with its line. A parent may be an existing agency or an earlier good row.
/// A database failure before the first slice lands stores nothing; one later
/// stops the import, and the rows not stored are listed with the reason.
pub async fn import(
    db: &Db,
    actor: Option<&str>,
    rows: Vec<(usize, NewAgency)>,
) -> Result<ImportReport> {
    let codes: Vec<String> = rows
        .iter()
        .map(|(_, a)| a.code.trim().to_string())
        .collect();
    let existing = existing_codes(db, &codes, &rows).await?;
    let mut report = ImportReport::default();
    let mut accepted: Vec<(usize, String, NewAgency, Option<String>)> = Vec::new();
    let mut new_ids: BTreeMap<String, String> = BTreeMap::new();
    for (line, a) in rows {
        let mut a = a;
        a.code = a.code.trim().to_string();
        if let Err(reason) = validate(&a) {
            report.errors.push((line, reason));
            continue;
        }
        if existing.contains_key(&a.code) || new_ids.contains_key(&a.code) {
            report.errors.push((
                line,
                format!("รหัสหน่วยงาน '{}' ซ้ำกับที่มีอยู่แล้ว (duplicate code)", a.code),
            ));
            continue;
        }
        let parent_id = match a
            .parent_code
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            None => None,
            Some(p) => match existing.get(p).or_else(|| new_ids.get(p)) {
                Some(id) => Some(id.clone()),
                None => {
                    report.errors.push((
                        line,
                        format!("ไม่พบหน่วยงานต้นสังกัดรหัส '{p}' (unknown parent code)"),
                    ));
                    continue;
                }
            },
        };
        let id = new_id();
        new_ids.insert(a.code.clone(), id.clone());
        accepted.push((line, id, a, parent_id));
    }
    let now = now_ms();
    // A transaction per slice, not one for the file: on SQLite a transaction
    // holds the single writer, and survey answers must not wait behind a
    // national list (60,000 rows held them up to 2.5 s). Parents come before
    // their children in the file (a later parent is refused above), so each
    // slice finds its parents stored. A slice that fails stops the import:
    // the rows before it are stored and counted, the rest are listed as not
    // stored, and importing the same file again adds just those.
    for (i, slice) in accepted.chunks(IMPORT_ROWS_PER_TRANSACTION).enumerate() {
        if i > 0 {
            tokio::task::yield_now().await;
        }
        match insert_slice(db, actor, slice, now).await {
            Ok(()) => report.inserted += slice.len(),
            Err(e) if report.inserted == 0 => return Err(e),
            Err(e) => {
                tracing::error!(error = %e, stored = report.inserted, "agency import stopped midway");
                let stored = i * IMPORT_ROWS_PER_TRANSACTION;
                for (line, ..) in &accepted[stored..] {
                    report.errors.push((
                        *line,
                        format!("ไม่ได้บันทึก: การนำเข้าหยุดกลางคัน นำเข้าไฟล์เดิมอีกครั้งเพื่อเพิ่มแถวที่เหลือ (not stored: the import stopped midway; import the same file again to add the rest): {e}"),
                    ));
                }
                break;
            }
        }
    }
    report.errors.sort_by_key(|(line, _)| *line);
    Ok(report)
}

/// Rows of an agency import written in one transaction.
pub const IMPORT_ROWS_PER_TRANSACTION: usize = 250;

async fn insert_slice(
    db: &Db,
    actor: Option<&str>,
    slice: &[(usize, String, NewAgency, Option<String>)],
    now: i64,
) -> Result<()> {
    write!(db, |p| {
        let mut tx = p.begin().await?;
        for (_, id, a, parent_id) in slice {
            sqlx::query(
                "INSERT INTO agencies (id, code, name_th, name_en, kind, province, parent_id, website, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id)
            .bind(&a.code)
            .bind(a.name_th.trim())
            .bind(a.name_en.trim())
            .bind(a.kind.parse::<AgencyKind>().map(|k| k.code()).unwrap_or("other"))
            .bind(a.province.trim())
            .bind(parent_id)
            .bind(a.website.trim())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(conflict("agency code"))?;
            audit!(
                &mut *tx,
                actor,
                "create",
                "agency",
                id,
                None::<String>,
                json(a)
            )?;
        }
        tx.commit().await?;
    });
    Ok(())
}

/// Ids of the codes (and parent codes) of `rows` that already exist.
async fn existing_codes(
    db: &Db,
    codes: &[String],
    rows: &[(usize, NewAgency)],
) -> Result<BTreeMap<String, String>> {
    let wanted: BTreeSet<String> = codes
        .iter()
        .cloned()
        .chain(rows.iter().filter_map(|(_, a)| a.parent_code.clone()))
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    let mut out = BTreeMap::new();
    // One lookup per code keeps the SQL static; imports are thousands of rows, not millions.
    for code in wanted {
        if let Some(a) = by_code(db, &code).await? {
            out.insert(code, a.id);
        }
    }
    Ok(out)
}

pub async fn get(db: &Db, id: &str) -> Result<Option<Agency>> {
    const Q: &str = "SELECT id, code, name_th, name_en, kind, province, parent_id, website, created_at FROM agencies WHERE id = $1";
    Ok(read!(db, |p| sqlx::query_as(Q)
        .bind(id)
        .fetch_optional(p)
        .await?))
}

pub async fn by_code(db: &Db, code: &str) -> Result<Option<Agency>> {
    const Q: &str = "SELECT id, code, name_th, name_en, kind, province, parent_id, website, created_at FROM agencies WHERE code = $1";
    Ok(read!(db, |p| sqlx::query_as(Q)
        .bind(code)
        .fetch_optional(p)
        .await?))
}

/// Agencies whose code, Thai or English name or province contains `search`,
/// ordered by code, one page at a time.
pub async fn search(db: &Db, search: &str, limit: i64, offset: i64) -> Result<(Vec<Agency>, i64)> {
    const Q: &str = "SELECT id, code, name_th, name_en, kind, province, parent_id, website, created_at FROM agencies \
        WHERE ($1 = '' OR code LIKE $2 OR name_th LIKE $2 OR name_en LIKE $2 OR province LIKE $2) \
        ORDER BY code LIMIT $3 OFFSET $4";
    const C: &str = "SELECT COUNT(*) FROM agencies WHERE ($1 = '' OR code LIKE $2 OR name_th LIKE $2 OR name_en LIKE $2 OR province LIKE $2)";
    let s = search.trim();
    let pattern = format!("%{}%", s.replace(['%', '_'], ""));
    Ok(read!(db, |p| {
        let rows: Vec<Agency> = sqlx::query_as(Q)
            .bind(s)
            .bind(&pattern)
            .bind(limit)
            .bind(offset)
            .fetch_all(p)
            .await?;
        let (n,): (i64,) = sqlx::query_as(C)
            .bind(s)
            .bind(&pattern)
            .fetch_one(p)
            .await?;
        (rows, n)
    }))
}
