/**
 * The headers of docker-registry's index emulation (docker/docker-registry
 * `docker_registry/index.py` `generate_headers`): `X-Docker-Token` and `WWW-Authenticate` (the
 * same token), and `X-Docker-Endpoints`, where Docker goes on to push or pull. Both carry request
 * values, so both are built so that no request value can add a field or break the header.
 */
import { isIP } from 'node:net';
import type { Context } from 'koa';

/** `token` comes from the index's token service (services/v1/index-tokens.ts). */
export function indexHeaders(ctx: Context, registryEndpoints: string | null, token: string): Record<string, string> {
  return { 'X-Docker-Token': token, 'WWW-Authenticate': token, 'X-Docker-Endpoints': registryEndpoints ?? endpointOf(ctx) };
}

/**
 * Where this request reached Berth, for `X-Docker-Endpoints` when `registry_endpoints` is
 * unset: the request's host (the Host header, or X-Forwarded-Host with trust_proxy) if it is
 * a well-formed `host[:port]`; otherwise the address and port of the socket the request came
 * in on. That is the address the client just connected to, so it works for that client
 * (unlike the listen address 0.0.0.0), and it cannot carry anything the client made up.
 */
export function endpointOf(ctx: Context): string {
  if (isHostPort(ctx.host)) return ctx.host;
  const socket = ctx.req.socket;
  let address = socket.localAddress ?? '127.0.0.1';
  if (address.startsWith('::ffff:') && isIP(address.slice(7)) === 4) address = address.slice(7);
  return `${isIP(address) === 6 ? `[${address}]` : address}:${socket.localPort ?? 80}`;
}

const LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/**
 * A DNS name (labels of letters, digits, `-` and `_`, which internal names such as compose
 * services use; an IPv4 address is one too) or a bracketed IPv6 address, then an optional
 * port 1–65535.
 */
export function isHostPort(value: string): boolean {
  const m = /^(\[([^\]]+)\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m) return false;
  const [, host = '', ipv6, port] = m;
  if (port !== undefined && !(Number(port) >= 1 && Number(port) <= 65535)) return false;
  if (ipv6 !== undefined) return isIP(ipv6) === 6;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  return name.length > 0 && name.length <= 253 && name.split('.').every((label) => LABEL.test(label));
}
