// Asks the customer's backend (here vod-local's /api/) as a page would: POST JSON, and a thrown
// Error with the backend's code when it refuses.
export async function backend(path, body, base = '') {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${answer.Code}: ${answer.Message}`);
  return answer;
}
