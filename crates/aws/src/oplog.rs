//! Which AWS operations a piece of code calls, on what, and the IAM grants they need. The
//! tests attach an [`OpLog`] to the clients, run each handler against an AWS-protocol
//! server, and compare the grants with the policy template.yaml gives that function.
//!
//! Resources are named the way the template names them: `bucket`, `bucket/raw/*`,
//! `bucket/thumbnails/*`, `table`, `table/index/byStatus`, `statemachine`, `executions`,
//! and for the Backfill state machine (a name ending `-backfill`) `backfill` and
//! `backfill-executions`.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::context::Input;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::config::AwsSettings;
use crate::{DynamoRecordStore, S3BlobStore, SfnExecutionLog, SfnWorkflowStarter};

/// Records `service:Operation` for every SDK call made through the clients it is attached to.
#[derive(Debug, Clone, Default)]
pub struct OpLog(Arc<Mutex<BTreeSet<(String, String)>>>);

impl OpLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// The operations seen so far with their resource, e.g.
    /// `("s3:GetObject", "bucket/raw/*")`, `("dynamodb:UpdateItem", "table")`.
    pub fn operations(&self) -> BTreeSet<(String, String)> {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The IAM grants (action, resource) those operations need.
    pub fn grants(&self) -> BTreeSet<(String, String)> {
        self.operations()
            .iter()
            .flat_map(|(op, resource)| grants(op, resource))
            .collect()
    }

    pub fn clear(&self) {
        if let Ok(mut s) = self.0.lock() {
            s.clear();
        }
    }

    /// Adapters whose every call is recorded here.
    pub fn adapters(
        &self,
        sdk: &SdkConfig,
        settings: &AwsSettings,
    ) -> (S3BlobStore, DynamoRecordStore, Option<SfnWorkflowStarter>) {
        let s3 = aws_sdk_s3::Client::from_conf(
            crate::s3::client_config(sdk)
                .interceptor(self.clone())
                .build(),
        );
        let ddb = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(sdk)
                .interceptor(self.clone())
                .build(),
        );
        let sfn = aws_sdk_sfn::Client::from_conf(
            aws_sdk_sfn::config::Builder::from(sdk)
                .interceptor(self.clone())
                .build(),
        );
        (
            S3BlobStore::from_client(s3, &settings.bucket).with_signing(sdk),
            DynamoRecordStore::from_client(ddb, &settings.table),
            settings
                .state_machine_arn
                .as_deref()
                .map(|arn| SfnWorkflowStarter::from_client(sfn, arn)),
        )
    }
}

impl OpLog {
    /// The execution log of the configured state machine (and of the Backfill, when
    /// configured), its calls recorded here.
    pub fn execution_log(
        &self,
        sdk: &SdkConfig,
        settings: &AwsSettings,
    ) -> Option<SfnExecutionLog> {
        let sfn = aws_sdk_sfn::Client::from_conf(
            aws_sdk_sfn::config::Builder::from(sdk)
                .interceptor(self.clone())
                .build(),
        );
        let log = settings
            .state_machine_arn
            .as_deref()
            .map(|arn| SfnExecutionLog::from_client(sfn, arn))?;
        Some(match settings.backfill_state_machine_arn.as_deref() {
            Some(backfill) => log.with_backfill(backfill),
            None => log,
        })
    }
}

impl Intercept for OpLog {
    fn name(&self) -> &'static str {
        "media-hub-oplog"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(meta) = cfg.load::<Metadata>() {
            let service = match meta.service().to_ascii_lowercase().as_str() {
                "s3" => "s3".to_owned(),
                "dynamodb" => "dynamodb".to_owned(),
                "sfn" | "states" => "states".to_owned(),
                other => other.to_owned(),
            };
            let resource = resource_of(&service, meta.name(), context.input());
            // CopyObject also reads its source: record that read as what IAM checks it as.
            let source = copy_source_of(meta.name(), context.input());
            if let Ok(mut s) = self.0.lock() {
                s.insert((format!("{service}:{}", meta.name()), resource));
                if let Some(source) = source {
                    s.insert(("s3:GetObject".to_owned(), source));
                }
            }
        }
        Ok(())
    }
}

/// `bucket/{prefix}/*` of a CopyObject's source (`{bucket}/{key}`).
fn copy_source_of(operation: &str, input: &Input) -> Option<String> {
    if operation != "CopyObject" {
        return None;
    }
    let source = input
        .downcast_ref::<aws_sdk_s3::operation::copy_object::CopyObjectInput>()?
        .copy_source()?;
    let (_bucket, key) = source.split_once('/')?;
    let (prefix, _) = key.split_once('/')?;
    Some(format!("bucket/{prefix}/*"))
}

/// The template's name for what an operation acts on.
fn resource_of(service: &str, operation: &str, input: &Input) -> String {
    use aws_sdk_s3::operation as s3;
    let key: Option<&str> = match operation {
        "GetObject" => input
            .downcast_ref::<s3::get_object::GetObjectInput>()
            .and_then(|i| i.key()),
        "HeadObject" => input
            .downcast_ref::<s3::head_object::HeadObjectInput>()
            .and_then(|i| i.key()),
        "PutObject" => input
            .downcast_ref::<s3::put_object::PutObjectInput>()
            .and_then(|i| i.key()),
        "DeleteObject" => input
            .downcast_ref::<s3::delete_object::DeleteObjectInput>()
            .and_then(|i| i.key()),
        "CreateMultipartUpload" => input
            .downcast_ref::<s3::create_multipart_upload::CreateMultipartUploadInput>()
            .and_then(|i| i.key()),
        "UploadPart" => input
            .downcast_ref::<s3::upload_part::UploadPartInput>()
            .and_then(|i| i.key()),
        "CompleteMultipartUpload" => input
            .downcast_ref::<s3::complete_multipart_upload::CompleteMultipartUploadInput>()
            .and_then(|i| i.key()),
        "AbortMultipartUpload" => input
            .downcast_ref::<s3::abort_multipart_upload::AbortMultipartUploadInput>()
            .and_then(|i| i.key()),
        "CopyObject" => input
            .downcast_ref::<s3::copy_object::CopyObjectInput>()
            .and_then(|i| i.key()),
        _ => None,
    };
    match (service, operation) {
        ("s3", _) => match key.and_then(|k| k.split_once('/')) {
            Some((prefix, _)) => format!("bucket/{prefix}/*"),
            None => "bucket".to_owned(),
        },
        ("dynamodb", "Query") => {
            let index = input
                .downcast_ref::<aws_sdk_dynamodb::operation::query::QueryInput>()
                .and_then(|i| i.index_name());
            match index {
                Some(index) => format!("table/index/{index}"),
                None => "table".to_owned(),
            }
        }
        ("dynamodb", _) => "table".to_owned(),
        ("states", "StartExecution" | "ListExecutions" | "DescribeStateMachine") => {
            if state_machine_of(operation, input).is_some_and(is_backfill_machine) {
                "backfill".to_owned()
            } else {
                "statemachine".to_owned()
            }
        }
        (
            "states",
            "DescribeExecution" | "GetExecutionHistory" | "StopExecution" | "RedriveExecution",
        ) => {
            let machine = execution_of(operation, input)
                .and_then(|arn| arn.split_once(":execution:"))
                .and_then(|(_, rest)| rest.split_once(':'))
                .map(|(machine, _)| machine);
            if machine.is_some_and(|m| m.ends_with(BACKFILL_SUFFIX)) {
                "backfill-executions".to_owned()
            } else {
                "executions".to_owned()
            }
        }
        (_, _) => "*".to_owned(),
    }
}

/// The Backfill state machine's name ends so (`{stack}-backfill` in template.yaml).
const BACKFILL_SUFFIX: &str = "-backfill";

fn is_backfill_machine(state_machine_arn: &str) -> bool {
    state_machine_arn
        .rsplit_once(":stateMachine:")
        .is_some_and(|(_, name)| name.ends_with(BACKFILL_SUFFIX))
}

/// The state machine ARN a Step Functions call names.
fn state_machine_of<'i>(operation: &str, input: &'i Input) -> Option<&'i str> {
    use aws_sdk_sfn::operation as sfn;
    match operation {
        "StartExecution" => input
            .downcast_ref::<sfn::start_execution::StartExecutionInput>()?
            .state_machine_arn(),
        "ListExecutions" => input
            .downcast_ref::<sfn::list_executions::ListExecutionsInput>()?
            .state_machine_arn(),
        "DescribeStateMachine" => input
            .downcast_ref::<sfn::describe_state_machine::DescribeStateMachineInput>()?
            .state_machine_arn(),
        _ => None,
    }
}

/// The execution ARN a Step Functions call names.
fn execution_of<'i>(operation: &str, input: &'i Input) -> Option<&'i str> {
    use aws_sdk_sfn::operation as sfn;
    match operation {
        "DescribeExecution" => input
            .downcast_ref::<sfn::describe_execution::DescribeExecutionInput>()?
            .execution_arn(),
        "GetExecutionHistory" => input
            .downcast_ref::<sfn::get_execution_history::GetExecutionHistoryInput>()?
            .execution_arn(),
        "StopExecution" => input
            .downcast_ref::<sfn::stop_execution::StopExecutionInput>()?
            .execution_arn(),
        "RedriveExecution" => input
            .downcast_ref::<sfn::redrive_execution::RedriveExecutionInput>()?
            .execution_arn(),
        _ => None,
    }
}

/// The IAM grants one operation on one resource needs. `HeadObject` is authorised by
/// `s3:GetObject`; both answer 404 for a missing key (rather than 403) only to a caller
/// that also holds `s3:ListBucket` on the bucket, and the adapters rely on that to tell
/// `NotFound` from a refusal.
pub fn grants(operation: &str, resource: &str) -> Vec<(String, String)> {
    let Some(action) = iam_action(operation) else {
        return vec![];
    };
    let resource = match action.as_str() {
        "s3:ListBucket" => "bucket".to_owned(),
        _ => resource.to_owned(),
    };
    let mut out = vec![(action, resource)];
    if operation == "s3:HeadObject" || operation == "s3:GetObject" {
        out.push(("s3:ListBucket".to_owned(), "bucket".to_owned()));
    }
    out
}

/// The IAM action an SDK operation needs (`s3:HeadObject` is authorised by `s3:GetObject`,
/// the multipart calls by `s3:PutObject`, `ListObjectsV2` by `s3:ListBucket`).
pub fn iam_action(operation: &str) -> Option<String> {
    let (service, op) = operation.split_once(':')?;
    let action = match (service, op) {
        ("s3", "HeadObject") | ("s3", "GetObject") => "s3:GetObject".to_owned(),
        (
            "s3",
            "PutObject"
            | "CreateMultipartUpload"
            | "UploadPart"
            | "CompleteMultipartUpload"
            | "CopyObject",
        ) => "s3:PutObject".to_owned(),
        ("s3", "ListObjectsV2") | ("s3", "ListObjects") => "s3:ListBucket".to_owned(),
        (service, op) => format!("{service}:{op}"),
    };
    Some(action)
}

#[cfg(test)]
mod tests {
    use super::{grants, iam_action};

    #[test]
    fn operations_map_to_actions() {
        assert_eq!(iam_action("s3:HeadObject").as_deref(), Some("s3:GetObject"));
        assert_eq!(iam_action("s3:UploadPart").as_deref(), Some("s3:PutObject"));
        assert_eq!(
            iam_action("s3:ListObjectsV2").as_deref(),
            Some("s3:ListBucket")
        );
        assert_eq!(
            iam_action("dynamodb:UpdateItem").as_deref(),
            Some("dynamodb:UpdateItem")
        );
        assert_eq!(
            iam_action("states:StartExecution").as_deref(),
            Some("states:StartExecution")
        );
        assert_eq!(
            grants("s3:HeadObject", "bucket/raw/*"),
            vec![
                ("s3:GetObject".to_string(), "bucket/raw/*".to_string()),
                ("s3:ListBucket".to_string(), "bucket".to_string())
            ]
        );
    }
}
