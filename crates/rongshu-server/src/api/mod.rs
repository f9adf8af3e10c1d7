//! The JSON API under `/api/v1`. Handlers are thin: parse, one call, map.

pub(crate) mod ckan;
pub(crate) mod front;
pub(crate) mod ledger;
pub(crate) mod me;
pub(crate) mod organizations;
pub(crate) mod product_types;
pub(crate) mod products;
pub(crate) mod resource_types;
pub(crate) mod resources;
pub(crate) mod sandbox;
pub(crate) mod sandbox_types;
pub(crate) mod sessions;
pub(crate) mod system;
pub(crate) mod types;
pub(crate) mod workflow;
pub(crate) mod workflow_types;

/// A file download: the name made safe for the header, bytes as they are.
pub(crate) fn attachment(file_name: &str, bytes: Vec<u8>) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let name: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}
