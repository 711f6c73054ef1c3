//! `WorkflowStarter` over Step Functions.
//!
//! The execution name is the media id, so one upload can never run twice. Step Functions
//! answers a repeated StartExecution in one of two ways: `ExecutionAlreadyExists` (the
//! execution is closed, or the input differs), or, for a running Standard execution with
//! the same input, success with the existing ARN. The second is told apart by first asking
//! for the execution (DescribeExecution); both count as `already_started`.

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_sfn::Client;
use pipeline::ports::execution_input_json;
use pipeline::{ExecutionInput, Started, StoreError, WorkflowStarter};

use crate::error::{classify, code};

#[derive(Clone, Debug)]
pub struct SfnWorkflowStarter {
    client: Client,
    state_machine_arn: String,
}

/// `arn:aws:states:R:A:stateMachine:NAME` + `id` → `arn:aws:states:R:A:execution:NAME:id`.
pub fn execution_arn(state_machine_arn: &str, name: &str) -> Option<String> {
    let (head, machine) = state_machine_arn.split_once(":stateMachine:")?;
    Some(format!("{head}:execution:{machine}:{name}"))
}

impl SfnWorkflowStarter {
    pub fn new(sdk: &SdkConfig, state_machine_arn: &str) -> Self {
        Self::from_client(Client::new(sdk), state_machine_arn)
    }

    pub fn from_client(client: Client, state_machine_arn: &str) -> Self {
        SfnWorkflowStarter {
            client,
            state_machine_arn: state_machine_arn.to_owned(),
        }
    }

    pub fn state_machine_arn(&self) -> &str {
        &self.state_machine_arn
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Does an execution of this ARN exist (running or closed)?
    async fn exists(&self, arn: &str) -> Result<bool, StoreError> {
        match self
            .client
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if code(&e) == Some("ExecutionDoesNotExist") => Ok(false),
            Err(e) => Err(classify("DescribeExecution", e)),
        }
    }
}

#[async_trait]
impl WorkflowStarter for SfnWorkflowStarter {
    async fn start(&self, input: &ExecutionInput) -> Result<Started, StoreError> {
        if !pipeline::keys::is_valid_id(&input.id) {
            return Err(StoreError::Invalid(format!(
                "invalid execution name {:?}",
                input.id
            )));
        }
        let known = execution_arn(&self.state_machine_arn, &input.id);
        if let Some(arn) = &known {
            if self.exists(arn).await? {
                tracing::info!(id = %input.id, "execution exists already; nothing started");
                return Ok(Started {
                    execution_arn: arn.clone(),
                    already_started: true,
                });
            }
        }
        let body = serde_json::to_string(&execution_input_json(input))
            .map_err(|e| StoreError::Invalid(format!("execution input: {e}")))?;
        let started = self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(&input.id)
            .input(body)
            .send()
            .await;
        match started {
            Ok(out) => {
                tracing::info!(id = %input.id, arn = out.execution_arn(), "execution started");
                Ok(Started {
                    execution_arn: out.execution_arn().to_owned(),
                    already_started: false,
                })
            }
            Err(e) if code(&e) == Some("ExecutionAlreadyExists") => Ok(Started {
                execution_arn: known.unwrap_or_default(),
                already_started: true,
            }),
            Err(e) => Err(classify("StartExecution", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::execution_arn;

    #[test]
    fn execution_arns_follow_the_state_machine() {
        assert_eq!(
            execution_arn(
                "arn:aws:states:eu-west-1:123456789012:stateMachine:media-pipeline",
                "abc"
            )
            .as_deref(),
            Some("arn:aws:states:eu-west-1:123456789012:execution:media-pipeline:abc")
        );
        assert_eq!(execution_arn("nonsense", "abc"), None);
    }
}
