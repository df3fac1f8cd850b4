import assert from 'node:assert/strict';
import { interpolate, parseEnvRef } from '../../lib/config/env.js';
import { parseYaml } from '../../lib/config/yaml.js';

/** The vectors of docker/docker-registry `tests/fixtures/test_config.yaml` + `tests/test_config.py`. */
const FIXTURE = `
booltrue: _env:BOOLTRUE:True
boolfalse: _env:BOOLFALSE:False
uint: _env:UINT:10
int: _env:INT:-10
float: _env:FLOAT:0.01
emptystring: _env:EMPTYSTRING:''
isnone: _env:ISNONE
nonemptystring: _env:NONEMPTYSTRING:nonemptystring
anothernonemptystring: _env:ANOTHERNONEMPTYSTRING:'nonemptystring'
bugger: _env:BUGGER:bug:me:endlessly
array: _env:ARRAY:[one, two, three]
dict: _env:DICT
`;

function resolve(env: Record<string, string>) {
  return interpolate(parseYaml(FIXTURE), env).value as Record<string, unknown>;
}

describe("_env: interpolation (docker-registry's test_config vectors)", () => {
  it('uses the typed defaults when the environment is empty', () => {
    const v = resolve({});
    assert.equal(v.booltrue, true);
    assert.equal(v.boolfalse, false);
    assert.equal(v.uint, 10);
    assert.equal(v.int, -10);
    assert.equal(v.float, 0.01);
    assert.equal(v.emptystring, '');
    assert.equal(v.isnone, null);
    assert.equal(v.nonemptystring, 'nonemptystring');
    assert.equal(v.anothernonemptystring, 'nonemptystring');
    assert.equal(v.bugger, 'bug:me:endlessly');
    assert.deepEqual(v.array, ['one', 'two', 'three']);
    assert.equal(v.dict, null);
  });

  it('types values taken from the environment as YAML 1.1', () => {
    const v = resolve({
      BOOLTRUE: 'False',
      BOOLFALSE: 'True',
      UINT: '0',
      INT: '0',
      FLOAT: '0',
      EMPTYSTRING: 'NOTREALLY',
      ISNONE: 'False',
      NONEMPTYSTRING: '""',
      BUGGER: '"whatever:the:flush:"',
      ARRAY: '[one, again]',
      DICT: '{"one": "oneagain", "two": "twoagain"}',
    });
    assert.equal(v.booltrue, false);
    assert.equal(v.boolfalse, true);
    assert.equal(v.uint, 0);
    assert.equal(v.int, 0);
    assert.equal(v.float, 0);
    assert.equal(v.emptystring, 'NOTREALLY');
    assert.equal(v.isnone, false);
    assert.equal(v.nonemptystring, '');
    assert.equal(v.bugger, 'whatever:the:flush:');
    assert.deepEqual(v.array, ['one', 'again']);
    assert.deepEqual(v.dict, { one: 'oneagain', two: 'twoagain' });
  });

  it('reads a variable set to the empty string as null', () => {
    assert.equal(resolve({ ISNONE: '' }).isnone, null);
  });

  it('records which variable supplied each key', () => {
    const { envSources } = interpolate(parseYaml('a:\n  b: _env:SOME_VAR:1\nc: plain'), {});
    assert.equal(envSources.get('a.b'), 'SOME_VAR');
    assert.equal(envSources.has('c'), false);
  });

  it('leaves list items alone, as docker-registry 0.8+ did', () => {
    const { value } = interpolate(parseYaml('l: [_env:X:1]'), { X: '2' });
    assert.deepEqual((value as { l: unknown }).l, ['_env:X:1']);
  });

  it('splits the name from a default that contains colons', () => {
    assert.deepEqual(parseEnvRef('_env:SQLALCHEMY_INDEX_DATABASE:sqlite:////tmp/x.db'), { name: 'SQLALCHEMY_INDEX_DATABASE', default: 'sqlite:////tmp/x.db' });
    assert.deepEqual(parseEnvRef('_env:NAME'), { name: 'NAME', default: undefined });
    assert.equal(parseEnvRef('plain'), null);
  });

  it('reports an env value that is not valid YAML with the variable name', () => {
    const { issues } = interpolate(parseYaml('k: _env:BAD'), { BAD: '[unclosed' });
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.envVar, 'BAD');
    assert.equal(issues[0]?.key, 'k');
  });
});

describe('PyYAML scalar typing', () => {
  const cases: Array<[string, unknown]> = [
    ['', null],
    ['~', null],
    ['null', null],
    ['Null', null],
    ['NULL', null],
    ['true', true],
    ['True', true],
    ['yes', true],
    ['YES', true],
    ['on', true],
    ['On', true],
    ['false', false],
    ['no', false],
    ['off', false],
    ['OFF', false],
    ['y', 'y'],
    ['n', 'n'],
    ['Y', 'Y'],
    ['N', 'N'],
    ['010', 8],
    ['0x1f', 31],
    ['0b101', 5],
    ['1:30', 90],
    ['1_000', 1000],
    ['+5', 5],
    ['-10', -10],
    ['1e3', '1e3'],
    ['1.0e3', '1.0e3'],
    ['1.0e+3', 1000],
    ['0.01', 0.01],
    ["'quoted'", 'quoted'],
    ['x # comment', 'x'],
    ['a: b', { a: 'b' }],
  ];
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseYaml(text), expected);
    });
  }
  it('.inf and .nan are numbers', () => {
    assert.equal(parseYaml('.inf'), Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(parseYaml('.nan')));
  });
  it('honours anchors and << merge keys', () => {
    assert.deepEqual(parseYaml('c: &c {a: 1, b: 2}\np:\n  <<: *c\n  b: 3'), { c: { a: 1, b: 2 }, p: { a: 1, b: 3 } });
  });
});
