// PeerTube 7's HLS player set-up (client/src/assets/player/shared/player-options-builder/
// hls-options-builder.ts at v7.0.0): @peertube/p2p-media-loader 1.0.20's Engine with PeerTube's
// VOD loader settings, `swarmId` = the master playlist URL, and hls.js 1.5 loading through it.
// Counters on `window.shoalStats` in the shape the browser tests read.

import Hls from 'hls.js'
import { Engine } from '@peertube/p2p-media-loader-hlsjs'

const params = new URLSearchParams(location.search)
const playlist = params.get('playlist')
const video = document.getElementById('video')
const stats = window.shoalStats = {
  player: 'peertube-p2p-media-loader-1.0',
  mode: 'starting',
  error: null,
  peers: 0,
  fromPeers: 0,
  fromServer: 0,
  uploaded: 0,
  firstFrameMs: null,
  currentTime: 0,
  paused: true
}
video.addEventListener('loadeddata', () => { if (stats.firstFrameMs === null) stats.firstFrameMs = Math.round(performance.now()) })

const engine = new Engine({
  loader: {
    trackerAnnounce: [params.get('tracker')],
    rtcConfig: { iceServers: [] }, // the test's network has no STUN server
    simultaneousHttpDownloads: 1,
    httpFailedSegmentTimeout: 1000,
    useP2P: true,
    consumeOnly: false,
    // PeerTube 7's VOD settings.
    requiredSegmentsPriority: 3,
    skipSegmentBuilderPriority: 1,
    cachedSegmentExpiration: 86400 * 1000,
    cachedSegmentsCount: 100,
    httpDownloadMaxPriority: 9,
    httpDownloadProbability: 0.06,
    httpDownloadProbabilitySkipIfNoPeers: true,
    p2pDownloadMaxPriority: 50
  },
  segments: { swarmId: playlist, forwardSegmentCount: 50 }
})
const peers = new Set()
engine.on('peer_connect', peer => { peers.add(peer.id); stats.peers = peers.size })
engine.on('peer_close', id => { peers.delete(id); stats.peers = peers.size })
engine.on('piece_bytes_downloaded', (method, segment, bytes) => {
  if (method === 'p2p') stats.fromPeers += bytes
  else stats.fromServer += bytes
})
engine.on('piece_bytes_uploaded', (method, segment, bytes) => { stats.uploaded += bytes })

const hls = new Hls({ liveSyncDurationCount: 7, loader: engine.createLoaderClass() })
hls.on(Hls.Events.MANIFEST_PARSED, () => { stats.mode = 'p2p' })
hls.on(Hls.Events.FRAG_CHANGED, (event, data) => {
  const frag = data.frag
  const byteRange = frag.byteRange.length !== 2
    ? undefined
    : { offset: frag.byteRange[0], length: frag.byteRange[1] - frag.byteRange[0] }
  engine.setPlayingSegment(frag.url, byteRange, frag.start, frag.duration)
})
hls.on(Hls.Events.ERROR, (event, detail) => { stats.error = `${detail.type}: ${detail.details}` })
hls.loadSource(playlist)
hls.attachMedia(video)
video.play().catch(err => { stats.error = String(err) })
setInterval(() => { stats.currentTime = video.currentTime; stats.paused = video.paused }, 250)
