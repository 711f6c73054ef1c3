//! The SQLite file under the data dir (WAL): the `reels` table, executions and their
//! history. One connection behind a mutex; every call runs on the blocking pool.

use std::path::Path;
use std::sync::{Arc, Mutex};

use pipeline::StoreError;
use rusqlite::Connection;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS reels (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reels_by_created ON reels (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS reels_by_status ON reels (status, created_at DESC);
CREATE TABLE IF NOT EXISTS executions (
    name TEXT PRIMARY KEY,
    arn TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    start_date TEXT NOT NULL,
    stop_date TEXT,
    redrive_count INTEGER NOT NULL DEFAULT 0,
    redrive_date TEXT
);
CREATE INDEX IF NOT EXISTS executions_by_start ON executions (start_date DESC);
CREATE TABLE IF NOT EXISTS history (
    execution TEXT NOT NULL,
    id INTEGER NOT NULL,
    previous_event_id INTEGER NOT NULL,
    timestamp TEXT NOT NULL,
    type TEXT NOT NULL,
    details TEXT NOT NULL,
    PRIMARY KEY (execution, id)
);
";

/// The SQLite file: reels, executions, history.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        }
        let conn = Connection::open(path).map_err(db)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        migrate(&conn)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Run `f` with the connection on the blocking pool.
    pub(crate) async fn with<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("database task: {e}")))?
    }

    /// The same, from synchronous code (history sink).
    pub(crate) fn with_sync<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

/// Columns added since the first schema, added to databases made before them.
fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info('executions')")
        .map_err(db)?;
    let columns = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    for (column, ddl) in [
        (
            "redrive_count",
            "ALTER TABLE executions ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0",
        ),
        (
            "redrive_date",
            "ALTER TABLE executions ADD COLUMN redrive_date TEXT",
        ),
    ] {
        if !columns.iter().any(|c| c == column) {
            conn.execute_batch(ddl).map_err(db)?;
        }
    }
    Ok(())
}

pub(crate) fn db(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        other => StoreError::Unavailable(format!("database: {other}")),
    }
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
