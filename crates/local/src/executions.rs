//! Executions and their history in SQLite: what `media-hub executions` and the console read.

use pipeline::{ExecutionSummary, StoreError};
use rusqlite::{params, OptionalExtension, Row};
use serde_json::Value;

use crate::db::{db, SqliteStore};

/// The row of an execution, as stored.
fn summary(r: &Row<'_>) -> rusqlite::Result<ExecutionSummary> {
    let parse = |s: Option<String>| s.and_then(|t| serde_json::from_str::<Value>(&t).ok());
    Ok(ExecutionSummary {
        name: r.get(0)?,
        execution_arn: r.get(1)?,
        status: r.get(2)?,
        input: parse(r.get(3)?),
        output: parse(r.get(4)?),
        error: r.get(5)?,
        cause: r.get(6)?,
        start_date: r.get(7)?,
        stop_date: r.get(8)?,
    })
}

const COLUMNS: &str = "name, arn, status, input, output, error, cause, start_date, stop_date";

impl SqliteStore {
    /// Record a new (or restarted) execution as RUNNING, dropping any earlier history of that name.
    pub fn begin_execution(
        &self,
        name: &str,
        arn: &str,
        input: &Value,
        start_date: &str,
    ) -> Result<(), StoreError> {
        self.with_sync(|c| {
            let tx = c.transaction().map_err(db)?;
            tx.execute("DELETE FROM history WHERE execution = ?1", [name]).map_err(db)?;
            tx.execute(
                "INSERT INTO executions (name, arn, status, input, start_date) VALUES (?1, ?2, 'RUNNING', ?3, ?4)
                 ON CONFLICT(name) DO UPDATE SET arn = ?2, status = 'RUNNING', input = ?3, output = NULL,
                   error = NULL, cause = NULL, start_date = ?4, stop_date = NULL",
                params![name, arn, input.to_string(), start_date],
            )
            .map_err(db)?;
            tx.commit().map_err(db)
        })
    }

    pub fn finish_execution(
        &self,
        name: &str,
        status: &str,
        output: Option<&Value>,
        error: Option<&str>,
        cause: Option<&str>,
        stop_date: &str,
    ) -> Result<(), StoreError> {
        self.with_sync(|c| {
            c.execute(
                "UPDATE executions SET status = ?2, output = ?3, error = ?4, cause = ?5, stop_date = ?6 WHERE name = ?1",
                params![name, status, output.map(|o| o.to_string()), error, cause, stop_date],
            )
            .map_err(db)
            .map(|_| ())
        })
    }

    pub fn append_history(
        &self,
        execution: &str,
        event: &states::HistoryEvent,
    ) -> Result<(), StoreError> {
        self.with_sync(|c| {
            c.execute(
                "INSERT OR REPLACE INTO history (execution, id, previous_event_id, timestamp, type, details)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    execution,
                    event.id as i64,
                    event.previous_event_id as i64,
                    event.timestamp,
                    event.event_type,
                    event.details.to_string()
                ],
            )
            .map_err(db)
            .map(|_| ())
        })
    }

    pub fn execution_sync(&self, name: &str) -> Result<Option<ExecutionSummary>, StoreError> {
        self.with_sync(|c| {
            c.query_row(
                &format!("SELECT {COLUMNS} FROM executions WHERE name = ?1 OR arn = ?1"),
                [name],
                summary,
            )
            .optional()
            .map_err(db)
        })
    }

    pub async fn list_executions(
        &self,
        status: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ExecutionSummary>, StoreError> {
        let status = status.map(|s| s.to_ascii_uppercase());
        let limit = if limit == 0 { 100 } else { limit } as i64;
        self.with(move |c| {
            let mut stmt = c
                .prepare(&format!(
                    "SELECT {COLUMNS} FROM executions WHERE (?1 IS NULL OR status = ?1) ORDER BY start_date DESC LIMIT ?2"
                ))
                .map_err(db)?;
            let rows = stmt
                .query_map(params![status, limit], summary)
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            Ok(rows)
        })
        .await
    }

    pub async fn describe_execution(
        &self,
        name: &str,
    ) -> Result<Option<ExecutionSummary>, StoreError> {
        let name = name.to_owned();
        self.with(move |c| {
            c.query_row(
                &format!("SELECT {COLUMNS} FROM executions WHERE name = ?1 OR arn = ?1"),
                [name],
                summary,
            )
            .optional()
            .map_err(db)
        })
        .await
    }

    pub async fn execution_history(&self, name: &str) -> Result<Vec<Value>, StoreError> {
        let name = name.to_owned();
        self.with(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT h.id, h.previous_event_id, h.timestamp, h.type, h.details FROM history h
                     JOIN executions e ON e.name = h.execution
                     WHERE e.name = ?1 OR e.arn = ?1 ORDER BY h.id",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map([name], |r| {
                    let details: String = r.get(4)?;
                    Ok(serde_json::json!({
                        "id": r.get::<_, i64>(0)?,
                        "previousEventId": r.get::<_, i64>(1)?,
                        "timestamp": r.get::<_, String>(2)?,
                        "type": r.get::<_, String>(3)?,
                        "details": serde_json::from_str::<Value>(&details).unwrap_or(Value::Null),
                    }))
                })
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            Ok(rows)
        })
        .await
    }

    /// Executions left RUNNING by a process that stopped (none of them is live after a start).
    pub async fn running_execution_names(&self) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let mut stmt = c
                .prepare("SELECT name FROM executions WHERE status = 'RUNNING'")
                .map_err(db)?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            Ok(rows)
        })
        .await
    }
}
