//! Response builders shared by the handlers.

use std::convert::Infallible;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use serde::Serialize;

/// Every response body the target sends: small in-memory bodies and generated streams.
pub type ResponseBody = BoxBody<Bytes, Infallible>;

const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A response with `body` and the given status.
pub fn with_body(status: StatusCode, body: ResponseBody) -> Response<ResponseBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
}

pub fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<ResponseBody> {
    let mut response = with_body(status, Full::new(body.into()).boxed());
    response.headers_mut().insert(CONTENT_TYPE, TEXT_PLAIN);
    response
}

pub fn json(status: StatusCode, value: &impl Serialize) -> Response<ResponseBody> {
    // Our own types and `serde_json::Value` always serialize; an empty object is a safe fallback.
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = with_body(status, Full::new(Bytes::from(body)).boxed());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, APPLICATION_JSON);
    response
}

pub fn empty(status: StatusCode) -> Response<ResponseBody> {
    with_body(status, Empty::new().boxed())
}

/// Adds a header whose value is built at run time (numbers, ids); skips values that are not
/// valid header text rather than failing the response.
pub fn header(
    mut response: Response<ResponseBody>,
    name: HeaderName,
    value: &str,
) -> Response<ResponseBody> {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
    response
}

/// `{"error": message}` with the given status.
pub fn error(status: StatusCode, message: impl std::fmt::Display) -> Response<ResponseBody> {
    json(status, &serde_json::json!({ "error": message.to_string() }))
}
