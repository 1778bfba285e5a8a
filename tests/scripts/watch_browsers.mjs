// Opens watch pages in separate headless Chromium processes (Debian's
// /usr/bin/chromium through playwright-core), each with its own profile, starting
// them at given delays, and samples each page's `window.shoalStats` once a second.
//
//   node watch_browsers.mjs PLAN.json
//
// PLAN: { "chromium": "/usr/bin/chromium", "watchMs": 20000, "sampleMs": 1000,
//         "viewers": [{ "url", "startAfterMs", "userDataDir",
//                       "noWebRTC": false, "blockServiceWorkers": false,
//                       "refuseWebSeedPieces": false }] }
// Prints one JSON object per line: {"sample": {viewer, t, stats}} while watching,
// then {"final": [{viewer, stats, console}]}. `t` is milliseconds since the
// script started. Run it where the node is reachable (the test's network namespace).

import { readFileSync } from 'node:fs'
import { chromium } from 'playwright-core'

const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const started = Date.now()
const sampleMs = plan.sampleMs || 1000
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns', '--autoplay-policy=no-user-gesture-required'
]

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const emit = obj => process.stdout.write(JSON.stringify(obj) + '\n')

async function openViewer (viewer, index) {
  await sleep(Math.max(0, viewer.startAfterMs - (Date.now() - started)))
  const context = await chromium.launchPersistentContext(viewer.userDataDir, {
    executablePath: plan.chromium || '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    serviceWorkers: viewer.blockServiceWorkers ? 'block' : 'allow'
  })
  const page = context.pages()[0] || await context.newPage()
  const consoleLines = []
  page.on('console', msg => {
    if (consoleLines.length < 200) consoleLines.push(`${msg.type()}: ${msg.text()}`)
  })
  page.on('pageerror', err => consoleLines.push(`pageerror: ${err.message}`))
  if (viewer.refuseWebSeedPieces) {
    // A web seed that refuses webtorrent's piece requests (closed ranges) but serves
    // plain HTTP playback (open ranges): the torrent stalls, the player must fall back.
    await context.route('**/static/web-videos/**', route => {
      const range = route.request().headers().range || ''
      return /^bytes=\d+-\d+$/.test(range) ? route.abort() : route.continue()
    })
  }
  if (viewer.noWebRTC) {
    // A browser without WebRTC: the player must fall back to HTTP.
    await page.addInitScript(() => {
      delete window.RTCPeerConnection
      delete window.webkitRTCPeerConnection
    })
  }
  const openedAt = Date.now() - started
  await page.goto(viewer.url, { waitUntil: 'domcontentloaded', timeout: 30000 })
  return { index, context, page, consoleLines, openedAt }
}

async function readStats (page) {
  try {
    return await page.evaluate(() => window.shoalStats ? JSON.parse(JSON.stringify(window.shoalStats)) : null)
  } catch (err) {
    return { error: String(err) }
  }
}

const opened = []
let sampling = true
const sampler = (async () => {
  while (sampling) {
    await sleep(sampleMs)
    for (const v of opened) {
      emit({ sample: { viewer: v.index, t: Date.now() - started, stats: await readStats(v.page) } })
    }
  }
})()

const openings = plan.viewers.map((viewer, i) => openViewer(viewer, i).then(v => { opened.push(v); return v }))
let failure = null
try {
  await Promise.all(openings)
  const lastStart = Math.max(...plan.viewers.map(v => v.startAfterMs))
  await sleep(Math.max(0, lastStart + plan.watchMs - (Date.now() - started)))
} catch (err) {
  failure = String(err && err.stack ? err.stack : err)
}
sampling = false
await sampler
const final = []
for (const v of opened.sort((a, b) => a.index - b.index)) {
  final.push({ viewer: v.index, openedAt: v.openedAt, stats: await readStats(v.page), console: v.consoleLines })
}
emit({ final, failure })
await Promise.all(opened.map(v => v.context.close().catch(() => {})))
process.exit(failure ? 1 : 0)
