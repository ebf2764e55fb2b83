// Draws the shapes the server sends (formcheck.annotate.to_plain): the same list the annotated
// video is drawn from, in the camera frame's pixels. Nothing about what to show is decided here.

const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif';
// OpenCV's text height (the shapes' `size`) is about the height of capitals plus a little;
// a sans-serif font's capitals are about 0.72 of its pixel size.
const FONT_PX_PER_SIZE = 1.05;
const DESCENT_PER_SIZE = 0.3;

function text(ctx, s) {
  ctx.font = `${s.weight >= 2 ? 'bold ' : ''}${(s.size * FONT_PX_PER_SIZE).toFixed(1)}px ${FONT_FAMILY}`;
  const width = ctx.measureText(s.text).width;
  const x = s.align === 'right' ? s.x - width : s.align === 'centre' ? s.x - width / 2 : s.x;
  const y = s.middle ? s.y + s.size / 2 : s.y;
  if (s.background) {
    ctx.fillStyle = s.background;
    ctx.fillRect(x - 4, y - s.size - 6, width + 8, s.size * (1 + DESCENT_PER_SIZE) + 8);
  }
  ctx.fillStyle = s.colour;
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(s.text, x, y);
}

/** Draw `shapes` on the 2D context `ctx`, in order. */
export function drawShapes(ctx, shapes) {
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  for (const s of shapes) {
    switch (s.kind) {
      case 'line':
        ctx.beginPath();
        ctx.moveTo(s.points[0][0], s.points[0][1]);
        for (const [x, y] of s.points.slice(1)) ctx.lineTo(x, y);
        ctx.strokeStyle = s.colour;
        ctx.lineWidth = s.width;
        ctx.stroke();
        break;
      case 'disc':
        ctx.beginPath();
        ctx.arc(s.x, s.y, s.radius, 0, 2 * Math.PI);
        ctx.fillStyle = s.colour;
        ctx.fill();
        break;
      case 'rect':
        ctx.globalAlpha = s.opacity;
        ctx.fillStyle = s.colour;
        ctx.fillRect(s.x0, s.y0, s.x1 - s.x0, s.y1 - s.y0);
        ctx.globalAlpha = 1;
        break;
      case 'text':
        text(ctx, s);
        break;
      default:
        break; // a shape this page does not know: skip it rather than fail the overlay
    }
  }
}
