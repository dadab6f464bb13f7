//! One VU's HTTP client: it owns its keep-alive connection to each origin, like a
//! real user agent, reconnects after a close or error, and turns every request
//! into an [`Outcome`] with its [`OutcomeClass`]. No metrics code lives here.
//!
//! Failures are classed by the phase they happen in, never by the error's wording,
//! so one hostile server always gives one class:
//!
//! | phase | failure | class |
//! |---|---|---|
//! | resolving the host | no address | `dns` |
//! | opening the TCP connection | refused, reset, unreachable | `connect` |
//! | TLS handshake | bad certificate, closed or reset during the handshake | `tls` |
//! | the exchange, once connected | closed or reset before the response head, malformed head, status outside 2xx–5xx, body cut short (closed or reset) | `protocol` |
//! | any phase | the request's timeout ran out | `timeout` |
//!
//! A server that closes on accept and one that closes after reading the request look
//! the same from here (the request was handed to an open connection, then no
//! response came), so both are `protocol`; the only exception is a keep-alive
//! connection the server closed while it was idle, which is retried once on a fresh
//! connection (as browsers do) and classed by that retry. Bytes that arrived count in
//! `bytes_in` whatever the class, timeouts included.
//!
//! Each VU also keeps its cookie jar here ([`Jar`]) and follows redirects
//! (`engine::redirect`): the hops share the request's timeout, latency and byte
//! counts, reuse the VU's connection to each origin, and the last response is the
//! one judged and recorded. Too many hops, or a `Location` that cannot be followed,
//! is the `redirect` class.

use std::io;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::header::{HOST, LOCATION};
use http::{HeaderMap, Request};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

use crate::engine::check::{CheckTally, Observed, fmt_duration, judge};
use crate::engine::cookies::Jar;
use crate::engine::redirect::{self, RedirectError};
use crate::engine::request::{Origin, Prepared, PreparedRequest};
use crate::outcome::{Outcome, OutcomeClass};

/// Bytes of body kept for a `body_contains` check; the rest is counted, not kept.
const CHECK_BODY_LIMIT: usize = 1 << 20;
/// Origins a VU keeps connections to that only redirects led to; past this the
/// last one is replaced (a chain wandering over many hosts must not grow a VU).
const MAX_REDIRECT_ORIGINS: usize = 8;

/// Client options shared by every VU.
#[derive(Clone)]
pub struct ClientConfig {
    /// Speak HTTP/2 (prior knowledge on http://, ALPN on https://).
    pub http2: bool,
    pub tls: Arc<rustls::ClientConfig>,
    /// `--connect-timeout`: the most a connection (TCP and TLS) may take to open.
    pub connect_timeout: Option<std::time::Duration>,
    /// False with `--disable-keepalive`: each connection serves one request.
    pub keep_alive: bool,
}

/// The TLS client configuration could not be built (no usable protocol versions
/// in the crypto provider).
#[derive(Debug, thiserror::Error)]
#[error("TLS setup failed: {0}")]
pub struct TlsSetupError(#[from] rustls::Error);

impl ClientConfig {
    pub fn new(http2: bool, insecure: bool) -> Result<ClientConfig, TlsSetupError> {
        Ok(ClientConfig {
            http2,
            tls: Arc::new(tls_config(http2, insecure)?),
            connect_timeout: None,
            keep_alive: true,
        })
    }
}

/// The rustls client configuration VUs use: webpki roots, or any certificate with
/// `insecure` (handshake signatures still checked); ALPN offers h2 with `http2`.
pub fn tls_config(http2: bool, insecure: bool) -> Result<rustls::ClientConfig, TlsSetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(TlsSetupError)?;
    let mut config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(insecure::AcceptAnyCert(provider)))
            .with_no_client_auth()
    } else {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(config)
}

/// A live connection to one origin.
enum Conn {
    H1(http1::SendRequest<Full<Bytes>>),
    H2(http2::SendRequest<Full<Bytes>>),
}

impl Conn {
    fn is_closed(&self) -> bool {
        match self {
            Conn::H1(s) => s.is_closed(),
            Conn::H2(s) => s.is_closed(),
        }
    }
}

/// Why a request produced no response.
#[derive(Debug)]
pub struct Failure {
    pub class: OutcomeClass,
    pub message: String,
}

impl Failure {
    fn new(class: OutcomeClass, message: impl Into<String>) -> Failure {
        Failure {
            class,
            message: message.into(),
        }
    }
}

/// The result of one request: the outcome to record and, for errors, a message.
pub struct Executed {
    pub outcome: Outcome,
    pub message: Option<String>,
    /// How the request's checks went (all zero without explicit checks).
    pub checks: CheckTally,
    /// Headers and body, when the request asked for them (`PreparedRequest::detail`)
    /// and a response arrived.
    pub detail: Option<Detail>,
}

/// What a journey step reads from a response.
#[derive(Debug)]
pub struct Detail {
    pub headers: http::HeaderMap,
    /// The body's first bytes, when kept.
    pub body: Option<Vec<u8>>,
    /// The kept body as JSON, when asked for and valid.
    pub json: Option<serde_json::Value>,
    /// Body bytes received (all of them, kept or not).
    pub body_bytes: u64,
}

/// One VU's connections, one slot per origin.
pub struct VuClient {
    config: ClientConfig,
    prepared: Arc<Prepared>,
    conns: Vec<Option<Conn>>,
    /// The last response's header map, emptied, to carry the next request's
    /// headers. hyper parses each response into the map its request carried, so
    /// handing it back and forth leaves the exchange with no header allocation
    /// (a fresh clone of the prepared map costs two per request).
    spare_headers: HeaderMap,
    /// This VU's cookies (empty and store-less until a server sets one).
    jar: Jar,
    /// Origins only redirects led to; their connection slots follow the prepared
    /// origins' in `conns`.
    redirect_origins: Vec<Origin>,
    /// The slot in `conns` of the last request sent (a redirect hop's may differ
    /// from the request's), dropped when that request fails mid-exchange.
    last_origin: usize,
}

impl VuClient {
    pub fn new(config: ClientConfig, prepared: Arc<Prepared>) -> VuClient {
        let conns = prepared.origins.iter().map(|_| None).collect();
        VuClient {
            config,
            prepared,
            conns,
            spare_headers: HeaderMap::new(),
            jar: Jar::default(),
            redirect_origins: Vec::new(),
            last_origin: 0,
        }
    }

    /// The VU's cookies for `uri`, `(name, value)`, for `{{cookie.NAME}}`.
    pub fn cookie_pairs(&self, uri: &http::Uri) -> Vec<(String, String)> {
        self.jar.pairs_for(uri)
    }

    /// The connection slot for `origin`: a prepared origin's, or one for the
    /// origins redirects reach (added, or replacing the last when full).
    fn redirect_slot(&mut self, origin: Origin) -> usize {
        let prepared = self.prepared.origins.len();
        if let Some(i) = self.prepared.origins.iter().position(|o| *o == origin) {
            return i;
        }
        if let Some(i) = self.redirect_origins.iter().position(|o| *o == origin) {
            return prepared + i;
        }
        if self.redirect_origins.len() < MAX_REDIRECT_ORIGINS {
            self.redirect_origins.push(origin);
            self.conns.push(None);
        } else {
            self.redirect_origins[MAX_REDIRECT_ORIGINS - 1] = origin;
            self.conns[prepared + MAX_REDIRECT_ORIGINS - 1] = None;
        }
        prepared + self.redirect_origins.len() - 1
    }

    /// `template`'s headers in the spare map (its capacity kept; names and values
    /// are reference-counted, so copying them does not allocate).
    fn request_headers(&mut self, template: &HeaderMap) -> HeaderMap {
        let mut headers = std::mem::take(&mut self.spare_headers);
        headers.clear();
        headers.extend(template.iter().map(|(n, v)| (n.clone(), v.clone())));
        headers
    }

    /// Keeps `headers` (emptied at once, so the read buffer they point into is not
    /// held) for the next request.
    fn recycle_headers(&mut self, mut headers: HeaderMap) {
        headers.clear();
        self.spare_headers = headers;
    }

    /// Sends request `index`, measuring latency from now.
    ///
    /// `prepared` is the caller's own reference (the same requests this client was
    /// made for): borrowing it, rather than cloning this client's `Arc` per request,
    /// keeps every VU off one shared reference counter.
    pub async fn execute(&mut self, prepared: &Prepared, index: usize) -> Executed {
        self.execute_request(&prepared.requests[index], Instant::now())
            .await
    }

    /// Sends `req` (a prepared request, or one rendered from it for a journey step)
    /// on this VU's connection to `req.origin`.
    pub async fn execute_request(&mut self, req: &PreparedRequest, start: Instant) -> Executed {
        // Counted by the read as bytes arrive, outside the future the timeout drops,
        // so failed and timed-out requests still report what they received.
        let mut received = 0u64;
        let result = tokio::time::timeout(req.timeout, self.exchange(req, &mut received)).await;
        let latency = start.elapsed();
        let mut bytes_out = req.head_bytes + req.body.len() as u64;
        let mut checks = CheckTally::default();
        let mut detail = None;
        let (class, status, bytes_in, message) = match result {
            Err(_) => {
                // The connection is mid-request; it cannot be reused.
                self.conns[self.last_origin] = None;
                let message = format!(
                    "{}: no complete response within {}",
                    req.name,
                    fmt_duration(req.timeout)
                );
                (OutcomeClass::Timeout, 0, received, Some(message))
            }
            Ok(Err(failure)) => {
                // A redirect failure came after a whole response: its connection is fine.
                if failure.class != OutcomeClass::Redirect {
                    self.conns[self.last_origin] = None;
                }
                (
                    failure.class,
                    0,
                    received,
                    Some(format!("{}: {}", req.name, failure.message)),
                )
            }
            Ok(Ok(mut response)) => {
                if req.parse_json {
                    response.json = response
                        .body
                        .as_deref()
                        .and_then(|b| serde_json::from_slice(b).ok());
                }
                let (class, message) = judge(
                    req,
                    &Observed {
                        status: response.status,
                        headers: &response.headers,
                        body: response.body.as_deref(),
                        json: response.json.as_ref(),
                    },
                    latency,
                    &mut checks,
                );
                let (status, bytes_in) = (response.status, response.bytes_in);
                bytes_out += response.redirect_bytes_out;
                if req.detail {
                    detail = Some(Detail {
                        headers: response.headers,
                        body: response.body,
                        json: response.json,
                        body_bytes: response.body_bytes,
                    });
                } else {
                    self.recycle_headers(response.headers);
                }
                (class, status, bytes_in, message)
            }
        };
        Executed {
            outcome: Outcome {
                latency_us: latency.as_micros() as u64,
                class,
                status,
                bytes_in,
                bytes_out,
            },
            message,
            checks,
            detail,
        }
    }

    /// The request and, unless it is off, the redirects it leads to.
    async fn exchange(
        &mut self,
        req: &PreparedRequest,
        received: &mut u64,
    ) -> Result<Response, Failure> {
        let response = self.attempt(req, received).await?;
        if req.follow_redirects == 0 || !redirect::is_followed(response.status) {
            return Ok(response);
        }
        // Boxed: rare, and its state would otherwise size every request's future.
        Box::pin(self.follow(req, response, received)).await
    }

    /// Follows `response`'s redirects, at most `req.follow_redirects` hops; the
    /// last response comes back with every hop's bytes counted in it.
    async fn follow(
        &mut self,
        req: &PreparedRequest,
        mut response: Response,
        received: &mut u64,
    ) -> Result<Response, Failure> {
        let failed = |e: RedirectError| Failure::new(OutcomeClass::Redirect, e.to_string());
        let mut current: Option<PreparedRequest> = None;
        let (mut hops, mut hops_in, mut hops_out) = (0u32, 0u64, 0u64);
        while redirect::is_followed(response.status) {
            let location = response.headers.get(LOCATION);
            if hops == req.follow_redirects {
                let last = location
                    .and_then(|l| l.to_str().ok())
                    .unwrap_or("no Location")
                    .to_string();
                return Err(failed(RedirectError::TooMany {
                    max: req.follow_redirects,
                    last,
                }));
            }
            let from = current.as_ref().unwrap_or(req);
            let (mut next, origin) =
                redirect::next_hop(from, response.status, location).map_err(failed)?;
            hops_in += response.bytes_in;
            hops_out += from.head_bytes + from.body.len() as u64;
            next.origin = self.redirect_slot(origin);
            self.recycle_headers(std::mem::take(&mut response.headers));
            response = self.attempt(&next, received).await?;
            current = Some(next);
            hops += 1;
        }
        response.bytes_in += hops_in;
        response.redirect_bytes_out = hops_out;
        Ok(response)
    }

    async fn attempt(
        &mut self,
        req: &PreparedRequest,
        received: &mut u64,
    ) -> Result<Response, Failure> {
        let reused = self.conns[req.origin]
            .as_ref()
            .is_some_and(|c| !c.is_closed());
        match self.send_once(req, received).await {
            // A keep-alive connection the server closed while idle fails before the
            // request was processed; like browsers, retry once on a fresh connection.
            Err(SendError::Stale(_)) if reused => {
                self.conns[req.origin] = None;
                self.send_once(req, received)
                    .await
                    .map_err(SendError::into_failure)
            }
            other => other.map_err(SendError::into_failure),
        }
    }

    async fn send_once(
        &mut self,
        req: &PreparedRequest,
        received: &mut u64,
    ) -> Result<Response, SendError> {
        self.last_origin = req.origin;
        let slot = &mut self.conns[req.origin];
        if slot.as_ref().is_none_or(Conn::is_closed) {
            let origin = match req.origin.checked_sub(self.prepared.origins.len()) {
                Some(i) => &self.redirect_origins[i],
                None => &self.prepared.origins[req.origin],
            };
            // Boxed: connecting (DNS, TCP, TLS, handshake) is the largest future
            // here and rare; inline, its space would sit in every VU's task for
            // the whole run.
            *slot = Some(
                Box::pin(connect_within(origin, &self.config))
                    .await
                    .map_err(SendError::Fatal)?,
            );
        }
        let mut request = Request::new(Full::new(req.body.clone()));
        *request.method_mut() = req.method.clone();
        *request.headers_mut() = self.request_headers(&req.headers);
        if req.cookies && !self.jar.is_empty() {
            self.jar.add_to(&req.absolute_uri, request.headers_mut());
        }
        let conn = self.conns[req.origin].as_mut().expect("connected above");
        let sent = match conn {
            Conn::H1(sender) => {
                *request.uri_mut() = req.path_uri.clone();
                sender.ready().await.map_err(SendError::from_hyper)?;
                sender.send_request(request).await
            }
            Conn::H2(sender) => {
                *request.uri_mut() = req.absolute_uri.clone();
                request.headers_mut().remove(HOST);
                sender.ready().await.map_err(SendError::from_hyper)?;
                sender.send_request(request).await
            }
        };
        let response = sent.map_err(SendError::from_hyper)?;
        if !self.config.keep_alive {
            // The request is under way; the next one opens a fresh connection.
            self.conns[req.origin] = None;
        }
        let response = read_response(response, req.keep_body, received)
            .await
            .map_err(SendError::Fatal)?;
        if req.cookies {
            self.jar.store_from(&req.absolute_uri, &response.headers);
        }
        Ok(response)
    }
}

/// A response read to its end.
struct Response {
    status: u16,
    bytes_in: u64,
    /// Body bytes only (`bytes_in` includes an estimate of the head).
    body_bytes: u64,
    /// Moved out of the response head (no copy).
    headers: http::HeaderMap,
    /// The body's first bytes, only when a check needs them.
    body: Option<Vec<u8>>,
    /// The kept body as JSON (`PreparedRequest::parse_json`).
    json: Option<serde_json::Value>,
    /// Bytes sent by the redirect hops before this response (estimated like
    /// `PreparedRequest::head_bytes`).
    redirect_bytes_out: u64,
}

/// Reads the body to its end; `received` counts the head's estimate and every body
/// byte as it arrives (the caller reads it even when this future is dropped).
async fn read_response(
    response: http::Response<Incoming>,
    keep_body: bool,
    received: &mut u64,
) -> Result<Response, Failure> {
    let status = response.status().as_u16();
    let head_bytes: u64 = 17
        + response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().len() + v.len() + 4) as u64)
            .sum::<u64>();
    let (parts, mut body) = response.into_parts();
    *received += head_bytes;
    let mut body_bytes = 0u64;
    let mut kept = keep_body.then(Vec::new);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            Failure::new(
                exchange_class(&e),
                format!(
                    "the body was cut short after {body_bytes} bytes (HTTP {status}): {}",
                    describe(&e)
                ),
            )
        })?;
        if let Some(data) = frame.data_ref() {
            *received += data.len() as u64;
            body_bytes += data.len() as u64;
            if let Some(kept) = kept.as_mut() {
                let room = CHECK_BODY_LIMIT.saturating_sub(kept.len());
                kept.extend_from_slice(&data[..data.len().min(room)]);
            }
        }
    }
    Ok(Response {
        status,
        bytes_in: head_bytes + body_bytes,
        body_bytes,
        headers: parts.headers,
        body: kept,
        json: None,
        redirect_bytes_out: 0,
    })
}

enum SendError {
    /// The connection was closed before the request was processed (safe to retry once).
    Stale(Failure),
    Fatal(Failure),
}

impl SendError {
    /// A failure of the exchange on an open connection (see the module's table).
    fn from_hyper(e: hyper::Error) -> SendError {
        let failure = Failure::new(exchange_class(&e), format!("no response: {}", describe(&e)));
        if e.is_canceled() || e.is_closed() {
            SendError::Stale(failure)
        } else {
            SendError::Fatal(failure)
        }
    }

    fn into_failure(self) -> Failure {
        match self {
            SendError::Stale(f) | SendError::Fatal(f) => f,
        }
    }
}

/// [`connect`], bounded by `--connect-timeout` when given (then a `timeout`).
async fn connect_within(origin: &Origin, config: &ClientConfig) -> Result<Conn, Failure> {
    let Some(limit) = config.connect_timeout else {
        return connect(origin, config).await;
    };
    tokio::time::timeout(limit, connect(origin, config))
        .await
        .unwrap_or_else(|_| {
            Err(Failure::new(
                OutcomeClass::Timeout,
                format!(
                    "connecting to {} took longer than the connect timeout of {}",
                    origin.host_port(),
                    fmt_duration(limit)
                ),
            ))
        })
}

/// Resolves, connects, does TLS and the HTTP handshake, classifying each failure.
async fn connect(origin: &Origin, config: &ClientConfig) -> Result<Conn, Failure> {
    let target = origin.host_port();
    let addr = tokio::net::lookup_host((origin.host.as_str(), origin.port))
        .await
        .map_err(|e| {
            Failure::new(
                OutcomeClass::Dns,
                format!("cannot resolve {}: {e}", origin.host),
            )
        })?
        .next()
        .ok_or_else(|| {
            Failure::new(
                OutcomeClass::Dns,
                format!("{} resolved to no address", origin.host),
            )
        })?;
    let tcp = TcpStream::connect(addr).await.map_err(|e| {
        Failure::new(
            classify_io(&e),
            format!("connecting to {target} failed: {e}"),
        )
    })?;
    // Requests are small and latency matters more than packet count.
    let _ = tcp.set_nodelay(true);
    if origin.https {
        let name = ServerName::try_from(origin.host.clone()).map_err(|e| {
            Failure::new(
                OutcomeClass::Tls,
                format!("bad TLS server name {}: {e}", origin.host),
            )
        })?;
        let tls = tokio_rustls::TlsConnector::from(config.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| {
                Failure::new(
                    OutcomeClass::Tls,
                    format!("TLS handshake with {target} failed: {e}"),
                )
            })?;
        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
        handshake(TokioIo::new(tls), h2).await
    } else {
        handshake(TokioIo::new(tcp), config.http2).await
    }
}

async fn handshake<T>(io: TokioIo<T>, h2: bool) -> Result<Conn, Failure>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let fail = |e: hyper::Error| {
        Failure::new(
            OutcomeClass::Protocol,
            format!("HTTP handshake failed: {e}"),
        )
    };
    if h2 {
        let (sender, conn) = http2::handshake(TokioExecutor::new(), io)
            .await
            .map_err(fail)?;
        // The connection task ends when the sender is dropped or the peer closes.
        tokio::spawn(conn);
        Ok(Conn::H2(sender))
    } else {
        let (sender, conn) = http1::handshake(io).await.map_err(fail)?;
        tokio::spawn(conn);
        Ok(Conn::H1(sender))
    }
}

/// Class of a failed exchange on an open connection: `protocol` whether the peer
/// closed, reset or garbled it, `timeout` only for a timeout.
fn exchange_class(e: &hyper::Error) -> OutcomeClass {
    if e.is_timeout() {
        return OutcomeClass::Timeout;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<io::Error>()
            && io.kind() == io::ErrorKind::TimedOut
        {
            return OutcomeClass::Timeout;
        }
        source = err.source();
    }
    OutcomeClass::Protocol
}

/// hyper's message plus its causes (`connection reset by peer` is a source, not part
/// of hyper's own text).
fn describe(e: &hyper::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        let cause = err.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
        source = err.source();
    }
    text
}

/// Class of a failed TCP connect.
fn classify_io(e: &io::Error) -> OutcomeClass {
    use io::ErrorKind::*;
    match e.kind() {
        ConnectionRefused | ConnectionReset | ConnectionAborted | NotConnected | BrokenPipe
        | AddrNotAvailable | HostUnreachable | NetworkUnreachable | NetworkDown => {
            OutcomeClass::Connect
        }
        TimedOut => OutcomeClass::Timeout,
        _ => OutcomeClass::Protocol,
    }
}

mod insecure {
    //! `--insecure`: accept any server certificate (self-signed test targets). The
    //! handshake signatures are still verified, so the peer must hold the key.

    use std::sync::Arc;

    use rustls::DigitallySignedStruct;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

    #[derive(Debug)]
    pub struct AcceptAnyCert(pub Arc<CryptoProvider>);

    impl ServerCertVerifier for AcceptAnyCert {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}
