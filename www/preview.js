// After a success: the stored copy, read back from the server (vod-local's /api/media, standing
// in for the backend's GetPlayInfo / GetImageInfo), played or shown beside what the server says
// it holds. Not the file the page picked: this is what arrived.
import { backend } from './backend.js';
import { size } from './meter.js';

function fact(list, name, value) {
  const term = document.createElement('dt');
  term.textContent = name;
  const detail = document.createElement('dd');
  detail.textContent = value;
  list.append(term, detail);
}

function player(kind, url) {
  const element = document.createElement(kind);
  if (kind !== 'img') {
    element.controls = true;
    element.preload = 'auto';
    element.muted = true;
    element.playsInline = true;
  } else {
    element.alt = 'the stored image';
  }
  element.src = url;
  return element;
}

export async function showStored(row, info) {
  const answer = await backend('/api/media', info.imageId ? { imageId: info.imageId } : { videoId: info.videoId });
  const type = answer.ContentType || info.file.type || '';
  const kind = info.isImage ? 'img' : type.startsWith('audio/') ? 'audio' : type.startsWith('video/') ? 'video' : null;
  const box = row.querySelector('.stored');
  const facts = box.querySelector('.facts');
  facts.replaceChildren();
  fact(facts, 'Stored', `${size(answer.Size)} (${answer.Size} bytes${answer.Size === info.size ? ', as picked' : `, but the file has ${info.size}`})`);
  fact(facts, 'MD5', answer.MD5);
  fact(facts, 'CRC-64', answer.CRC64);
  box.querySelector('.player').replaceChildren(...(kind ? [player(kind, answer.URL)] : []));
  box.hidden = false;
}
