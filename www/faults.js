// The fault panel: vod-local's test controls, one button each. What the SDK does about them shows
// in the event log, as its retries and recoveries.
import { backend } from './backend.js';

const control = (path, body = {}) => backend(`/_admin/${path}`, body);

// `timeoutMs()` is the request timeout new files get; a stall outlasts it.
export function wireFaults(log, timeoutMs) {
  const buttons = {
    'fault-503': async () => {
      await control('faults', { action: 'fail', status: 503, count: 3 });
      return 'the server answers 503 to the next 3 parts';
    },
    'fault-stall': async () => {
      const ms = timeoutMs() + 2000;
      await control('faults', { action: 'stall', ms, count: 1 });
      return `the server holds the next part ${ms / 1000} s, beyond the request timeout`;
    },
    'fault-damage': async () => {
      await control('damage-parts', { count: 1 });
      return 'the server stores the next part damaged';
    },
    expire: async () => {
      const answer = await control('expire-credentials');
      return `the server expired ${answer.expired} credentials`;
    },
  };
  for (const [id, act] of Object.entries(buttons)) {
    document.getElementById(id).addEventListener('click', async () => {
      try {
        log(await act(), 'fault');
      } catch (e) {
        log(`the test controls refused: ${e.message}`, 'bad');
      }
    });
  }
}
