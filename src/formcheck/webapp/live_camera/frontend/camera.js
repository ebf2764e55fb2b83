// The live camera: the browser's own preview, the newest frame sent to the formcheck server
// over a WebSocket (one frame in flight: a frame is only sent once the previous one is answered,
// so none waits in a queue), the server's shapes drawn on a canvas over the preview, and the
// status line, measured per frame from the camera's capture time to its overlay being drawn.
//
// Standard APIs only (getUserMedia, canvas, WebSocket); requestVideoFrameCallback where the
// browser has it (Chromium, Safari, Firefox 132+), else one frame per animation frame; the JPEG
// is encoded in a worker (encoder.js, OffscreenCanvas) where the browser has one, else here.
//
// Each overlay drawn is also announced as a `formcheck-overlay` event on this window, with its
// capture, sending, answer and drawing times (performance.now() clock), the server's times and
// its shapes, for anyone measuring or checking the page (benchmarks/live_browser.py,
// tests/browser/test_live.py).

import {drawShapes} from './overlay.js';
import {onRender, ready, setFrameHeight, setValue} from './streamlit.js';

const STATUS_WINDOW_MS = 3000; // the status line covers the last 3 s...
const STATUS_EVERY_MS = 1000; // ...and changes once a second, so it can be read
const STALE_OVERLAY_MS = 1000; // an overlay older than this is taken down: never a stale cue
const ANSWER_TIMEOUT_MS = 3000; // no answer in this time: give the frame up, send the newest
const RECONNECT_MS = [500, 1000, 2000, 4000];

const MESSAGES = {
  noCameraApi: 'This page cannot use a camera: open the app over https:// '
    + '(or at http://localhost on the computer that runs it).',
  refused: 'The camera was not allowed. Allow this site to use the camera (the camera icon in '
    + 'the address bar or the browser settings), then press Start camera again.',
  notFound: 'No camera was found. Plug one in, then press Start camera again.',
  busy: 'The camera could not be started: another program may be using it. Close that program, '
    + 'then press Start camera again.',
  unplugged: 'The camera stopped (unplugged, or switched off). Plug it back in and press Start camera.',
  lost: 'Lost the connection to the formcheck server: reconnecting...',
  unreachable: 'The formcheck server cannot be reached (it may have stopped): still trying...',
  connecting: 'Connecting to the coach...',
  waiting: 'Waiting for the first coached frame...',
};

const $ = (id) => document.getElementById(id);
const stage = $('stage');
const video = $('preview');
const overlay = $('overlay');
const startButton = $('start');
const stopButton = $('stop');
const statusLine = $('status');
const message = $('message');
const octx = overlay.getContext('2d');
const grab = document.createElement('canvas');
const gctx = grab.getContext('2d');

let args = null;
let stream = null;
let startedAt = 0;
let socket = null;
let socketReady = false;
let fatal = false;
let reconnects = 0;
let reconnectTimer = null;
let sendSide = 640;
let quality = '';
let seq = 0;
let inFlight = null; // the frame sent and not yet answered
let latestCapture = 0; // capture time of the newest camera frame (performance.now() clock)
let fresh = false; // a camera frame has arrived since the last one was sent
let painted = []; // {at, latency} of the overlays drawn in the last STATUS_WINDOW_MS
let lastPaint = 0;
let pendingAnswer = null;
let transientError = false;

/** Show a problem under the preview ('' takes it away). */
function say(text) {
  message.textContent = text;
  message.className = text ? 'message shown' : 'message';
}

function clearOverlay() {
  octx.clearRect(0, 0, overlay.width, overlay.height);
}

function cameraError(err) {
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return MESSAGES.refused;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return MESSAGES.notFound;
    case 'NotReadableError':
    case 'AbortError':
      return MESSAGES.busy;
    default:
      return `The camera could not be started (${(err && err.name) || err}).`;
  }
}

// -- the camera ----------------------------------------------------------------------------------
async function start() {
  fatal = false;
  say('');
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    say(MESSAGES.noCameraApi);
    return;
  }
  startButton.disabled = true;
  const want = args.video;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: {width: {ideal: want.width}, height: {ideal: want.height}, frameRate: {ideal: want.fps}},
    });
  } catch (err) {
    startButton.disabled = false;
    say(cameraError(err));
    return;
  }
  const [track] = stream.getVideoTracks();
  track.addEventListener('ended', () => {
    stop();
    say(MESSAGES.unplugged);
  });
  video.srcObject = stream;
  await video.play().catch(() => {}); // muted: allowed without a click; if not, autoplay does it
  startedAt = performance.now();
  startButton.disabled = false;
  startButton.hidden = true;
  stopButton.hidden = false;
  watchFrames(stream);
  connect();
  setValue({playing: true});
  showStatus();
}

function stop() {
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  video.srcObject = null;
  inFlight = null;
  fresh = false;
  painted = [];
  lastPaint = 0;
  clearOverlay();
  clearTimeout(reconnectTimer);
  reconnectTimer = null;
  if (socket) {
    const ws = socket;
    socket = null;
    socketReady = false;
    ws.close();
  }
  startButton.hidden = false;
  stopButton.hidden = true;
  say('');
  setValue({playing: false});
  showStatus();
}

function watchFrames(watched) {
  if ('requestVideoFrameCallback' in HTMLVideoElement.prototype) {
    const onFrame = (now, meta) => {
      if (stream !== watched) return;
      frameArrived(meta.captureTime ?? now);
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  } else {
    const onTick = (now) => {
      if (stream !== watched) return;
      frameArrived(now);
      requestAnimationFrame(onTick);
    };
    requestAnimationFrame(onTick);
  }
}

function frameArrived(captured) {
  latestCapture = captured;
  fresh = true;
  send();
}

video.addEventListener('resize', () => {
  overlay.width = video.videoWidth;
  overlay.height = video.videoHeight;
  stage.style.aspectRatio = `${video.videoWidth} / ${video.videoHeight}`;
});

// -- frames out ----------------------------------------------------------------------------------
// JPEG encoding runs in a worker (OffscreenCanvas) where the browser has one, so it does not
// wait for the main thread, which this frame shares with the Streamlit page; else here.
let encoder = null;
let encodeId = 0;
const encoding = new Map();
if (typeof Worker === 'function' && typeof OffscreenCanvas === 'function'
    && 'convertToBlob' in OffscreenCanvas.prototype && typeof createImageBitmap === 'function') {
  encoder = new Worker(new URL('encoder.js', import.meta.url));
  encoder.addEventListener('message', (event) => {
    const {id, jpeg, error} = event.data;
    const done = encoding.get(id);
    encoding.delete(id);
    if (done) (error ? done.reject(new Error(error)) : done.resolve(jpeg));
  });
  encoder.addEventListener('error', () => { // the worker cannot run here: encode on this page
    encoder = null;
    for (const done of encoding.values()) done.reject(new Error('no encoder'));
    encoding.clear();
  });
}

function encode(w, h) {
  if (encoder) {
    const worker = encoder;
    return createImageBitmap(video).then((bitmap) => new Promise((resolve, reject) => {
      const id = ++encodeId;
      encoding.set(id, {resolve, reject});
      worker.postMessage({id, bitmap, width: w, height: h, quality: args.jpeg_quality}, [bitmap]);
    })).catch((err) => {
      if (encoder === worker) encoder = null; // it cannot encode here: from now on, this page does
      throw err;
    });
  }
  if (grab.width !== w || grab.height !== h) {
    grab.width = w;
    grab.height = h;
  }
  gctx.drawImage(video, 0, 0, w, h);
  return new Promise((resolve, reject) => grab.toBlob((blob) => {
    if (blob) blob.arrayBuffer().then(resolve, reject);
    else reject(new Error('the frame could not be encoded'));
  }, 'image/jpeg', args.jpeg_quality));
}

function send() {
  if (!fresh || !stream || !socketReady) return;
  if (inFlight && performance.now() - inFlight.sentAt < ANSWER_TIMEOUT_MS) return;
  const vw = video.videoWidth;
  const vh = video.videoHeight;
  if (!vw || !vh) return;
  fresh = false;
  const k = Math.min(1, sendSide / Math.max(vw, vh));
  const frame = {seq: ++seq, captured: latestCapture, sentAt: performance.now(), encodedAt: NaN, answeredAt: NaN};
  inFlight = frame;
  encode(Math.round(vw * k), Math.round(vh * k)).then((jpeg) => {
    if (inFlight !== frame || !socketReady) return;
    const header = new TextEncoder().encode(JSON.stringify({
      seq: frame.seq, captured: performance.timeOrigin + frame.captured, width: vw, height: vh,
    }));
    const out = new Uint8Array(4 + header.length + jpeg.byteLength);
    new DataView(out.buffer).setUint32(0, header.length);
    out.set(header, 4);
    out.set(new Uint8Array(jpeg), 4 + header.length);
    frame.encodedAt = performance.now();
    socket.send(out.buffer);
  }, () => {
    if (inFlight === frame) inFlight = null; // the next camera frame is sent instead
  });
}

// -- the server ----------------------------------------------------------------------------------
function connect() {
  if (socket || fatal || !args || !stream) return;
  const url = new URL(args.endpoint, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url);
  socket = ws;
  socketReady = false;
  ws.addEventListener('open', () => ws.send(JSON.stringify({type: 'hello', token: args.token})));
  ws.addEventListener('message', (event) => {
    if (socket === ws) answered(JSON.parse(event.data));
  });
  ws.addEventListener('close', () => {
    if (socket !== ws) return; // closed on purpose
    socket = null;
    socketReady = false;
    inFlight = null;
    pendingAnswer = null; // an answer not yet painted would draw after the overlay is cleared
    clearOverlay();
    if (!stream || fatal) return;
    const wait = RECONNECT_MS[Math.min(reconnects, RECONNECT_MS.length - 1)];
    reconnects += 1;
    say(reconnects > 2 ? MESSAGES.unreachable : MESSAGES.lost);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      connect();
    }, wait);
    showStatus();
  });
}

function answered(msg) {
  if (msg.type === 'ready') {
    socketReady = true;
    reconnects = 0;
    sendSide = msg.send_side;
    quality = msg.quality;
    say('');
    send();
    return;
  }
  if (msg.type === 'error') {
    say(msg.message);
    fatal = fatal || msg.fatal;
    transientError = !msg.fatal;
    inFlight = null;
    send();
    return;
  }
  if (!inFlight || msg.seq !== inFlight.seq) return; // the answer to a frame given up
  const frame = inFlight;
  inFlight = null;
  frame.answeredAt = performance.now();
  if (msg.type === 'frame') {
    sendSide = msg.send_side;
    quality = msg.quality;
    if (transientError) {
      transientError = false;
      say('');
    }
    if (!pendingAnswer) requestAnimationFrame(paint);
    pendingAnswer = {frame, shapes: msg.shapes, server: msg.server};
  }
  send(); // the newest camera frame, at once
}

function paint() {
  const answer = pendingAnswer;
  pendingAnswer = null;
  if (!answer || !stream) return;
  clearOverlay();
  drawShapes(octx, answer.shapes);
  const at = performance.now();
  const latency = at - answer.frame.captured;
  painted.push({at, latency});
  lastPaint = at;
  window.dispatchEvent(new CustomEvent('formcheck-overlay', {
    detail: {
      seq: answer.frame.seq, latency, timeOrigin: performance.timeOrigin,
      captured: answer.frame.captured, grabbed: answer.frame.sentAt,
      encoded: answer.frame.encodedAt, answered: answer.frame.answeredAt, painted: at,
      server: answer.server, shapes: answer.shapes,
    },
  }));
}

// -- the status line -----------------------------------------------------------------------------
function percentile(values, q) {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

function showStatus() {
  const now = performance.now();
  painted = painted.filter((p) => now - p.at <= STATUS_WINDOW_MS);
  statusLine.classList.remove('slow');
  if (!stream) {
    statusLine.textContent = '';
  } else if (!socketReady) {
    statusLine.textContent = MESSAGES.connecting;
  } else if (!painted.length) {
    statusLine.textContent = MESSAGES.waiting;
  } else {
    const span = Math.min(STATUS_WINDOW_MS, now - startedAt) / 1000;
    const fps = painted.length / span;
    const p90 = percentile(painted.map((p) => p.latency), 0.9);
    let text = `${Math.round(fps)} fps · frame-to-cue p90 ${Math.round(p90)} ms · ${quality}`;
    if (fps < args.target_fps) {
      text += ` · below ${args.target_fps} fps: this computer is busy`;
      statusLine.classList.add('slow');
    }
    statusLine.textContent = text;
  }
}

setInterval(() => {
  if (lastPaint && performance.now() - lastPaint > STALE_OVERLAY_MS) {
    clearOverlay();
    lastPaint = 0;
  }
}, STALE_OVERLAY_MS / 4);
setInterval(showStatus, STATUS_EVERY_MS);

// -- Streamlit -----------------------------------------------------------------------------------
startButton.addEventListener('click', start);
stopButton.addEventListener('click', stop);
new ResizeObserver(() => setFrameHeight(document.body.scrollHeight)).observe(document.body);
onRender((newArgs) => {
  const tokenChanged = args !== null && newArgs.token !== args.token;
  args = newArgs;
  startButton.disabled = false;
  if (tokenChanged) { // a new session (the server restarted): talk to it instead
    if (socket) {
      const ws = socket;
      socket = null;
      socketReady = false;
      inFlight = null;
      ws.close();
    }
    fatal = false;
    reconnects = 0;
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    say('');
    connect(); // only if the camera is on
  }
});
ready();
