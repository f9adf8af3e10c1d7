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

/// A file download: bytes as they are, under their own name.
pub(crate) fn attachment(file_name: &str, bytes: Vec<u8>) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, disposition(file_name)),
        ],
        bytes,
    )
        .into_response()
}

/// `Content-Disposition` of a download: the name as RFC 8187 UTF-8
/// (`filename*`, so 样本量.csv arrives as such), and a plain ASCII one for
/// clients that read only `filename`.
pub(crate) fn disposition(file_name: &str) -> String {
    use std::fmt::Write;
    let plain: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(file_name.len() * 3);
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            let _ = write!(encoded, "%{b:02X}");
        }
    }
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::disposition;

    #[test]
    fn downloads_keep_their_chinese_names() {
        assert_eq!(
            disposition("样本量 v1.csv"),
            "attachment; filename=\"____v1.csv\"; filename*=UTF-8''%E6%A0%B7%E6%9C%AC%E9%87%8F%20v1.csv"
        );
        assert_eq!(
            disposition("a\"b;.zip"),
            "attachment; filename=\"a_b_.zip\"; filename*=UTF-8''a%22b%3B.zip",
            "no quote or separator gets through"
        );
    }
}
