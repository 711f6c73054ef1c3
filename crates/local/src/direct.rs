//! The local stand-in for S3's presigned POST: [`LocalUploadSigner`] signs the same
//! conditions (exact key, content type, size range, expiry) with an HMAC key kept in the
//! data dir, and checks the forms posted to the local endpoint (`POST /direct-uploads`,
//! served by the api router) before a byte is stored.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use hmac::{Hmac, Mac};
use pipeline::{PostConditions, PresignedPost, StoreError, UploadSigner};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Where the local endpoint for direct uploads lives (same origin as the form).
pub const DIRECT_UPLOAD_PATH: &str = "/direct-uploads";

const KEY_FILE: &str = "direct-upload.key";

type HmacSha256 = Hmac<Sha256>;

pub struct LocalUploadSigner {
    key: Vec<u8>,
    url: String,
}

/// The signed part of a form.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Policy {
    key: String,
    content_type: String,
    min_bytes: u64,
    max_bytes: u64,
    /// seconds since the Unix epoch
    expires: i64,
}

impl LocalUploadSigner {
    /// The signer of a data dir: its key is made once and kept, so forms signed before a
    /// restart still verify after it.
    pub fn open(data_dir: &Path) -> std::io::Result<Self> {
        let path = data_dir.join(KEY_FILE);
        let key = match std::fs::read(&path) {
            Ok(k) if k.len() >= 32 => k,
            _ => {
                let mut k = Vec::with_capacity(32);
                k.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
                k.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
                write_private(&path, &k)?;
                k
            }
        };
        Ok(Self::with_key(key))
    }

    pub fn with_key(key: Vec<u8>) -> Self {
        LocalUploadSigner {
            key,
            url: DIRECT_UPLOAD_PATH.to_owned(),
        }
    }

    fn mac(&self) -> HmacSha256 {
        match HmacSha256::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        }
    }

    fn sign(&self, c: &PostConditions, now: i64) -> PresignedPost {
        let expires_in = i64::try_from(c.expires_in.as_secs()).unwrap_or(i64::MAX / 2);
        let policy = Policy {
            key: c.key.clone(),
            content_type: c.content_type.clone(),
            min_bytes: c.min_bytes,
            max_bytes: c.max_bytes,
            expires: now.saturating_add(expires_in),
        };
        let text = serde_json::to_string(&policy).unwrap_or_default();
        let policy_b64 = base64::engine::general_purpose::STANDARD.encode(text);
        let mut mac = self.mac();
        mac.update(policy_b64.as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());
        let mut fields = BTreeMap::new();
        fields.insert("key".to_owned(), c.key.clone());
        fields.insert("Content-Type".to_owned(), c.content_type.clone());
        fields.insert("policy".to_owned(), policy_b64);
        fields.insert("signature".to_owned(), signature);
        let expires_at = chrono::DateTime::from_timestamp(policy.expires, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        PresignedPost {
            url: self.url.clone(),
            fields,
            expires_at,
        }
    }

    fn verify_at(
        &self,
        fields: &BTreeMap<String, String>,
        now: i64,
    ) -> Result<PostConditions, StoreError> {
        let field = |name: &str| {
            fields
                .get(name)
                .ok_or_else(|| StoreError::Invalid(format!("the form has no {name:?} field")))
        };
        let policy_b64 = field("policy")?;
        let signature = hex::decode(field("signature")?)
            .map_err(|_| StoreError::Invalid("the signature is not hex".into()))?;
        let mut mac = self.mac();
        mac.update(policy_b64.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| StoreError::Invalid("the policy's signature does not match".into()))?;
        let text = base64::engine::general_purpose::STANDARD
            .decode(policy_b64)
            .map_err(|_| StoreError::Invalid("the policy is not base64".into()))?;
        let policy: Policy = serde_json::from_slice(&text)
            .map_err(|e| StoreError::Invalid(format!("the policy: {e}")))?;
        if now > policy.expires {
            return Err(StoreError::Invalid("the policy has expired".into()));
        }
        if field("key")? != &policy.key {
            return Err(StoreError::Invalid("key is not the signed key".into()));
        }
        if field("Content-Type")? != &policy.content_type {
            return Err(StoreError::Invalid(
                "Content-Type is not the signed type".into(),
            ));
        }
        Ok(PostConditions {
            key: policy.key,
            content_type: policy.content_type,
            min_bytes: policy.min_bytes,
            max_bytes: policy.max_bytes,
            expires_in: Duration::from_secs(u64::try_from(policy.expires - now).unwrap_or(0)),
        })
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?;
        f.write_all(bytes)
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, bytes)
    }
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[async_trait]
impl UploadSigner for LocalUploadSigner {
    async fn presign_post(&self, c: &PostConditions) -> Result<PresignedPost, StoreError> {
        Ok(self.sign(c, unix_now()))
    }

    fn verify_post(&self, fields: &BTreeMap<String, String>) -> Result<PostConditions, StoreError> {
        self.verify_at(fields, unix_now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conditions() -> PostConditions {
        PostConditions {
            key: "incoming/abc/file".into(),
            content_type: "image/jpeg".into(),
            min_bytes: 1,
            max_bytes: 100,
            expires_in: Duration::from_secs(60),
        }
    }

    #[test]
    fn a_signed_form_verifies_and_a_changed_one_does_not() {
        let s = LocalUploadSigner::with_key(b"k".repeat(32));
        let post = s.sign(&conditions(), 1_000);
        assert_eq!(post.url, DIRECT_UPLOAD_PATH);
        let ok = s.verify_at(&post.fields, 1_030).unwrap();
        assert_eq!(ok.key, "incoming/abc/file");
        assert_eq!(ok.max_bytes, 100);

        let mut other_key = post.fields.clone();
        other_key.insert("key".into(), "raw/abc/original.jpg".into());
        assert!(s.verify_at(&other_key, 1_030).is_err());

        let mut other_type = post.fields.clone();
        other_type.insert("Content-Type".into(), "image/png".into());
        assert!(s.verify_at(&other_type, 1_030).is_err());

        // a policy rewritten by the client no longer matches its signature
        let mut forged = post.fields.clone();
        let bigger = serde_json::json!({"key": "incoming/abc/file", "contentType": "image/jpeg",
            "minBytes": 1, "maxBytes": 1u64 << 40, "expires": 1_060});
        forged.insert(
            "policy".into(),
            base64::engine::general_purpose::STANDARD.encode(bigger.to_string()),
        );
        assert!(s.verify_at(&forged, 1_030).is_err());

        assert!(s.verify_at(&post.fields, 1_061).is_err(), "expired");
        let stranger = LocalUploadSigner::with_key(b"x".repeat(32));
        assert!(stranger.verify_at(&post.fields, 1_030).is_err());
        let mut missing = post.fields.clone();
        missing.remove("signature");
        assert!(s.verify_at(&missing, 1_030).is_err());
    }

    #[test]
    fn the_key_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let a = LocalUploadSigner::open(dir.path()).unwrap();
        let post = a.sign(&conditions(), 1_000);
        let b = LocalUploadSigner::open(dir.path()).unwrap();
        assert!(b.verify_at(&post.fields, 1_001).is_ok());
    }
}
