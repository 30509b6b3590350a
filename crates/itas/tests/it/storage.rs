//! Storage across backends: identical schemas, consistent backups.

use crate::app::{Backend, fresh_db};

#[tokio::test]
async fn sqlite_and_postgres_schemas_match() {
    let sqlite = fresh_db(Backend::Sqlite)
        .await
        .schema_outline()
        .await
        .unwrap();
    let pg = fresh_db(Backend::Postgres)
        .await
        .schema_outline()
        .await
        .unwrap();
    assert!(!sqlite.0.is_empty());
    let only_sqlite: Vec<_> = sqlite.0.iter().filter(|c| !pg.0.contains(c)).collect();
    let only_pg: Vec<_> = pg.0.iter().filter(|c| !sqlite.0.contains(c)).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "columns differ:\nSQLite only {only_sqlite:#?}\nPostgreSQL only {only_pg:#?}"
    );
    assert_eq!(sqlite.1, pg.1, "indexes differ");
}

#[tokio::test]
async fn backup_of_a_live_sqlite_database_is_complete() {
    let app = crate::app::spawn_app(Backend::Sqlite).await;
    let target = std::env::temp_dir().join(format!("itas-backup-{}.sqlite3", std::process::id()));
    let _ = std::fs::remove_file(&target);
    app.db
        .backup_sqlite(target.to_str().unwrap())
        .await
        .unwrap();
    let copy = itas_store::Db::connect(&format!("sqlite://{}", target.display()))
        .await
        .unwrap();
    let (live, n) = itas_store::agencies::search(&app.db, "", 100, 0)
        .await
        .unwrap();
    let (copied, m) = itas_store::agencies::search(&copy, "", 100, 0)
        .await
        .unwrap();
    assert_eq!((n, live), (m, copied));
    assert!(
        app.db
            .backup_sqlite(target.to_str().unwrap())
            .await
            .is_err(),
        "never overwrites"
    );
    copy.close().await;
    std::fs::remove_file(&target).ok();
}

/// The `k`-th EIT questionnaire of a test: its answers vary with `k`; its id
/// is `series` (4 hex digits) and `k`.
fn eit_submission(
    fw: &itas_core::Framework,
    agency: &str,
    round: &str,
    series: &str,
    k: u64,
) -> itas_store::ingest::Submission {
    let mut answers = std::collections::BTreeMap::new();
    for (it, scale, cells) in itas_core::survey::items(fw, "EIT") {
        answers.insert(
            it.code.clone(),
            (0..cells)
                .map(|c| ((k as usize) + c) % scale.options.len())
                .collect::<Vec<_>>(),
        );
    }
    itas_store::ingest::Submission {
        agency_id: agency.to_string(),
        round_id: round.to_string(),
        tool: "EIT".into(),
        id: format!("00000000-0000-4000-{series}-{k:012}"),
        day: "2026-11-24".into(),
        hour: "2026-11-24T10".into(),
        speed: itas_core::quality::SpeedBucket::Under10Min,
        answers,
        code_hash: None,
    }
}

crate::both_backends!(every_batch_merges_into_one_tally_row, |app| {
    let round = app.current_round().await;
    let agency = app.agency_id("KK-HUANONG").await;
    let ingest = itas_store::ingest::Ingestor::spawn(app.db.clone(), Default::default());
    let fw = itas_core::framework::ita_2564();
    let mut expected = itas_store::ingest::Counts::new();
    // One submission per batch: each merges into the agency's one total row.
    for k in 0..40u64 {
        let s = eit_submission(&fw, &agency, &round, "8000", k);
        itas_store::ingest::add_answers(&mut expected, &s.answers);
        assert_eq!(
            ingest.submit(s).await.unwrap(),
            itas_store::ingest::Outcome::Stored
        );
    }
    // No row holds one batch: one total row for the tool, counting all 40.
    let rows: Vec<(i64, String)> = itas_store::read!(&app.db, |p| sqlx::query_as(
        "SELECT n, id FROM tally_deltas WHERE agency_id = $1 AND round_id = $2 AND tool = $3"
    )
    .bind(&agency)
    .bind(&round)
    .bind("EIT")
    .fetch_all(p)
    .await
    .unwrap());
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, 40);
    assert_eq!(
        uuid::Uuid::parse_str(&rows[0].1).unwrap().get_version_num(),
        4,
        "a random id, no time"
    );
    assert_eq!(
        itas_store::surveys::tallies(&app.db, &round, &agency)
            .await
            .unwrap(),
        expected
    );
    assert_eq!(
        itas_store::surveys::tallies(&app.db, &round, &agency)
            .await
            .unwrap(),
        expected
    );
    assert_eq!(
        itas_store::surveys::count(&app.db, &round, &agency, "EIT")
            .await
            .unwrap(),
        40
    );
});

crate::both_backends!(
    an_answer_is_acknowledged_only_once_its_batch_is_durable,
    |app| {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicU64, Ordering};
        let round = app.current_round().await;
        let agency = app.agency_id("KK-HUANONG").await;
        let ingest = itas_store::ingest::Ingestor::spawn(app.db.clone(), Default::default());
        let fw = itas_core::framework::ita_2564();
        let acked = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        // 64 respondents at a time, so batches commit while earlier ones sync.
        for k in 0..256u64 {
            let s = eit_submission(&fw, &agency, &round, "9000", k);
            let (ingest, acked) = (ingest.clone(), acked.clone());
            let sqlite = app.db.backend() == itas_store::Backend::Sqlite;
            tasks.push(tokio::spawn(async move {
                assert_eq!(
                    ingest.submit(s).await.unwrap(),
                    itas_store::ingest::Outcome::Stored
                );
                let now = acked.fetch_add(1, Ordering::SeqCst) + 1;
                if sqlite {
                    // Every acknowledgement so far came after the sync that covered it.
                    let synced = ingest.stats().synced_items.load(Ordering::SeqCst);
                    assert!(synced >= now, "{now} acknowledged, only {synced} synced");
                }
            }));
            if k % 64 == 63 {
                for t in tasks.drain(..) {
                    t.await.unwrap();
                }
            }
        }
        let (batches, items, _, _) = ingest.stats().snapshot();
        let (syncs, _) = ingest.stats().syncs();
        assert_eq!(items, 256);
        match app.db.backend() {
            itas_store::Backend::Sqlite => {
                assert!(
                    syncs >= 1 && syncs <= batches,
                    "{syncs} syncs, {batches} batches"
                );
                assert_eq!(ingest.stats().synced_items.load(Ordering::SeqCst), 256);
                // The writer's connection is given back in FULL for every other write.
                let itas_store::Db::Sqlite { writer, .. } = &app.db else {
                    unreachable!()
                };
                let (mode,): (i64,) = sqlx::query_as("PRAGMA synchronous")
                    .fetch_one(writer)
                    .await
                    .unwrap();
                assert_eq!(mode, 2, "synchronous = FULL");
            }
            itas_store::Backend::Postgres => assert_eq!(syncs, 0, "durable at COMMIT"),
        }
        assert_eq!(
            itas_store::surveys::count(&app.db, &round, &agency, "EIT")
                .await
                .unwrap(),
            256
        );
    }
);
