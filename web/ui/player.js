// Shoal's watch-page player (an ES module, no build step).
//
// It streams the video with the real `webtorrent` library: the torrent's WebSocket
// tracker finds the other viewers, WebRTC carries pieces between browsers, and the
// service worker feeds the <video> element while the file downloads. The page keeps
// seeding while it is open.
//
// Policy: peers first. The node's web seed (a BitTorrent peer whose id is its URL)
// is attached only while something is urgent: start-up, and whenever the part of
// the file just ahead of the playhead is short and no peer is filling it. Once peers
// deliver and the buffer is healthy, the web seed is dropped again, so the server
// sends only what playback could not wait for.
//
// Mirrors other instances announced of the file (ActivityPub CacheFiles, in the
// torrent's url-list and in `files[].mirrors`) are extra web seeds: attached and
// dropped with the node's own.
//
// Without WebRTC, service workers or the webtorrent bundle, or when the torrent
// stalls, the player falls back to plain HTTP playback of the web seed, and to the
// mirrors in turn when it fails (the origin is down).
//
// Live counters are on `window.shoalStats` (read by the browser tests) and shown
// in the page's P2P panel.

import { play as autoplay, startPanel } from './panel.js'

const data = JSON.parse(document.getElementById('shoal-watch-data').textContent)
const video = document.getElementById('shoal-video')
const params = new URLSearchParams(location.search)

/** Seconds of video ahead of the playhead below which the web seed is attached. */
const LOW_AHEAD_SECS = Number(params.get('lowAhead')) || 4
/** Seconds ahead above which, with peers delivering, the web seed is dropped. */
const HIGH_AHEAD_SECS = Number(params.get('highAhead')) || 8
/** At start-up, how long to wait for peers before asking the web seed (unless the tracker says we are alone). */
const STARTUP_GRACE_MS = Number(params.get('grace')) || 700
/** Milliseconds without peer data after which peers count as not delivering. */
const PEER_QUIET_MS = 1500
/** Start-up without a first frame for this long falls back to HTTP. */
const STARTUP_STALL_MS = Number(params.get('stall')) || 15000
/** Playback waiting this long with no bytes arriving falls back to HTTP. */
const PLAYBACK_STALL_MS = 10000
/** Files up to this size keep their pieces in memory (see MemoryChunkStore). */
const MEMORY_STORE_MAX_BYTES = 512 * 1024 * 1024
/** How often the policy and the panel are updated. */
const TICK_MS = 250

const stats = window.shoalStats = {
  mode: 'starting', // 'p2p' or 'http' once decided
  fallbackReason: null,
  error: null,
  resolution: null,
  fileSize: 0,
  infoHash: null,
  peers: 0, // WebRTC peers connected
  fromPeers: 0, // bytes received over WebRTC wires
  fromServer: 0, // bytes received over web-seed wires
  uploaded: 0, // bytes sent to peers
  webSeedAttached: false,
  webSeedAttaches: 0,
  webSeedDrops: 0,
  aheadSecs: 0,
  progress: 0,
  firstFrameMs: null, // since navigation start
  timeline: {}, // milestones, ms since navigation start: worker, bundle, torrent, tracker, firstPeerData, firstServerData, webSeed
  currentTime: 0,
  paused: true
}

const file = chooseFile(data.files)
stats.resolution = file.resolution
stats.fileSize = file.size

video.addEventListener('loadeddata', () => {
  if (stats.firstFrameMs === null) stats.firstFrameMs = Math.round(performance.now())
})

start().catch(err => fallbackToHttp(`player error: ${err && err.message ? err.message : err}`))

/** The file to play: `?resolution=N` when listed, else the highest up to 720p. */
function chooseFile (files) {
  const wanted = Number(params.get('resolution'))
  return files.find(f => f.resolution === wanted) ||
    files.find(f => f.resolution <= 720) ||
    files[files.length - 1]
}

async function start () {
  const reason = missingCapability()
  if (reason) return fallbackToHttp(reason)

  // Load the bundle while the service worker registers.
  const bundle = import(data.webTorrent).then(module => { mark('bundle'); return module })
  let registration
  try {
    registration = await activeServiceWorker()
  } catch (err) {
    stats.error = String(err && err.message ? err.message : err)
    bundle.catch(() => {})
    return fallbackToHttp('service workers are unavailable')
  }
  mark('worker')
  const { default: WebTorrent } = await bundle
  const client = new WebTorrent({
    webSeeds: false, // the policy below attaches the web seed when it is needed
    dht: false,
    lsd: false,
    tracker: { rtcConfig: { iceServers: [] } } // no STUN: host candidates only
  })
  client.on('error', err => fallbackToHttp(`webtorrent: ${err.message || err}`))
  client.createServer({ controller: registration })
  window.shoalPlayer = { client }

  // Pieces in memory when the file fits: the browser's default store (the origin private
  // file system) makes start-up check every piece against it and every piece wait for
  // a file write before it can be played or shared.
  const inMemory = file.size <= MEMORY_STORE_MAX_BYTES
  const storeOpts = inMemory ? { store: MemoryChunkStore, storeCacheSlots: 0 } : {}
  client.add(file.torrentUrl, { announce: data.trackers, ...storeOpts }, torrent => {
    stats.mode = 'p2p'
    mark('torrent')
    stats.infoHash = torrent.infoHash
    window.shoalPlayer.torrent = torrent
    countBytes(torrent)
    const media = torrent.files.find(f => /\.(mp4|webm)$/i.test(f.name)) || torrent.files[0]
    const webSeed = new WebSeedPolicy(torrent, webSeedUrls(torrent))
    media.streamTo(video)
    autoplay(video)
    watchForStalls(torrent, webSeed)
    setInterval(() => webSeed.tick(), TICK_MS)
  })
  setTimeout(() => {
    if (!window.shoalPlayer.torrent) fallbackToHttp('the torrent did not load in time')
  }, STARTUP_STALL_MS)
}

/** The web seeds of the file: the torrent's url-list (own web seed first, then mirrors), the file's URL and its mirrors, without duplicates. */
function webSeedUrls (torrent) {
  const urls = [...(torrent.urlList || []), file.fileUrl, ...(file.mirrors || [])].filter(Boolean)
  return [...new Set(urls)]
}

/** Records the first time of milestone `name`. */
function mark (name) {
  if (stats.timeline[name] === undefined) stats.timeline[name] = Math.round(performance.now())
}

/** Why P2P playback cannot work in this browser, or null. */
function missingCapability () {
  if (params.get('p2p') === '0') return 'P2P disabled by ?p2p=0'
  if (!data.webTorrent) return 'the webtorrent bundle is not installed on this node'
  if (typeof RTCPeerConnection !== 'function') return 'this browser has no WebRTC'
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return 'service workers are unavailable'
  return null
}

/** Registers webtorrent's service worker and waits until it is active and controls this page. */
async function activeServiceWorker () {
  const registration = await navigator.serviceWorker.register(data.serviceWorker, { scope: data.serviceWorkerScope })
  if (!registration) throw new Error('service worker registration refused')
  const worker = registration.active || registration.waiting || registration.installing
  if (!worker) throw new Error('service worker registration has no worker')
  if (worker.state !== 'activated') {
    await withTimeout(new Promise(resolve => {
      worker.addEventListener('statechange', () => { if (worker.state === 'activated') resolve() })
    }), 10000, 'service worker did not activate')
  }
  if (!navigator.serviceWorker.controller) {
    await withTimeout(new Promise(resolve => {
      navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true })
    }), 5000, 'service worker did not take control of the page')
  }
  return registration
}

function withTimeout (promise, ms, message) {
  return Promise.race([promise, new Promise((resolve, reject) => setTimeout(() => reject(new Error(message)), ms))])
}

/**
 * A chunk store in memory, with the abstract-chunk-store interface webtorrent expects:
 * `put(index, chunk, cb)`, `get(index, {offset, length}, cb)`, `close(cb)`, `destroy(cb)`.
 */
class MemoryChunkStore {
  constructor (chunkLength, opts = {}) {
    this.chunkLength = Number(chunkLength)
    const length = Number(opts.length) || 0
    this.lastIndex = Math.max(0, Math.ceil(length / this.chunkLength) - 1)
    this.lastLength = length - this.lastIndex * this.chunkLength
    this.chunks = []
    this.closed = false
  }

  put (index, chunk, cb = () => {}) {
    if (this.closed) return queueMicrotask(() => cb(new Error('store is closed')))
    const expected = index === this.lastIndex ? this.lastLength : this.chunkLength
    if (chunk.length !== expected) {
      return queueMicrotask(() => cb(new Error(`chunk ${index} must be ${expected} bytes, not ${chunk.length}`)))
    }
    this.chunks[index] = chunk
    queueMicrotask(() => cb(null))
  }

  get (index, opts, cb) {
    if (typeof opts === 'function') return this.get(index, null, opts)
    if (this.closed) return queueMicrotask(() => cb(new Error('store is closed')))
    const chunk = this.chunks[index]
    if (!chunk) {
      const err = new Error('chunk not found')
      err.notFound = true
      return queueMicrotask(() => cb(err))
    }
    const offset = (opts && opts.offset) || 0
    const length = (opts && opts.length) || chunk.length - offset
    queueMicrotask(() => cb(null, chunk.subarray(offset, offset + length)))
  }

  close (cb = () => {}) {
    this.closed = true
    queueMicrotask(() => cb(null))
  }

  destroy (cb = () => {}) {
    this.closed = true
    this.chunks = []
    queueMicrotask(() => cb(null))
  }
}

/** Counts received bytes by wire type: web-seed wires are the server, the others are peers. */
function countBytes (torrent) {
  const watch = wire => {
    const fromServer = wire.type === 'webSeed'
    wire.on('download', n => {
      if (fromServer) { stats.fromServer += n; mark('firstServerData') } else {
        stats.fromPeers += n
        stats.lastPeerDataAt = performance.now()
        mark('firstPeerData')
      }
      stats.lastDataAt = performance.now()
    })
    if (!fromServer) wire.on('upload', n => { stats.uploaded += n })
  }
  torrent.wires.forEach(watch)
  torrent.on('wire', watch)
}

/** Attaches and drops the web seed by urgency, preferring peers. */
class WebSeedPolicy {
  constructor (torrent, urls) {
    this.torrent = torrent
    this.urls = urls
    stats.webSeeds = urls.length
    this.startedAt = performance.now()
    // The tracker's answers say whether anyone else has the torrent (an unreachable
    // tracker leaves it unknown: the start-up grace then applies).
    this.othersKnown = null
    const tracker = torrent.discovery && torrent.discovery.tracker
    if (tracker) {
      tracker.on('update', answer => {
        mark('tracker')
        const others = (answer.complete || 0) + (answer.incomplete || 0) - 1
        this.othersKnown = others > 0
        stats.swarmSize = others + 1
      })
    } else {
      this.othersKnown = false
    }
  }

  attach (why) {
    if (this.attached() || this.torrent.destroyed || this.torrent.done) return
    for (const url of this.urls) {
      if (!(this.torrent._peers && this.torrent._peers.has(url))) this.torrent.addWebSeed(url)
    }
    mark('webSeed')
    stats.webSeedAttaches += 1
    stats.webSeedReason = why
  }

  drop (why) {
    if (!this.attached()) return
    for (const url of this.urls) this.torrent.removePeer(url)
    stats.webSeedDrops += 1
    stats.webSeedReason = why
  }

  attached () {
    return Boolean(this.torrent._peers && this.urls.some(url => this.torrent._peers.has(url)))
  }

  tick () {
    const torrent = this.torrent
    if (torrent.destroyed) return
    stats.webSeedAttached = this.attached()
    if (stats.mode !== 'p2p') return this.drop('HTTP playback')
    if (torrent.done) return this.drop('complete')
    if (!torrent.ready) return

    const ahead = this.aheadSecs()
    stats.aheadSecs = ahead === Infinity ? -1 : Math.round(ahead * 10) / 10
    const peersDelivering = stats.lastPeerDataAt !== undefined &&
      performance.now() - stats.lastPeerDataAt < PEER_QUIET_MS
    const peersCanHelp = this.usefulPeers() > 0

    if (this.attached()) {
      // Drop once playback started, peers deliver, and the playhead is safe.
      if (stats.firstFrameMs !== null && peersDelivering && peersCanHelp && ahead >= HIGH_AHEAD_SECS) {
        this.drop('peers deliver and the buffer is healthy')
      }
    } else if (stats.firstFrameMs === null) {
      // Start-up: peers first when the swarm has any, the server after a short grace.
      const graceOver = performance.now() - this.startedAt > STARTUP_GRACE_MS
      if (this.othersKnown === false) this.attach('start-up, no other peer')
      else if (graceOver && !peersDelivering) this.attach('start-up, peers too slow')
    } else if (ahead < LOW_AHEAD_SECS && !(peersDelivering && ahead >= LOW_AHEAD_SECS / 2)) {
      this.attach('buffer low')
    } else if (ahead < HIGH_AHEAD_SECS && !peersCanHelp && !peersDelivering) {
      this.attach('no peer has what comes next')
    }
  }

  /** Seconds of playable video downloaded contiguously from the playhead (Infinity to the end). */
  aheadSecs () {
    const torrent = this.torrent
    const duration = Number.isFinite(video.duration) && video.duration > 0 ? video.duration : data.duration
    if (!(duration > 0)) return 0
    const bytesPerSec = torrent.length / duration
    const playheadByte = Math.min(torrent.length - 1, Math.floor(video.currentTime * bytesPerSec))
    let piece = Math.floor(playheadByte / torrent.pieceLength)
    const first = piece
    while (piece < torrent.pieces.length && torrent.bitfield.get(piece)) piece++
    if (piece >= torrent.pieces.length) return Infinity
    if (piece === first) return 0
    return (piece * torrent.pieceLength - playheadByte) / bytesPerSec
  }

  /** Connected peers that have a piece we still miss, from the playhead on. */
  usefulPeers () {
    const torrent = this.torrent
    const duration = Number.isFinite(video.duration) && video.duration > 0 ? video.duration : data.duration
    const fromPiece = duration > 0
      ? Math.floor(Math.min(1, video.currentTime / duration) * (torrent.pieces.length - 1))
      : 0
    let useful = 0
    for (const wire of torrent.wires) {
      if (wire.type === 'webSeed' || wire.destroyed || !wire.peerPieces) continue
      for (let i = fromPiece; i < torrent.pieces.length; i++) {
        if (!torrent.bitfield.get(i) && wire.peerPieces.get(i)) { useful++; break }
      }
    }
    return useful
  }
}

/** Falls back to HTTP when start-up or playback makes no progress. */
function watchForStalls (torrent, webSeed) {
  const startedAt = performance.now()
  let waitingSince = null
  video.addEventListener('waiting', () => { waitingSince = performance.now() })
  video.addEventListener('playing', () => { waitingSince = null })
  const timer = setInterval(() => {
    if (stats.mode !== 'p2p') return clearInterval(timer)
    const now = performance.now()
    if (stats.firstFrameMs === null && now - startedAt > STARTUP_STALL_MS) {
      clearInterval(timer)
      return fallbackToHttp('the torrent did not start in time', webSeed)
    }
    const quiet = stats.lastDataAt === undefined || now - stats.lastDataAt > PLAYBACK_STALL_MS
    if (waitingSince !== null && now - waitingSince > PLAYBACK_STALL_MS && quiet && !torrent.done) {
      clearInterval(timer)
      fallbackToHttp('the torrent stalled', webSeed)
    }
  }, 1000)
}

/** Plays the web seed over plain HTTP from the current position; the torrent (if any) keeps seeding. */
function fallbackToHttp (reason, webSeed) {
  if (stats.mode === 'http') return
  console.warn(`Shoal player: HTTP playback (${reason})`)
  const resumeAt = video.currentTime || 0
  stats.mode = 'http'
  stats.fallbackReason = reason
  if (webSeed) webSeed.drop('HTTP playback')
  // The file's URL, then each mirror when the one before fails.
  const sources = [...new Set([file.fileUrl, ...(file.mirrors || [])].filter(Boolean))]
  let next = 0
  const tryNext = () => {
    if (next >= sources.length) return
    stats.httpSource = sources[next]
    video.src = sources[next++]
    autoplay(video)
  }
  video.addEventListener('error', () => {
    if (stats.mode === 'http' && next < sources.length) {
      const at = video.currentTime || resumeAt
      tryNext()
      if (at > 0) video.addEventListener('loadedmetadata', () => { video.currentTime = at }, { once: true })
    }
  })
  tryNext()
  if (resumeAt > 0) video.addEventListener('loadedmetadata', () => { video.currentTime = resumeAt }, { once: true })
}

startPanel(stats, video, () => {
  const torrent = window.shoalPlayer && window.shoalPlayer.torrent
  if (torrent && !torrent.destroyed) {
    stats.peers = torrent.wires.filter(w => w.type !== 'webSeed' && !w.destroyed).length
    stats.progress = Math.round(torrent.progress * 1000) / 1000
  }
}, () => stats.mode === 'p2p'
  ? `Peer-to-peer${stats.webSeedAttached ? ' (with the server)' : ''}`
  : stats.mode === 'http' ? `Direct from the server: ${stats.fallbackReason}` : 'Loading the player…')
