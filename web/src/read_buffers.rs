//! Reusable 1 MiB read buffers for web-seed bodies. Allocating a fresh large
//! buffer per response makes the allocator map, fault in, zero and release
//! pages on every request (a quarter of the CPU at 1 MiB ranges); buffers
//! here go back to a small pool when hyper drops the response's `Bytes`.

use std::sync::Mutex;

use bytes::Bytes;

/// Size of every pooled buffer (the largest body read in one piece).
pub const BUFFER_SIZE: usize = 1 << 20;
/// Most idle buffers kept (so at most this many MiB stay allocated after a burst).
const MAX_IDLE: usize = 32;

static IDLE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// A buffer of [`BUFFER_SIZE`] bytes, from the pool when one is idle.
pub struct ReadBuffer {
    buf: Vec<u8>,
}

impl ReadBuffer {
    pub fn take() -> ReadBuffer {
        let pooled = match IDLE.lock() {
            Ok(mut idle) => idle.pop(),
            Err(poisoned) => poisoned.into_inner().pop(),
        };
        ReadBuffer { buf: pooled.unwrap_or_else(|| vec![0u8; BUFFER_SIZE]) }
    }

    /// The whole buffer, to fill.
    pub fn space(&mut self) -> &mut [u8] {
        &mut self.buf
    }

    /// The first `len` bytes as `Bytes`; the buffer returns to the pool when they drop.
    pub fn freeze(self, len: usize) -> Bytes {
        let len = len.min(BUFFER_SIZE);
        Bytes::from_owner(Filled { buf: self.buf, len })
    }
}

struct Filled {
    buf: Vec<u8>,
    len: usize,
}

impl AsRef<[u8]> for Filled {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Drop for Filled {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        if buf.len() != BUFFER_SIZE {
            return;
        }
        let mut idle = match IDLE.lock() {
            Ok(idle) => idle,
            Err(poisoned) => poisoned.into_inner(),
        };
        if idle.len() < MAX_IDLE {
            idle.push(buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_carry_their_bytes_and_are_reused() {
        let mut b = ReadBuffer::take();
        b.space()[..3].copy_from_slice(b"abc");
        let bytes = b.freeze(3);
        assert_eq!(&bytes[..], b"abc");
        drop(bytes);
        let again = ReadBuffer::take();
        assert_eq!(again.buf.len(), BUFFER_SIZE);
    }
}
