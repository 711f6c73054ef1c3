//! `RecordStore` over DynamoDB.
//!
//! Table: partition key `id` (S). Listing newest first uses the global secondary index
//! [`STATUS_INDEX`] (partition [`SHARD_KEY`], sort `createdAt`, all attributes projected).
//! The index is sharded: each item carries `statusShard = "{STATUS}#{k}"`, with `k` among
//! [`SHARDS`] taken from a hash of its id, so the writes of one status spread over that many
//! index partitions instead of one (about 1,000 writes/s each; README "Scale of the table").
//! A page of one status queries its shards concurrently, newest first, each up to the page
//! size, and merges them by `(createdAt, id)`; an unfiltered page does the same over the
//! statuses (a READY reel awaiting review lists under `READY_PENDING#k`, apart from the
//! published ones). Pages follow an opaque `(createdAt, id)` cursor: the key condition
//! bounds `createdAt`, the id breaks ties client-side. GSIs are eventually consistent, so a record may appear in a list a moment
//! after it was written; single-record reads are consistent.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ReturnValue, ReturnValuesOnConditionCheckFailure,
    ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use pipeline::ports::ListQuery;
use pipeline::{
    Completion, Direction, RecordStore, Reel, Review, Status, StoreError, Transition, Visibility,
};

use crate::error::{classify, code};
use crate::item::{item_to_reel, reel_to_item, to_attr};

/// The GSI used to list records newest first.
pub const STATUS_INDEX: &str = "byStatus";

/// The index's partition key attribute: `"{STATUS}#{k}"`.
pub const SHARD_KEY: &str = "statusShard";

/// Index partitions per status.
pub const SHARDS: u32 = 8;

/// The shard of a media id: FNV-1a of its bytes, so a record keeps its shard for life.
pub fn shard_of(id: &str) -> u32 {
    let hash = id.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    hash % SHARDS
}

/// The index partition of a record of this status and id.
pub fn shard_value(status: Status, id: &str) -> String {
    format!("{}#{}", status.as_str(), shard_of(id))
}

/// The index partitions of a READY reel awaiting review (moderation): apart from the
/// public READY ones, so a public page reads only published reels.
pub const READY_PENDING: &str = "READY_PENDING";

/// The name of the partitions a record lists under: its status, except a READY reel still
/// `pending` ([`READY_PENDING`]).
pub fn listing_of(status: Status, visibility: Visibility) -> &'static str {
    match (status, visibility) {
        (Status::Ready, Visibility::Pending) => READY_PENDING,
        (s, _) => s.as_str(),
    }
}

/// The index partition of a record (status, visibility and id).
pub fn listing_shard(status: Status, visibility: Visibility, id: &str) -> String {
    format!("{}#{}", listing_of(status, visibility), shard_of(id))
}

/// The partitions a query reads.
fn listings(query: &ListQuery) -> Vec<&'static str> {
    let all = [
        Status::Processing,
        Status::Ready,
        Status::Failed,
        Status::Rejected,
    ];
    let statuses: Vec<Status> = match query.status {
        Some(one) => vec![one],
        None => all.to_vec(),
    };
    let mut out = Vec::new();
    for status in statuses {
        if status == Status::Ready {
            if query.visibility != Some(Visibility::Pending) {
                out.push(Status::Ready.as_str());
            }
            if query.visibility != Some(Visibility::Public) {
                out.push(READY_PENDING);
            }
        } else {
            out.push(status.as_str());
        }
    }
    out
}

const CONDITION_FAILED: &str = "ConditionalCheckFailedException";

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// Records merged from several queries as one page: newest first by `(createdAt, id)`, at
/// most `limit` (0: all); for a `Newer` cursor, the `limit` just newer than it.
fn one_page(all: &mut Vec<Reel>, query: &ListQuery) {
    all.sort_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)));
    let newer = query
        .cursor
        .as_ref()
        .is_some_and(|c| c.direction == Direction::Newer);
    if query.limit > 0 && all.len() > query.limit {
        if newer {
            // the records just newer than the cursor: the end of the newest-first list
            all.drain(..all.len() - query.limit);
        } else {
            all.truncate(query.limit);
        }
    }
}

/// The `reels` table.
#[derive(Clone, Debug)]
pub struct DynamoRecordStore {
    client: Client,
    table: String,
}

impl DynamoRecordStore {
    pub fn new(sdk: &SdkConfig, table: &str) -> Self {
        Self::from_client(Client::new(sdk), table)
    }

    pub fn from_client(client: Client, table: &str) -> Self {
        DynamoRecordStore {
            client,
            table: table.to_owned(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Create the table as template.yaml declares it (on-demand, `id` key, [`STATUS_INDEX`]).
    /// For tests and hybrid mode against a fresh endpoint; an existing table is left alone.
    pub async fn create_table(&self) -> Result<(), StoreError> {
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| StoreError::Invalid(e.to_string()))
        };
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(|e| StoreError::Invalid(e.to_string()))
        };
        let index = GlobalSecondaryIndex::builder()
            .index_name(STATUS_INDEX)
            .key_schema(key(SHARD_KEY, KeyType::Hash)?)
            .key_schema(key("createdAt", KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("id")?)
            .attribute_definitions(attr(SHARD_KEY)?)
            .attribute_definitions(attr("createdAt")?)
            .key_schema(key("id", KeyType::Hash)?)
            .global_secondary_indexes(index)
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e) if code(&e) == Some("ResourceInUseException") => Ok(()),
            Err(e) => Err(classify("CreateTable", e)),
        }
    }

    async fn get_item(
        &self,
        id: &str,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", s(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("GetItem", e))?;
        Ok(out.item)
    }

    /// One listing (a status, or [`READY_PENDING`]): its shards queried at once, merged by
    /// `(createdAt, id)`, a page of them.
    async fn list_status(&self, listing: &str, query: &ListQuery) -> Result<Vec<Reel>, StoreError> {
        let shards = (0..SHARDS).map(|k| self.list_partition(format!("{listing}#{k}"), query));
        let mut all: Vec<Reel> = futures::future::try_join_all(shards)
            .await?
            .into_iter()
            .flatten()
            .collect();
        one_page(&mut all, query);
        Ok(all)
    }

    /// One index partition: the records past the query's bounds in reading order (newest
    /// first, or oldest first for a `Newer` cursor), at least `limit` of them where there are
    /// that many, plus every further record sharing the `createdAt` of the last one: the
    /// index orders records of one `createdAt` arbitrarily, so a page must not end inside
    /// such a group or paging by `(createdAt, id)` could skip one.
    async fn list_partition(
        &self,
        partition: String,
        query: &ListQuery,
    ) -> Result<Vec<Reel>, StoreError> {
        let newer = query
            .cursor
            .as_ref()
            .is_some_and(|c| c.direction == Direction::Newer);
        let want = if query.limit == 0 {
            usize::MAX
        } else {
            query.limit
        };
        let admitted = |r: &Reel| {
            query.before.as_ref().is_none_or(|b| r.created_at < *b)
                && query
                    .cursor
                    .as_ref()
                    .is_none_or(|c| c.admits(&r.created_at, &r.id))
        };
        let mut reels: Vec<Reel> = Vec::new();
        let mut edge: Option<String> = None;
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        'pages: loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(STATUS_INDEX)
                .scan_index_forward(newer)
                .expression_attribute_names("#s", SHARD_KEY)
                .expression_attribute_values(":s", s(partition.as_str()))
                .set_exclusive_start_key(start.take());
            request = match (&query.cursor, &query.before) {
                (Some(c), _) => request
                    .key_condition_expression(if newer {
                        "#s = :s AND #c >= :at"
                    } else {
                        "#s = :s AND #c <= :at"
                    })
                    .expression_attribute_names("#c", "createdAt")
                    .expression_attribute_values(":at", s(c.created_at.as_str())),
                (None, Some(before)) => request
                    .key_condition_expression("#s = :s AND #c < :before")
                    .expression_attribute_names("#c", "createdAt")
                    .expression_attribute_values(":before", s(before.as_str())),
                (None, None) => request.key_condition_expression("#s = :s"),
            };
            if want != usize::MAX {
                let page = if edge.is_some() {
                    10
                } else {
                    want - reels.len() + 1
                };
                request = request.limit(i32::try_from(page).unwrap_or(i32::MAX));
            }
            let out = request.send().await.map_err(|e| classify("Query", e))?;
            for item in out.items() {
                let reel = item_to_reel(item)?;
                if edge.as_ref().is_some_and(|e| *e != reel.created_at) {
                    break 'pages;
                }
                if admitted(&reel) {
                    reels.push(reel);
                }
                if edge.is_none() && reels.len() >= want {
                    edge = reels.last().map(|r| r.created_at.clone());
                }
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(reels)
    }
}

#[async_trait]
impl RecordStore for DynamoRecordStore {
    async fn create(&self, reel: &Reel) -> Result<(), StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some({
                let mut item = reel_to_item(reel)?;
                item.insert(
                    SHARD_KEY.into(),
                    s(listing_shard(reel.status, reel.visibility, &reel.id)),
                );
                item
            }))
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await;
        match put {
            Ok(_) => Ok(()),
            Err(e) if code(&e) == Some(CONDITION_FAILED) => {
                Err(StoreError::AlreadyExists(reel.id.clone()))
            }
            Err(e) => Err(classify("PutItem", e)),
        }
    }

    async fn get(&self, id: &str) -> Result<Option<Reel>, StoreError> {
        self.get_item(id)
            .await?
            .as_ref()
            .map(item_to_reel)
            .transpose()
    }

    async fn list(&self, query: &ListQuery) -> Result<Vec<Reel>, StoreError> {
        let mut all = Vec::new();
        for listing in listings(query) {
            all.extend(self.list_status(listing, query).await?);
        }
        // a visibility asked of other statuses than READY (a PROCESSING reel already
        // pending): filtered here
        if let Some(v) = query.visibility {
            all.retain(|r| r.visibility == v);
        }
        one_page(&mut all, query);
        Ok(all)
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("id", s(id))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| classify("DeleteItem", e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }

    async fn set_execution_arn(&self, id: &str, arn: &str) -> Result<(), StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("id", s(id))
            .update_expression("SET #arn = :arn, #u = :now")
            .condition_expression("attribute_exists(id)")
            .expression_attribute_names("#arn", "executionArn")
            .expression_attribute_names("#u", "updatedAt")
            .expression_attribute_values(":arn", s(arn))
            .expression_attribute_values(":now", s(now()))
            .send()
            .await;
        match update {
            Ok(_) => Ok(()),
            Err(e) if code(&e) == Some(CONDITION_FAILED) => {
                Err(StoreError::NotFound(id.to_owned()))
            }
            Err(e) => Err(classify("UpdateItem", e)),
        }
    }

    async fn complete(&self, id: &str, completion: &Completion) -> Result<Transition, StoreError> {
        // A READY reel lists by its visibility, set at upload and unchanged while PROCESSING
        let visibility = match completion {
            Completion::Ready { .. } => match self.get(id).await? {
                Some(reel) => reel.visibility,
                None => return Err(StoreError::NotFound(id.to_owned())),
            },
            Completion::Failed { .. } => Visibility::Public,
        };
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("id", s(id))
            .condition_expression("#status = :processing")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#u", "updatedAt")
            .expression_attribute_values(":processing", s(Status::Processing.as_str()))
            .expression_attribute_values(":new", s(completion.status().as_str()))
            .expression_attribute_names("#shard", SHARD_KEY)
            .expression_attribute_values(
                ":shard",
                s(listing_shard(completion.status(), visibility, id)),
            )
            .expression_attribute_values(":now", s(now()));
        request = match completion {
            Completion::Ready {
                media_type,
                size,
                thumbnails,
                metadata,
                video,
            } => {
                let mut set =
                    "SET #status = :new, #shard = :shard, #u = :now, #mt = :mt, #size = :size, #th = :th".to_owned();
                let mut remove = Vec::new();
                let mut request = request
                    .expression_attribute_names("#mt", "mediaType")
                    .expression_attribute_names("#size", "size")
                    .expression_attribute_names("#th", "thumbnails")
                    .expression_attribute_names("#md", "metadata")
                    .expression_attribute_values(":mt", s(media_type.as_str()))
                    .expression_attribute_values(":size", AttributeValue::N(size.to_string()))
                    .expression_attribute_values(":th", to_attr(thumbnails)?)
                    .expression_attribute_names("#vd", "video");
                match metadata {
                    Some(md) => {
                        set.push_str(", #md = :md");
                        request = request.expression_attribute_values(":md", to_attr(md)?);
                    }
                    None => remove.push("#md"),
                }
                match video {
                    Some(v) => {
                        set.push_str(", #vd = :vd");
                        request = request.expression_attribute_values(":vd", to_attr(v)?);
                    }
                    None => remove.push("#vd"),
                }
                if !remove.is_empty() {
                    set.push_str(&format!(" REMOVE {}", remove.join(", ")));
                }
                request.update_expression(set)
            }
            Completion::Failed { error, cause } => request
                .update_expression(
                    "SET #status = :new, #shard = :shard, #u = :now, #e = :e, #c = :c",
                )
                .expression_attribute_names("#e", "error")
                .expression_attribute_names("#c", "cause")
                .expression_attribute_values(":e", s(error.as_str()))
                .expression_attribute_values(":c", s(cause.as_str())),
        };
        match request.send().await {
            Ok(_) => {
                tracing::info!(id, status = %completion.status(), "record completed");
                Ok(Transition::Applied)
            }
            Err(e) if code(&e) == Some(CONDITION_FAILED) => {
                // The old item, when the service returned it; otherwise read it.
                let old = match e.as_service_error() {
                    Some(UpdateItemError::ConditionalCheckFailedException(c)) => c.item().cloned(),
                    _ => None,
                };
                let old = match old {
                    Some(item) => Some(item),
                    None => self.get_item(id).await?,
                };
                let Some(old) = old else {
                    return Err(StoreError::NotFound(id.to_owned()));
                };
                let current = old
                    .get("status")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|t| Status::parse(t))
                    .ok_or_else(|| {
                        StoreError::Invalid(format!("record {id} has no valid status"))
                    })?;
                Ok(Transition::Unchanged(current))
            }
            Err(e) => Err(classify("UpdateItem", e)),
        }
    }

    async fn reopen(&self, id: &str) -> Result<Transition, StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("id", s(id))
            .condition_expression("#status = :failed")
            .update_expression(
                "SET #status = :processing, #shard = :shard, #u = :now REMOVE #e, #c",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#shard", SHARD_KEY)
            .expression_attribute_values(":shard", s(shard_value(Status::Processing, id)))
            .expression_attribute_names("#u", "updatedAt")
            .expression_attribute_names("#e", "error")
            .expression_attribute_names("#c", "cause")
            .expression_attribute_values(":failed", s(Status::Failed.as_str()))
            .expression_attribute_values(":processing", s(Status::Processing.as_str()))
            .expression_attribute_values(":now", s(now()))
            .send()
            .await;
        match update {
            Ok(_) => {
                tracing::info!(id, "record reopened for a reprocess");
                Ok(Transition::Applied)
            }
            Err(e) if code(&e) == Some(CONDITION_FAILED) => match self.get(id).await? {
                Some(reel) => Ok(Transition::Unchanged(reel.status)),
                None => Err(StoreError::NotFound(id.to_owned())),
            },
            Err(e) => Err(classify("UpdateItem", e)),
        }
    }

    async fn review(&self, id: &str, review: &Review) -> Result<Transition, StoreError> {
        let request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("id", s(id))
            .condition_expression("#status = :ready AND #vis = :pending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#vis", "visibility")
            .expression_attribute_names("#u", "updatedAt")
            .expression_attribute_names("#tok", "moderationToken")
            .expression_attribute_values(":ready", s(Status::Ready.as_str()))
            .expression_attribute_values(":pending", s(Visibility::Pending.as_str()))
            .expression_attribute_values(":now", s(now()));
        let request = match review {
            Review::Hold { token } => request
                .update_expression("SET #tok = :tok, #u = :now")
                .expression_attribute_values(":tok", s(token.as_str())),
            Review::Release { token } => request
                .condition_expression("#status = :ready AND #vis = :pending AND #tok = :tok")
                .update_expression("SET #u = :now REMOVE #tok")
                .expression_attribute_values(":tok", s(token.as_str())),
            Review::Publish => request
                .update_expression("SET #vis = :public, #shard = :shard, #u = :now REMOVE #tok")
                .expression_attribute_names("#shard", SHARD_KEY)
                .expression_attribute_values(":public", s(Visibility::Public.as_str()))
                .expression_attribute_values(
                    ":shard",
                    s(listing_shard(Status::Ready, Visibility::Public, id)),
                ),
            Review::Reject { reason } => request
                .update_expression(
                    "SET #status = :rejected, #shard = :shard, #u = :now, #e = :e, #c = :c, #th = :none REMOVE #tok, #vd",
                )
                .expression_attribute_names("#shard", SHARD_KEY)
                .expression_attribute_names("#e", "error")
                .expression_attribute_names("#c", "cause")
                .expression_attribute_names("#th", "thumbnails")
                .expression_attribute_names("#vd", "video")
                .expression_attribute_values(":rejected", s(Status::Rejected.as_str()))
                .expression_attribute_values(
                    ":shard",
                    s(listing_shard(Status::Rejected, Visibility::Pending, id)),
                )
                .expression_attribute_values(":e", s(pipeline::moderation::REJECTED))
                .expression_attribute_values(":c", s(reason.as_str()))
                .expression_attribute_values(":none", AttributeValue::L(vec![])),
        };
        match request.send().await {
            Ok(_) => {
                tracing::info!(id, "record reviewed");
                Ok(Transition::Applied)
            }
            Err(e) if code(&e) == Some(CONDITION_FAILED) => match self.get(id).await? {
                Some(reel) => Ok(Transition::Unchanged(reel.status)),
                None => Err(StoreError::NotFound(id.to_owned())),
            },
            Err(e) => Err(classify("UpdateItem", e)),
        }
    }

    async fn refresh(
        &self,
        id: &str,
        thumbnails: &[pipeline::ThumbnailRef],
        metadata: Option<&serde_json::Value>,
        video: Option<&pipeline::VideoRef>,
    ) -> Result<Transition, StoreError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("id", s(id))
            .condition_expression("#status = :ready")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#u", "updatedAt")
            .expression_attribute_names("#th", "thumbnails")
            .expression_attribute_values(":ready", s(Status::Ready.as_str()))
            .expression_attribute_values(":now", s(now()))
            .expression_attribute_values(":th", to_attr(thumbnails)?);
        let mut set = String::from("SET #u = :now, #th = :th");
        if let Some(md) = metadata {
            set.push_str(", #md = :md");
            request = request
                .expression_attribute_names("#md", "metadata")
                .expression_attribute_values(":md", to_attr(md)?);
        }
        if let Some(video) = video {
            set.push_str(", #v = :v");
            request = request
                .expression_attribute_names("#v", "video")
                .expression_attribute_values(":v", to_attr(video)?);
        }
        request = request.update_expression(set);
        match request.send().await {
            Ok(_) => {
                tracing::info!(id, "record refreshed by a backfill");
                Ok(Transition::Applied)
            }
            Err(e) if code(&e) == Some(CONDITION_FAILED) => match self.get(id).await? {
                Some(reel) => Ok(Transition::Unchanged(reel.status)),
                None => Err(StoreError::NotFound(id.to_owned())),
            },
            Err(e) => Err(classify("UpdateItem", e)),
        }
    }
}
