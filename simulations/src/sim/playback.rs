//! The player of a `watch` viewer: startup buffer, playhead, stalls and rebuffering,
//! abandonment when playback does not start within the viewer's patience, and the end of
//! watching.

use super::engine::Engine;

impl Engine {
    /// Advances peer `i`'s player by one step; returns true if the viewer abandons.
    pub(super) fn playback(&mut self, i: u32) -> bool {
        let dt_ms = self.cfg.dt_ms;
        let dt = dt_ms as f64 / 1000.0;
        let now = self.now;
        let contiguous = self.cfg.secs_in(self.peers[i as usize].first_missing);
        let video = self.cfg.video_secs;
        let (startup, rebuffer) = (self.cfg.startup_buffer_secs, self.cfg.rebuffer_secs);
        let peer = &mut self.peers[i as usize];
        let watch_end = f64::from(peer.watch_target).min(video);
        if !peer.started {
            if contiguous >= startup.min(video) {
                peer.started = true;
                peer.startup_ms = now - peer.join_ms;
                self.events += 1;
            } else if (now - peer.join_ms) as f64 >= f64::from(peer.patience) * 1000.0 {
                peer.abandoned = true;
                return true;
            }
        } else if peer.stalled {
            peer.stall_ms += dt_ms;
            if contiguous >= (peer.playhead + rebuffer).min(video) {
                peer.stalled = false;
                self.events += 1;
            }
        } else {
            let next = peer.playhead + dt;
            if next > contiguous && contiguous < video {
                peer.stall_ms += ((next - contiguous.max(peer.playhead)) * 1000.0).round() as u64;
                peer.playhead = contiguous.max(peer.playhead);
                peer.stalled = true;
                peer.stalls += 1;
                self.events += 1;
            } else {
                peer.playhead = next.min(video).min(watch_end);
            }
        }
        let peer = &self.peers[i as usize];
        if peer.started && !peer.stalled && peer.playhead >= watch_end {
            self.stop_watching(i);
        }
        false
    }
}
