// The Streamlit custom-component protocol (API version 1), the few messages this component
// needs: say it is ready, receive its arguments, set its height and its value.

const listeners = [];

function send(type, data = {}) {
  window.parent.postMessage({isStreamlitMessage: true, type, ...data}, '*');
}

window.addEventListener('message', (event) => {
  if (event.source !== window.parent || !event.data || event.data.type !== 'streamlit:render') return;
  for (const listener of listeners) listener(event.data.args || {});
});

/** Call `listener(args)` on each render (the first and every rerun of the page). */
export function onRender(listener) {
  listeners.push(listener);
}

export function ready() {
  send('streamlit:componentReady', {apiVersion: 1});
}

export function setFrameHeight(height) {
  send('streamlit:setFrameHeight', {height});
}

/** The component's value on the Python side (reruns the page). */
export function setValue(value) {
  send('streamlit:setComponentValue', {value, dataType: 'json'});
}
