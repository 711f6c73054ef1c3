//! The distributed Map: a Map Run of child executions. Items come from the input or from
//! `ItemReader` (an object listing, or a JSON / JSONL / CSV object), go through
//! `ItemSelector` and `ItemBatcher`, run as child executions (`MaxConcurrency` at a time,
//! each with its own context and no history in the parent), and tolerated failures are
//! counted per item. The parent's history gets AWS's `MapRunStarted` / `MapRunSucceeded` /
//! `MapRunFailed`; `ResultWriter` writes `manifest.json` and `SUCCEEDED_0.json` /
//! `FAILED_0.json` / `PENDING_0.json` under `Prefix/{map run id}/`.

use crate::definition::distributed::{DistSpec, InputType, ReaderSpec};
use crate::definition::{MapSpec, State};
use crate::error::Failure;
use crate::executor::{Exec, ExecInfo, Scope, Vars};
use crate::history::Recorder;
use crate::storage::ObjectStore;
use futures::StreamExt;
use serde_json::{json, Map, Value};

/// One child execution's record, as the result files list it.
struct ChildRecord {
    name: String,
    input: Value,
    start: String,
    stop: String,
    result: Result<Value, Failure>,
    /// how many items the child carried (its batch size)
    items: usize,
}

fn reader_failed(msg: impl Into<String>) -> Failure {
    Failure::new("States.ItemReaderFailed", msg)
}

fn writer_failed(msg: impl Into<String>) -> Failure {
    Failure::new("States.ResultWriterFailed", msg)
}

fn store<'a>(ex: &'a Exec<'_>) -> Option<&'a dyn ObjectStore> {
    ex.services.objects.as_deref()
}

fn str_param<'v>(params: &'v Value, key: &str) -> Option<&'v str> {
    params.get(key).and_then(Value::as_str)
}

/// The items an `ItemReader` reads.
async fn read_items(ex: &Exec<'_>, sc: &Scope<'_>, r: &ReaderSpec) -> Result<Vec<Value>, Failure> {
    let params = match &r.params {
        Some(t) => t.eval(sc)?,
        None => Value::Object(Map::new()),
    };
    let bucket = str_param(&params, "Bucket")
        .ok_or_else(|| reader_failed("The ItemReader's parameters name no Bucket."))?;
    let objects = store(ex).ok_or_else(|| {
        reader_failed(format!(
            "No object store is reachable from this engine to read bucket '{bucket}'."
        ))
    })?;
    if r.input_type == InputType::Listing {
        let prefix = str_param(&params, "Prefix").unwrap_or_default();
        let list = objects.list_objects(bucket, prefix).await.map_err(|e| {
            reader_failed(format!(
                "S3 listObjectsV2 of s3://{bucket}/{prefix} failed: {e}"
            ))
        })?;
        return Ok(list
            .into_iter()
            .map(|o| {
                json!({"Etag": o.etag, "Key": o.key, "LastModified": o.last_modified,
                       "Size": o.size, "StorageClass": "STANDARD"})
            })
            .collect());
    }
    let key = str_param(&params, "Key")
        .ok_or_else(|| reader_failed("The ItemReader's parameters name no Key."))?;
    let body = objects
        .get_object(bucket, key)
        .await
        .map_err(|e| reader_failed(format!("S3 getObject of s3://{bucket}/{key} failed: {e}")))?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| reader_failed(format!("s3://{bucket}/{key} is not UTF-8 text.")))?;
    match r.input_type {
        InputType::Json => match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(a)) => Ok(a),
            Ok(_) => Err(reader_failed("Attempting to map over non-iterable node.")),
            Err(e) => Err(reader_failed(format!(
                "s3://{bucket}/{key} is not valid JSON: {e}"
            ))),
        },
        InputType::Jsonl => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|e| {
                    reader_failed(format!(
                        "line {} of s3://{bucket}/{key} is not valid JSON: {e}",
                        i + 1
                    ))
                })
            })
            .collect(),
        InputType::Csv => csv_items(text, r.csv_delimiter, r.csv_headers.as_deref())
            .map_err(|e| reader_failed(format!("s3://{bucket}/{key}: {e}"))),
        InputType::Listing => Ok(Vec::new()),
    }
}

/// RFC 4180 rows: quoted fields, doubled quotes, CRLF or LF line ends.
fn csv_rows(text: &str, delim: u8) -> Result<Vec<Vec<String>>, String> {
    let delim = delim as char;
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            c if c == delim => row.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                any = false;
            }
            c => field.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    if any {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

/// CSV rows as objects keyed by the headers (given, or the first row); values are strings.
fn csv_items(text: &str, delim: u8, given: Option<&[String]>) -> Result<Vec<Value>, String> {
    let mut rows = csv_rows(text, delim)?.into_iter();
    let headers: Vec<String> = match given {
        Some(h) => h.to_vec(),
        None => rows.next().ok_or("the CSV file has no header row")?,
    };
    rows.enumerate()
        .filter(|(_, r)| !(r.len() == 1 && r[0].is_empty()))
        .map(|(i, r)| {
            if r.len() > headers.len() {
                return Err(format!(
                    "row {} has {} fields but there are {} headers",
                    i + 1,
                    r.len(),
                    headers.len()
                ));
            }
            let mut m = Map::new();
            for (h, v) in headers
                .iter()
                .zip(r.into_iter().chain(std::iter::repeat(String::new())))
            {
                m.insert(h.clone(), Value::String(v));
            }
            Ok(Value::Object(m))
        })
        .collect()
}

/// Split items into batches by count and serialized size; each batch is
/// `{"Items": [...], "BatchInput": ...}`.
fn batches(
    items: Vec<Value>,
    max_items: Option<usize>,
    max_bytes: Option<usize>,
    batch_input: Option<&Value>,
) -> Vec<(Value, usize)> {
    let mut out = Vec::new();
    let mut cur: Vec<Value> = Vec::new();
    let mut bytes = 0usize;
    let flush = |cur: &mut Vec<Value>, out: &mut Vec<(Value, usize)>| {
        if cur.is_empty() {
            return;
        }
        let n = cur.len();
        let mut m = Map::new();
        if let Some(bi) = batch_input {
            m.insert("BatchInput".into(), bi.clone());
        }
        m.insert("Items".into(), Value::Array(std::mem::take(cur)));
        out.push((Value::Object(m), n));
    };
    for item in items {
        let size = if max_bytes.is_some() {
            item.to_string().len() + 1
        } else {
            0
        };
        let full_count = max_items.is_some_and(|n| cur.len() >= n);
        let full_bytes = max_bytes.is_some_and(|b| !cur.is_empty() && bytes + size > b);
        if full_count || full_bytes {
            flush(&mut cur, &mut out);
            bytes = 0;
        }
        bytes += size;
        cur.push(item);
    }
    flush(&mut cur, &mut out);
    out
}

/// `arn:aws:states:REGION:ACCOUNT:...` → (region, account) of the execution.
fn region_account(execution_arn: &str) -> (String, String) {
    let p: Vec<&str> = execution_arn.split(':').collect();
    match (p.get(3), p.get(4)) {
        (Some(r), Some(a)) if !r.is_empty() => (r.to_string(), a.to_string()),
        _ => ("us-east-1".into(), "123456789012".into()),
    }
}

/// Run a distributed Map state: the result is the array of child outputs, or with a
/// `ResultWriter` the `{MapRunArn, ResultWriterDetails}` object.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    ex: &Exec<'_>,
    st: &State,
    spec: &MapSpec,
    dist: &DistSpec,
    eff: &Value,
    vars: &Vars,
    prev: &mut u64,
    entered: u64,
) -> Result<Value, Failure> {
    let sc = ex.scope(st, entered, eff, vars);
    let mut items = match &dist.reader {
        Some(r) => read_items(ex, &sc, r).await?,
        None => crate::map::items(&sc, spec, eff)?,
    };
    if let Some(r) = &dist.reader {
        if let Some(n) = crate::map::setting(ex, &sc, r.max_items.as_ref(), "MaxItems", false)? {
            if n >= 1.0 {
                items.truncate(n as usize);
            }
        }
    }
    let s = crate::map::Settings::read(ex, &sc, spec)?;
    // ItemSelector sees each item as $$.Map.Item
    if let Some(t) = &spec.item_selector {
        let mut selected = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let mut isc = ex.scope(st, entered, eff, vars);
            isc.map_item = Some((i, item));
            selected.push(t.eval(&isc)?);
        }
        items = selected;
    }
    let total_items = items.len();
    let max_items = crate::map::setting(
        ex,
        &sc,
        spec.batch_max_items.as_ref(),
        "MaxItemsPerBatch",
        false,
    )?;
    let max_bytes = crate::map::setting(
        ex,
        &sc,
        dist.batch_max_bytes.as_ref(),
        "MaxInputBytesPerBatch",
        false,
    )?;
    let children: Vec<(Value, usize)> = if max_items.is_some() || max_bytes.is_some() {
        let batch_input = match &spec.batch_input {
            Some(t) => Some(t.eval(&sc)?),
            None => None,
        };
        batches(
            items,
            max_items.filter(|n| *n >= 1.0).map(|n| n as usize),
            max_bytes.filter(|n| *n >= 1.0).map(|n| n as usize),
            batch_input.as_ref(),
        )
    } else {
        items.into_iter().map(|i| (i, 1)).collect()
    };
    let writer_params = match dist.writer.as_ref().and_then(|w| w.params.as_ref()) {
        Some(t) => Some(t.eval(&sc)?),
        None => dist.writer.as_ref().map(|_| Value::Object(Map::new())),
    };
    ex.rec
        .emit(prev, "MapStateStarted", || json!({"length": total_items}));
    let (region, account) = region_account(&ex.info.id);
    let label = dist.label.clone().unwrap_or_else(|| st.name.to_string());
    let run_id = uuid::Uuid::new_v4().to_string();
    let map_run_arn = format!(
        "arn:aws:states:{region}:{account}:mapRun:{}/{label}:{run_id}",
        ex.info.sm_name
    );
    ex.rec
        .emit(prev, "MapRunStarted", || json!({"mapRunArn": map_run_arn}));
    let child_sm = format!("{}/{label}", ex.info.sm_id);
    let kind = if dist.express { "express" } else { "execution" };
    let total_children = children.len();
    let conc = s.concurrency(total_children);
    let futs = children.into_iter().enumerate().map(|(i, (input, n))| {
        let child_sm = child_sm.clone();
        let label = &label;
        let region = &region;
        let account = &account;
        async move {
            let name = uuid::Uuid::new_v4().to_string();
            let start = crate::clock::rfc3339(ex.clock.now());
            let child = Exec {
                tasks: ex.tasks,
                rec: Recorder::new(&crate::NoHistory, ex.clock),
                clock: ex.clock,
                services: ex.services,
                info: ExecInfo {
                    id: format!(
                        "arn:aws:states:{region}:{account}:{kind}:{}/{label}:{name}",
                        ex.info.sm_name
                    ),
                    name: name.clone(),
                    role_arn: ex.info.role_arn.clone(),
                    sm_id: child_sm,
                    sm_name: ex.info.sm_name.clone(),
                    input: input.clone(),
                    start_time: start.clone(),
                    redrive_count: 0,
                },
            };
            let mut v = Vars::default();
            let mut p = 0u64;
            let result = child
                .run_machine(&spec.processor, input.clone(), &mut v, &mut p)
                .await;
            (
                i,
                ChildRecord {
                    name,
                    input,
                    start,
                    stop: crate::clock::rfc3339(ex.clock.now()),
                    result,
                    items: n,
                },
            )
        }
    });
    let mut stream = futures::stream::iter(futs).buffer_unordered(conc);
    let mut done: Vec<Option<ChildRecord>> = (0..total_children).map(|_| None).collect();
    let mut failed_items = 0usize;
    let mut failure: Option<Failure> = None;
    while let Some((i, rec)) = stream.next().await {
        if rec.result.is_err() {
            failed_items += rec.items;
            if s.exceeded(failed_items, total_items) {
                failure = Some(Failure::new(
                    "States.ExceedToleratedFailureThreshold",
                    "The specified tolerance threshold for the Map Run was exceeded.",
                ));
                done[i] = Some(rec);
                break;
            }
        }
        done[i] = Some(rec);
    }
    drop(stream);
    *prev = ex.rec.last_id();
    let output = match (&writer_params, &failure) {
        (Some(params), _) => {
            match write_results(ex, params, &run_id, &map_run_arn, &ex.info.sm_id, &done).await {
                Ok(details) => {
                    Some(json!({"MapRunArn": map_run_arn, "ResultWriterDetails": details}))
                }
                Err(f) => {
                    failure.get_or_insert(f);
                    None
                }
            }
        }
        (None, None) => Some(Value::Array(
            done.into_iter()
                .flatten()
                .map(|r| match r.result {
                    Ok(v) => v,
                    Err(f) => f.to_value(),
                })
                .collect(),
        )),
        (None, Some(_)) => None,
    };
    match (failure, output) {
        (None, Some(out)) => {
            ex.rec.emit(prev, "MapRunSucceeded", || Value::Null);
            ex.rec.emit(prev, "MapStateSucceeded", || Value::Null);
            Ok(out)
        }
        (f, _) => {
            let f = f.unwrap_or_else(|| Failure::runtime("the Map Run produced no output"));
            ex.rec.emit(
                prev,
                "MapRunFailed",
                || json!({"error": f.error, "cause": f.cause}),
            );
            ex.rec.emit(
                prev,
                "MapStateFailed",
                || json!({"error": f.error, "cause": f.cause}),
            );
            Err(f)
        }
    }
}

/// Write the result files and the manifest; returns `{Bucket, Key}` of the manifest.
async fn write_results(
    ex: &Exec<'_>,
    params: &Value,
    run_id: &str,
    map_run_arn: &str,
    sm_id: &str,
    done: &[Option<ChildRecord>],
) -> Result<Value, Failure> {
    let bucket = str_param(params, "Bucket")
        .ok_or_else(|| writer_failed("The ResultWriter's parameters name no Bucket."))?;
    let objects = store(ex).ok_or_else(|| {
        writer_failed(format!(
            "No object store is reachable from this engine to write bucket '{bucket}'."
        ))
    })?;
    let prefix = str_param(params, "Prefix")
        .unwrap_or_default()
        .trim_end_matches('/');
    let base = if prefix.is_empty() {
        run_id.to_string()
    } else {
        format!("{prefix}/{run_id}")
    };
    let (mut ok, mut failed, mut pending) = (Vec::new(), Vec::new(), Vec::new());
    for r in done {
        let Some(r) = r else {
            pending.push(json!({"Status": "PENDING"}));
            continue;
        };
        let mut m = Map::new();
        m.insert(
            "ExecutionArn".into(),
            json!(format!("{map_run_arn}:{}", r.name)),
        );
        m.insert("Input".into(), json!(r.input.to_string()));
        m.insert("InputDetails".into(), json!({"Included": true}));
        m.insert("Name".into(), json!(r.name));
        m.insert("StartDate".into(), json!(r.start));
        m.insert("StateMachineArn".into(), json!(sm_id));
        m.insert("StopDate".into(), json!(r.stop));
        match &r.result {
            Ok(v) => {
                m.insert("Output".into(), json!(v.to_string()));
                m.insert("OutputDetails".into(), json!({"Included": true}));
                m.insert("Status".into(), json!("SUCCEEDED"));
                ok.push(Value::Object(m));
            }
            Err(f) => {
                m.insert("Error".into(), json!(f.error));
                m.insert("Cause".into(), json!(f.cause.clone().unwrap_or_default()));
                m.insert("Status".into(), json!("FAILED"));
                failed.push(Value::Object(m));
            }
        }
    }
    let mut files = Map::new();
    for (status, list) in [("SUCCEEDED", ok), ("FAILED", failed), ("PENDING", pending)] {
        let mut entries = Vec::new();
        if !list.is_empty() {
            let key = format!("{base}/{status}_0.json");
            let body = serde_json::to_vec(&list).map_err(|e| writer_failed(e.to_string()))?;
            let size = body.len();
            objects.put_object(bucket, &key, body).await.map_err(|e| {
                writer_failed(format!("S3 putObject of s3://{bucket}/{key} failed: {e}"))
            })?;
            entries.push(json!({"Key": key, "Size": size}));
        }
        files.insert(status.into(), Value::Array(entries));
    }
    let manifest_key = format!("{base}/manifest.json");
    let manifest = json!({
        "DestinationBucket": bucket,
        "MapRunArn": map_run_arn,
        "ResultFiles": files,
    });
    objects
        .put_object(bucket, &manifest_key, manifest.to_string().into_bytes())
        .await
        .map_err(|e| {
            writer_failed(format!(
                "S3 putObject of s3://{bucket}/{manifest_key} failed: {e}"
            ))
        })?;
    Ok(json!({"Bucket": bucket, "Key": manifest_key}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_delimiters_and_headers() {
        let text = "id,caption\r\n1,\"a, \"\"quoted\"\" one\"\n2,plain\n";
        let items = csv_items(text, b',', None).unwrap();
        assert_eq!(
            items,
            vec![
                json!({"id": "1", "caption": "a, \"quoted\" one"}),
                json!({"id": "2", "caption": "plain"})
            ]
        );
        let given = vec!["a".to_string(), "b".to_string()];
        assert_eq!(
            csv_items("x|y\n", b'|', Some(&given)).unwrap(),
            vec![json!({"a": "x", "b": "y"})]
        );
        assert!(csv_items("a\n\"open", b',', None).is_err());
        assert!(csv_items("a\n1,2\n", b',', None).is_err());
    }

    #[test]
    fn batching_by_count_and_bytes() {
        let items: Vec<Value> = (0..5).map(|i| json!(i)).collect();
        let b = batches(items.clone(), Some(2), None, Some(&json!("bi")));
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].0, json!({"BatchInput": "bi", "Items": [0, 1]}));
        assert_eq!(b[2].1, 1);
        let b = batches(items, None, Some(4), None);
        assert_eq!(b.iter().map(|x| x.1).collect::<Vec<_>>(), vec![2, 2, 1]);
    }
}
