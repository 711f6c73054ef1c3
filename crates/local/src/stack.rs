//! The embedded default assembled: folder blobs and SQLite under one data dir, the
//! pipeline over them, and the in-process workflow running the ASL definition.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pipeline::intake::Intake;
use pipeline::{BlobStore, Pipeline, RecordStore, Settings, UploadSigner, WorkflowStarter};

use crate::workflow::{LocalStarter, LocalWorkflow, WorkflowError};
use crate::{FsBlobStore, LocalUploadSigner, SqliteStore};

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("data dir {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
    #[error("database: {0}")]
    Database(pipeline::StoreError),
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
}

/// Everything `media-hub serve` runs on, on one machine.
pub struct LocalStack {
    pub data_dir: PathBuf,
    pub blobs: Arc<dyn BlobStore>,
    pub store: SqliteStore,
    pub pipeline: Pipeline,
    pub workflow: Arc<LocalWorkflow>,
    pub intake: Intake,
}

impl LocalStack {
    /// `data_dir/blobs/` for objects, `data_dir/media-hub.sqlite` for records and executions.
    pub fn open(
        data_dir: &Path,
        settings: Settings,
        definition: Option<&Path>,
    ) -> Result<Self, StackError> {
        let blobs: Arc<dyn BlobStore> = Arc::new(
            FsBlobStore::new(data_dir.join("blobs"))
                .map_err(|e| StackError::DataDir(data_dir.to_path_buf(), e))?,
        );
        let signer: Arc<dyn UploadSigner> = Arc::new(
            LocalUploadSigner::open(data_dir)
                .map_err(|e| StackError::DataDir(data_dir.to_path_buf(), e))?,
        );
        Self::with_ports(data_dir, blobs, None, Some(signer), settings, definition)
    }

    /// [`Self::open`] with faults injected into the blob and record stores (tests only).
    /// Returns the stack and the two running plans (to count or switch them off).
    pub fn open_with_faults(
        data_dir: &Path,
        settings: Settings,
        definition: Option<&Path>,
        faults: &crate::faults::StoreFaults,
    ) -> Result<(Self, Arc<crate::faults::Faults>, Arc<crate::faults::Faults>), StackError> {
        use crate::faults::{Faults, FaultyBlobs, FaultyRecords};
        let blob_faults = Faults::new(faults.blobs.clone());
        let record_faults = Faults::new(faults.records.clone());
        let blobs: Arc<dyn BlobStore> = Arc::new(FaultyBlobs {
            inner: Arc::new(
                FsBlobStore::new(data_dir.join("blobs"))
                    .map_err(|e| StackError::DataDir(data_dir.to_path_buf(), e))?,
            ),
            faults: blob_faults.clone(),
        });
        let signer: Arc<dyn UploadSigner> = Arc::new(
            LocalUploadSigner::open(data_dir)
                .map_err(|e| StackError::DataDir(data_dir.to_path_buf(), e))?,
        );
        let injected = record_faults.clone();
        let stack = Self::assemble(
            data_dir,
            blobs,
            |store| {
                Arc::new(FaultyRecords {
                    inner: Arc::new(store.clone()),
                    faults: injected,
                })
            },
            Some(signer),
            settings,
            definition,
        )?;
        stack.pipeline.budget.inject_panics(faults.decoder_panic);
        Ok((stack, blob_faults, record_faults))
    }

    /// The hybrid mode: objects and (when given) records in other stores, such as S3 and
    /// DynamoDB; the interpreter, executions and their history stay local in
    /// `data_dir/media-hub.sqlite`. `signer` signs direct uploads for that blob store.
    pub fn with_ports(
        data_dir: &Path,
        blobs: Arc<dyn BlobStore>,
        records: Option<Arc<dyn RecordStore>>,
        signer: Option<Arc<dyn UploadSigner>>,
        settings: Settings,
        definition: Option<&Path>,
    ) -> Result<Self, StackError> {
        Self::assemble(
            data_dir,
            blobs,
            |store| records.unwrap_or_else(|| Arc::new(store.clone())),
            signer,
            settings,
            definition,
        )
    }

    /// The stack over one SQLite store; `records` chooses the record store from it.
    fn assemble(
        data_dir: &Path,
        blobs: Arc<dyn BlobStore>,
        records: impl FnOnce(&SqliteStore) -> Arc<dyn RecordStore>,
        signer: Option<Arc<dyn UploadSigner>>,
        settings: Settings,
        definition: Option<&Path>,
    ) -> Result<Self, StackError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StackError::DataDir(data_dir.to_path_buf(), e))?;
        let store =
            SqliteStore::open(&data_dir.join("media-hub.sqlite")).map_err(StackError::Database)?;
        let records = records(&store);
        let pipeline = Pipeline::new(blobs.clone(), records.clone(), settings);
        let workflow = LocalWorkflow::new(definition, store.clone(), pipeline.clone())?;
        let starter: Arc<dyn WorkflowStarter> = Arc::new(LocalStarter(workflow.clone()));
        let intake = Intake {
            blobs: blobs.clone(),
            records,
            workflow: starter,
            settings: pipeline.settings.clone(),
            signer,
        };
        Ok(LocalStack {
            data_dir: data_dir.to_path_buf(),
            blobs,
            store,
            pipeline,
            workflow,
            intake,
        })
    }
}
