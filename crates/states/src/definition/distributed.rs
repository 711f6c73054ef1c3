//! The parts of a Map that only a distributed Map has: `ProcessorConfig`, `ItemReader`
//! (`ReaderConfig`), `ResultWriter`, `ItemBatcher`'s byte limit and `Label`. Every field is
//! checked: an unknown or unsupported one is a validation error, never ignored.

use super::parse::{ja_template, jp_template, value_spec, Ctx};
use super::ValueSpec;
use crate::template::Template;
use serde_json::{Map, Value};

/// How `ItemReader` reads its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputType {
    /// `s3:listObjectsV2`: the items are the listed objects
    Listing,
    Json,
    Jsonl,
    Csv,
}

#[derive(Debug, Clone)]
pub struct ReaderSpec {
    pub input_type: InputType,
    /// `Parameters` / `Arguments` (Bucket, Key or Prefix)
    pub params: Option<Template>,
    /// `CSVHeaderLocation: GIVEN` headers; `None` = the first row
    pub csv_headers: Option<Vec<String>>,
    pub csv_delimiter: u8,
    pub max_items: Option<ValueSpec>,
}

#[derive(Debug, Clone)]
pub struct WriterSpec {
    /// `Parameters` / `Arguments` (Bucket, Prefix)
    pub params: Option<Template>,
}

#[derive(Debug, Clone)]
pub struct DistSpec {
    pub label: Option<String>,
    pub express: bool,
    pub reader: Option<ReaderSpec>,
    pub writer: Option<WriterSpec>,
    pub batch_max_bytes: Option<ValueSpec>,
}

const GET_OBJECT: &str = "arn:aws:states:::s3:getObject";
const LIST_OBJECTS: &str = "arn:aws:states:::s3:listObjectsV2";
const PUT_OBJECT: &str = "arn:aws:states:::s3:putObject";

fn only(cx: &mut Ctx, m: &Map<String, Value>, fields: &[&str], at: &str) {
    for k in m.keys() {
        if !fields.contains(&k.as_str()) {
            cx.schema(
                format!("Field '{k}' is not supported"),
                &format!("{at}/{k}"),
            );
        }
    }
}

fn object<'v>(cx: &mut Ctx, v: &'v Value, at: &str) -> Option<&'v Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m),
        _ => {
            cx.schema("The value must be an object", at);
            None
        }
    }
}

fn params(cx: &mut Ctx, m: &Map<String, Value>, jsonata: bool, at: &str) -> Option<Template> {
    if jsonata {
        ja_template(cx, m, "Arguments", at)
    } else {
        jp_template(cx, m, "Parameters", at)
    }
}

/// The distributed parts of the Map state `m` (its processor object is `processor`);
/// `None` for an inline Map, after checking it uses none of them.
pub fn parse(
    cx: &mut Ctx,
    m: &Map<String, Value>,
    processor: &Value,
    jsonata: bool,
    at: &str,
) -> Option<DistSpec> {
    let pfield = if m.contains_key("ItemProcessor") {
        "ItemProcessor"
    } else {
        "Iterator"
    };
    let mut distributed = false;
    let mut express = false;
    if let Some(pc) = processor.get("ProcessorConfig") {
        let pat = format!("{at}/{pfield}/ProcessorConfig");
        if let Some(pc) = object(cx, pc, &pat) {
            only(cx, pc, &["Mode", "ExecutionType"], &pat);
            match pc.get("Mode").and_then(Value::as_str) {
                None | Some("INLINE") => {}
                Some("DISTRIBUTED") => distributed = true,
                Some(other) => cx.schema(
                    format!("Mode must be INLINE or DISTRIBUTED, not {other}"),
                    &format!("{pat}/Mode"),
                ),
            }
            match pc.get("ExecutionType").and_then(Value::as_str) {
                None | Some("STANDARD") => {}
                Some("EXPRESS") => express = true,
                Some(other) => cx.schema(
                    format!("ExecutionType must be STANDARD or EXPRESS, not {other}"),
                    &format!("{pat}/ExecutionType"),
                ),
            }
        }
    }
    if !distributed {
        for f in ["ItemReader", "ResultWriter", "ItemBatcher", "Label"] {
            if m.contains_key(f) {
                cx.schema(
                    format!("The field '{f}' is only supported by a Map state in DISTRIBUTED mode (ProcessorConfig.Mode)"),
                    &format!("{at}/{f}"),
                );
            }
        }
        return None;
    }
    let label = match m.get("Label") {
        None => None,
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= 40 => Some(s.clone()),
        Some(_) => {
            cx.schema(
                "Label must be a string of 1 to 40 characters",
                &format!("{at}/Label"),
            );
            None
        }
    };
    let reader = m.get("ItemReader").and_then(|v| {
        let rat = format!("{at}/ItemReader");
        let r = object(cx, v, &rat)?;
        let pfield = if jsonata { "Arguments" } else { "Parameters" };
        only(cx, r, &["Resource", pfield, "ReaderConfig"], &rat);
        let resource = r
            .get("Resource")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let listing = match resource {
            LIST_OBJECTS => true,
            GET_OBJECT => false,
            other => {
                cx.schema(
                    format!(
                        "{} ItemReader reads with {GET_OBJECT} or {LIST_OBJECTS}",
                        super::resource::not_recognized(other)
                    ),
                    &format!("{rat}/Resource"),
                );
                return None;
            }
        };
        let mut input_type = if listing {
            InputType::Listing
        } else {
            InputType::Json
        };
        let mut csv_headers = None;
        let mut csv_delimiter = b',';
        let mut max_items = None;
        let mut first_row = true;
        if let Some(rc) = r.get("ReaderConfig") {
            let cat = format!("{rat}/ReaderConfig");
            let rc = object(cx, rc, &cat)?;
            only(
                cx,
                rc,
                &[
                    "InputType",
                    "CSVHeaderLocation",
                    "CSVHeaders",
                    "CSVDelimiter",
                    "MaxItems",
                    "MaxItemsPath",
                ],
                &cat,
            );
            match rc.get("InputType").and_then(Value::as_str) {
                None => {}
                Some(t) if listing => cx.schema(
                    format!("InputType {t} does not apply to {LIST_OBJECTS}"),
                    &format!("{cat}/InputType"),
                ),
                Some("JSON") => input_type = InputType::Json,
                Some("JSONL") => input_type = InputType::Jsonl,
                Some("CSV") => input_type = InputType::Csv,
                Some(other) => cx.schema(
                    format!("InputType {other} is not supported here (JSON, JSONL or CSV)"),
                    &format!("{cat}/InputType"),
                ),
            }
            match rc.get("CSVHeaderLocation").and_then(Value::as_str) {
                None | Some("FIRST_ROW") => {}
                Some("GIVEN") => first_row = false,
                Some(other) => cx.schema(
                    format!("CSVHeaderLocation must be FIRST_ROW or GIVEN, not {other}"),
                    &format!("{cat}/CSVHeaderLocation"),
                ),
            }
            match rc.get("CSVHeaders") {
                None => {}
                Some(Value::Array(a)) if a.iter().all(Value::is_string) => {
                    csv_headers = Some(
                        a.iter()
                            .filter_map(|h| h.as_str().map(String::from))
                            .collect(),
                    )
                }
                Some(_) => cx.schema(
                    "CSVHeaders must be an array of strings",
                    &format!("{cat}/CSVHeaders"),
                ),
            }
            if !first_row && csv_headers.is_none() {
                cx.schema("CSVHeaderLocation GIVEN needs CSVHeaders", &cat);
            }
            if first_row {
                csv_headers = None;
            }
            csv_delimiter = match rc.get("CSVDelimiter").and_then(Value::as_str) {
                None | Some("COMMA") => b',',
                Some("PIPE") => b'|',
                Some("SEMICOLON") => b';',
                Some("SPACE") => b' ',
                Some("TAB") => b'\t',
                Some(other) => {
                    cx.schema(
                        format!("CSVDelimiter {other} is not supported"),
                        &format!("{cat}/CSVDelimiter"),
                    );
                    b','
                }
            };
            if (rc.contains_key("CSVHeaderLocation") || rc.contains_key("CSVHeaders"))
                && input_type != InputType::Csv
            {
                cx.schema("CSV settings need InputType CSV", &cat);
            }
            max_items = value_spec(cx, rc, "MaxItems", jsonata, &cat);
        }
        Some(ReaderSpec {
            input_type,
            params: params(cx, r, jsonata, &rat),
            csv_headers,
            csv_delimiter,
            max_items,
        })
    });
    let writer = m.get("ResultWriter").and_then(|v| {
        let wat = format!("{at}/ResultWriter");
        let w = object(cx, v, &wat)?;
        let pfield = if jsonata { "Arguments" } else { "Parameters" };
        only(cx, w, &["Resource", pfield], &wat);
        match w.get("Resource").and_then(Value::as_str) {
            Some(PUT_OBJECT) => {}
            other => {
                cx.schema(
                    format!(
                        "{} ResultWriter writes with {PUT_OBJECT}",
                        super::resource::not_recognized(other.unwrap_or_default())
                    ),
                    &format!("{wat}/Resource"),
                );
                return None;
            }
        }
        Some(WriterSpec {
            params: params(cx, w, jsonata, &wat),
        })
    });
    let mut batch_max_bytes = None;
    if let Some(b) = m.get("ItemBatcher") {
        let bat = format!("{at}/ItemBatcher");
        if let Some(b) = object(cx, b, &bat) {
            let mut fields = vec!["MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"];
            if !jsonata {
                fields.extend(["MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"]);
            }
            only(cx, b, &fields, &bat);
            if !b.keys().any(|k| {
                k.starts_with("MaxItemsPerBatch") || k.starts_with("MaxInputBytesPerBatch")
            }) {
                cx.schema(
                    "ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch",
                    &bat,
                );
            }
            batch_max_bytes = value_spec(cx, b, "MaxInputBytesPerBatch", jsonata, &bat);
        }
    }
    Some(DistSpec {
        label,
        express,
        reader,
        writer,
        batch_max_bytes,
    })
}
