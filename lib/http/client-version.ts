/**
 * Which clients must not be offered V2. Docker 1.3–1.5 spoke a pre-release draft of V2
 * (tarsum digests, no usable upload Location) and never fall back to V1 once `/v2/` answers
 * 200, so to them Berth is a V1-only registry.
 *
 * Docker ≤ 1.5 probes `/v2/` with the Go library's default User-Agent (`Go 1.1 package http`,
 * what Go ≤ 1.5 sent); its own `docker/1.5.0 …` agent is only on later requests. The rule is
 * the one distribution documented for nginx in front of registry:2
 * (distribution/distribution `docs/recipes/nginx.md`):
 *
 *   if ($http_user_agent ~ "^(docker\/1\.(3|4|5(?!\.[0-9]-dev))|Go ).*$") { return 404; }
 *
 * `docker/1.5.x-dev` builds are the 1.6 pre-releases and speak the final V2. Modern Go clients
 * send `Go-http-client/1.1` (Go ≥ 1.6) or their own agent, which the rule does not match.
 * Docker before 1.3 never probes `/v2/`; its agents are matched too, so a stray request of
 * theirs gets the V1 answer as well.
 */
const PRE_V2_AGENT = /^(docker\/1\.(3|4|5(?!\.[0-9]-dev))|Go )/;
const PRE_V2_DOCKER = /^docker\/(0\.|1\.[0-2]\.)/;

export function isPreV2Client(userAgent: string | undefined): boolean {
  const agent = userAgent ?? '';
  return PRE_V2_AGENT.test(agent) || PRE_V2_DOCKER.test(agent);
}
