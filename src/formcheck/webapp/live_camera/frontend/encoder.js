// A worker that turns camera frames into JPEGs off the page's main thread, which the page
// shares with the rest of the Streamlit app. In: {id, bitmap, width, height, quality};
// out: {id, jpeg} (an ArrayBuffer), or {id, error}.

let canvas = null;
let ctx = null;

self.onmessage = async (event) => {
  const {id, bitmap, width, height, quality} = event.data;
  try {
    if (!canvas) {
      canvas = new OffscreenCanvas(width, height);
      ctx = canvas.getContext('2d');
    } else if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    ctx.drawImage(bitmap, 0, 0, width, height);
    const blob = await canvas.convertToBlob({type: 'image/jpeg', quality});
    const jpeg = await blob.arrayBuffer();
    self.postMessage({id, jpeg}, [jpeg]);
  } catch (err) {
    self.postMessage({id, error: String(err)});
  } finally {
    bitmap.close();
  }
};
