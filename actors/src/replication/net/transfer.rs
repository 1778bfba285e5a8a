//! Bulk ranges over libp2p-stream: one stream per [`RangeRequest`].
//!
//! Serving: the accept loop takes every inbound range stream; a stranger gets `Refused` (logged,
//! counted, reported as [`NetEvent::StrangerRefused`]); beyond `serve_concurrency` streams a
//! requester gets `Refused { busy }`. A served range is read from the file the
//! [`FileResolver`] names with positional reads on blocking threads, one chunk ahead of the
//! network, through the shared [`Throttle`]; never the whole file in memory.
//!
//! Fetching: [`open_range`] writes the header, checks the answer and returns the bytes as a
//! stream of chunks that ends after exactly `len` bytes (fewer is [`NetError::Truncated`]).

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use futures::{AsyncReadExt, AsyncWriteExt, Stream, StreamExt};
use libp2p::PeerId;
use libp2p_stream::{Control, IncomingStreams};
use shoal_protocol::replication::{RangeRequest, RangeResponse, RangeStatus};
use tokio::sync::{mpsc, Semaphore};
use tracing::{debug, warn};

use super::codec::{read_frame, write_frame, RANGE_PROTOCOL};
use super::throttle::Throttle;
use super::{FileResolver, NetError, NetEvent, NetMetrics};

/// A range's bytes, in chunks, ending after exactly the requested length.
pub type RangeStream = Pin<Box<dyn Stream<Item = Result<Bytes, NetError>> + Send>>;

/// What serving needs.
pub(crate) struct ServeContext {
    pub files: Arc<dyn FileResolver>,
    pub trusted: Arc<RwLock<HashSet<PeerId>>>,
    pub throttle: Throttle,
    pub metrics: NetMetrics,
    pub events: mpsc::Sender<NetEvent>,
    pub chunk_size: usize,
    pub io_timeout: Duration,
    pub slots: Arc<Semaphore>,
}

pub(crate) fn is_trusted(trusted: &RwLock<HashSet<PeerId>>, peer: &PeerId) -> bool {
    match trusted.read() {
        Ok(set) => set.contains(peer),
        Err(poisoned) => poisoned.into_inner().contains(peer),
    }
}

/// Serves every inbound range stream until `incoming` ends (the task is aborted on shutdown).
pub(crate) async fn accept_loop(mut incoming: IncomingStreams, ctx: Arc<ServeContext>) {
    while let Some((peer, stream)) = incoming.next().await {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let permit = ctx.slots.clone().try_acquire_owned().ok();
            if let Err(e) = serve_one(peer, stream, &ctx, permit.is_some()).await {
                ctx.metrics.range_served("failed");
                debug!(%peer, error = %e, "serving a range failed");
            }
            drop(permit);
        });
    }
}

async fn refuse(stream: &mut libp2p::Stream, status: RangeStatus) -> Result<(), NetError> {
    write_frame(stream, &RangeResponse { status }).await?;
    stream.close().await?;
    Ok(())
}

async fn serve_one(
    peer: PeerId,
    mut stream: libp2p::Stream,
    ctx: &ServeContext,
    has_slot: bool,
) -> Result<(), NetError> {
    let request: RangeRequest = tokio::time::timeout(ctx.io_timeout, read_frame(&mut stream))
        .await
        .map_err(|_| NetError::Io(std::io::ErrorKind::TimedOut.into()))??;
    if !is_trusted(&ctx.trusted, &peer) {
        ctx.metrics.stranger_refused("range");
        ctx.metrics.range_served("refused");
        warn!(%peer, info_hash = %hex::encode(request.info_hash), "refused a range to a peer not in trusted_peers");
        let _ = ctx.events.try_send(NetEvent::StrangerRefused(peer));
        return refuse(&mut stream, RangeStatus::Refused { reason: "not trusted".into() }).await;
    }
    if !has_slot {
        ctx.metrics.range_served("busy");
        return refuse(&mut stream, RangeStatus::Refused { reason: "busy".into() }).await;
    }
    let files = ctx.files.clone();
    let info_hash = request.info_hash;
    let found = tokio::task::spawn_blocking(move || {
        files.complete_file(&info_hash).map(|(path, size)| std::fs::File::open(&path).map(|f| (f, size)))
    })
    .await
    .map_err(|e| NetError::Io(std::io::Error::other(e)))?;
    let (file, size) = match found {
        None => {
            ctx.metrics.range_served("not_found");
            return refuse(&mut stream, RangeStatus::NotFound).await;
        }
        Some(Err(e)) => {
            ctx.metrics.range_served("not_found");
            warn!(info_hash = %hex::encode(info_hash), error = %e, "a complete file could not be opened");
            return refuse(&mut stream, RangeStatus::NotFound).await;
        }
        Some(Ok(found)) => found,
    };
    // `validate` guarantees no overflow.
    let end = request.offset.saturating_add(request.len);
    if end > size {
        ctx.metrics.range_served("out_of_range");
        return refuse(&mut stream, RangeStatus::OutOfRange { size }).await;
    }
    write_frame(&mut stream, &RangeResponse { status: RangeStatus::Ok { len: request.len } }).await?;
    send_file_range(&mut stream, Arc::new(file), request.offset, end, ctx).await?;
    stream.close().await?;
    ctx.metrics.range_served("ok");
    Ok(())
}

/// Reads `[offset, end)` in chunks on blocking threads, one chunk ahead of the writes.
async fn send_file_range(
    stream: &mut libp2p::Stream,
    file: Arc<std::fs::File>,
    offset: u64,
    end: u64,
    ctx: &ServeContext,
) -> Result<(), NetError> {
    let chunk = ctx.chunk_size as u64;
    let read = |pos: u64| {
        let file = file.clone();
        let len = chunk.min(end - pos) as usize;
        tokio::task::spawn_blocking(move || read_at(&file, pos, len))
    };
    let mut pos = offset;
    let mut next = (pos < end).then(|| read(pos));
    while let Some(pending) = next.take() {
        let buf = pending.await.map_err(|e| NetError::Io(std::io::Error::other(e)))??;
        pos += buf.len() as u64;
        if pos < end {
            next = Some(read(pos));
        }
        ctx.throttle.acquire(buf.len() as u64).await;
        tokio::time::timeout(ctx.io_timeout, stream.write_all(&buf))
            .await
            .map_err(|_| NetError::Io(std::io::ErrorKind::TimedOut.into()))??;
        ctx.metrics.served(buf.len() as u64);
    }
    Ok(())
}

fn read_at(file: &std::fs::File, pos: u64, len: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        file.read_exact_at(&mut buf, pos)?;
    }
    #[cfg(not(unix))]
    {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = file.try_clone()?;
        f.seek(SeekFrom::Start(pos))?;
        f.read_exact(&mut buf)?;
    }
    Ok(buf)
}

/// Opens a range stream to `peer` and checks the server's answer; the body follows.
pub(crate) async fn open_range(
    mut control: Control,
    peer: PeerId,
    request: RangeRequest,
    chunk_size: usize,
    io_timeout: Duration,
    metrics: NetMetrics,
) -> Result<RangeStream, NetError> {
    let mut stream = tokio::time::timeout(io_timeout, control.open_stream(peer, RANGE_PROTOCOL))
        .await
        .map_err(|_| NetError::OpenStream("timed out".into()))?
        .map_err(|e| NetError::OpenStream(e.to_string()))?;
    write_frame(&mut stream, &request).await?;
    stream.flush().await?;
    let header: RangeResponse = tokio::time::timeout(io_timeout, read_frame(&mut stream))
        .await
        .map_err(|_| NetError::Io(std::io::ErrorKind::TimedOut.into()))??;
    match header.status {
        RangeStatus::Ok { len } if len == request.len => {}
        RangeStatus::Ok { len } => return Err(NetError::Truncated { expected: request.len, got: len }),
        RangeStatus::NotFound => return Err(NetError::NotFound),
        RangeStatus::OutOfRange { size } => return Err(NetError::OutOfRange { size }),
        RangeStatus::Refused { reason } => return Err(NetError::Refused(reason)),
    }
    let state = Body { stream, expected: request.len, got: 0, chunk_size, io_timeout, metrics };
    Ok(Box::pin(futures::stream::try_unfold(state, Body::next_chunk)))
}

struct Body {
    stream: libp2p::Stream,
    expected: u64,
    got: u64,
    chunk_size: usize,
    io_timeout: Duration,
    metrics: NetMetrics,
}

impl Body {
    async fn next_chunk(mut self) -> Result<Option<(Bytes, Body)>, NetError> {
        let remaining = self.expected - self.got;
        if remaining == 0 {
            return Ok(None);
        }
        let mut buf = vec![0u8; remaining.min(self.chunk_size as u64) as usize];
        let mut filled = 0;
        while filled < buf.len() {
            let n = tokio::time::timeout(self.io_timeout, self.stream.read(&mut buf[filled..]))
                .await
                .map_err(|_| NetError::Io(std::io::ErrorKind::TimedOut.into()))??;
            if n == 0 {
                return Err(NetError::Truncated { expected: self.expected, got: self.got + filled as u64 });
            }
            filled += n;
        }
        self.got += filled as u64;
        self.metrics.fetched(filled as u64);
        Ok(Some((Bytes::from(buf), self)))
    }
}
