// The reference WebTorrent stack the offload benchmark compares Shoal with: npm
// `bittorrent-tracker`'s server (WebSocket only), a plain web seed throttled to a
// total upload rate shared by all viewers, and the stock webtorrent player (web
// seed added from the start, no policy), instrumented with the same counters as
// Shoal's player (`window.shoalStats`: fromPeers/fromServer by wire type, firstFrameMs).
//
//   node reference_stack.mjs FILE TORRENT RATE UI_DIR
//
// FILE is the video, TORRENT a .torrent of it (its info dictionary is kept, so both
// stacks share pieces; announce and url-list are replaced by this stack's), RATE the
// web seed's total bytes per second, UI_DIR Shoal's web/ui (webtorrent's bundle and
// service worker come from its node_modules). Listens on 127.0.0.1 (ephemeral ports)
// and prints one JSON line {"page", "stats"} once ready; GET /stats answers
// {"webSeedBytes"}. Runs until killed.

import { createReadStream, readFileSync, statSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import bencode from 'bencode'
import Server from 'bittorrent-tracker/server'

const [file, torrentPath, rateArg, uiDir] = process.argv.slice(2)
const rate = Number(rateArg)
const size = statSync(file).size
const bundle = readFileSync(join(uiDir, 'node_modules/webtorrent/dist/webtorrent.min.js'))
const worker = readFileSync(join(uiDir, 'node_modules/webtorrent/dist/sw.min.js'))

// --- the tracker -------------------------------------------------------------
const tracker = new Server({ udp: false, http: false, ws: true, stats: false })
await new Promise(resolve => tracker.listen(0, '127.0.0.1', resolve))
const trackerUrl = `ws://127.0.0.1:${tracker.http.address().port}`

// --- one shared upload budget: a token bucket refilled at `rate` -------------
let tokens = 0
let last = Date.now()
const BURST = 64 * 1024
async function take (n) {
  for (;;) {
    const now = Date.now()
    tokens = Math.min(BURST, tokens + (now - last) * rate / 1000)
    last = now
    if (tokens >= n) { tokens -= n; return }
    await new Promise(resolve => setTimeout(resolve, Math.max(1, Math.ceil((n - tokens) * 1000 / rate))))
  }
}

let webSeedBytes = 0
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Range, Cache-Control, Content-Type',
  'Access-Control-Expose-Headers': 'Content-Range, Content-Length, Accept-Ranges'
}

async function serveSeed (req, res) {
  if (req.method === 'OPTIONS') { res.writeHead(204, CORS); return res.end() }
  let start = 0
  let end = size - 1
  let status = 200
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range || '')
  if (range) {
    if (range[1] !== '') start = Number(range[1])
    if (range[2] !== '') end = Math.min(size - 1, Number(range[2]))
    if (range[1] === '') { start = Math.max(0, size - Number(range[2])); end = size - 1 }
    if (start > end || start >= size) {
      res.writeHead(416, { ...CORS, 'Content-Range': `bytes */${size}` })
      return res.end()
    }
    status = 206
  }
  const headers = { ...CORS, 'Content-Type': 'video/mp4', 'Accept-Ranges': 'bytes', 'Content-Length': end - start + 1 }
  if (status === 206) headers['Content-Range'] = `bytes ${start}-${end}/${size}`
  res.writeHead(status, headers)
  if (req.method === 'HEAD') return res.end()
  const stream = createReadStream(file, { start, end, highWaterMark: 16 * 1024 })
  for await (const chunk of stream) {
    if (res.destroyed) { stream.destroy(); return }
    await take(chunk.length)
    webSeedBytes += chunk.length
    if (!res.write(chunk)) await new Promise(resolve => res.once('drain', resolve))
  }
  res.end()
}

// --- pages, assets and the torrent --------------------------------------------
const server = http.createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname
  const send = (type, body, extra = {}) => { res.writeHead(200, { 'Content-Type': type, ...extra }); res.end(body) }
  if (path === '/video.mp4') return serveSeed(req, res).catch(() => res.destroy())
  if (path === '/video.torrent') return send('application/x-bittorrent', torrent)
  if (path === '/webtorrent.min.js') return send('text/javascript', bundle)
  if (path === '/sw.min.js') return send('text/javascript', worker)
  if (path === '/watch') return send('text/html; charset=utf-8', PAGE)
  if (path === '/stats') return send('application/json', JSON.stringify({ webSeedBytes }))
  res.writeHead(404); res.end()
})
await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${server.address().port}`

const meta = bencode.decode(readFileSync(torrentPath))
delete meta['announce-list']
meta.announce = trackerUrl
meta['url-list'] = [`${origin}/video.mp4`]
const torrent = bencode.encode(meta)

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>reference</title>
<link rel="icon" href="data:,"></head><body><video id="v" controls muted playsinline></video>
<script type="module">
import WebTorrent from '/webtorrent.min.js'
const video = document.getElementById('v')
const stats = window.shoalStats = { mode: 'p2p', fromPeers: 0, fromServer: 0, uploaded: 0, peers: 0,
  firstFrameMs: null, currentTime: 0, progress: 0 }
video.addEventListener('loadeddata', () => { if (stats.firstFrameMs === null) stats.firstFrameMs = Math.round(performance.now()) })
const reg = await navigator.serviceWorker.register('/sw.min.js', { scope: '/' })
const w = reg.active || reg.waiting || reg.installing
if (w.state !== 'activated') await new Promise(r => w.addEventListener('statechange', () => w.state === 'activated' && r()))
if (!navigator.serviceWorker.controller) await new Promise(r => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }))
const client = new WebTorrent({ tracker: { rtcConfig: { iceServers: [] } } })
client.createServer({ controller: reg })
client.add(location.origin + '/video.torrent', torrent => {
  const watch = wire => wire.on('download', n => { if (wire.type === 'webSeed') stats.fromServer += n; else stats.fromPeers += n })
  torrent.wires.forEach(watch)
  torrent.on('wire', watch)
  torrent.files[0].streamTo(video)
  video.play().catch(() => {})
  setInterval(() => {
    stats.currentTime = video.currentTime
    stats.progress = torrent.progress
    stats.peers = torrent.wires.filter(w => w.type !== 'webSeed').length
  }, 250)
})
</script></body></html>`

process.stdout.write(JSON.stringify({ page: `${origin}/watch`, stats: `${origin}/stats` }) + '\n')
