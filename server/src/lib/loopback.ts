/**
 * Loopback addresses: 127.0.0.0/8, ::1 and the name localhost (RFC 6761 keeps it, and any name
 * under .localhost, on this machine). Takes a URL's hostname (IPv6 in brackets) or a bare host.
 */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost') || name === '::1') return true;
  const octets = name.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255);
}
