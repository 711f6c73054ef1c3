//! Task `Resource` ARNs: which integration pattern a resource asks for (request-response,
//! `.sync`, `.sync:2`, `.waitForTaskToken`) and AWS's validation of the ARN's shape.
//! Whether a well-formed resource can be served is the `TaskInvoker`'s answer at run time.

/// How a Task waits for its integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// the call's response is the result
    RequestResponse,
    /// `.sync` / `.sync:2`: the call runs a job and the result is the job's end
    Sync,
    /// `.waitForTaskToken`: the result is what `SendTaskSuccess` sends for `$$.Task.Token`
    Callback,
}

/// AWS's message for a resource it does not recognise.
pub fn not_recognized(resource: &str) -> String {
    format!(
        "The resource provided {resource} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."
    )
}

/// The pattern of a Task resource, or AWS's validation message.
pub fn pattern(resource: &str) -> Result<Pattern, String> {
    let parts: Vec<&str> = resource.split(':').collect();
    if parts.len() < 6 || parts[0] != "arn" || parts[1].is_empty() || parts[2].is_empty() {
        return Err(not_recognized(resource));
    }
    if parts[2] != "states" || parts[5] == "activity" || parts[5] == "stateMachine" {
        // a Lambda function, an activity, ...: request-response
        return Ok(Pattern::RequestResponse);
    }
    // arn:aws:states:::SERVICE:ACTION[.PATTERN] (the action may hold ':' for aws-sdk)
    if parts.len() < 7 || parts[5].is_empty() {
        return Err(not_recognized(resource));
    }
    let action = parts[6..].join(":");
    let pattern = if action.ends_with(".waitForTaskToken") {
        Pattern::Callback
    } else if action.ends_with(".sync") || action.ends_with(".sync:2") {
        Pattern::Sync
    } else if action.contains('.') || action.is_empty() {
        return Err(not_recognized(resource));
    } else {
        Pattern::RequestResponse
    };
    Ok(pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_and_refusals() {
        assert_eq!(
            pattern("arn:aws:states:::lambda:invoke"),
            Ok(Pattern::RequestResponse)
        );
        assert_eq!(
            pattern("arn:aws:states:::lambda:invoke.waitForTaskToken"),
            Ok(Pattern::Callback)
        );
        assert_eq!(
            pattern("arn:aws:states:::states:startExecution.sync:2"),
            Ok(Pattern::Sync)
        );
        assert_eq!(
            pattern("arn:aws:states:::aws-sdk:s3:listObjectsV2"),
            Ok(Pattern::RequestResponse)
        );
        assert_eq!(
            pattern("arn:aws:lambda:us-east-1:123456789012:function:f"),
            Ok(Pattern::RequestResponse)
        );
        assert!(pattern("r").is_err());
        assert!(pattern("arn:aws:states:::lambda:invoke.waitForever").is_err());
        assert!(pattern("arn:aws:states:::lambda").is_err());
    }
}
