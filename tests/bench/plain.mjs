// Plain fetch of OSS requests, signed with WebCrypto's HMAC-SHA1: the bench's baseline, what
// any uploader must do at the least.
async function hmacSha1Base64(secret, text) {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(text)));
  return btoa(String.fromCharCode(...mac));
}

export async function signed(auth, address, method, query, contentType, body) {
  const date = new Date().toUTCString();
  const subresource = query ? `?${query}` : '';
  const stringToSign = `${method}\n\n${contentType}\n${date}\nx-oss-date:${date}\nx-oss-security-token:${auth.SecurityToken}\n/${address.Bucket}/${address.FileName}${subresource}`;
  const signature = await hmacSha1Base64(auth.AccessKeySecret, stringToSign);
  const headers = {
    'x-oss-date': date,
    'x-oss-security-token': auth.SecurityToken,
    authorization: `OSS ${auth.AccessKeyId}:${signature}`,
  };
  if (contentType) headers['content-type'] = contentType;
  const host = address.Endpoint.replace('://', `://${address.Bucket}.`);
  const key = address.FileName.split('/').map(encodeURIComponent).join('/');
  const response = await fetch(`${host}/${key}${subresource}`, { method, headers, body });
  if (!response.ok) throw new Error(`${method} ${query}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

