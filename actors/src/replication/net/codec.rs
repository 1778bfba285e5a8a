//! Frame I/O over libp2p streams, and the request-response codec of the control protocol.
//!
//! Lengths from the wire are checked against the frame kind's cap before reading, and bodies
//! are read as they arrive (never pre-allocated from the announced length).

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;
use shoal_protocol::replication::frames::{self, Frame, FrameError, LENGTH_PREFIX};
use shoal_protocol::replication::{ControlRequest, ControlResponse};

/// The control protocol (announcements, torrents).
pub const CONTROL_PROTOCOL: StreamProtocol = StreamProtocol::new("/shoal/replication/control/1");
/// The bulk protocol (one range per stream).
pub const RANGE_PROTOCOL: StreamProtocol = StreamProtocol::new("/shoal/replication/range/1");

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadFrameError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(transparent)]
    Frame(#[from] FrameError),
}

impl From<ReadFrameError> for io::Error {
    fn from(e: ReadFrameError) -> Self {
        match e {
            ReadFrameError::Io(e) => e,
            ReadFrameError::Frame(e) => io::Error::new(io::ErrorKind::InvalidData, e),
        }
    }
}

impl From<ReadFrameError> for super::NetError {
    fn from(e: ReadFrameError) -> Self {
        match e {
            ReadFrameError::Io(e) => super::NetError::Io(e),
            ReadFrameError::Frame(e) => super::NetError::Frame(e),
        }
    }
}

/// Reads one frame of kind `F`.
pub async fn read_frame<F: Frame, R: AsyncRead + Unpin>(io: &mut R) -> Result<F, ReadFrameError> {
    let mut prefix = [0u8; LENGTH_PREFIX];
    io.read_exact(&mut prefix).await?;
    let len = frames::body_len::<F>(prefix)?;
    let mut body = Vec::with_capacity(len.min(64 << 10));
    let got = (&mut *io).take(len as u64).read_to_end(&mut body).await?;
    if got < len {
        return Err(FrameError::Truncated { have: LENGTH_PREFIX + got, need: LENGTH_PREFIX + len }.into());
    }
    Ok(frames::decode_body(&body)?)
}

/// Writes one frame of kind `F` (not flushed or closed).
pub async fn write_frame<F: Frame, W: AsyncWrite + Unpin>(io: &mut W, message: &F) -> io::Result<()> {
    let bytes = frames::encode(message).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    io.write_all(&bytes).await
}

/// The control protocol's codec: one CBOR frame each way.
#[derive(Debug, Clone, Copy, Default)]
pub struct ControlCodec;

#[async_trait::async_trait]
impl libp2p::request_response::Codec for ControlCodec {
    type Protocol = StreamProtocol;
    type Request = ControlRequest;
    type Response = ControlResponse;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<ControlRequest>
    where
        T: AsyncRead + Unpin + Send,
    {
        Ok(read_frame(io).await?)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<ControlResponse>
    where
        T: AsyncRead + Unpin + Send,
    {
        Ok(read_frame(io).await?)
    }

    async fn write_request<T>(&mut self, _: &StreamProtocol, io: &mut T, req: ControlRequest) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &req).await
    }

    async fn write_response<T>(&mut self, _: &StreamProtocol, io: &mut T, res: ControlResponse) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &res).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_protocol::replication::RangeRequest;

    #[tokio::test]
    async fn frames_cross_a_pipe_and_a_lying_length_is_refused() {
        let request = RangeRequest { info_hash: [7; 20], offset: 3, len: 9 };
        let mut buf = Vec::new();
        write_frame(&mut buf, &request).await.unwrap();
        let mut reader = futures::io::Cursor::new(buf.clone());
        assert_eq!(read_frame::<RangeRequest, _>(&mut reader).await.unwrap(), request);

        // A prefix announcing more than the cap: refused without reading on.
        let mut lying = (u32::MAX).to_be_bytes().to_vec();
        lying.extend_from_slice(&buf[LENGTH_PREFIX..]);
        let err = read_frame::<RangeRequest, _>(&mut futures::io::Cursor::new(lying)).await.unwrap_err();
        assert!(matches!(err, ReadFrameError::Frame(FrameError::TooLarge { .. })), "{err}");

        // A prefix announcing more than is sent: truncated.
        let mut short = ((buf.len() - LENGTH_PREFIX + 10) as u32).to_be_bytes().to_vec();
        short.extend_from_slice(&buf[LENGTH_PREFIX..]);
        let err = read_frame::<RangeRequest, _>(&mut futures::io::Cursor::new(short)).await.unwrap_err();
        assert!(matches!(err, ReadFrameError::Frame(FrameError::Truncated { .. })), "{err}");
    }
}
