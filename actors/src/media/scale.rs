//! Resizing 8-bit 4:2:0 frames plane by plane (Y, U, V as single-channel images) with
//! `fast_image_resize` (SIMD convolution with a box filter: downscaling is an area average
//! of every source pixel, none skipped), and copying planes into rav1e frames.

use super::MediaError;
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use rav1e::prelude::Plane;

/// `side` scaled by `target / reference` (the other side's new and old sizes), rounded to
/// an even number as ffmpeg's `scale=-2:H` does, at least 2.
pub fn even_scaled_side(side: u32, reference: u32, target: u32) -> u32 {
    let scaled = (u64::from(side) * u64::from(target) + u64::from(reference)) / (2 * u64::from(reference.max(1)));
    (scaled as u32 * 2).max(2)
}

/// The output picture of a rung at `resolution` (PeerTube's convention: the short side, so
/// "360p" is 640x360 for landscape and 360x640 for portrait), keeping the aspect ratio.
pub fn rung_layout(source_width: u32, source_height: u32, resolution: u32) -> I420Layout {
    let short = (resolution & !1).max(2);
    if source_width >= source_height {
        I420Layout { width: even_scaled_side(source_width, source_height, short), height: short }
    } else {
        I420Layout { width: short, height: even_scaled_side(source_height, source_width, short) }
    }
}

/// Plane sizes of a packed I420 frame (Y then U then V).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct I420Layout {
    pub width: u32,
    pub height: u32,
}

impl I420Layout {
    pub fn chroma_width(&self) -> u32 {
        self.width.div_ceil(2)
    }
    pub fn chroma_height(&self) -> u32 {
        self.height.div_ceil(2)
    }
    fn luma_len(&self) -> usize {
        self.width as usize * self.height as usize
    }
    fn chroma_len(&self) -> usize {
        self.chroma_width() as usize * self.chroma_height() as usize
    }
    /// Splits a packed frame into its three planes.
    pub fn planes<'a>(&self, frame: &'a [u8]) -> Option<[&'a [u8]; 3]> {
        let (y, rest) = frame.split_at_checked(self.luma_len())?;
        let (u, rest) = rest.split_at_checked(self.chroma_len())?;
        let v = rest.get(..self.chroma_len())?;
        Some([y, u, v])
    }
    /// (width, height) of plane `index` (0 = Y).
    pub fn plane_size(&self, index: usize) -> (u32, u32) {
        if index == 0 {
            (self.width, self.height)
        } else {
            (self.chroma_width(), self.chroma_height())
        }
    }
}

/// Copies a tightly packed `width`-wide plane into a rav1e plane (which has a stride and padding).
pub fn copy_into_plane(plane: &mut Plane<u8>, src: &[u8], width: u32) {
    plane.copy_from_raw_u8(src, width as usize, 1);
}

/// Resizes I420 frames of one size to another, reusing its buffers between frames.
pub struct I420Scaler {
    src: I420Layout,
    dst: I420Layout,
    resizer: Resizer,
    options: ResizeOptions,
    scratch: [Image<'static>; 3],
}

impl I420Scaler {
    pub fn new(src: I420Layout, dst: I420Layout) -> Self {
        let scratch = [0, 1, 2].map(|i| {
            let (w, h) = dst.plane_size(i);
            Image::new(w, h, PixelType::U8)
        });
        I420Scaler {
            src,
            dst,
            resizer: Resizer::new(),
            options: ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Box)),
            scratch,
        }
    }

    /// Output layout.
    pub fn dst(&self) -> I420Layout {
        self.dst
    }

    /// Scales the packed source frame and writes the result into `planes` (rav1e's Y, U, V).
    pub fn scale_into(&mut self, frame: &[u8], planes: &mut [Plane<u8>; 3]) -> Result<(), MediaError> {
        let src_planes = self
            .src
            .planes(frame)
            .ok_or_else(|| MediaError::Unreadable("frame shorter than its declared size".into()))?;
        for (i, (src_plane, dst_plane)) in src_planes.iter().zip(planes.iter_mut()).enumerate() {
            let (sw, sh) = self.src.plane_size(i);
            let src = ImageRef::new(sw, sh, src_plane, PixelType::U8)
                .map_err(|e| MediaError::Unreadable(format!("scaling plane {i}: {e}")))?;
            self.resizer
                .resize(&src, &mut self.scratch[i], &self.options)
                .map_err(|e| MediaError::Encoder(format!("scaling plane {i}: {e}")))?;
            copy_into_plane(dst_plane, self.scratch[i].buffer(), self.dst.plane_size(i).0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rav1e::prelude::{ChromaSampling, Frame};

    #[test]
    fn even_sides_follow_aspect_ratio() {
        assert_eq!(even_scaled_side(1280, 720, 360), 640);
        assert_eq!(even_scaled_side(1920, 1080, 720), 1280);
        assert_eq!(even_scaled_side(320, 240, 120), 160);
        assert_eq!(even_scaled_side(854, 480, 360), 640);
        assert_eq!(even_scaled_side(1, 1000, 2), 2);
    }

    #[test]
    fn rungs_name_the_short_side() {
        let layout = |w, h, r| {
            let l = rung_layout(w, h, r);
            (l.width, l.height)
        };
        assert_eq!(layout(1280, 720, 360), (640, 360));
        assert_eq!(layout(720, 1280, 360), (360, 640), "portrait: 360p is 360 wide");
        assert_eq!(layout(1080, 1920, 720), (720, 1280));
        assert_eq!(layout(480, 480, 240), (240, 240));
        assert_eq!(layout(853, 481, 361), (638, 360), "odd sizes round to even");
    }

    #[test]
    fn halves_a_frame_by_averaging() {
        let src = I420Layout { width: 8, height: 4 };
        let dst = I420Layout { width: 4, height: 2 };
        // Luma: columns alternate 0 and 200 -> averages ~100 everywhere; chroma flat 50 / 150.
        let mut frame: Vec<u8> = (0..32).map(|i| if i % 2 == 0 { 0 } else { 200 }).collect();
        frame.extend(std::iter::repeat_n(50u8, 8));
        frame.extend(std::iter::repeat_n(150u8, 8));
        let mut out = Frame::<u8>::new_with_padding(4, 2, ChromaSampling::Cs420, 8);
        let mut scaler = I420Scaler::new(src, dst);
        scaler.scale_into(&frame, &mut out.planes).unwrap();
        let y: Vec<u8> = out.planes[0].rows_iter().take(2).flat_map(|r| r[..4].to_vec()).collect();
        assert_eq!(y, [100; 8]);
        assert_eq!(out.planes[1].rows_iter().next().unwrap()[..2], [50, 50]);
        assert_eq!(out.planes[2].rows_iter().next().unwrap()[..2], [150, 150]);
    }
}
