// What both watch-page players share (an ES module): the page's P2P panel, kept in step
// with `window.shoalStats` twice a second, and autoplay.

/** `n` bytes in B, kB, MB or GB. */
export function humanBytes (n) {
  const units = ['B', 'kB', 'MB', 'GB']
  let i = 0
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++ }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`
}

/** Autoplays `video`, muted when the browser refuses sound without a gesture. */
export function play (video) {
  video.autoplay = true
  const attempt = video.play()
  if (attempt && attempt.catch) {
    attempt.catch(err => {
      if (err && err.name === 'NotAllowedError') {
        video.muted = true
        video.play().catch(() => {})
      }
    })
  }
}

/**
 * Updates `stats.currentTime`/`paused` and the panel every 500 ms; `refresh()` runs first
 * (the player's own counters), `modeText()` says how the video is playing.
 */
export function startPanel (stats, video, refresh, modeText) {
  const panel = {
    mode: document.getElementById('stat-mode'),
    peers: document.getElementById('stat-peers'),
    fromPeers: document.getElementById('stat-from-peers'),
    fromServer: document.getElementById('stat-from-server'),
    uploaded: document.getElementById('stat-uploaded')
  }
  setInterval(() => {
    refresh()
    stats.currentTime = video.currentTime
    stats.paused = video.paused
    const mode = modeText()
    if (panel.mode.textContent !== mode) panel.mode.textContent = mode
    panel.peers.textContent = String(stats.peers)
    panel.fromPeers.textContent = humanBytes(stats.fromPeers)
    panel.fromServer.textContent = humanBytes(stats.fromServer)
    panel.uploaded.textContent = humanBytes(stats.uploaded)
  }, 500)
}
