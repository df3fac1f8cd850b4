import assert from 'node:assert/strict';
import { compileAccessFormat, gunicornTime } from '../../lib/logging/gunicorn-format.js';
import { bandwidthParser, DOCKER_REGISTRY_FORMAT } from '../support/gunicorn-log.js';

const fields = (over: Partial<Parameters<ReturnType<typeof compileAccessFormat>>[0]> = {}) => ({
  remote: '10.0.0.7',
  user: null,
  time: new Date(2014, 6, 4, 9, 5, 3),
  method: 'GET',
  url: '/v1/images/abc123/json?x=1',
  httpVersion: '1.1',
  status: 200,
  bytes: 1234,
  durationMicros: 5321.4,
  pid: 77,
  requestHeader: (name: string) => ({ 'user-agent': 'docker/1.5.0 go/go1.4.1', referer: undefined })[name],
  responseHeader: (name: string) => ({ 'x-docker-size': '2048' })[name],
  ...over,
});

describe('gunicorn access log format', () => {
  it("renders docker-registry's format as gunicorn 19 wrote it, field by field", () => {
    const line = compileAccessFormat(DOCKER_REGISTRY_FORMAT)(fields());
    // A gunicorn 19.1 line of that format, for the same request.
    assert.equal(line, '10.0.0.7 - - [04/Jul/2014:09:05:03] "GET /v1/images/abc123/json?x=1 HTTP/1.1" 200 1234 "-" "docker/1.5.0 go/go1.4.1" 5321 2048');
  });

  it("is read by docker-registry's bandwidth_parser.py (ip, date, method, id, type, size)", () => {
    const line = compileAccessFormat(DOCKER_REGISTRY_FORMAT)(fields({ url: '/v1/images/abc123/json' }));
    assert.deepEqual(bandwidthParser(line), { ip: '10.0.0.7', date: '04/Jul/2014:09:05:03', http_request: 'GET', id: 'abc123', type: 'json', size: '2048' });
  });

  it('the other atoms; what has no value is -, a quote inside a value is escaped', () => {
    const render = compileAccessFormat('%(m)s|%(U)s|%(q)s|%(H)s|%(T)s|%(M)s|%(L)s|%(p)s|%(B)s|%({Host}i)s|%({PATH}e)s|%(zz)s|%%|%(u)s|%(a)s');
    const line = render(fields({ user: 'ali"ce', bytes: null, durationMicros: 2_500_000, requestHeader: () => undefined }));
    assert.equal(line, 'GET|/v1/images/abc123/json|x=1|HTTP/1.1|2|2500|2.500000|<77>|0|-|-|-|%|ali\\"ce|-');
    assert.equal(compileAccessFormat('%(b)s')(fields({ bytes: null })), '-');
  });

  it('time: two digits, English month, no zone', () => {
    assert.equal(gunicornTime(new Date(2026, 11, 7, 1, 2, 3)), '[07/Dec/2026:01:02:03]');
  });
});
