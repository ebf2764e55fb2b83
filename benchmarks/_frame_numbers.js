// benchmarks/live_browser.py's probe for the WebRTC baseline, added to every frame of the page
// before its own scripts: reads the fake camera's frame numbers (tests/browser/fake_camera.py,
// `stamp_number`) on the camera stream the page asks for and on every other <video> (the
// annotated video coming back), with the time each frame was captured and shown; keeps the
// page's RTCPeerConnections for their statistics.
(() => {
  const CELL = 8, BITS = 16;
  const probe = window.__frameNumbers = {captured: {}, shown: [], peers: []};
  const Peer = window.RTCPeerConnection;
  if (Peer) {
    const Kept = function (...a) { const pc = new Peer(...a); probe.peers.push(pc); return pc; };
    Kept.prototype = Peer.prototype;
    window.RTCPeerConnection = Kept;
  }
  const canvas = document.createElement('canvas');
  canvas.width = BITS * CELL;
  canvas.height = CELL;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  function read(video) {
    const w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) return -1;
    ctx.drawImage(video, w - BITS * CELL, h - CELL, BITS * CELL, CELL, 0, 0, BITS * CELL, CELL);
    const d = ctx.getImageData(0, 0, BITS * CELL, CELL).data;
    let code = 0;
    for (let b = 0; b < BITS; b++) {
      let sum = 0, n = 0;
      for (let y = 2; y < CELL - 2; y++) {
        for (let x = 2; x < CELL - 2; x++) { sum += d[(y * BITS * CELL + b * CELL + x) * 4 + 1]; n++; }
      }
      if (sum / n > 127) code |= 1 << b;
    }
    const number = code & 0xfff;
    return ((number * 7 + 3) & 15) === code >> 12 ? number : -1;
  }
  function watch(video, camera) {
    const onFrame = (now, meta) => {
      const number = read(video);
      if (number >= 0) {
        if (camera) (probe.captured[number] = probe.captured[number] || []).push(meta.captureTime ?? now);
        else if (number !== video.__lastNumber) {
          video.__lastNumber = number;
          probe.shown.push([number, performance.now()]);
        }
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const stream = await getUserMedia(constraints);
      const video = document.createElement('video');
      video.muted = true;
      video.playsInline = true;
      video.srcObject = stream;
      video.__probe = true;
      video.style.cssText = 'position:fixed;left:-10000px;width:64px;height:48px';
      document.documentElement.appendChild(video);
      video.play();
      watch(video, true);
      return stream;
    };
  }
  setInterval(() => {
    for (const video of document.querySelectorAll('video')) {
      if (!video.__probe && !video.__watched && video.srcObject) {
        video.__watched = true;
        watch(video, false);
      }
    }
  }, 200);
})();
