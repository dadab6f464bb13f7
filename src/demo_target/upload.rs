//! `POST /upload`: a streaming `multipart/form-data` parser that counts, never stores.

use futures_util::TryStreamExt;
use http_body_util::BodyStream;
use hyper::body::Incoming;
use serde::Serialize;

/// One form field as seen by the target.
#[derive(Debug, Serialize)]
pub struct PartSummary {
    pub field: Option<String>,
    pub filename: Option<String>,
    pub size: u64,
}

/// The answer to an upload.
#[derive(Debug, Serialize)]
pub struct UploadSummary {
    pub parts: Vec<PartSummary>,
    pub total_bytes: u64,
}

/// Why an upload was refused (answered 400 with this text).
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("expected Content-Type: multipart/form-data with a boundary: {0}")]
    NotMultipart(multer::Error),
    #[error("malformed multipart body: {0}")]
    Malformed(multer::Error),
}

/// Reads every part of the body chunk by chunk and reports the sizes.
pub async fn summarize(content_type: &str, body: Incoming) -> Result<UploadSummary, UploadError> {
    let boundary = multer::parse_boundary(content_type).map_err(UploadError::NotMultipart)?;
    let chunks =
        BodyStream::new(body).try_filter_map(|frame| async move { Ok(frame.into_data().ok()) });
    let mut multipart = multer::Multipart::new(chunks, boundary);

    let mut summary = UploadSummary {
        parts: Vec::new(),
        total_bytes: 0,
    };
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(UploadError::Malformed)?
    {
        let mut part = PartSummary {
            field: field.name().map(str::to_owned),
            filename: field.file_name().map(str::to_owned),
            size: 0,
        };
        while let Some(chunk) = field.chunk().await.map_err(UploadError::Malformed)? {
            part.size += chunk.len() as u64;
        }
        summary.total_bytes += part.size;
        summary.parts.push(part);
    }
    Ok(summary)
}
