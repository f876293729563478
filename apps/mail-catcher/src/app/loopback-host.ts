/**
 * Whether a request's `Host` names this machine: `localhost`, a name under
 * `.localhost` (RFC 6761 §6.3), or a loopback address. The catcher's mails
 * hold live tokens and it has no login, so a page whose own name an attacker
 * rebinds to 127.0.0.1 (DNS rebinding) must not read them: such a request
 * still carries the attacker's name.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined || host === '') return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    /^127(?:\.\d{1,3}){3}$/.test(hostname)
  );
}
