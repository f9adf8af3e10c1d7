//! Static assets, compiled into the binary.

use axum::http::header;
use axum::response::IntoResponse;

const STYLE: &str = include_str!("../../assets/style.css");
const DELIVER: &str = include_str!("../../assets/deliver.js");
const DOWNLOAD: &str = include_str!("../../assets/download.js");

pub(crate) async fn style() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
}

fn script(body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}

pub(crate) async fn deliver_script() -> impl IntoResponse {
    script(DELIVER)
}

pub(crate) async fn download_script() -> impl IntoResponse {
    script(DOWNLOAD)
}
