// Expected outputs are worked out by hand from Go's encoding/json rules (golang/go
// src/encoding/json encode.go appendString, indent.go appendCompact, decode.go unquote).
import assert from 'node:assert/strict';
import { marshalIndent, RawJson } from '../../lib/bridge/go-indent.js';
import { compactRaw, GoJsonError, goField, marshalSortedObject, parseArrayElements, parseObjectEntries, validateJson } from '../../lib/bridge/go-json.js';
import { goQuote, goUnquote } from '../../lib/bridge/go-string.js';

const b = (s: string) => Buffer.from(s, 'utf8');
const entriesText = (json: string) => parseObjectEntries(b(json)).map(([k, v]) => [k, v.toString('utf8')]);
const isGoJsonError = (err: unknown) => err instanceof GoJsonError;

describe('bridge: Go-style JSON strings', () => {
  it('escapes quote, backslash, \\n \\r \\t, other control characters as \\u00XX (also \\b and \\f), and <>& for HTML', () => {
    assert.equal(goQuote('a"b\\c'), String.raw`"a\"b\\c"`);
    assert.equal(goQuote('\n\r\t'), String.raw`"\n\r\t"`);
    assert.equal(goQuote('\b\f\x01\x1f'), String.raw`"\u0008\u000c\u0001\u001f"`);
    assert.equal(goQuote('Alyssa P. Hacker <alyspdev@example.com> & co'), String.raw`"Alyssa P. Hacker \u003calyspdev@example.com\u003e \u0026 co"`);
  });

  it('writes U+2028/U+2029 escaped, other non-ASCII and DEL literally', () => {
    assert.equal(goQuote('x\u2028y\u2029'), String.raw`"x\u2028y\u2029"`);
    assert.equal(goQuote('é€😀\x7f'), '"é€😀\x7f"');
  });

  it('turns each invalid UTF-8 byte into \\ufffd, as utf8.DecodeRune reports them one at a time', () => {
    assert.equal(goQuote(Buffer.from([0x61, 0xff, 0x62])), String.raw`"a\ufffdb"`);
    // A truncated 3-byte sequence is two errors in Go (a WHATWG decoder would make it one).
    assert.equal(goQuote(Buffer.from([0xe2, 0x82, 0x41])), String.raw`"\ufffd\ufffdA"`);
    // A UTF-8-encoded surrogate and an overlong '/' are invalid too.
    assert.equal(goQuote(Buffer.from([0xed, 0xa0, 0x80])), String.raw`"\ufffd\ufffd\ufffd"`);
    assert.equal(goQuote(Buffer.from([0xc0, 0xaf])), String.raw`"\ufffd\ufffd"`);
    // A valid U+FFFD is an ordinary character, written as it is.
    assert.equal(goQuote('\ufffd'), '"\ufffd"');
  });

  it('decodes escapes, surrogate pairs, and lone surrogates or invalid bytes as U+FFFD', () => {
    assert.equal(goUnquote(b(String.raw`"\/\b\f\n\r\t\"\\ \u003c"`)), '/\b\f\n\r\t"\\ <');
    assert.equal(goUnquote(b(String.raw`"\ud83d\ude00"`)), '😀');
    assert.equal(goUnquote(b(String.raw`"\ud800x"`)), '\ufffdx');
    assert.equal(goUnquote(b(String.raw`"\ud800\u0041"`)), '\ufffdA');
    assert.equal(goUnquote(b(String.raw`"\udc00"`)), '\ufffd');
    assert.equal(goUnquote(Buffer.from([0x22, 0x61, 0xff, 0xc3, 0xa9, 0x22])), 'a\ufffdé');
  });
});

describe('bridge: Go-style JSON documents', () => {
  it('splits an object into its members in order, duplicates kept, values as written', () => {
    assert.deepEqual(entriesText(' {"b": 1.0, "a" : {"y":1, "x":[1e3, "<"]}, "b": null } \n'), [
      ['b', '1.0'],
      ['a', '{"y":1, "x":[1e3, "<"]}'],
      ['b', 'null'],
    ]);
    assert.deepEqual(entriesText('{}'), []);
    assert.deepEqual(entriesText(String.raw`{"k\u0065y":"v"}`), [['key', '"v"']]);
    assert.deepEqual(
      parseArrayElements(b('[ "a" , [1,2] , {} ]')).map((x) => x.toString()),
      ['"a"', '[1,2]', '{}'],
    );
  });

  it('rejects what Go rejects, and whatever is not an object, with a GoJsonError', () => {
    for (const bad of [
      '',
      '[]',
      '"x"',
      'null',
      '{"a":1,}',
      '{"a":1} x',
      '{"a":01}',
      '{"a":1.}',
      '{"a":-}',
      '{"a":1e}',
      '{"a":"\x01"}',
      '{"a":"\\x"}',
      '{"a":"\\u12g4"}',
      '{"a":tru}',
      '{"a" 1}',
      "{'a':1}",
      '{"a":[1 2]}',
      '{"a":{"b"}}',
      '{"a":"unterminated}',
      '\ufeff{}',
    ]) {
      assert.throws(() => parseObjectEntries(b(bad)), isGoJsonError, JSON.stringify(bad));
    }
  });

  it('allows nesting 10000 deep as Go does, and fails cleanly (not by stack overflow) one deeper', () => {
    validateJson(b(`${'['.repeat(10_000)}${']'.repeat(10_000)}`));
    assert.throws(() => validateJson(b(`${'['.repeat(10_001)}${']'.repeat(10_001)}`)), isGoJsonError);
    // The object itself is the first level.
    assert.throws(() => parseObjectEntries(b(`{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`)), isGoJsonError);
    parseObjectEntries(b(`{"a":${'['.repeat(9_999)}${']'.repeat(9_999)}}`));
  });

  it('compacts a raw value like json.Marshal does a RawMessage: whitespace out, escapes kept, <>& and U+2028/9 escaped', () => {
    const raw = b('{ "a" : [ 1 , 2.50 ] ,\n\t"s" : " x  <y> & \u2028 \\u0041\\/" , "t" : ["\\\\", "<"] }');
    assert.equal(compactRaw(raw).toString(), String.raw`{"a":[1,2.50],"s":" x  \u003cy\u003e \u0026 \u2028 \u0041\/","t":["\\","\u003c"]}`);
    // Bytes that are not UTF-8 are copied, as Go's Compact copies them.
    assert.deepEqual(compactRaw(Buffer.from([0x22, 0xff, 0x20, 0x22])), Buffer.from([0x22, 0xff, 0x20, 0x22]));
  });

  it('marshals a map with keys in UTF-8 byte order (not UTF-16 order), the last duplicate winning', () => {
    const out = marshalSortedObject([
      ['b', b('1')],
      ['a', b('2')],
      ['😀', b('6')],
      ['\uffff', b('5')],
      ['B', b(' [ 3 ] ')],
      ['é', b('4')],
      ['<', b('"&"')],
      ['a', b('7')],
    ]);
    const unescaped = '"\uffff":5,"😀":6}';
    assert.equal(out.toString(), String.raw`{"\u003c":"\u0026","B":[3],"a":7,"b":1,"é":4,` + unescaped);
    assert.equal(marshalSortedObject([]).toString(), '{}');
  });

  it('reads a struct field as Go does: case-insensitive key, last match wins, Kelvin sign folds to K', () => {
    const entries = parseObjectEntries(b('{"id":"y","ID":"x","Parent":"p","\u212aey":1}'));
    assert.equal(goField(entries, 'id')?.toString(), '"x"');
    assert.equal(goField(entries, 'parent')?.toString(), '"p"');
    assert.equal(goField(entries, 'key')?.toString(), '1');
    assert.equal(goField(entries, 'created'), undefined);
  });

  it('indents like json.MarshalIndent: "key": value, [] and {} for empty, raw values as given', () => {
    const out = marshalIndent({ a: [], b: {}, c: [1, { d: '<', e: true, f: null }], g: new RawJson('"\\u0041"') }, '   ');
    assert.equal(
      out.toString(),
      `{
   "a": [],
   "b": {},
   "c": [
      1,
      {
         "d": "\\u003c",
         "e": true,
         "f": null
      }
   ],
   "g": "\\u0041"
}`,
    );
    assert.throws(() => marshalIndent({ x: 1.5 }, '   '), TypeError);
  });
});
