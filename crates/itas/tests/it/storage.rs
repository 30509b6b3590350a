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
