//! Hostile-server modes (`loadpilot target --fault MODE`): every connection misbehaves
//! the same way, written as raw bytes on the TCP stream because hyper (rightly) cannot
//! produce a bad status line, a reset or a half-sent body. They exist to prove what
//! the client makes of each one (`tests/fault_injection.rs`); the class each gives is
//! documented in the README's error-class section.
//!
//! Adding a mode: add a variant (its doc comment is the `--help` text), an arm in
//! [`serve`], a row in the README's table and a test in `tests/fault_injection.rs`.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// A request head larger than this is not read further (the connection is dropped).
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Body bytes sent before a reset (`reset-mid-body`), of the larger length announced.
const BYTES_BEFORE_RESET: usize = 64 * 1024;
/// Chunk size of `endless-chunked`.
const CHUNK_BYTES: usize = 16 * 1024;
/// Announced length of the `slow-body` body, sent one byte per [`SLOW_BYTE_EVERY`].
const SLOW_BODY_BYTES: usize = 1000;
const SLOW_BYTE_EVERY: Duration = Duration::from_secs(1);

/// How every connection misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Fault {
    /// Close each connection as soon as it is accepted, before reading anything.
    CloseOnAccept,
    /// Read the request, then close without answering.
    CloseAfterRequest,
    /// Send a 200 head announcing 1 MiB and 64 KiB of it, then reset (RST) the connection.
    ResetMidBody,
    /// A 200 with a chunked body that never ends.
    EndlessChunked,
    /// A 200 announcing 1,000 bytes, sent one byte per second.
    SlowBody,
    /// Answer with a status line that is not HTTP, then close.
    BadStatusLine,
    /// Answer `HTTP/1.1 999` (a code outside 100–599) on a keep-alive connection.
    #[value(name = "status-999")]
    Status999,
}

/// Serves one connection in `fault` mode until it is done, the peer goes away or
/// `shutdown` is cancelled.
pub async fn serve(mut stream: TcpStream, fault: Fault, shutdown: &CancellationToken) {
    tokio::select! {
        () = shutdown.cancelled() => {}
        result = misbehave(&mut stream, fault) => {
            if let Err(e) = result {
                // The client hanging up on a hostile server is the normal end.
                tracing::debug!("demo target: fault {fault:?} connection ended: {e}");
            }
        }
    }
}

async fn misbehave(stream: &mut TcpStream, fault: Fault) -> std::io::Result<()> {
    let mut pending = Vec::new();
    match fault {
        Fault::CloseOnAccept => Ok(()),
        Fault::CloseAfterRequest => read_head(stream, &mut pending).await.map(drop),
        Fault::ResetMidBody => {
            if !read_head(stream, &mut pending).await? {
                return Ok(());
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n",
                BYTES_BEFORE_RESET * 16
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&[b'x'; BYTES_BEFORE_RESET]).await?;
            stream.flush().await?;
            // Linger 0: closing sends RST instead of FIN (and never blocks).
            stream.set_zero_linger()
        }
        Fault::EndlessChunked => {
            if !read_head(stream, &mut pending).await? {
                return Ok(());
            }
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                .await?;
            let mut chunk = format!("{CHUNK_BYTES:x}\r\n").into_bytes();
            chunk.extend_from_slice(&[b'x'; CHUNK_BYTES]);
            chunk.extend_from_slice(b"\r\n");
            loop {
                stream.write_all(&chunk).await?;
            }
        }
        Fault::SlowBody => {
            if !read_head(stream, &mut pending).await? {
                return Ok(());
            }
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {SLOW_BODY_BYTES}\r\n\r\n");
            stream.write_all(head.as_bytes()).await?;
            for _ in 0..SLOW_BODY_BYTES {
                stream.write_all(b"x").await?;
                tokio::time::sleep(SLOW_BYTE_EVERY).await;
            }
            Ok(())
        }
        Fault::BadStatusLine => {
            if read_head(stream, &mut pending).await? {
                stream.write_all(b"HELLO THERE\r\n\r\n").await?;
            }
            Ok(())
        }
        Fault::Status999 => {
            while read_head(stream, &mut pending).await? {
                stream
                    .write_all(b"HTTP/1.1 999 Odd\r\ncontent-length: 3\r\n\r\nodd")
                    .await?;
            }
            Ok(())
        }
    }
}

/// Reads one request head (through the blank line) and removes it from `pending`,
/// keeping what follows for the next one. `false`: the peer closed first, or the head
/// was too long. Request bodies are not expected (the fault modes answer GETs).
async fn read_head(stream: &mut TcpStream, pending: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = memchr::memmem::find(pending, b"\r\n\r\n") {
            pending.drain(..end + 4);
            return Ok(true);
        }
        if pending.len() > MAX_HEAD_BYTES {
            return Ok(false);
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(false);
        }
        pending.extend_from_slice(&buf[..n]);
    }
}
