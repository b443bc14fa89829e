// The fault panel: vod-local's test controls, one button each. What the SDK does about them shows
// in the event log, as its retries and recoveries.
import { backend } from './backend.js';

const control = (path, body = {}) => backend(`/_admin/${path}`, body);

// `timeoutMs()` is the request timeout new files get; a held part outlasts it.
export function wireFaults(log, timeoutMs) {
  const buttons = {
    'fault-503': async () => {
      await control('faults', { action: 'fail', status: 503, count: 3 });
      return 'the server answers 503 to the next 3 parts';
    },
    'fault-stall': async () => {
      // Held until the page gives up on it, however long that takes: never answered.
      await control('hold', { operation: 'upload-part', count: 1 });
      return `the server holds the next part unanswered, beyond the request timeout (${timeoutMs() / 1000} s)`;
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
