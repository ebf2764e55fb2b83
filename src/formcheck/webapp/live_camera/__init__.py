"""The live page's camera: the browser shows its own preview and draws the coaching over it;
the server gets one frame at a time over a WebSocket and answers with what to draw
(:mod:`.channel`, :mod:`.component`)."""
