//! Executions and their history in SQLite: what `media-hub executions`, the console and the
//! local Step Functions API read; a redrive keeps the history and counts on from it.

use pipeline::{ExecutionPage, ExecutionQuery, ExecutionSummary, StoreError};
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
        redrive_count: r.get::<_, i64>(9).map(|n| u32::try_from(n).unwrap_or(0))?,
        redrive_date: r.get(10)?,
    })
}

const COLUMNS: &str = "name, arn, status, input, output, error, cause, start_date, stop_date, redrive_count, redrive_date";

/// A page cursor: the start date and name of the last execution of the page before.
fn cursor(e: &ExecutionSummary) -> String {
    format!("{}|{}", e.start_date, e.name)
}

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
                   error = NULL, cause = NULL, start_date = ?4, stop_date = NULL, redrive_count = 0,
                   redrive_date = NULL",
                params![name, arn, input.to_string(), start_date],
            )
            .map_err(db)?;
            tx.commit().map_err(db)
        })
    }

    /// A redrive: the execution is RUNNING again, its history kept, `redrive_count` + 1.
    pub fn redrive_begin(&self, name: &str, redrive_date: &str) -> Result<(), StoreError> {
        self.with_sync(|c| {
            c.execute(
                "UPDATE executions SET status = 'RUNNING', output = NULL, error = NULL, cause = NULL,
                   stop_date = NULL, redrive_count = redrive_count + 1, redrive_date = ?2 WHERE name = ?1",
                params![name, redrive_date],
            )
            .map_err(db)
            .map(|_| ())
        })
    }

    /// Every history event of an execution, in order (for a redrive to continue from).
    pub fn history_events(&self, name: &str) -> Result<Vec<states::HistoryEvent>, StoreError> {
        self.with_sync(|c| {
            let mut stmt = c
                .prepare(
                    "SELECT id, previous_event_id, timestamp, type, details FROM history
                     WHERE execution = ?1 ORDER BY id",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map([name], |r| {
                    let details: String = r.get(4)?;
                    Ok(states::HistoryEvent {
                        id: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                        previous_event_id: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                        timestamp: r.get(2)?,
                        event_type: r.get(3)?,
                        details: serde_json::from_str(&details).unwrap_or(Value::Null),
                    })
                })
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            Ok(rows)
        })
    }

    /// One page, newest first: a status, a name (or ARN) prefix, a cursor.
    pub async fn list_page(&self, query: &ExecutionQuery) -> Result<ExecutionPage, StoreError> {
        let status = query.status.as_ref().map(|s| s.to_ascii_uppercase());
        let prefix = query
            .name_prefix
            .clone()
            .filter(|p| !p.is_empty())
            .map(|p| {
                // a LIKE pattern that means the prefix literally
                let escaped = p
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                format!("{escaped}%")
            });
        let (after_date, after_name) = match query.cursor.as_deref().and_then(|c| c.split_once('|'))
        {
            Some((d, n)) => (Some(d.to_owned()), Some(n.to_owned())),
            None => (None, None),
        };
        let limit = if query.limit == 0 {
            100
        } else {
            query.limit.min(1000)
        };
        let fetch = i64::try_from(limit).unwrap_or(1000) + 1;
        let mut rows = self
            .with(move |c| {
                let mut stmt = c
                    .prepare(&format!(
                        "SELECT {COLUMNS} FROM executions
                         WHERE (?1 IS NULL OR status = ?1)
                           AND (?2 IS NULL OR name LIKE ?2 ESCAPE '\\' OR arn LIKE ?2 ESCAPE '\\')
                           AND (?3 IS NULL OR start_date < ?3 OR (start_date = ?3 AND name < ?4))
                         ORDER BY start_date DESC, name DESC LIMIT ?5"
                    ))
                    .map_err(db)?;
                let rows = stmt
                    .query_map(
                        params![status, prefix, after_date, after_name, fetch],
                        summary,
                    )
                    .map_err(db)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(db)?;
                Ok(rows)
            })
            .await?;
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(cursor)
        } else {
            None
        };
        Ok(ExecutionPage {
            executions: rows,
            next,
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
                    "SELECT {COLUMNS} FROM executions WHERE (?1 IS NULL OR status = ?1) ORDER BY start_date DESC, name DESC LIMIT ?2"
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
