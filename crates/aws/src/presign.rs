//! Presigned S3 POST (browser-based upload with a signed policy, SigV4). The SDK presigns
//! single requests (PUT/GET) but not POST policies, whose conditions are what bound an
//! upload that bypasses the API: the exact key, the content type and a size range.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_credential_types::provider::ProvideCredentials;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use pipeline::{PostConditions, PresignedPost, StoreError, UploadSigner};
use serde_json::{json, Value};
use sha2::Sha256;

/// Signing inputs, separated from credential loading so the signature is testable.
pub struct Signer<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub session_token: Option<&'a str>,
    pub region: &'a str,
    pub now: DateTime<Utc>,
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

impl Signer<'_> {
    /// The POST form fields (including `policy` and `x-amz-signature`) for `bucket`.
    pub fn sign(&self, bucket: &str, c: &PostConditions) -> (BTreeMap<String, String>, String) {
        let short_date = self.now.format("%Y%m%d").to_string();
        let amz_date = self.now.format("%Y%m%dT%H%M%SZ").to_string();
        let credential = format!(
            "{}/{short_date}/{}/s3/aws4_request",
            self.access_key, self.region
        );
        let expires = self.now
            + chrono::Duration::from_std(c.expires_in)
                .unwrap_or_else(|_| chrono::Duration::minutes(15));
        let expiration = expires.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);

        let mut conditions: Vec<Value> = vec![
            json!({ "bucket": bucket }),
            json!(["eq", "$key", &c.key]),
            json!(["eq", "$Content-Type", &c.content_type]),
            json!(["content-length-range", c.min_bytes, c.max_bytes]),
            json!({ "x-amz-algorithm": "AWS4-HMAC-SHA256" }),
            json!({ "x-amz-credential": credential }),
            json!({ "x-amz-date": amz_date }),
        ];
        if let Some(token) = self.session_token {
            conditions.push(json!({ "x-amz-security-token": token }));
        }
        let policy = json!({ "expiration": expiration, "conditions": conditions });
        let policy_b64 = base64::engine::general_purpose::STANDARD.encode(policy.to_string());

        let k_date = hmac(
            format!("AWS4{}", self.secret_key).as_bytes(),
            short_date.as_bytes(),
        );
        let k_region = hmac(&k_date, self.region.as_bytes());
        let k_service = hmac(&k_region, b"s3");
        let k_signing = hmac(&k_service, b"aws4_request");
        let signature = hex::encode(hmac(&k_signing, policy_b64.as_bytes()));

        let mut fields = BTreeMap::new();
        fields.insert("key".to_owned(), c.key.clone());
        fields.insert("Content-Type".to_owned(), c.content_type.clone());
        fields.insert("x-amz-algorithm".to_owned(), "AWS4-HMAC-SHA256".to_owned());
        fields.insert("x-amz-credential".to_owned(), credential);
        fields.insert("x-amz-date".to_owned(), amz_date);
        if let Some(token) = self.session_token {
            fields.insert("x-amz-security-token".to_owned(), token.to_owned());
        }
        fields.insert("policy".to_owned(), policy_b64);
        fields.insert("x-amz-signature".to_owned(), signature);
        (fields, expiration)
    }
}

/// The POST URL of a bucket: path style under a custom endpoint, virtual-hosted on AWS.
pub fn bucket_url(bucket: &str, region: &str, endpoint: Option<&str>) -> String {
    match endpoint {
        Some(e) => format!("{}/{bucket}", e.trim_end_matches('/')),
        None => format!("https://{bucket}.s3.{region}.amazonaws.com"),
    }
}

impl crate::S3BlobStore {
    /// A presigned POST for exactly `key`, `content_type` and at most `max_bytes`.
    pub async fn presigned_post(
        &self,
        key: &str,
        content_type: &str,
        max_bytes: u64,
        expires_in: Duration,
    ) -> Result<PresignedPost, StoreError> {
        let signing = self.signing().ok_or_else(|| {
            StoreError::Invalid("no AWS credentials configured for presigning".into())
        })?;
        let creds = signing
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| StoreError::Unavailable(format!("credentials: {e}")))?;
        let region = signing.region.clone();
        let signer = Signer {
            access_key: creds.access_key_id(),
            secret_key: creds.secret_access_key(),
            session_token: creds.session_token(),
            region: &region,
            now: DateTime::<Utc>::from(SystemTime::now()),
        };
        let conditions = PostConditions {
            key: key.to_owned(),
            content_type: content_type.to_owned(),
            min_bytes: 1,
            max_bytes,
            expires_in,
        };
        let (fields, expires_at) = signer.sign(self.bucket(), &conditions);
        Ok(PresignedPost {
            url: bucket_url(self.bucket(), &region, signing.endpoint.as_deref()),
            fields,
            expires_at,
        })
    }
}

/// S3 checks the policy itself; the API only signs.
#[async_trait]
impl UploadSigner for crate::S3BlobStore {
    async fn presign_post(&self, c: &PostConditions) -> Result<PresignedPost, StoreError> {
        self.presigned_post(&c.key, &c.content_type, c.max_bytes, c.expires_in)
            .await
    }

    async fn presign_get(
        &self,
        key: &str,
        expires_in: Duration,
    ) -> Result<Option<String>, StoreError> {
        self.presigned_get(key, expires_in).await.map(Some)
    }

    fn browser_origin(&self) -> Option<String> {
        let signing = self.signing()?;
        let url = bucket_url(self.bucket(), &signing.region, signing.endpoint.as_deref());
        Some(origin_of(&url))
    }
}

/// `scheme://host[:port]` of a URL.
pub fn origin_of(url: &str) -> String {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(i) => url[..after_scheme + i].to_owned(),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn policy_carries_the_conditions_and_a_stable_signature() {
        let signer = Signer {
            access_key: "AKIDEXAMPLE",
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            session_token: None,
            region: "us-east-1",
            now: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        };
        let c = PostConditions {
            key: "raw/abc/original.mp4".into(),
            content_type: "video/mp4".into(),
            min_bytes: 1,
            max_bytes: 52_428_800,
            expires_in: Duration::from_secs(900),
        };
        let (fields, expires) = signer.sign("media", &c);
        assert_eq!(expires, "2026-01-02T03:19:05.000Z");
        assert_eq!(
            fields["x-amz-credential"],
            "AKIDEXAMPLE/20260102/us-east-1/s3/aws4_request"
        );
        assert_eq!(fields["x-amz-date"], "20260102T030405Z");
        let policy: Value = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD
                .decode(&fields["policy"])
                .unwrap(),
        )
        .unwrap();
        let conditions = policy["conditions"].as_array().unwrap();
        assert!(conditions.contains(&json!(["content-length-range", 1, 52_428_800])));
        assert!(conditions.contains(&json!(["eq", "$key", "raw/abc/original.mp4"])));
        assert!(conditions.contains(&json!(["eq", "$Content-Type", "video/mp4"])));
        assert_eq!(fields["x-amz-signature"].len(), 64);
        // same inputs, same signature
        assert_eq!(signer.sign("media", &c).0, fields);
    }

    #[test]
    fn origins_drop_the_path() {
        assert_eq!(
            origin_of("http://127.0.0.1:5000/media-hub"),
            "http://127.0.0.1:5000"
        );
        assert_eq!(
            origin_of("https://b.s3.eu-west-1.amazonaws.com"),
            "https://b.s3.eu-west-1.amazonaws.com"
        );
    }

    #[test]
    fn urls_are_path_style_under_custom_endpoints() {
        assert_eq!(
            bucket_url("b", "eu-west-1", Some("http://127.0.0.1:5000/")),
            "http://127.0.0.1:5000/b"
        );
        assert_eq!(
            bucket_url("b", "eu-west-1", None),
            "https://b.s3.eu-west-1.amazonaws.com"
        );
    }
}
