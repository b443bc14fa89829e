// POSTs JSON as a page asks its backend (here vod-local's /api/; the demo's fault panel asks its
// test controls the same way). Resolves to the answer's JSON, or null for an empty answer; a
// refusal is a thrown Error with the server's code, or its status.
export async function backend(path, body, base = '') {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const answer = text ? JSON.parse(text) : null;
  if (!response.ok) {
    throw new Error(answer?.Code ? `${answer.Code}: ${answer.Message}` : `${path}: ${response.status} ${answer?.error ?? ''}`);
  }
  return answer;
}
