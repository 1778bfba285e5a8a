// Shoal's HLS player (an ES module, no build step), chosen by `?player=hls` or `ui.player`.
//
// hls.js plays the video's HLS playlist (fragmented MP4, byte ranges of the same files the
// torrents carry); p2p-media-loader 2.2 fetches each segment from other viewers over WebRTC
// first, finding them through the node's WebSocket tracker (the swarms are the playlist's
// streams, the ones PeerTube 8's player joins), and from the server otherwise. Every segment
// from a peer or the server is checked against `segments-sha256.json` before it is used; a
// segment that does not match is refused (PeerTube 8's player only logs it).
//
// Without MediaSource or the libraries, or on a fatal hls.js error, the player falls back
// to plain HTTP playback of the fragmented MP4, which browsers play progressively.
//
// Segments the server must send come from the origin and, in turn, from the mirrors that hold
// the same file (redundancy members' copies, PeerTube's HLS mirrors); the hashes check them.
//
// Live counters are on `window.shoalStats`, as with the webtorrent player.

import { play, startPanel } from './panel.js'

const data = JSON.parse(document.getElementById('shoal-watch-data').textContent)
const video = document.getElementById('shoal-video')
const params = new URLSearchParams(location.search)

const stats = window.shoalStats = {
  player: 'hls',
  mode: 'starting', // 'p2p' or 'http' once decided
  fallbackReason: null,
  error: null,
  resolution: null,
  peers: 0, // WebRTC peers connected
  fromPeers: 0, // segment bytes received from peers
  fromServer: 0, // segment bytes received over HTTP
  uploaded: 0, // bytes sent to peers
  segmentsRejected: 0, // segments whose SHA-256 did not match
  mirrorRequests: 0, // segment requests sent to a mirror rather than the origin
  segments: [], // the first 100 segments loaded: [ms since navigation, playhead s, 'http'|'p2p', bytes]
  firstFrameMs: null, // since navigation start
  timeline: {},
  currentTime: 0,
  paused: true
}

/**
 * When segments come from the server and when from peers. p2p-media-loader 2.2 fetches every
 * segment inside `highDemandTimeWindow` (seconds ahead of the playhead) over HTTP whenever an
 * HTTP slot is free, even if a peer has it or is sending it, and, while peers are connected,
 * picks segments nobody has inside `httpDownloadTimeWindow` to fetch over HTTP for the swarm;
 * its defaults (15 s and 3000 s, two HTTP downloads) make a later viewer take its first 15 s
 * and more from the server. Here one HTTP download runs at a time and everything an earlier
 * viewer holds comes from peers, up to the whole video ahead. At start-up only the segment
 * under the playhead is urgent (segments are 2 to 3 s); once playing, the next 5 s are, so a
 * viewer alone keeps a margin over HTTP. (A 20 s HTTP window raised the peer share of all
 * bytes but made the server send 1.20 copies of the file instead of 1.05: viewers fetched
 * segments for each other that the front viewer fetched anyway.) Measured by
 * `cargo bench -p shoal-tests --bench offload`.
 */
const P2P_WINDOWS = {
  highDemandTimeWindow: 2,
  httpDownloadTimeWindow: 2,
  p2pDownloadTimeWindow: 6000,
  simultaneousHttpDownloads: 1,
  simultaneousP2PDownloads: 3
}
/** The windows once playback has run `STARTUP_SECS` seconds. */
const PLAYING_WINDOWS = { highDemandTimeWindow: 5, httpDownloadTimeWindow: 5 }
const STARTUP_SECS = 6
/**
 * When the page says others are watching, the first segment waits this long for a peer before
 * it is asked of the server (as the webtorrent player waits for peers before the web seed).
 */
const PEER_WAIT_MS = 700

video.addEventListener('loadeddata', () => {
  if (stats.firstFrameMs === null) stats.firstFrameMs = Math.round(performance.now())
})

start().catch(err => fallbackToHttp(`player error: ${err && err.message ? err.message : err}`))

async function start () {
  if (typeof MediaSource !== 'function') return fallbackToHttp('this browser has no MediaSource')
  const [{ default: Hls }, { HlsJsP2PEngine }] = await Promise.all([import(data.hls.hlsJs), import(data.hls.p2pHlsJs)])
  mark('libraries')
  if (!Hls.isSupported()) return fallbackToHttp('hls.js cannot play in this browser')
  // Without a hash list (an origin that gives none), segments are taken unchecked.
  const hashes = data.hls.segmentsSha256Url ? segmentHashes() : null
  const validate = hashes ? (url, byteRange, bytes) => checkSegment(hashes, url, byteRange, bytes) : undefined
  const mirrors = segmentMirrors()
  const HlsWithP2P = HlsJsP2PEngine.injectMixin(Hls)
  const peers = new Set()
  // HTTP starts closed (no download slot) when others are watching, and opens once hls.js has
  // its first segment or after PEER_WAIT_MS (opening it aborts a peer download of an urgent
  // segment, so a first chunk from a peer is not enough).
  const waitForPeers = data.hls.othersWatching > 0 && params.get('p2p') !== '0'
  let httpOpen = !waitForPeers
  const openHttp = () => {
    if (httpOpen) return
    httpOpen = true
    hls.p2pEngine.applyDynamicConfig({ core: { simultaneousHttpDownloads: P2P_WINDOWS.simultaneousHttpDownloads } })
    wakeLoader(hls)
    mark('httpOpened')
  }
  const hls = new HlsWithP2P({
    p2p: {
      core: {
        announceTrackers: data.hls.trackers,
        rtcConfig: { iceServers: [] }, // no STUN: host candidates only
        swarmId: data.hls.playlistUrl,
        ...P2P_WINDOWS,
        ...(waitForPeers ? { simultaneousHttpDownloads: 0 } : {}),
        isP2PDisabled: params.get('p2p') === '0',
        validateP2PSegment: validate,
        validateHTTPSegment: validate,
        httpRequestSetup: mirrors ? (url, byteRange, signal, range) => segmentRequest(mirrors, url, signal, range) : undefined
      },
      onHlsJsCreated (created) {
        const engine = created.p2pEngine
        engine.addEventListener('onChunkDownloaded', (bytes, source) => {
          if (source === 'p2p') { stats.fromPeers += bytes; mark('firstPeerData') } else {
            stats.fromServer += bytes
            mark('firstServerData')
          }
        })
        engine.addEventListener('onSegmentLoaded', details => {
          if (stats.segments.length < 100) {
            stats.segments.push([Math.round(performance.now()), Math.round(video.currentTime * 10) / 10,
              details.downloadSource, details.bytesLength])
          }
        })
        engine.addEventListener('onChunkUploaded', bytes => { stats.uploaded += bytes })
        engine.addEventListener('onPeerConnect', peer => { peers.add(peer.peerId); stats.peers = peers.size })
        engine.addEventListener('onPeerClose', peer => { peers.delete(peer.peerId); stats.peers = peers.size })
      }
    }
  })
  window.shoalPlayer = { hls }
  const widen = () => {
    if (video.currentTime < STARTUP_SECS) return
    video.removeEventListener('timeupdate', widen)
    hls.p2pEngine.applyDynamicConfig({ core: PLAYING_WINDOWS })
  }
  video.addEventListener('timeupdate', widen)
  hls.on(Hls.Events.MANIFEST_PARSED, () => { stats.mode = 'p2p'; mark('manifest') })
  hls.on(Hls.Events.FRAG_LOADED, (event, { frag }) => { if (frag.sn !== 'initSegment') openHttp() })
  hls.on(Hls.Events.LEVEL_SWITCHED, (event, { level }) => {
    const chosen = hls.levels[level]
    stats.resolution = chosen ? Math.min(chosen.width, chosen.height) : null
  })
  hls.on(Hls.Events.ERROR, (event, detail) => {
    stats.error = `${detail.type}: ${detail.details}`
    if (detail.fatal) fallbackToHttp(`hls.js: ${detail.details}`, hls)
  })
  if (!httpOpen) setTimeout(openHttp, PEER_WAIT_MS)
  hls.loadSource(data.hls.playlistUrl)
  hls.attachMedia(video)
  play(video)
}

/**
 * Makes p2p-media-loader look at its queue again now. A changed configuration is read at its
 * next pass, which only playback, peers or hls.js trigger; before the first frame none may
 * come. 2.2 (pinned in web/ui/package.json) has no public call for it, so this reaches into
 * its stream loader; `browser_hls`'s test with a peer that never answers keeps this honest
 * when the pin moves.
 */
function wakeLoader (hls) {
  const loader = hls.p2pEngine && hls.p2pEngine.core && hls.p2pEngine.core.mainStreamLoader
  if (loader && typeof loader.requestProcessQueueMicrotask === 'function') loader.requestProcessQueueMicrotask()
}

/** The mirrors holding each fragmented MP4 (the same bytes), by file name; null when none. */
function segmentMirrors () {
  const byName = {}
  for (const f of data.files) {
    if (f.hlsName && f.mirrors && f.mirrors.length) byName[f.hlsName] = f.mirrors
  }
  return Object.keys(byName).length ? byName : null
}

let nextSource = 0
/**
 * The HTTP request for a segment: the origin's URL and the file's mirrors in turn (a failed
 * request is retried by p2p-media-loader, so it goes to the next one), the same byte range.
 */
function segmentRequest (mirrors, url, signal, range) {
  const sources = [url, ...(mirrors[new URL(url, location.href).pathname.split('/').pop()] || [])]
  const chosen = sources[nextSource++ % sources.length]
  if (chosen !== url) stats.mirrorRequests += 1
  const headers = range ? { Range: `bytes=${range.start}-${range.end ?? ''}` } : {}
  return Promise.resolve(new Request(chosen, { headers, signal }))
}

/** `segments-sha256.json`, fetched once: `{ file: { "start-end": sha256hex } }`. */
function segmentHashes () {
  return fetch(data.hls.segmentsSha256Url).then(r => {
    if (!r.ok) throw new Error(`segment hashes: HTTP ${r.status}`)
    return r.json()
  })
}

/** Whether `bytes` (the segment at `url`, bytes `byteRange.start..=end`) hash as listed. */
async function checkSegment (hashes, url, byteRange, bytes) {
  const file = new URL(url, location.href).pathname.split('/').pop()
  const listed = (await hashes)[file]
  const expected = listed && byteRange ? listed[`${byteRange.start}-${byteRange.end}`] : undefined
  if (expected === undefined) return false
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  const actual = Array.from(digest, b => b.toString(16).padStart(2, '0')).join('')
  if (actual !== expected) stats.segmentsRejected += 1
  return actual === expected
}

/** Records the first time of milestone `name`. */
function mark (name) {
  if (stats.timeline[name] === undefined) stats.timeline[name] = Math.round(performance.now())
}

/** Plays the highest file up to 720p over plain HTTP (progressively) from the current position. */
function fallbackToHttp (reason, hls) {
  if (stats.mode === 'http') return
  console.warn(`Shoal HLS player: HTTP playback (${reason})`)
  const resumeAt = video.currentTime || 0
  stats.mode = 'http'
  stats.fallbackReason = reason
  if (hls) hls.destroy()
  const file = data.files.find(f => f.resolution <= 720) || data.files[data.files.length - 1]
  stats.httpSource = file.fileUrl
  video.src = file.fileUrl
  if (resumeAt > 0) video.addEventListener('loadedmetadata', () => { video.currentTime = resumeAt }, { once: true })
  play(video)
}

startPanel(stats, video, () => {}, () => stats.mode === 'p2p'
  ? `Peer-to-peer over HLS (${stats.peers ? 'with peers' : 'from the server until peers join'})`
  : stats.mode === 'http' ? `Direct from the server: ${stats.fallbackReason}` : 'Loading the player…')
