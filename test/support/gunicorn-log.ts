/** What the gunicorn access log tests share: docker-registry's format and its log parser. */

/** docker-registry's contrib/gunicorn_config.py */
export const DOCKER_REGISTRY_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)s %({X-Docker-Size}o)s';

/** docker-registry's scripts/bandwidth_parser.py `line_parser`, in JavaScript: the old parser that must keep working. */
export function bandwidthParser(line: string): Record<string, string | undefined> | null {
  const m =
    /^(?<ip>\d{1,3}.\d{1,3}.\d{1,3}.\d{1,3}) - - \[(?<date>\d{2}\/\w+\/\d{4}:\d{2}:\d{2}:\d{2})?\] "(?<http_request>\w+)? \/\w+\/\w+\/(?<id>\w+)?\/(?<type>\w+)?/.exec(
      line,
    );
  if (!m?.groups) return null;
  return { ...m.groups, size: /.*?(\d+)$/.exec(line)?.[1] };
}
