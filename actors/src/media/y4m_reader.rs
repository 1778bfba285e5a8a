//! Reading a Y4M stream (a file, or ffmpeg's `yuv4mpegpipe` output) frame by frame, with the
//! pure header parsing of `shoal_protocol::y4m`. One reusable buffer per reader: no copy
//! beyond the one from the kernel (or the read buffer) into it.

use super::MediaError;
use shoal_protocol::y4m::{self, Y4mError, Y4mHeader};
use std::io::{BufRead, BufReader, ErrorKind, Read};

/// Read buffer size: big enough that a frame is read in few system calls.
const READ_BUFFER: usize = 1 << 20;

/// A Y4M stream being read: its header, then frames on demand.
pub struct Y4mReader<R: Read> {
    reader: BufReader<R>,
    header: Y4mHeader,
    frame_len: usize,
    line: Vec<u8>,
    frames_read: u64,
}

impl<R: Read> Y4mReader<R> {
    /// Reads and parses the stream header. A stream that is not Y4M, or whose header is
    /// malformed or cut short, is [`MediaError::Unreadable`].
    pub fn new(inner: R) -> Result<Self, MediaError> {
        let mut reader = BufReader::with_capacity(READ_BUFFER, inner);
        let mut line = Vec::with_capacity(128);
        (&mut reader).take(y4m::MAX_HEADER_LEN as u64).read_until(b'\n', &mut line)?;
        let (header, _) = y4m::parse_header(&line).map_err(|e| match e {
            Y4mError::Incomplete if line.is_empty() => MediaError::Unreadable("empty Y4M stream".into()),
            Y4mError::Incomplete => MediaError::Unreadable("truncated Y4M: header cut short".into()),
            other => MediaError::Unreadable(other.to_string()),
        })?;
        let frame_len = header.frame_len().ok_or_else(|| MediaError::Unreadable("Y4M frame size overflows".into()))?;
        Ok(Y4mReader { reader, header, frame_len, line, frames_read: 0 })
    }

    /// The stream header.
    pub fn header(&self) -> &Y4mHeader {
        &self.header
    }

    /// Bytes of one frame's payload.
    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// Reads the next frame's payload into `buf` (resized to [`Self::frame_len`]).
    /// `Ok(false)` at a clean end of stream; a frame cut short is
    /// `Unreadable("truncated Y4M: ...")`.
    pub fn read_frame(&mut self, buf: &mut Vec<u8>) -> Result<bool, MediaError> {
        self.line.clear();
        (&mut self.reader).take(y4m::MAX_FRAME_HEADER_LEN as u64).read_until(b'\n', &mut self.line)?;
        if self.line.is_empty() {
            return Ok(false);
        }
        let frame_no = self.frames_read;
        y4m::parse_frame_header(&self.line).map_err(|e| match e {
            Y4mError::Incomplete => MediaError::Unreadable(format!("truncated Y4M: frame {frame_no} header cut short")),
            other => MediaError::Unreadable(format!("Y4M frame {frame_no}: {other}")),
        })?;
        buf.resize(self.frame_len, 0);
        match self.reader.read_exact(buf) {
            Ok(()) => {
                self.frames_read += 1;
                Ok(true)
            }
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
                Err(MediaError::Unreadable(format!("truncated Y4M: frame {frame_no} is incomplete")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Frames read so far.
    pub fn frames_read(&self) -> u64 {
        self.frames_read
    }
}

/// The pipeline encodes 8-bit 4:2:0 only; anything else is reported clearly.
pub fn require_8bit_420(header: &Y4mHeader) -> Result<(), MediaError> {
    if header.chroma.is_420() && header.bit_depth == 8 {
        Ok(())
    } else {
        Err(MediaError::Unreadable(format!(
            "unsupported Y4M colour space {:?} at {} bits: only 8-bit 4:2:0 (C420, C420jpeg, C420paldv, C420mpeg2) is accepted",
            header.chroma, header.bit_depth
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(frames: usize, extra: &[u8]) -> Vec<u8> {
        let mut s = b"YUV4MPEG2 W4 H2 F25:1 C420jpeg\n".to_vec();
        for i in 0..frames {
            s.extend_from_slice(b"FRAME\n");
            s.extend(std::iter::repeat_n(i as u8, 12));
        }
        s.extend_from_slice(extra);
        s
    }

    #[test]
    fn reads_every_frame() {
        let data = stream(3, b"");
        let mut r = Y4mReader::new(&data[..]).unwrap();
        assert_eq!(r.frame_len(), 12);
        let mut buf = Vec::new();
        for i in 0..3u8 {
            assert!(r.read_frame(&mut buf).unwrap());
            assert_eq!(buf, vec![i; 12]);
        }
        assert!(!r.read_frame(&mut buf).unwrap());
        assert_eq!(r.frames_read(), 3);
    }

    #[test]
    fn truncated_streams_are_unreadable() {
        let mut buf = Vec::new();
        for extra in [&b"FRAME\n\x01\x02"[..], b"FRA"] {
            let data = stream(1, extra);
            let mut r = Y4mReader::new(&data[..]).unwrap();
            assert!(r.read_frame(&mut buf).unwrap());
            match r.read_frame(&mut buf) {
                Err(MediaError::Unreadable(m)) => assert!(m.starts_with("truncated Y4M"), "{m}"),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(matches!(Y4mReader::new(&b"not a video"[..]), Err(MediaError::Unreadable(_))));
        assert!(matches!(Y4mReader::new(&b""[..]), Err(MediaError::Unreadable(_))));
    }

    #[test]
    fn only_8bit_420_is_accepted() {
        let (h, _) = y4m::parse_header(b"YUV4MPEG2 W4 H2 F25:1 C422\n").unwrap();
        assert!(require_8bit_420(&h).is_err());
        let (h, _) = y4m::parse_header(b"YUV4MPEG2 W4 H2 F25:1 C420p10\n").unwrap();
        assert!(require_8bit_420(&h).is_err());
        let (h, _) = y4m::parse_header(b"YUV4MPEG2 W4 H2 F25:1\n").unwrap();
        assert!(require_8bit_420(&h).is_ok());
    }
}
