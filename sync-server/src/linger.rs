//! Lingering close: a connection the server closes after answering keeps reading (and
//! discarding) what the client still sends, for a bounded time, before the socket is closed.
//!
//! Without it an early answer (413 for a body over the limit, 401 before a body is read, 400
//! for a bad head) is often lost: closing a socket that has unread data makes the kernel send a
//! reset, and a client still sending its body gets "broken pipe" or "connection reset" instead
//! of the answer that is waiting for it. nginx does the same (`lingering_close`).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long, at most, a closed connection is drained (nginx's `lingering_time`): a phone on
/// 400 kbit/s sends a 1 MB body in about 20 s.
pub const LINGER_TIME: Duration = Duration::from_secs(30);
/// How long the client may send nothing before the drain stops (nginx's `lingering_timeout`).
pub const LINGER_IDLE: Duration = Duration::from_secs(5);
/// How much is read and thrown away, at most.
pub const LINGER_BYTES: usize = 8 * 1024 * 1024;

/// A TCP connection that drains before it closes, when closing could lose an answer.
///
/// The drain runs in a task of its own once the connection is dropped, holding a permit of
/// `drains` until the socket is really closed: when all are taken (a flood), the connection is
/// closed at once as without lingering. Draining sockets do not hold a place among the
/// connections being served. Nothing is drained when nothing was written (no answer to
/// protect: a silent or slow client is simply cut) or when the client had already closed its
/// side.
pub struct Linger {
    stream: Option<TcpStream>,
    drains: Arc<Semaphore>,
    wrote: bool,
    peer_done: bool,
}

impl Linger {
    pub fn new(stream: TcpStream, drains: Arc<Semaphore>) -> Linger {
        Linger {
            stream: Some(stream),
            drains,
            wrote: false,
            peer_done: false,
        }
    }

    fn stream(&mut self) -> io::Result<&mut TcpStream> {
        self.stream
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }
}

impl AsyncRead for Linger {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(this.stream()?).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            if buf.filled().len() == before && buf.remaining() > 0 {
                this.peer_done = true;
            }
        }
        r
    }
}

impl AsyncWrite for Linger {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(this.stream()?).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.wrote = true;
        }
        r
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let r = Pin::new(this.stream()?).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            this.wrote = true;
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.as_ref().is_some_and(|s| s.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().stream()?).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().stream()?).poll_shutdown(cx)
    }
}

impl Drop for Linger {
    fn drop(&mut self) {
        let Some(stream) = self.stream.take() else {
            return;
        };
        if !self.wrote || self.peer_done {
            return;
        }
        let Ok(permit) = self.drains.clone().try_acquire_owned() else {
            return;
        };
        // Outside a runtime (the server is going away) there is nobody left to answer.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(drain(stream, Some(permit)));
        }
    }
}

/// Sends FIN after what was written (the client sees the end of the answer), then reads and
/// discards until the client closes, goes quiet for `LINGER_IDLE`, or the bounds are reached.
pub async fn drain(mut stream: TcpStream, permit: Option<OwnedSemaphorePermit>) {
    let _permit = permit;
    let end = tokio::time::Instant::now() + LINGER_TIME;
    if tokio::time::timeout_at(end, stream.shutdown())
        .await
        .is_err()
    {
        return;
    }
    let mut buf = vec![0u8; 16 * 1024];
    let mut read = 0usize;
    while read < LINGER_BYTES {
        let idle = (tokio::time::Instant::now() + LINGER_IDLE).min(end);
        match tokio::time::timeout_at(idle, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => read += n,
            _ => return,
        }
    }
}
